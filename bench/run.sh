#!/usr/bin/env bash
# run.sh - `make bench`: issue 13's figures in one run, side by side with
# bench/wc_baseline (a hand-written single-threaded word count over the
# same file) and, when LIMITS_DIR is set and built, the no-engine limits.
# docs/performance.md, "How make bench measures", is the method; in short:
#
#   word count (lines -> split -> fields -> count) over a generated corpus
#   of WORDS words (seed 42, 10 000-word Zipf vocabulary), timed in rounds:
#   each of REPS rounds runs every configuration once, so that the
#   configurations compared see the same window of this shared machine:
#     none      current shape (split x2, count x2), guarantee none
#     eo        current shape, exactly-once, a checkpoint every second
#     best      bench/best.cfg.in, exactly-once, a checkpoint every second
#     ipc       current shape, exactly-once, workers = 2 (ipc)
#     k1m_none  current shape, guarantee none, over a corpus of KEYS_1M
#               distinct words (gen_corpus -d cycle)
#     k1m_eo    the same, exactly-once
#   and the baseline once. Each run must exit 0, emit every line and (but
#   best) count every word; eo and best are checked once, exactly, against
#   the baseline's counts. Steady-state words/s = words / (wall -
#   start-up), the start-up being the median wall time of the same
#   configuration over a 100-line corpus (3 runs). A ratio (x baseline,
#   overhead, ipc / local) is the median over the rounds of the ratio of
#   two runs of one round.
#   Then bench/latency.sh (p99 at half the maximum rate), bench/keys.sh
#   bounded to KEYS_1M keys (make bench-keys runs 10 k, 1 M and 10 M),
#   and bench/ckpt_bench at CKPT_KEYS keys.
#
# Prints RESULT lines, then the table (figure, value, ratio, target,
# verdict). A figure that was not measured says so. Exits 1 if any run
# failed or any count differed (the table is printed first).
#
# Environment: GALE, top_builddir, BENCH_DIR (work directory, default
# ${TMPDIR:-/tmp}/gale-bench; corpora are kept there between runs),
# WORDS (20000000), REPS (3), BEST_CFG (the best configuration's
# template, default bench/best.cfg.in), KEYS_1M (1000000), BENCH_KEYS (1; 0 skips
# the bounded keys run), KEYS_MEMORY_MB (32), LIMITS_DIR (unset),
# CKPT_KEYS (200000), and latency.sh's LAT_* variables.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${WORDS:=20000000}"
: "${REPS:=3}"
: "${KEYS_1M:=1000000}"
: "${BENCH_KEYS:=1}"
: "${KEYS_MEMORY_MB:=32}"
: "${BEST_CFG:=$here/best.cfg.in}"
best_in=$(abs "$BEST_CFG")
export KEYS_MEMORY_MB
bench_init bench/gen_corpus bench/wc_baseline bench/latency.so || exit 1
gen=$top_builddir/bench/gen_corpus
base=$top_builddir/bench/wc_baseline
status=0
declare -A failed

lines=$((WORDS / 10))
words=$((lines * 10))
main=corpus-$WORDS.txt
k1m=corpus-cycle-$KEYS_1M-$words.txt
corpus "$main" "$words" -s 42 || exit 1
corpus "$k1m" "$words" -d cycle -v "$KEYS_1M" || exit 1
corpus tiny.txt 1000 -s 42 || exit 1

# ---- the baseline and the limits ----
# (the baseline's timed runs are in the rounds below; this one writes the
# expected counts)
"$base" -r 1 -o baseline-counts.txt "$main" >baseline.txt || exit 1
"$base" -r 1 "$k1m" >baseline-k1m.txt || exit 1
k1m_distinct=$(sed -n 's/^run 1: .* \([0-9]*\) distinct.*/\1/p' baseline-k1m.txt)

