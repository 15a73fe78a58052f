#!/bin/bash
# cluster.sh - `make bench-cluster`: what the cluster's transport costs.
# The word count of bench/run.sh (lines -> split x2 -> count x2, no sink,
# guarantee none) over a generated corpus, with 2 workers:
#   ipc     the workers on this host, started by `gale run` (ipc between);
#   none    a master and 2 supervisors on loopback, security "none" (plain
#           tcp between the workers and to the master);
#   curve   the same with security "curve" (CurveZMQ on every socket).
# Each setup runs REPS (3) times, alternating; medians of words/s over the
# run's wall time (start of the command to its exit: spawning the workers
# through the supervisors included) are printed.
#
# Environment: GALE, top_builddir (bench/gen_corpus), BENCH_DIR (default
# ${TMPDIR:-/tmp}/gale-bench, the corpus is shared with bench/run.sh),
# WORDS (default 20000000), REPS (default 3).
set -u
: "${GALE:=./gale}"
: "${top_builddir:=.}"
: "${WORDS:=20000000}"
: "${REPS:=3}"
: "${BENCH_DIR:=${TMPDIR:-/tmp}/gale-bench}"
export LC_ALL=C

abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
GALE=$(abs "$GALE")
gen=$(abs "$top_builddir/bench/gen_corpus")
for p in "$GALE" "$gen"; do
    [ -x "$p" ] || { echo "bench: $p is missing (make check builds it)"; exit 1; }
done
mkdir -p "$BENCH_DIR" && cd "$BENCH_DIR" || exit 1
corpus=$PWD/corpus-$WORDS.txt
if [ ! -s "$corpus" ]; then
    echo "bench: writing $corpus"
    "$gen" -s 42 -n $((WORDS / 10)) -w 10 -o "$corpus.tmp" && mv "$corpus.tmp" "$corpus" ||
        exit 1
fi
work=$(mktemp -d "$BENCH_DIR/cluster.XXXXXX") || exit 1
pids=()
cleanup() {
    for p in "${pids[@]}"; do pkill -KILL -P "$p" 2>/dev/null; kill -KILL "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT

cat > "$work/wc.cfg" <<CFG
name = "bench-cluster";
config = { workers = 2; guarantee = "none"; };
spouts = ( { id = "lines"; type = "lines"; path = "$corpus"; fields = ["sentence"]; } );
bolts = ( { id = "split"; type = "split"; parallelism = 2; fields = ["word"]; },
          { id = "count"; type = "count"; key = "word"; parallelism = 2;
            fields = ["word", "count"]; } );
streams = ( { from = "lines"; to = "split"; grouping = "shuffle"; },
            { from = "split"; to = "count"; grouping = "fields"; fields = ["word"]; } );
CFG
base=$((10000 + ($$ % 900) * 25))
mkdir -p "$work/keys"
for k in nimbus h1 h2; do "$GALE" keygen -o "$work/keys" $k > /dev/null 2>&1; done
for mode in none curve; do
    cat > "$work/$mode.cfg" <<CFG
security = "$mode";
keys = "$work/keys";
nimbus = { host = "127.0.0.1"; port = $base; dir = "$work/nimbus"; };
supervisor = { dir = "$work/sup-$mode"; };
supervisors = ( { name = "h1"; host = "127.0.0.1"; port = $((base + 1)); },
                { name = "h2"; host = "127.0.0.1"; port = $((base + 2)); } );
ports = { first = $((base + 10)); per_topology = 100; };
CFG
done

now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END {
    print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# run SETUP: one timed run; appends words/s to $work/SETUP.
run() {
    local t0 t1 rc
    if [ "$1" = ipc ]; then
        t0=$(now); "$GALE" run "$work/wc.cfg" 2> "$work/run.log"; rc=$?; t1=$(now)
    else
        for h in h1 h2; do
            "$GALE" supervisor --cluster "$work/$1.cfg" --name $h 2> "$work/sup-$h.log" &
            pids+=($!)
        done
        sleep 0.5
        t0=$(now)
        "$GALE" run --cluster "$work/$1.cfg" "$work/wc.cfg" 2> "$work/run.log"; rc=$?
        t1=$(now)
        for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
        pids=()
    fi
    [ $rc -eq 0 ] || { tail "$work/run.log"; echo "bench: $1 failed"; exit 1; }
    echo "$t0 $t1" | awk -v w="$WORDS" '{ printf "%.0f\n", w / ($2 - $1) }' >> "$work/$1"
}
for i in $(seq "$REPS"); do
    for s in ipc none curve; do run $s; done
done
echo "bench: cluster transport, 2 workers, $WORDS words, median of $REPS (words/s):"
for s in ipc none curve; do
    printf "  %-6s %12s   (%s)\n" $s "$(median < "$work/$s")" "$(tr '\n' ' ' < "$work/$s")"
done
