# replay_spout.py INPUT [BATCH [CRASH1 CRASH2]] - a spout that replays
# deterministically by id: it emits line i of INPUT with id i, and
# persists the offset below which every id was acked in `acked.offset` in
# its cwd — lazily, each time it crosses a multiple of 1000 lines (and at
# the end), as a source whose acks lag does. After a restart it emits
# again from that offset: un-acked ids, and acked ones it had not recorded,
# come back with the same content, so gale must drop those a completed
# checkpoint already covers. With CRASH1 and CRASH2 it exits (status 5)
# once before emitting line CRASH1, and once more CRASH2 emits after the
# restart that follows (markers in its cwd): two rollbacks in a row. In
# between it emits slowly (one line per 20 ms), so that checkpoints
# complete while ids the first restore covers are still to come back.
import os
import sys
import time

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
        self.crash = [int(x) for x in sys.argv[3:5]]
        self.emitted = 0
        storm.logInfo("replaying from line %d of %d" % (self.base,
                                                        len(self.lines)))

    def nextTuple(self):
        if self.next >= len(self.lines):
            storm.done()
            return
        slow = self.crash and os.path.exists("crash1") and \
            not os.path.exists("crash2")
        if slow:
            time.sleep(0.02)
        for _ in range(1 if slow else self.batch):
            if self.next >= len(self.lines):
                break
            if self.crash and self.next == self.crash[0] and \
                    not os.path.exists("crash1"):
                open("crash1", "w").close()
                os._exit(5)
            if self.crash and self.emitted == self.crash[1] and \
                    os.path.exists("crash1") and not os.path.exists("crash2"):
                open("crash2", "w").close()
                os._exit(5)
            self.emitted += 1
            storm.emit([self.lines[self.next]], id=self.next)
            self.next += 1

    def ack(self, id):
        self.acked.add(id)
        old = self.base
        while self.base in self.acked:
            self.acked.discard(self.base)
            self.base += 1
        if self.base // 1000 != old // 1000 or \
                (self.base == len(self.lines) and old != self.base):
            with open("acked.offset.tmp", "w") as f:
                f.write("%d\n" % self.base)
            os.replace("acked.offset.tmp", "acked.offset")

    def fail(self, id):
        storm.logWarn("failed %s" % (id,))


ReplaySpout().run()
