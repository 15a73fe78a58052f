#!/usr/bin/env bash
# keys.sh - `make bench-keys`: word count throughput against the number of
# distinct keys, with state spilled to LevelDB below a memory cap (issue
# 13). For each K in KEYS_LIST: a corpus of KEYS_WORDS words in which
# every one of K words occurs equally often (bench/gen_corpus -d cycle:
# exactly K distinct words, in a jumbled order), run through the current
# shape (lines -> split x2 -> fields -> count x2, exactly-once, a
# checkpoint every second) with state_memory_mb = KEYS_MEMORY_MB per task.
# Steady-state words/s = words / (wall time - start-up), start-up being
# the median wall time of the same topology over a 100-line corpus.
# Every run must emit every line and count every word. Prints RESULT
# lines, with the most bytes seen in the spill's LevelDB files (sampled
# every 0.2 s; 0: the state stayed in memory) and the peak resident set
# of the gale process (getrusage of a python3 wrapper's child, in MiB),
# to compare with the cap: 2 count tasks x KEYS_MEMORY_MB, plus what the
# cap does not count (docs/state.md, "The cap").
#
# Environment: GALE, top_builddir (bench/gen_corpus), BENCH_DIR,
# KEYS_LIST (default "100000 1000000 10000000"), KEYS_WORDS (20000000),
# KEYS_MEMORY_MB (32), KEYS_REPS (1), KEYS_NOCAP (0; 1: also run each
# corpus without a cap, RESULT keys_nocap lines).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${KEYS_LIST:=100000 1000000 10000000}"
: "${KEYS_WORDS:=20000000}"
: "${KEYS_MEMORY_MB:=32}"
: "${KEYS_REPS:=1}"
: "${KEYS_NOCAP:=0}"
bench_init bench/gen_corpus || exit 1
gen=$top_builddir/bench/gen_corpus

# Appends the bytes in the spill directories' LevelDB tables and logs to
# $1 every 0.2 s, until killed: the evidence that state left memory (the
# engine removes the directories when the run ends).
spill_sampler() {
    while :; do
        find state-keys/spill \( -name '*.ldb' -o -name '*.log' \) -printf '%s\n' \
            2>/dev/null | awk '{ n += $1 } END { print n + 0 }' >>"$1"
        sleep 0.2
    done
}

# Runs gale ($real) and writes its peak RSS in KiB to rss.txt.
real=$GALE
cat >gale-rss <<'PY'
#!/usr/bin/env python3
import os, resource, subprocess, sys
rc = subprocess.call([os.environ["GALE_REAL"]] + sys.argv[1:])
with open("rss.txt", "w") as f:
    print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=f)
sys.exit(rc)
PY
chmod +x gale-rss
export GALE_REAL=$real

lines=$((KEYS_WORDS / 10))
words=$((lines * 10))
current_template "$KEYS_MEMORY_MB" >keys.cfg.in
current_template 0 >keys-nocap.cfg.in
corpus tiny.txt 1000 -s 42 || exit 1
instantiate keys.cfg.in keys-tiny.cfg tiny.txt state-keys exactly_once \
    bench-keys || exit 1
: >keys-startup.txt
for i in 1 2 3; do
    gale_once keys-tiny.log state-keys 100 1000 1 keys-tiny.cfg \
        >>keys-startup.txt || exit 1
done
startup=$(median <keys-startup.txt)
echo "RESULT keys_startup median_s=$startup memory_mb=$KEYS_MEMORY_MB"

# One K: RESULT line with label $2 (keys or keys_nocap), template $3.
keys_case() {  # k label template memory-mb
    local k=$1 label=$2 tpl=$3 mb=$4 c s i wall steady spill rss
    c=corpus-cycle-$k-$words.txt
    corpus "$c" "$words" -d cycle -v "$k" || return 1
    instantiate "$tpl" "$label-$k.cfg" "$c" state-keys exactly_once \
        bench-keys || return 1
    : >"$label-times-$k.txt"
    : >"$label-spill-$k.txt"
    : >"$label-rss-$k.txt"
    for ((i = 1; i <= KEYS_REPS; i++)); do
        spill_sampler "$label-spill-$k.txt" &
        sampler=$!
        s=$(GALE=$here_dir/gale-rss gale_once "$label-$k.log" state-keys \
            "$lines" "$words" 1 "$label-$k.cfg") ||
            { kill "$sampler"; return 1; }
        kill "$sampler"
        wait "$sampler" 2>/dev/null
        echo "$s" >>"$label-times-$k.txt"
        cat rss.txt >>"$label-rss-$k.txt"
        echo "bench: $label $k run $i: $s s wall, peak RSS $(cat rss.txt) KiB," \
            "$(grep -o 'checkpoints: [0-9]* completed' "$label-$k.log")" >&2
    done
    wall=$(median <"$label-times-$k.txt")
    steady=$(echo "$wall $startup" | awk '{ printf "%.3f", $1 - $2 }')
    spill=$(sort -n "$label-spill-$k.txt" | tail -1)
    rss=$(median <"$label-rss-$k.txt" | awk '{ printf "%.1f", $1 / 1024 }')
    echo "RESULT $label distinct=$k words=$words memory_mb=$mb" \
        "wall_s=$wall steady_s=$steady words_per_s=$(rate "$words" "$steady")" \
        "spill_peak_bytes=${spill:-0} rss_peak_mb=$rss"
}

here_dir=$(pwd)
for k in $KEYS_LIST; do
    keys_case "$k" keys keys.cfg.in "$KEYS_MEMORY_MB" || exit 1
    if [ "$KEYS_NOCAP" = 1 ]; then
        keys_case "$k" keys_nocap keys-nocap.cfg.in 0 || exit 1
    fi
done
