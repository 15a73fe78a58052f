#!/bin/bash
# sockets.sh - a topology of thousands of channels (3 x 28 tasks, fields
# groupings: 1 568 channels, about 3 500 ZeroMQ sockets in one process).
# ZeroMQ allows 1023 sockets per context by default and aborts the
# process when it runs out of descriptors inside, so such a run used to
# fail setup with "Too many open files" and then crash (exit 139). gale
# sizes its context to the file limit (raising the soft limit to the hard
# one): with a low soft limit the run succeeds, exact; with a low hard
# limit it is refused before it starts, saying what to do, exit 1.
set -u
. "$(dirname "$0")/lib.sh" || exit 99
work_dir sockets
cat > "$tmp/many.cfg" <<CFG
name = "many-$$";
config = { guarantee = "none"; };
spouts = ( { id = "gen"; type = "generator"; seed = 1; count = 28000;
             fields = ["sentence"]; parallelism = 28; } );
bolts = ( { id = "split"; type = "split"; fields = ["word"]; parallelism = 28; },
          { id = "count"; type = "count"; key = "word"; fields = ["word", "count"];
            parallelism = 28; },
          { id = "out"; type = "file_sink"; path = "$tmp/out"; } );
streams = ( { from = "gen"; to = "split"; grouping = "fields"; fields = ["sentence"]; },
            { from = "split"; to = "count"; grouping = "fields"; fields = ["word"]; },
            { from = "count"; to = "out"; grouping = "global"; } );
CFG
hard=$(ulimit -Hn)
if [ "$hard" = unlimited ] || [ "$hard" -ge 8192 ]; then
    (ulimit -Sn 1024; "$GALE" run "$tmp/many.cfg" > /dev/null 2> "$tmp/soft.err")
    rc=$?
    [ $rc -eq 0 ] || { tail -3 "$tmp/soft.err"; fail "soft limit 1024 (hard $hard): exit $rc"; }
    n=$(cat "$tmp/out"/* 2>/dev/null | wc -l)
    [ "$n" -eq 280000 ] || fail "soft limit 1024: $n counts, not 280000 (one per word)"
    echo "   soft limit 1024, hard $hard: ran, 280000 counts"
else
    echo "   hard file limit $hard: the soft-limit case is skipped"
fi
(ulimit -n 1024; "$GALE" run "$tmp/many.cfg" > /dev/null 2> "$tmp/hard.err")
rc=$?
[ $rc -eq 1 ] || fail "hard limit 1024: exit $rc, expected 1"
grep -q "needs about [0-9]* ZeroMQ sockets.*raise the file limit, or spread the topology over more workers" \
    "$tmp/hard.err" || fail "hard limit 1024 said: $(tail -2 "$tmp/hard.err")"
finish "PASS sockets"
