#!/bin/bash
# multilang.sh - the word count with its split bolt in Python (Storm's
# multilang protocol, examples/multilang/splitsentence.py on gale's test
# client library): generator -> shell split x2 -> count x2 (fields).
# Prints words/s and where the CPU time went: gale itself vs the Python
# children, from /proc/<pid>/stat (utime + stime), sampled every 0.1 s
# while the run lasts (the last sample of each process counts; a process
# loses at most its last 0.1 s). Not part of make check.
#
# Environment: GALE (the gale binary), top_srcdir, SENTENCES (10 words
# each, default 50000), REPS (default 3), GUARANTEE (default exactly_once).
set -u
: "${GALE:=./gale}"
: "${top_srcdir:=.}"
: "${SENTENCES:=50000}"
: "${REPS:=3}"
: "${GUARANTEE:=exactly_once}"
export LC_ALL=C
GALE=$(cd "$(dirname "$GALE")" && pwd)/$(basename "$GALE")
src=$(cd "$top_srcdir" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mlbench.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
tck=$(getconf CLK_TCK)

cat > "$tmp/wc.cfg" <<CFG
name = "ml-bench";
config = { guarantee = "$GUARANTEE";
           checkpoint = { interval_ms = 1000; dir = "$tmp/state"; }; };
spouts = ( { id = "gen"; type = "generator"; seed = 42; count = $SENTENCES;
             fields = ["sentence"]; } );
bolts = ( { id = "split"; type = "shell"; command = ["python3", "splitsentence.py"];
            cwd = "$src/examples/multilang"; env = { PYTHONPATH = "$src/tests/multilang"; };
            parallelism = 2; fields = ["word"]; },
          { id = "count"; type = "count"; key = "word"; parallelism = 2;
            fields = ["word", "count"]; } );
streams = ( { from = "gen"; to = "split"; grouping = "shuffle"; },
            { from = "split"; to = "count"; grouping = "fields"; fields = ["word"]; } );
CFG

# ticks PID: utime + stime of PID in clock ticks, or nothing.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }

echo "multilang word count: $SENTENCES sentences ($((SENTENCES * 10)) words), guarantee $GUARANTEE, $REPS runs"
printf '%-4s %9s %12s %10s %10s %8s\n' run secs words/s gale-cpu-s py-cpu-s py-share
for r in $(seq 1 "$REPS"); do
    rm -rf "$tmp/state"
    declare -A last=()
    t0=$(date +%s.%N)
    "$GALE" run "$tmp/wc.cfg" 2> "$tmp/err" &
    g=$!
    gale_t=0
    while kill -0 $g 2>/dev/null; do
        v=$(ticks $g); [ -n "$v" ] && gale_t=$v
        for p in $(pgrep -P $g -f splitsentence.py); do
            v=$(ticks "$p"); [ -n "$v" ] && last[$p]=$v
        done
        sleep 0.1
    done
    wait $g || { tail -3 "$tmp/err"; echo "run failed"; exit 1; }
    t1=$(date +%s.%N)
    py_t=0
    for p in "${!last[@]}"; do py_t=$((py_t + ${last[$p]})); done
    unset last
    awk -v r="$r" -v t0="$t0" -v t1="$t1" -v w=$((SENTENCES * 10)) -v g="$gale_t" \
        -v p="$py_t" -v hz="$tck" 'BEGIN {
        s = t1 - t0; gs = g / hz; ps = p / hz;
        share = (gs + ps > 0) ? 100 * ps / (gs + ps) : 0;
        printf "%-4s %9.2f %12.0f %10.2f %10.2f %7.0f%%\n", r, s, w / s, gs, ps, share }'
done
