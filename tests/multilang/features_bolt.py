# features_bolt.py - a bolt exercising the protocol: for every tuple it
# emits the word upper-cased on the default stream, emits it directly to
# the last task of component `picked` (found in the context), logs at
# every level, sends a metric, and reports one error. It writes two
# lines to stderr when it starts.
import sys

import storm


class FeaturesBolt(storm.BasicBolt):
    def initialize(self, conf, context):
        sys.stderr.write("features bolt starting\nsecond line\n")
        sys.stderr.flush()
        self.seen = 0
        tasks = [int(t) for t, c in context["task->component"].items()
                 if c == "picked"]
        self.direct = max(tasks)
        storm.logInfo("context: taskid=%s componentid=%s streams=%s "
                      "targets=%s max.pending=%s" % (
                          context["taskid"], context["componentid"],
                          sorted(context["streams"]),
                          sorted(context["stream->target->grouping"]["picked"]
                                 .keys()),
                          conf.get("topology.shellbolt.max.pending")))

    def process(self, tup):
        if tup.is_tick_tuple():
            storm.logInfo("tick tuple %s from %s" % (tup.values, tup.component))
            return
        w = tup.values[0]
        ids = storm.emit([w.upper()])
        storm.emitDirect(self.direct, [w], stream="picked")
        for level in range(5):
            storm.log("level %d word %s" % (level, w), level)
        storm.rpcMetrics("words", 1)
        self.seen += 1
        if self.seen == 1:
            storm.reportError("first word was %s (to %s)" % (w, ids))


FeaturesBolt().run()
