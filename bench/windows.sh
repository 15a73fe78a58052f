#!/usr/bin/env bash
# windows.sh - `make bench-windows`: the window bolt's throughput (issue
# 14). A keyed count per window of WIN_EVENTS events (generator mode
# "events": WIN_KEYS keys Zipf-distributed, 1 ms of event time per event,
# up to 100 ms out of order, watermarks with a lag of 100 ms every 100 ms)
# -> window (parallelism 1) -> file_sink, exactly-once with a checkpoint
# every second, for a 1 s tumbling and a 10 s / 1 s sliding window.
# Steady-state events/s = events / (wall - start-up), start-up the median
# wall time of the same topology over 1 000 events. Each run is checked:
# the spout emitted every event, the window bolt executed every one, the
# sink committed as many lines as the window bolt emitted. Prints RESULT
# lines: events/s, the window bolt's execute latency, window results, the
# checkpoint bytes written in all and per checkpoint (the windows' state
# size), peak RSS.
#
# Environment: GALE, top_builddir, BENCH_DIR, WIN_EVENTS (2000000),
# WIN_KEYS (10000), WIN_REPS (1).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${WIN_EVENTS:=2000000}"
: "${WIN_KEYS:=10000}"
: "${WIN_REPS:=1}"
bench_init || exit 1

# config FILE NAME EVENTS WINDOW-PARAMETERS
config() {
    cat > "$1" <<CFG
name = "$2";
config = { checkpoint = { interval_ms = 1000; dir = "state-win"; }; };
spouts = ( { id = "ev"; type = "generator"; mode = "events"; seed = 7;
             count = $3; vocabulary = $WIN_KEYS; step_ms = 1; disorder_ms = 100;
             fields = ["key", "ts", "value"];
             watermark = { field = "ts"; lag_ms = 100; interval_ms = 100; }; } );
bolts = ( { id = "win"; type = "window"; key = "key"; timestamp_field = "ts";
            $4 fields = ["key", "start", "end", "count"]; },
          { id = "out"; type = "file_sink"; path = "out-win"; } );
streams = ( { from = "ev"; to = "win"; grouping = "fields"; fields = ["key"]; },
            { from = "win"; to = "out"; grouping = "shuffle"; } );
CFG
}

# once CFG LOG EVENTS: one checked run; prints "wall_s rss_kb".
once() {
    rm -rf state-win out-win
    /usr/bin/time -f "%e %M" -o time.txt "$GALE" run "$1" 2> "$2" ||
        { tail -3 "$2" >&2; fail "gale run $1"; return 1; }
    [ "$(summary_col "$2" ev 4)" = "$3" ] || { fail "$1: ev emitted $(summary_col "$2" ev 4), not $3"; return 1; }
    [ "$(summary_col "$2" win 6)" = "$3" ] || { fail "$1: win executed $(summary_col "$2" win 6), not $3"; return 1; }
    local fired committed
    fired=$(summary_col "$2" win 4)
    committed=$(cat out-win/part-* 2>/dev/null | wc -l)
    [ "$fired" = "$committed" ] || { fail "$1: $fired windows fired, $committed committed"; return 1; }
    cat time.txt
}

for shape in "tumbling length_ms = 1000;" "sliding length_ms = 10000; slide_ms = 1000;"; do
    name=${shape%% *}
    params=${shape#* }
    config "win-$name-tiny.cfg" "bench-win-$name" 1000 "$params"
    config "win-$name.cfg" "bench-win-$name" "$WIN_EVENTS" "$params"
    : > startup.txt
    for i in 1 2 3; do
        once "win-$name-tiny.cfg" tiny.log 1000 | awk '{ print $1 }' >> startup.txt ||
            exit 1
    done
    startup=$(median < startup.txt)
    : > walls.txt
    for i in $(seq "$WIN_REPS"); do
        t=$(once "win-$name.cfg" "win-$name.log" "$WIN_EVENTS") || exit 1
        echo "$t" >> walls.txt
    done
    wall=$(awk '{ print $1 }' walls.txt | median)
    rss=$(awk '{ print $2 }' walls.txt | median)
    steady=$(awk -v w="$wall" -v s="$startup" 'BEGIN { printf "%.3f", w - s }')
    lat=$(summary_col "win-$name.log" win 7)
    fired=$(summary_col "win-$name.log" win 4)
    ck=$(sed -n 's/^checkpoints: \([0-9]*\) completed.*, \([0-9.]*\) KiB written, mean \([0-9.]*\) ms.*/\1 \2 \3/p' \
        "win-$name.log")
    set -- $ck
    echo "RESULT window_$name events=$WIN_EVENTS keys=$WIN_KEYS wall_s=$wall" \
        "startup_s=$startup events_per_s=$(rate "$WIN_EVENTS" "$steady")" \
        "exec_lat_us=$lat windows=$fired checkpoints=${1:-0}" \
        "ckpt_kib_total=${2:-0} ckpt_kib_each=$(awk -v t="${2:-0}" -v n="${1:-0}" \
        'BEGIN { if (n > 0) printf "%.1f", t / n; else print 0 }')" \
        "ckpt_mean_ms=${3:-0} peak_rss_kb=$rss"
done