lim_hash="" lim_pipe="" lim_note="not measured (LIMITS_DIR unset)"
if [ -n "${LIMITS_DIR:-}" ]; then
    if [ -x "$LIMITS_DIR/wc_hash" ] && [ -x "$LIMITS_DIR/pipe_wc" ]; then
        echo "bench: limits ($LIMITS_DIR): wc_hash, pipe_wc -m zmq -t inproc -b 1024"
        "$LIMITS_DIR/wc_hash" -r "$REPS" >limits-wc_hash.txt 2>&1 &&
            "$LIMITS_DIR/pipe_wc" -m zmq -t inproc -b 1024 -r "$REPS" \
            >limits-pipe_wc.txt 2>&1 ||
            { fail "the limits programs failed (see $BENCH_DIR/limits-*.txt)"; status=1; }
        grep '^RESULT' limits-wc_hash.txt limits-pipe_wc.txt
        lim_hash=$(sed -n 's/^RESULT wc_hash.* wordcount_Mwps=\([0-9.]*\).*/\1/p' limits-wc_hash.txt)
        lim_pipe=$(sed -n 's/^RESULT pipe_wc.* Mwps=\([0-9.]*\).*/\1/p' limits-pipe_wc.txt)
        lim_note="not measured (the program failed)"
    else
        lim_note="not measured ($LIMITS_DIR not built: make -C $LIMITS_DIR)"
    fi
fi

# ---- the configurations ----
current_template 0 >current.cfg.in
instantiate current.cfg.in none.cfg "$main" state none bench-none &&
instantiate current.cfg.in eo.cfg "$main" state exactly_once bench-eo &&
instantiate "$best_in" best.cfg "$main" state exactly_once bench-best &&
instantiate current.cfg.in k1m_none.cfg "$k1m" state none bench-k1m &&
instantiate current.cfg.in k1m_eo.cfg "$k1m" state exactly_once bench-k1m &&
instantiate current.cfg.in tiny-none.cfg tiny.txt state none bench-none &&
instantiate current.cfg.in tiny-eo.cfg tiny.txt state exactly_once bench-eo &&
instantiate "$best_in" tiny-best.cfg tiny.txt state exactly_once bench-best &&
instantiate current.cfg.in check-eo.cfg "$main" state exactly_once bench-check check-eo &&
instantiate "$best_in" check-best.cfg "$main" state exactly_once \
    bench-check check-best || exit 1
cp eo.cfg ipc.cfg
cp tiny-eo.cfg tiny-ipc.cfg
ival="-c topology.state.checkpoint.interval.ms=1000"

# The arguments of gale run for configuration $1 (file $2).
run_args() {
    case $1 in
    none|k1m_none) echo "$2" ;;
    ipc) echo "$ival -c topology.workers=2 $2" ;;
    *) echo "$ival $2" ;;
    esac
}
eo_of() { case $1 in none|k1m_none) echo 0 ;; *) echo 1 ;; esac; }
words_of() { case $1 in best) echo - ;; *) echo "$2" ;; esac; }

echo "bench: exact counts, once each: the current shape and best.cfg, exactly-once"
check_counts check-eo.cfg check-eo state "$lines" baseline-counts.txt ||
    { failed[eo]=1; status=1; }
check_counts check-best.cfg check-best state "$lines" baseline-counts.txt ||
    { failed[best]=1; status=1; }

echo "bench: start-up: each configuration over a 100-line corpus, 3 runs"
declare -A startup
for c in none eo best ipc; do
    : >"startup-$c.txt"
    for i in 1 2 3; do
        # shellcheck disable=SC2046
        gale_once "tiny-$c.log" state 100 "$(words_of $c 1000)" "$(eo_of $c)" \
            $(run_args $c "tiny-$c.cfg") >>"startup-$c.txt" ||
            { failed[$c]=1; status=1; break; }
    done
    startup[$c]=$(median <"startup-$c.txt")
done
startup[k1m_none]=${startup[none]} startup[k1m_eo]=${startup[eo]}

configs="none eo best ipc k1m_none k1m_eo"
echo "bench: $REPS rounds of: bench/wc_baseline (single thread, corpus in memory) $configs"
for c in base $configs; do : >"wps-$c.txt"; done
for ((r = 1; r <= REPS; r++)); do
    "$base" -r 1 "$main" >baseline.txt || exit 1
    sed -n 's/^RESULT .*words_per_s=\([0-9]*\).*/\1/p' baseline.txt >>wps-base.txt
    echo "round $r (baseline): $(mega "$(tail -1 wps-base.txt)") M words/s"
    for c in $configs; do
        [ -n "${failed[$c]:-}" ] && continue
        # shellcheck disable=SC2046
        s=$(gale_once "run-$c.log" state "$lines" "$(words_of $c "$words")" \
            "$(eo_of $c)" $(run_args $c "$c.cfg")) ||
            { failed[$c]=1; status=1; continue; }
        steady=$(echo "$s ${startup[$c]}" | awk '{ printf "%.3f", $1 - $2 }')
        # 0: this run was not longer than the start-up (a corpus too
        # small), so it has no steady-state figure.
        echo "$(rate "$words" "$steady")" | awk '{ print ($1 + 0 > 0 ? $1 : 0) }' \
            >>"wps-$c.txt"
        echo "round $r ($c): $s s wall, $steady s steady," \
            "$(mega "$(tail -1 "wps-$c.txt")") M words/s" \
            "$(grep -o 'checkpoints: [0-9]* completed' "run-$c.log")"
    done
