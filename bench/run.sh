#!/bin/sh
# run.sh - `make bench`: the word count of examples/wordcount.cfg's shape
# (lines spout -> split, 2 tasks -> fields-grouped count, 2 tasks; no
# stage fused, no pre-aggregation) over a generated 20 M-word corpus,
# next to bench/wc_baseline, a hand-written single-threaded word count
# over the same file. Each runs REPS (5) times; medians are printed.
# The counts are checked once, exactly, against the baseline's.
#
# Environment: GALE (the gale binary), top_builddir (bench/gen_corpus and
# bench/wc_baseline), BENCH_DIR (work directory, default
# ${TMPDIR:-/tmp}/gale-bench; the corpus is kept there between runs),
# WORDS (default 20000000), REPS (default 5), CKPT_KEYS (bench/ckpt_bench,
# default 200000).
set -u
: "${GALE:=./gale}"
: "${top_builddir:=.}"
: "${WORDS:=20000000}"
: "${REPS:=5}"
: "${BENCH_DIR:=${TMPDIR:-/tmp}/gale-bench}"
export LC_ALL=C

abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
GALE=$(abs "$GALE")
gen=$(abs "$top_builddir/bench/gen_corpus")
base=$(abs "$top_builddir/bench/wc_baseline")
for p in "$GALE" "$gen" "$base"; do
    [ -x "$p" ] || { echo "bench: $p is missing (make check builds it)"; exit 1; }
done
mkdir -p "$BENCH_DIR" && cd "$BENCH_DIR" || exit 1

sentences=$((WORDS / 10))
corpus=corpus-$WORDS.txt
if [ ! -s "$corpus" ]; then
    echo "bench: writing $corpus ($sentences sentences of 10 words, seed 42)"
    "$gen" -s 42 -n "$sentences" -w 10 -o "$corpus.tmp" && mv "$corpus.tmp" "$corpus" ||
        exit 1
fi

# The topology: the example's shape over the corpus file. The checked
# run adds a sink; the timed runs end at count (its tuples go nowhere).
topology() {  # extra-bolt extra-stream guarantee state-dir
    cat <<CFG
name = "bench-wordcount";
config = { guarantee = "$3"; checkpoint = { interval_ms = 1000; dir = "$4"; }; };
spouts = ( { id = "lines"; type = "lines"; path = "$corpus"; fields = ["sentence"]; } );
bolts = (
  { id = "split"; type = "split"; parallelism = 2; fields = ["word"]; },
  { id = "count"; type = "count"; key = "word"; parallelism = 2;
    fields = ["word", "count"]; }$1
);
streams = (
  { from = "lines"; to = "split"; grouping = "shuffle"; },
  { from = "split"; to = "count"; grouping = "fields"; fields = ["word"]; }$2
);
CFG
}
topology "" "" none state-none >bench.cfg
topology "" "" exactly_once state-eo >bench-eo.cfg
topology ',
  { id = "sink"; type = "file_sink"; path = "check-out"; parallelism = 2; }' ',
  { from = "count"; to = "sink"; grouping = "local_or_shuffle"; }' \
    exactly_once state-check >check.cfg

now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END {
    print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "bench: baseline (bench/wc_baseline, single thread, corpus in memory)"
"$base" -r "$REPS" -o baseline-counts.txt "$corpus" | tee baseline.txt || exit 1
base_wps=$(sed -n 's/^RESULT .*words_per_s=\([0-9]*\).*/\1/p' baseline.txt)

echo "bench: checking gale's counts once (with a file sink, exactly-once)"
rm -rf check-out state-check
"$GALE" run check.cfg >check.log 2>&1 || { cat check.log; exit 1; }
cat check-out/part-* | awk -F '\t' '{ if ($2 + 0 > m[$1] + 0) m[$1] = $2 }
    END { for (w in m) print m[w], w }' | sort -k2 >gale-counts.txt
sort -k2 baseline-counts.txt >baseline-sorted.txt
if ! cmp -s gale-counts.txt baseline-sorted.txt; then
    echo "bench: FAIL: gale's counts differ from the baseline's"
    diff baseline-sorted.txt gale-counts.txt | head
    exit 1
fi
echo "bench: counts match ($(wc -l <gale-counts.txt) distinct words)"

# timed GUARANTEE CFG: REPS runs, each from a fresh checkpoint directory
# (a finished exactly-once run would otherwise only re-publish); prints
# the median seconds.
timed() {
    : >"gale-times-$1.txt"
    i=1
    while [ "$i" -le "$REPS" ]; do
        rm -rf state-none state-eo
        t0=$(now)
        "$GALE" run "$2" >"run-$1.log" 2>&1 || { cat "run-$1.log"; exit 1; }
        t1=$(now)
        s=$(echo "$t1 $t0" | awk '{ printf "%.3f", $1 - $2 }')
        echo "$s" >>"gale-times-$1.txt"
        echo "run $i ($1): $s s, $(echo "$WORDS $s" | awk '{ printf "%.1f", $1 / $2 / 1e6 }') M words/s" \
            "$(grep -o 'checkpoints: [0-9]* completed' "run-$1.log")" >&2
        i=$((i + 1))
    done
    median <"gale-times-$1.txt"
}

echo "bench: gale run (lines -> split x2 -> fields -> count x2), $REPS runs each," \
    "guarantee none, then exactly_once with a checkpoint every second"
none_s=$(timed none bench.cfg) || exit 1
eo_s=$(timed exactly_once bench-eo.cfg) || exit 1
gale_wps=$(echo "$WORDS $none_s" | awk '{ printf "%.0f", $1 / $2 }')
eo_wps=$(echo "$WORDS $eo_s" | awk '{ printf "%.0f", $1 / $2 }')
echo "RESULT gale words=$WORDS median_s=$none_s words_per_s=$gale_wps guarantee=none"
echo "RESULT gale words=$WORDS median_s=$eo_s words_per_s=$eo_wps guarantee=exactly_once"
echo "RESULT summary: gale $(echo "$gale_wps" | awk '{ printf "%.1f", $1 / 1e6 }') M words/s" \
    "(wall time of gale run, start-up included; guarantee none);" \
    "exactly_once $(echo "$eo_wps" | awk '{ printf "%.1f", $1 / 1e6 }') M words/s" \
    "(overhead $(echo "$none_s $eo_s" | awk '{ printf "%.1f", ($2 / $1 - 1) * 100 }')%);" \
    "baseline $(echo "$base_wps" | awk '{ printf "%.1f", $1 / 1e6 }') M words/s (split+count only)"

# Checkpoints of one task's keyed state (bench/ckpt_bench, every restore
# checked key by key), at a small size: make bench-ckpt runs 10 M keys.
ckb=$(abs "$top_builddir/bench/ckpt_bench")
if [ -x "$ckb" ]; then
    echo "bench: checkpoints, ${CKPT_KEYS:-200000} keys (make bench-ckpt: 10 M)"
    KEYS=${CKPT_KEYS:-200000} REPS=1 BENCH_DIR=$(pwd) "$ckb" | grep '^RESULT' ||
        { echo "bench: FAIL: ckpt_bench"; exit 1; }
fi
