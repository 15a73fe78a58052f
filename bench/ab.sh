#!/usr/bin/env bash
# ab.sh - two gale binaries (or one with two -c options) on the bench's
# current shape (lines -> split x2 -> count x2, guarantee none), run in
# alternation so that both see the same windows of this shared machine:
#
#   GALE_A=old/gale GALE_B=build/gale bash bench/ab.sh
#   GALE_B=build/gale OPTS_A="-c gale.http.address=off" bash bench/ab.sh
#
# Environment: GALE_A, GALE_B (default ./gale), OPTS_A, OPTS_B (extra
# gale run options), WORDS (10000000), REPS (5), BENCH_DIR
# (${TMPDIR:-/tmp}/gale-ab), GEN (bench/gen_corpus of the build).
# Prints one line per round and RESULT lines: the median words/s (wall
# time of the whole run, start-up included) and CPU seconds (user +
# system) of each, and the medians over the rounds of B's words/s over
# A's and of B's CPU over A's. Every run must count every word.
set -u
: "${GALE_A:=./gale}" "${GALE_B:=./gale}" "${OPTS_A:=}" "${OPTS_B:=}"
: "${WORDS:=10000000}" "${REPS:=5}" "${GEN:=bench/gen_corpus}"
: "${BENCH_DIR:=${TMPDIR:-/tmp}/gale-ab}"
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
mkdir -p "$BENCH_DIR" || exit 1
lines=$((WORDS / 10))
corpus=$BENCH_DIR/corpus-$WORDS.txt
[ -s "$corpus" ] || "$GEN" -s 42 -n "$lines" >"$corpus" || exit 1
current_template 0 | sed -e "s|@CORPUS@|$corpus|" -e "s|@STATE@|$BENCH_DIR/state|" \
    -e "s|@GUARANTEE@|none|" -e "s|@NAME@|bench-ab-$$|" -e "s|@SINK@||" \
    -e "s|@SINK_STREAM@||" >"$BENCH_DIR/ab.cfg"
: >"$BENCH_DIR/a.txt"
: >"$BENCH_DIR/b.txt"
: >"$BENCH_DIR/ratio.txt"
# one BIN OPTS: "WORDS_PER_S CPU_S" of one run: words over the wall time
# of the whole run (start-up included), and the user + system seconds it
# used ("0 0" when it failed or miscounted).
one() {
    local t got TIMEFORMAT='%3R %3U %3S'
    rm -rf "$BENCH_DIR/state"
    # shellcheck disable=SC2086
    { time "$1" run $2 "$BENCH_DIR/ab.cfg" >/dev/null 2>"$BENCH_DIR/run.log"; } \
        2>"$BENCH_DIR/time.txt" || { echo "0 0"; return; }
    got=$(awk '$1 == "count" && $2 == "bolt" { print $6 }' "$BENCH_DIR/run.log")
    [ "$got" = "$WORDS" ] || { echo "miscount: $got" >&2; echo "0 0"; return; }
    t=$(tail -1 "$BENCH_DIR/time.txt")
    echo "$t" | awk -v w="$WORDS" '{ printf "%.0f %.3f\n", w / $1, $2 + $3 }'
}
: >"$BENCH_DIR/cpu-a.txt"
: >"$BENCH_DIR/cpu-b.txt"
: >"$BENCH_DIR/cpu-ratio.txt"
for ((r = 1; r <= REPS; r++)); do
    read -r a ca <<<"$(one "$GALE_A" "$OPTS_A")"
    read -r b cb <<<"$(one "$GALE_B" "$OPTS_B")"
    echo "$a" >>"$BENCH_DIR/a.txt"
    echo "$b" >>"$BENCH_DIR/b.txt"
    echo "$ca" >>"$BENCH_DIR/cpu-a.txt"
    echo "$cb" >>"$BENCH_DIR/cpu-b.txt"
    awk -v a="$a" -v b="$b" 'BEGIN { if (a > 0 && b > 0) printf "%.4f\n", b / a }' \
        >>"$BENCH_DIR/ratio.txt"
    awk -v a="$ca" -v b="$cb" 'BEGIN { if (a > 0 && b > 0) printf "%.4f\n", b / a }' \
        >>"$BENCH_DIR/cpu-ratio.txt"
    echo "round $r: A $(mega "$a") M words/s ${ca} s CPU, B $(mega "$b") M words/s ${cb} s CPU"
done
echo "RESULT A words=$WORDS words_per_s=$(median <"$BENCH_DIR/a.txt") cpu_s=$(median <"$BENCH_DIR/cpu-a.txt") ($GALE_A $OPTS_A)"
echo "RESULT B words=$WORDS words_per_s=$(median <"$BENCH_DIR/b.txt") cpu_s=$(median <"$BENCH_DIR/cpu-b.txt") ($GALE_B $OPTS_B)"
echo "RESULT B/A words_per_s_ratio=$(median <"$BENCH_DIR/ratio.txt") cpu_ratio=$(median <"$BENCH_DIR/cpu-ratio.txt") rounds=$REPS (medians of the rounds' ratios)"
