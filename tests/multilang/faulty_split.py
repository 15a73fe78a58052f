# faulty_split.py MODE N - splits sentences like splitsentence.py, but at
# its Nth tuple, once per test (a marker file in its cwd), it crashes
# (MODE crash: exit 3 mid-stream) or writes garbage to stdout (MODE
# garbage) or fails the tuple (MODE fail).
import os
import sys

import storm

mode, n = sys.argv[1], int(sys.argv[2])


class FaultySplit(storm.BasicBolt):
    def initialize(self, conf, context):
        self.seen = 0
        self.marker = "fault-%s-%s" % (mode, context["taskid"])

    def process(self, tup):
        self.seen += 1
        if self.seen == n and not os.path.exists(self.marker):
            open(self.marker, "w").close()
            if mode == "crash":
                os._exit(3)
            if mode == "garbage":
                sys.stdout.write("Traceback? no: some garbage on stdout\n")
                sys.stdout.flush()
            if mode == "fail":
                raise ValueError("cannot split %r" % tup.values[0])
        for w in tup.values[0].split(" "):
            if w:
                storm.emit([w])


FaultySplit().run()