done
declare -A wps
base_wps=$(median <wps-base.txt)
echo "RESULT baseline words=$words words_per_s=$base_wps"
for c in $configs; do
    [ -n "${failed[$c]:-}" ] && continue
    wps[$c]=$(awk '$1 > 0' "wps-$c.txt" | median)
    echo "RESULT gale config=$c words=$words startup_s=${startup[$c]}" \
        "words_per_s=${wps[$c]:-none} (steady state, median of $REPS)"
done

# The median over the rounds of config A's words/s over B's in the same
# round ("" if either failed).
paired() {
    [ -n "${failed[$1]:-}" ] || [ -n "${failed[$2]:-}" ] && return 0
    paste "wps-$1.txt" "wps-$2.txt" |
        awk '$1 > 0 && $2 > 0 { printf "%.4f\n", $1 / $2 }' | median
}

# ---- latency, keys, checkpoints ----
lat_max="" lat_rate="" lat_p99="" lat_got=""
if bash "$here/latency.sh" >latency.txt; then
    cat latency.txt
    lat_max=$(sed -n 's/^RESULT latency_max .* tuples_per_s=\([0-9]*\).*/\1/p' latency.txt)
    lat_rate=$(sed -n 's/^RESULT latency_half rate=\([0-9]*\) .*/\1/p' latency.txt)
    lat_got=$(sed -n 's/^RESULT latency_half .* tuples_per_s=\([0-9]*\).*/\1/p' latency.txt)
    lat_p99=$(sed -n 's/^RESULT latency_half .* p99_us=\([0-9.]*\).*/\1/p' latency.txt)
else
    status=1
fi

keys_wps="" keys_spill="" keys_note="not measured (BENCH_KEYS=0; make bench-keys runs it)"
if [ "$BENCH_KEYS" != 0 ]; then
    if KEYS_LIST=$KEYS_1M KEYS_WORDS=$words KEYS_REPS=1 bash "$here/keys.sh" >keys.txt; then
        cat keys.txt
        keys_wps=$(sed -n 's/^RESULT keys distinct=.* words_per_s=\([0-9]*\).*/\1/p' keys.txt)
        keys_spill=$(sed -n 's/^RESULT keys distinct=.* spill_peak_bytes=\([0-9]*\).*/\1/p' keys.txt)
    else
        keys_note="not measured (the run failed)"
        status=1
    fi
fi

ckb=$top_builddir/bench/ckpt_bench
if [ -x "$ckb" ]; then
    echo "bench: checkpoints, ${CKPT_KEYS:-200000} keys (make bench-ckpt: 10 M)"
    KEYS=${CKPT_KEYS:-200000} REPS=1 BENCH_DIR=$(pwd) "$ckb" | grep '^RESULT' ||
        { fail "ckpt_bench"; status=1; }
fi

# ---- the table ----
# verdict VALUE OP LIMIT: met / not met / not measured.
verdict() {
    [ -z "$1" ] && { echo "not measured"; return; }
    awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
        ok = (op == ">=") ? (v + 0 >= l + 0) : (v + 0 <= l + 0)
        print ok ? "met" : "not met" }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b != "" && b > 0) printf "%.3f\n", a / b }'; }
overhead() { awk -v r="$1" 'BEGIN { if (r != "") printf "%.1f\n", (r - 1) * 100 }'; }
or_nm() { [ -n "$1" ] && echo "$1$2" || echo "${3:-not measured}"; }
f3() { awk -v x="$1" 'BEGIN { if (x != "") printf "%.3f\n", x }'; }
row() { printf '%-46s | %-26s | %-7s | %-18s | %s\n' "$@"; }

