# pending_spout.py N - emits N lines, one per `next`, with ids 0..N-1, and
# tracks how many it emitted that were not acked yet; logs the most it
# ever saw ("max outstanding K") when it ends.
import sys

import storm


class PendingSpout(storm.Spout):
    def initialize(self, conf, context):
        self.n = int(sys.argv[1])
        self.i = 0
        self.out = set()
        self.most = 0

    def nextTuple(self):
        if self.i >= self.n:
            if not self.out:
                storm.logInfo("max outstanding %d" % self.most)
                storm.done()
            return
        storm.emit(["line %d" % self.i], id=self.i)
        self.out.add(self.i)
        self.most = max(self.most, len(self.out))
        self.i += 1

    def ack(self, id):
        self.out.discard(id)


PendingSpout().run()
