#!/bin/bash
# savepoint.sh - savepoint and restore time and bytes for KEYS keys of
# keyed state, and the time from `gale rebalance` to processing again.
#
# A generator emits KEYS distinct integers (mode "sequence") into a keyed
# count (4 tasks); a second, slow spout keeps the topology running. Once
# every key is counted:
#   savepoint:  time of `gale savepoint NAME DIR` (a checkpoint of the
#               whole state, then the copy) and the bytes of DIR;
#   restore:    `gale run --from-savepoint DIR -e count=6` (rescaled 4 -> 6
#               tasks): from the start of the command to the first
#               checkpoint completed after the restore (an upper bound of
#               the restore: the checkpoint interval is 200 ms), and the
#               import alone (the log's "restored savepoint" line);
#   rebalance:  `gale rebalance NAME -e count=8` on the running topology:
#               from the command to the first checkpoint completed by the
#               restarted topology.
# Usage: KEYS=1000000 bench/savepoint.sh   (GALE=path to gale)
set -u
: "${GALE:=./gale}"
: "${KEYS:=1000000}"
GALE=$(cd "$(dirname "$GALE")" && pwd)/$(basename "$GALE")
tmp=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/spbench.XXXXXX") || exit 1
trap 'pkill -KILL -f "gale run .*$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
export XDG_RUNTIME_DIR=$tmp/run GALE_LOG_LEVEL=debug
NAME="spbench-$$"

cat > "$tmp/t.cfg" <<CFG
name = "$NAME";
config = { checkpoint = { interval_ms = 200; dir = "$tmp/state"; timeout_ms = 600000; }; };
spouts = ( { id = "keys"; type = "generator"; mode = "sequence"; count = $KEYS;
             fields = ["n"]; },
           { id = "alive"; type = "generator"; mode = "sequence"; rate = 1;
             fields = ["n"]; } );
bolts = ( { id = "count"; type = "count"; key = "n"; parallelism = 4;
            fields = ["n", "count"]; } );
streams = ( { from = "keys"; to = "count"; grouping = "fields"; fields = ["n"]; },
            { from = "alive"; to = "count"; grouping = "fields"; fields = ["n"]; } );
CFG

now() { date +%s.%N; }
ms() { echo "$1 $2" | awk '{ printf "%.0f", ($2 - $1) * 1000 }'; }
# Seconds since the epoch of the first log line of $1 matching $2 after $3.
logtime() {
    awk -v after="$3" -v pat="$2" '$0 ~ pat {
        split($1, a, "T"); split(a[2], t, ":"); sub("Z", "", t[3]);
        cmd = "date -u -d " a[1] " +%s"; cmd | getline d; close(cmd);
        s = d + t[1] * 3600 + t[2] * 60 + t[3];
        if (s >= after) { printf "%.3f\n", s; exit } }' "$1"
}
wait_counted() {  # until every key is counted (bolts executed >= KEYS)
    for _ in $(seq 6000); do
        kill -0 "$pid" 2>/dev/null || { echo "the topology ended:"; tail -3 "$tmp/log1"; exit 1; }
        ex=$("$GALE" list -v 2>/dev/null | awk -v n="$NAME" '$1 == n { print $7 }')
        [ -n "$ex" ] && [ "$ex" -ge "$KEYS" ] && return 0
        sleep 0.1
    done
    echo "timed out waiting for $KEYS keys"; exit 1
}

"$GALE" run "$tmp/t.cfg" 2> "$tmp/log1" &
pid=$!
wait_counted
t0=$(now)
"$GALE" savepoint "$NAME" "$tmp/sp" > /dev/null || { tail "$tmp/log1"; exit 1; }
t1=$(now)
bytes=$(du -sb "$tmp/sp" | cut -f1)
echo "savepoint: $KEYS keys, $(ms "$t0" "$t1") ms, $bytes bytes"
"$GALE" kill "$NAME" > /dev/null
wait

t0=$(now)
"$GALE" run "$tmp/t.cfg" --from-savepoint "$tmp/sp" -e count=6 2> "$tmp/log2" &
for _ in $(seq 6000); do
    grep -q "checkpoint [0-9]* complete" "$tmp/log2" && break
    sleep 0.05
done
imp=$(logtime "$tmp/log2" "restored savepoint" "$t0")
first=$(logtime "$tmp/log2" "checkpoint [0-9]+ complete" "$t0")
echo "restore (4 -> 6 tasks): import $(ms "$t0" "$imp") ms, first checkpoint after $(ms "$t0" "$first") ms"

for _ in $(seq 100); do "$GALE" list 2>/dev/null | grep -q "^$NAME " && break; sleep 0.1; done
t0=$(now)
"$GALE" rebalance "$NAME" -e count=8 > /dev/null || { tail "$tmp/log2"; exit 1; }
t1=$(now)
for _ in $(seq 6000); do
    [ -n "$(logtime "$tmp/log2" "restored savepoint" "$t0")" ] &&
        grep -q "restored savepoint" "$tmp/log2" &&
        [ -n "$(logtime "$tmp/log2" "checkpoint [0-9]+ complete" \
            "$(logtime "$tmp/log2" "restored savepoint" "$t0")")" ] && break
    sleep 0.1
done
back=$(logtime "$tmp/log2" "restored savepoint" "$t0")
first=$(logtime "$tmp/log2" "checkpoint [0-9]+ complete" "$back")
echo "rebalance (6 -> 8 tasks): savepoint+stop $(ms "$t0" "$t1") ms, processing again (first checkpoint) after $(ms "$t0" "$first") ms"
"$GALE" kill "$NAME" > /dev/null
wait
