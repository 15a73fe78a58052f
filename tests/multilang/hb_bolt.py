# hb_bolt.py [mute] - a slow bolt: it holds its tuples and emits and acks
# them only after three heartbeats (~3 s), answering each heartbeat (tick
# tuples are logged and acked at once). With
# `mute` it does not answer heartbeats, so gale must time it out.
import sys

import storm

mute = len(sys.argv) > 1 and sys.argv[1] == "mute"
conf, context = storm.initComponent()
held = []
beats = 0
while True:
    t = storm.readTuple()
    if t.is_heartbeat_tuple():
        beats += 1
        if not mute:
            storm.sync()
        if beats >= 3 and held:
            for h in held:
                storm.emit(h.values, anchors=[h.id])
                storm.ack(h)
            storm.logInfo("flushed %d tuples after %d heartbeats"
                          % (len(held), beats))
            held = []
            beats = 0
        continue
    if t.is_tick_tuple():
        storm.logInfo("tick tuple %s from %s" % (t.values, t.component))
        storm.ack(t)
        continue
    held.append(t)
