# replay_spout.py INPUT [BATCH] - a spout that replays deterministically by
# id: it emits line i of INPUT with id i, and persists the offset below
# which every id was acked in `acked.offset` in its cwd. After a restart it
# emits again from that offset (un-acked ids come back with the same
# content), so gale can drop what a completed checkpoint already covers.
import os
import sys

import storm


class ReplaySpout(storm.Spout):
    def initialize(self, conf, context):
        with open(sys.argv[1], encoding="utf-8") as f:
            self.lines = f.read().splitlines()
        self.batch = int(sys.argv[2]) if len(sys.argv) > 2 else 20
        self.base = 0
        if os.path.exists("acked.offset"):
            with open("acked.offset") as f:
                self.base = int(f.read().strip() or 0)
        self.acked = set()
        self.next = self.base
        storm.logInfo("replaying from line %d of %d" % (self.base,
                                                        len(self.lines)))

    def nextTuple(self):
        if self.next >= len(self.lines):
            storm.done()
            return
        for _ in range(self.batch):
            if self.next >= len(self.lines):
                break
            storm.emit([self.lines[self.next]], id=self.next)
            self.next += 1

    def ack(self, id):
        self.acked.add(id)
        moved = False
        while self.base in self.acked:
            self.acked.discard(self.base)
            self.base += 1
            moved = True
        if moved:
            with open("acked.offset.tmp", "w") as f:
                f.write("%d\n" % self.base)
            os.replace("acked.offset.tmp", "acked.offset")

    def fail(self, id):
        storm.logWarn("failed %s" % (id,))


ReplaySpout().run()
