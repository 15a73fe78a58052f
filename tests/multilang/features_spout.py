# features_spout.py - a spout exercising the protocol: it emits inside
# initialize() (before the first command), non-ASCII UTF-8 words, reliable
# ids, an emit on the named stream `side` without task ids, then ends
# (gale's `done`). Logs every ack it gets.
import storm

WORDS = ["grüße", "naïve", "日本語", "☃ snow", "plain"]


class FeaturesSpout(storm.Spout):
    def initialize(self, conf, context):
        self.i = 0
        ids = storm.emit(["early-bird"], id="early")
        storm.logInfo("early emit went to tasks %s" % ids)

    def nextTuple(self):
        if self.i >= len(WORDS):
            storm.done()
            return
        w = WORDS[self.i]
        storm.emit([w], id=self.i)
        storm.emit(["side:" + w], stream="side", need_task_ids=False)
        self.i += 1

    def ack(self, id):
        storm.logInfo("spout got ack for %s" % (id,))


FeaturesSpout().run()
