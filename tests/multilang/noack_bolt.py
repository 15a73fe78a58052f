# noack_bolt.py - a bolt that answers heartbeats but never acks a tuple.
import storm

conf, context = storm.initComponent()
while True:
    t = storm.readTuple()
    if t.is_heartbeat_tuple():
        storm.sync()
