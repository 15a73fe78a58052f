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
# every 0.2 s; 0: the state stayed in memory, which it does when every
# key is dirty until a checkpoint, as with few keys updated often: the
# engine evicts only entries a snapshot has read, docs/state.md).
#
# Environment: GALE, top_builddir (bench/gen_corpus), BENCH_DIR,
# KEYS_LIST (default "10000 1000000 10000000"), KEYS_WORDS (20000000),
# KEYS_MEMORY_MB (32), KEYS_REPS (1).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${KEYS_LIST:=10000 1000000 10000000}"
: "${KEYS_WORDS:=20000000}"
: "${KEYS_MEMORY_MB:=32}"
: "${KEYS_REPS:=1}"
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

lines=$((KEYS_WORDS / 10))
words=$((lines * 10))
current_template "$KEYS_MEMORY_MB" >keys.cfg.in
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

for k in $KEYS_LIST; do
    c=corpus-cycle-$k-$words.txt
    corpus "$c" "$words" -d cycle -v "$k" || exit 1
    instantiate keys.cfg.in "keys-$k.cfg" "$c" state-keys exactly_once \
        bench-keys || exit 1
    : >"keys-times-$k.txt"
    : >"keys-spill-$k.txt"
    for ((i = 1; i <= KEYS_REPS; i++)); do
        spill_sampler "keys-spill-$k.txt" &
        sampler=$!
        s=$(gale_once "keys-$k.log" state-keys "$lines" "$words" 1 \
            "keys-$k.cfg") || { kill "$sampler"; exit 1; }
        kill "$sampler"
        wait "$sampler" 2>/dev/null
        echo "$s" >>"keys-times-$k.txt"
        echo "bench: keys $k run $i: $s s wall," \
            "$(grep -o 'checkpoints: [0-9]* completed' "keys-$k.log")" >&2
    done
    wall=$(median <"keys-times-$k.txt")
    steady=$(echo "$wall $startup" | awk '{ printf "%.3f", $1 - $2 }')
    spill=$(sort -n "keys-spill-$k.txt" | tail -1)
    echo "RESULT keys distinct=$k words=$words memory_mb=$KEYS_MEMORY_MB" \
        "wall_s=$wall steady_s=$steady words_per_s=$(rate "$words" "$steady")" \
        "spill_peak_bytes=${spill:-0}"
done
