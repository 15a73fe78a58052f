#!/usr/bin/env bash
# latency.sh - end-to-end latency at half the maximum rate (issue 13), with
# the plugin bench/latency.so: pace_ts (a spout stamping each tuple with
# gale_now_ns) -> fields(key) -> relay -> fields(key) -> latency_sink
# (now - stamp into a histogram), one task each, exactly-once with a
# checkpoint every second, local mode.
#
# 1. The maximum rate: LAT_TUPLES tuples unpaced; the sink's rate between
#    its first and last measured tuple (start-up excluded).
# 2. Paced at half that rate for LAT_SECONDS seconds: p50/p90/p99/p99.9/
#    max of the tuples stamped after the first LAT_WARMUP_MS ms.
# Each run must deliver every tuple to the sink. Prints RESULT lines.
#
# Environment: GALE, top_builddir (bench/latency.so), BENCH_DIR,
# LAT_TUPLES (default 4000000), LAT_SECONDS (4), LAT_WARMUP_MS (200),
# LAT_KEYS (10000), LAT_CHAINING (true; false keeps the three components
# on threads of their own, with channels between them: with chaining the
# topology, one task each, runs in one thread, docs/engine.md).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${LAT_TUPLES:=4000000}"
: "${LAT_SECONDS:=4}"
: "${LAT_WARMUP_MS:=200}"
: "${LAT_KEYS:=10000}"
: "${LAT_CHAINING:=true}"
bench_init bench/latency.so || exit 1
so=$top_builddir/bench/latency.so

# Writes the topology for RATE and COUNT to $1.
topology() {  # file rate count
    cat >"$1" <<CFG
name = "bench-latency";
config = { guarantee = "exactly_once"; chaining = $LAT_CHAINING;
  checkpoint = { interval_ms = 1000; dir = "state-latency"; }; };
spouts = ( { id = "source"; type = "pace_ts"; plugin = "$so"; rate = $2;
             count = $3; keys = $LAT_KEYS; fields = ["key", "ts"]; } );
bolts = (
  { id = "relay"; type = "relay"; plugin = "$so"; fields = ["key", "ts"]; },
  { id = "sink"; type = "latency_sink"; plugin = "$so"; path = "latency.out";
    warmup_ms = $LAT_WARMUP_MS; }
);
streams = (
  { from = "source"; to = "relay"; grouping = "fields"; fields = ["key"]; },
  { from = "relay"; to = "sink"; grouping = "fields"; fields = ["key"]; }
);
CFG
}

# Runs the topology for RATE and COUNT; prints the sink's RESULT line.
run_latency() {  # name rate count
    local log=latency-$1.log
    topology "latency-$1.cfg" "$2" "$3"
    rm -rf state-latency latency.out
    if ! "$GALE" run "latency-$1.cfg" >"$log" 2>&1; then
        tail -20 "$log" >&2
        fail "latency run $1 exited non-zero (log: $(pwd)/$log)"
        return 1
    fi
    got=$(summary_col "$log" sink 6)
    [ "$got" = "$3" ] || { fail "$log: the sink executed '$got', not $3"; return 1; }
    [ -s latency.out ] || { fail "$1: the sink wrote no latency.out"; return 1; }
    cat latency.out
}

echo "bench: latency: maximum rate, $LAT_TUPLES tuples unpaced" >&2
max_line=$(run_latency max 0 "$LAT_TUPLES") || exit 1
max_rate=$(echo "$max_line" | sed -n 's/.* tuples_per_s=\([0-9]*\).*/\1/p')
[ -n "$max_rate" ] && [ "$max_rate" -gt 0 ] ||
    { fail "no rate in '$max_line'"; exit 1; }
half=$((max_rate / 2))
count=$((half * LAT_SECONDS))
echo "bench: latency: paced at $half tuples/s (half of $max_rate) for $LAT_SECONDS s" >&2
half_line=$(run_latency half "$half" "$count") || exit 1
echo "$max_line" | sed "s/^RESULT latency /RESULT latency_max rate=0 /"
echo "$half_line" | sed "s/^RESULT latency /RESULT latency_half rate=$half /"
