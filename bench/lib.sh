# lib.sh - helpers shared by bench/run.sh, bench/keys.sh and
# bench/latency.sh (sourced, bash). Each script sets GALE and top_builddir
# and cds into its work directory before calling them.
#
# A timed gale run is checked, never only timed: it must exit 0, and its
# run summary must show the spout `lines` emitting every line of the
# corpus (and, where the caller names it, the bolt `count` executing every
# word); an exactly-once run must show a completed checkpoint.

export LC_ALL=C

# The absolute path of $1 (its directory must exist).
abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }

now() { date +%s.%N; }

# The defaults every script shares: GALE (the gale binary, made absolute),
# top_builddir (the build tree, absolute), BENCH_DIR (the work directory).
# Then checks that GALE and each file named (relative to top_builddir)
# exist, and enters BENCH_DIR. 1 (said) if a file is missing.
bench_init() {  # needed-file...
    local p
    : "${GALE:=./gale}"
    : "${top_builddir:=.}"
    : "${BENCH_DIR:=${TMPDIR:-/tmp}/gale-bench}"
    GALE=$(abs "$GALE")
    top_builddir=$(abs "$top_builddir")
    export GALE top_builddir BENCH_DIR
    for p in "$GALE" "${@/#/$top_builddir/}"; do
        [ -e "$p" ] || { fail "$p is missing (make bench builds it)"; return 1; }
    done
    mkdir -p "$BENCH_DIR" && cd "$BENCH_DIR"
}

# The median of the numbers on standard input, one per line ("" if none).
median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit
        printf "%.10g\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Prints "bench: FAIL: ..." on stderr and returns 1.
fail() { echo "bench: FAIL: $*" >&2; return 1; }

# Writes a corpus of WORDS words, SENTENCES of 10, with gen_corpus options
# "$3..." to $1 unless it exists (kept between runs: generating 20 M words
# takes seconds).
corpus() {  # file words gen-options...
    local f=$1 words=$2
    shift 2
    [ -s "$f" ] && return 0
    echo "bench: writing $f ($((words / 10)) sentences of 10 words, $*)" >&2
    "$gen" -n $((words / 10)) -w 10 "$@" -o "$f.tmp" && mv "$f.tmp" "$f"
}

# Substitutes the placeholders of a topology template ($1) into $2:
# @CORPUS@, @STATE@, @GUARANTEE@, @SINK@ and @SINK_STREAM@ (the file sink
# of a check run, or nothing), @NAME@.
instantiate() {  # template out corpus state guarantee name [sink-dir]
    local sink="" stream=""
    if [ -n "${7:-}" ]; then
        sink=", { id = \"sink\"; type = \"file_sink\"; path = \"$7\"; parallelism = 2; }"
        stream=", { from = \"count\"; to = \"sink\"; grouping = \"local_or_shuffle\"; }"
    fi
    for p in @CORPUS@ @STATE@ @GUARANTEE@ @SINK@ @SINK_STREAM@; do
        grep -v '^[[:space:]]*#' "$1" | grep -q "$p" ||
            { fail "$1 has no $p placeholder (outside comments)"; return 1; }
    done
    sed -e "s|@CORPUS@|$3|g" -e "s|@STATE@|$4|g" -e "s|@GUARANTEE@|$5|g" \
        -e "s|@NAME@|$6|g" -e "s|@SINK@|$sink|g" \
        -e "s|@SINK_STREAM@|$stream|g" "$1" >"$2"
}

# The current shape (examples/wordcount.cfg's): lines -> shuffle -> split
# x2 -> fields(word) -> count x2, no stage fused, no pre-aggregation, as a
# template for instantiate (@MEMORY@: state_memory_mb, 0 = no cap).
current_template() {  # memory-mb
    cat <<CFG
# The bench's current shape, written by bench/lib.sh.
name = "@NAME@";
config = { guarantee = "@GUARANTEE@"; state_memory_mb = $1;
  checkpoint = { interval_ms = 1000; dir = "@STATE@"; }; };
spouts = ( { id = "lines"; type = "lines"; path = "@CORPUS@"; fields = ["sentence"]; } );
bolts = (
  { id = "split"; type = "split"; parallelism = 2; fields = ["word"]; },
  { id = "count"; type = "count"; key = "word"; parallelism = 2;
    fields = ["word", "count"]; }@SINK@
);
streams = (
  { from = "lines"; to = "split"; grouping = "shuffle"; },
  { from = "split"; to = "count"; grouping = "fields"; fields = ["word"]; }@SINK_STREAM@
);
CFG
}

# A number from a run summary: column $3 of the row of component $2
# (4 = emitted, 6 = executed) in log $1.
summary_col() { awk -v c="$2" -v k="$3" '$1 == c && ($2 == "spout" || $2 == "bolt") { print $k }' "$1"; }

# Runs `gale run ARGS...` once from a fresh state directory STATE, output
# in LOG, and prints its wall time in seconds. Checks the exit status,
# that the spout `lines` emitted LINES tuples, that the bolt `count`
# executed WORDS tuples (unless WORDS is -) and, if EO is 1, that a
# checkpoint completed. 1 (said on stderr) otherwise.
gale_once() {  # log state lines words eo args...
    local log=$1 state=$2 lines=$3 words=$4 eo=$5 t0 t1 got
    shift 5
    rm -rf "$state"
    t0=$(now)
    if ! "$GALE" run "$@" >"$log" 2>&1; then
        tail -20 "$log" >&2
        fail "gale run $* exited non-zero (log: $(pwd)/$log)"
        return 1
    fi
    t1=$(now)
    got=$(summary_col "$log" lines 4)
    [ "$got" = "$lines" ] ||
        { fail "$log: lines emitted '$got', not $lines"; return 1; }
    if [ "$words" != - ]; then
        got=$(summary_col "$log" count 6)
        [ "$got" = "$words" ] ||
            { fail "$log: count executed '$got', not $words"; return 1; }
    fi
    if [ "$eo" = 1 ] && ! grep -Eq '^checkpoints: [1-9][0-9]* completed' "$log"; then
        fail "$log: an exactly-once run without a completed checkpoint"
        return 1
    fi
    echo "$t1 $t0" | awk '{ printf "%.3f\n", $1 - $2 }'
}

# The exact check: runs CFG (exactly-once, its file sink writing to OUT,
# state in STATE) and compares the final count of every word (the largest
# it emitted) with the baseline's COUNTS file ("count word" lines).
check_counts() {  # cfg out state lines counts
    local cfg=$1 out=$2
    rm -rf "$out"
    gale_once "check-$(basename "$cfg" .cfg).log" "$3" "$4" - 1 "$cfg" \
        >/dev/null || return 1
    cat "$out"/part-* | awk -F '\t' '{ if ($2 + 0 > m[$1] + 0) m[$1] = $2 }
        END { for (w in m) print m[w], w }' | sort -k2 >"$out.counts"
    sort -k2 "$5" >"$out.expected"
    if ! cmp -s "$out.counts" "$out.expected"; then
        diff "$out.expected" "$out.counts" | head >&2
        fail "$cfg: gale's counts differ from the baseline's"
        return 1
    fi
    echo "bench: $cfg: counts match ($(wc -l <"$out.counts") distinct words)" >&2
}

# words / seconds, as an integer ("" if seconds is empty or <= 0).
rate() { awk -v w="$1" -v s="$2" 'BEGIN { if (s != "" && s > 0) printf "%.0f\n", w / s }'; }

# $1 in millions with one decimal ("" stays "").
mega() { awk -v x="$1" 'BEGIN { if (x != "") printf "%.1f\n", x / 1e6 }'; }