r_a=$(f3 "$(paired eo base)")
r_b=$(f3 "$(paired best base)")
o_10k=$(overhead "$(paired none eo)")
o_1m=$(overhead "$(paired k1m_none k1m_eo)")
r_ipc=$(f3 "$(paired ipc eo)")
lat_ms=$(awk -v u="$lat_p99" 'BEGIN { if (u != "") printf "%.2f\n", u / 1000 }')
lim_wps() { awk -v m="$1" 'BEGIN { if (m != "") printf "%.0f\n", m * 1e6 }'; }

echo
echo "bench: issue 13, $words words, $REPS rounds; values: medians of steady-state"
echo "  words/s = words / (wall - start-up); ratios: median over the rounds of the"
echo "  ratio within a round (x baseline unless the target says otherwise);"
echo "  $(date -u '+%F %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
row figure value ratio target verdict
row "bench/wc_baseline (1 thread, in memory)" "$(or_nm "$(mega "$base_wps")" " M words/s")" 1 - -
row "limits: wc_hash (1 thread)" "$(or_nm "$lim_hash" " M words/s" "$lim_note")" \
    "$(or_nm "$(ratio "$(lim_wps "$lim_hash")" "$base_wps")" "" -)" - -
row "limits: pipe_wc zmq inproc -b 1024" "$(or_nm "$lim_pipe" " M words/s" "$lim_note")" \
    "$(or_nm "$(ratio "$(lim_wps "$lim_pipe")" "$base_wps")" "" -)" - -
row "(a) current shape x2/x2, exactly-once" "$(or_nm "$(mega "${wps[eo]:-}")" " M words/s")" \
    "$(or_nm "$r_a" "" -)" ">= 0.4x baseline" "$(verdict "$r_a" '>=' 0.4)"
row "(b) bench/best.cfg.in, exactly-once" "$(or_nm "$(mega "${wps[best]:-}")" " M words/s")" \
    "$(or_nm "$r_b" "" -)" ">= 0.6x baseline" "$(verdict "$r_b" '>=' 0.6)"
row "    same shape, guarantee none" "$(or_nm "$(mega "${wps[none]:-}")" " M words/s")" \
    "$(or_nm "$(f3 "$(paired none base)")" "" -)" - -
row "checkpoint overhead, 10 k keys" "$(or_nm "$o_10k" " %")" - "<= 5 %" "$(verdict "$o_10k" '<=' 5)"
row "checkpoint overhead, ${k1m_distinct:-?} keys" "$(or_nm "$o_1m" " %")" - "<= 5 %" "$(verdict "$o_1m" '<=' 5)"
row "    ${k1m_distinct:-?} keys, exactly-once" "$(or_nm "$(mega "${wps[k1m_eo]:-}")" " M words/s")" \
    "$(or_nm "$(f3 "$(paired k1m_eo base)")" "" -)" - -
row "2 workers over ipc vs local, exactly-once" "$(or_nm "$(mega "${wps[ipc]:-}")" " M words/s")" \
    "$(or_nm "$r_ipc" "" -)" ">= 0.8x local" "$(verdict "$r_ipc" '>=' 0.8)"
row "latency topology, maximum rate" "$(or_nm "$(mega "$lat_max")" " M tuples/s")" - - -
row "p99 latency at half rate" "$(or_nm "$lat_ms" " ms")" - "<= 5 ms" "$(verdict "$lat_ms" '<=' 5)"
row "    rate asked / held" "$(or_nm "$lat_rate" " / ${lat_got:-?} tuples/s")" \
    "$(or_nm "$(ratio "$lat_got" "$lat_rate")" "" -)" - -
row "start-up (s): none / eo / best / ipc" \
    "${startup[none]:-?} / ${startup[eo]:-?} / ${startup[best]:-?} / ${startup[ipc]:-?}" - - -
row "$KEYS_1M distinct keys, cap $KEYS_MEMORY_MB MiB/task" "$(or_nm "$(mega "$keys_wps")" " M words/s" "$keys_note")" \
    "$(or_nm "$(ratio "$keys_wps" "$base_wps")" "" -)" - -
row "    bytes in LevelDB (spill), peak" "$(or_nm "$keys_spill" "" "$keys_note")" - - -
for c in $configs; do
    [ -n "${failed[$c]:-}" ] && echo "bench: FAILED: configuration $c (its figures say not measured)"
done
[ "$status" = 0 ] || echo "bench: FAIL: a run failed or a count differed (see above)"
exit "$status"
