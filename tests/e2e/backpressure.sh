#!/bin/sh
# An unbounded generator feeds a deliberately slow bolt (tests/plugins/
# testkit.so "slow", 200 us per tuple). With backpressure the spout's rate
# settles to the bolt's: over the run it emits no more than the bolt could
# execute plus what the channel holds (docs/wire.md's bound), and the
# resident memory stays flat. SIGINT then stops it gracefully: every
# emitted tuple is executed and gale exits 0.
set -eu
. "$(dirname "$0")/lib.sh" || exit 99
plugin=$(build_file tests/plugins/testkit.so)
need_build "$plugin"
work_dir backpressure

cat > "$tmp/bp.cfg" <<EOF2
name = "backpressure";
config = { batch_size = 64; batch_bytes = 4096; queue_depth = 4;
           flush_interval_ms = 5; guarantee = "none"; };
spouts = ( { id = "gen"; type = "generator"; mode = "words"; seed = 7;
             fields = ["word"]; } );
bolts = ( { id = "slow"; type = "slow"; plugin = "$plugin"; delay_us = 200; } );
streams = ( { from = "gen"; to = "slow"; grouping = "shuffle"; } );
EOF2

"$GALE" run "$tmp/bp.cfg" 2> "$tmp/err" &
pid=$!
start=$(date +%s.%N)
: > "$tmp/rss"
i=0
while [ $i -lt 12 ]; do
    sleep 0.5
    if ! kill -0 $pid 2>/dev/null; then
        cat "$tmp/err"; echo "FAIL: gale exited early"; exit 1
    fi
    awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" >> "$tmp/rss"
    i=$((i + 1))
done
kill -INT $pid
status=0
wait $pid || status=$?
end=$(date +%s.%N)
cat "$tmp/err"
[ $status -eq 0 ] || { echo "FAIL: gale exited $status after SIGINT"; exit 1; }

# Memory: after warm-up (the 4th sample, 2 s in), RSS grows by < 4 MiB.
echo "RSS samples (KiB): $(tr '\n' ' ' < "$tmp/rss")"
first=$(sed -n 4p "$tmp/rss")
max=$(sort -n "$tmp/rss" | tail -1)
[ $((max - first)) -lt 4096 ] || { echo "FAIL: RSS grew from $first to $max KiB"; exit 1; }

# Rates: emitted == executed (graceful drain), and emitted <= what a bolt
# sleeping 200 us per tuple can execute in the run (5000/s) plus the
# channel bound: (queue_depth + 2) batches of 64 tuples.
emitted=$(awk '$1 == "gen" { print $4 }' "$tmp/err")
executed=$(awk '$1 == "slow" { print $6 }' "$tmp/err")
secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
limit=$(awk -v s="$secs" 'BEGIN { printf "%d", s * 5000 + 6 * 64 }')
echo "emitted $emitted executed $executed in $secs s (limit $limit)"
[ -n "$emitted" ] && [ "$emitted" = "$executed" ] || { echo "FAIL: emitted $emitted != executed $executed"; exit 1; }
[ "$emitted" -gt 1000 ] || { echo "FAIL: too few tuples ($emitted)"; exit 1; }
[ "$emitted" -le "$limit" ] || { echo "FAIL: spout outran the bolt: $emitted > $limit"; exit 1; }
echo "PASS backpressure"
