# lib.sh - what every end-to-end script shares (tests/e2e/*.sh and
# tests/chaos.sh). Sourced first, before anything else:
#
#     . "$(dirname "$0")/lib.sh" || exit 99
#
# POSIX sh plus `local` (dash and bash both have it), so that the /bin/sh
# scripts and the bash ones use the same file.
#
# Sourcing it:
#   - gives GALE, top_srcdir and top_builddir their defaults (make check
#     sets all three through TESTS_ENVIRONMENT) and makes a GALE that is a
#     path absolute, so that a script may cd;
#   - sets LC_ALL=C (sort and awk orders are the C locale's);
#   - sets fails=0 for fail and finish;
#   - sets an EXIT trap that runs what at_exit registered, then removes the
#     work dir of work_dir (KEEP=1 keeps it and prints its name).
# A script must not set its own EXIT trap; it registers with at_exit.

: "${GALE:=./gale}"
: "${top_srcdir:=.}"
: "${top_builddir:=.}"
case $GALE in
*/*) GALE=$(cd "$(dirname "$GALE")" && pwd)/$(basename "$GALE") || exit 99 ;;
esac
LC_ALL=C
export LC_ALL
fails=0
tmp=""
_lib_at_exit=""

# ---- the build ------------------------------------------------------------

# build_file PATH: prints the absolute name of PATH in the build tree
# (bench/gen_corpus, tests/plugins/testkit.so).
build_file() {
    echo "$(cd "$top_builddir" && pwd)/$1"
}

# need_build FILE...: exits 99 (a hard error, not a skip) unless every FILE
# is there, executable unless it is a .so: make check builds them.
need_build() {
    local f
    for f in "$@"; do
        case $f in
        *.so) [ -f "$f" ] ;;
        *) [ -f "$f" ] && [ -x "$f" ] ;;
        esac || { echo "no $f: run make check first"; exit 99; }
    done
}

# ---- skipping -------------------------------------------------------------

# skip WHY: the script cannot run here; says why and exits 77 (automake's
# SKIP).
skip() {
    echo "$(basename "$0"): SKIP: $*"
    exit 77
}

# need_cmd CMD [WHAT]: skips unless CMD is a command (WHAT names its
# package in the message).
need_cmd() {
    command -v "$1" > /dev/null 2>&1 ||
        skip "no \`$1\` command${2:+ ($2)}"
}

# ---- the work dir and the exit path ---------------------------------------

# work_dir NAME: makes the script's work dir, ${TMPDIR:-/tmp}/NAME.XXXXXX,
# in $tmp; exits 99 when mktemp cannot. The EXIT trap removes it.
work_dir() {
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX") || exit 99
}

# at_exit COMMAND: COMMAND (a string, evaluated then, so that its
# variables are read at exit) runs on every exit path, in the order
# registered, before the work dir is removed: stopping what the script
# started.
at_exit() {
    _lib_at_exit="$_lib_at_exit
$1"
}

# The EXIT trap. Runs with errexit and nounset off, whatever the script
# set, and does not change the script's exit status.
_lib_exit() {
    set +eu
    eval "$_lib_at_exit"
    if [ -n "$tmp" ]; then
        if [ -n "${KEEP:-}" ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
    fi
}
trap _lib_exit EXIT

# ---- failing --------------------------------------------------------------

# fail MESSAGE: reports a failed check and counts it; the script goes on,
# so that one run shows every failure. finish turns the count into the
# exit status.
fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

# die MESSAGE: reports a failed check that the rest depends on; exits 1.
die() {
    echo "FAIL: $*"
    exit 1
}

# finish MESSAGE: exits 1 after "N failure(s)" when a check failed, else
# prints MESSAGE and exits 0.
finish() {
    [ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
    echo "$*"
    exit 0
}

# ---- waiting --------------------------------------------------------------

# wait_for [-i STEP] [-p PID] SECS COMMAND...: runs COMMAND every STEP
# seconds (default 0.2) until it succeeds. Returns 1 when it has not once
# SECS seconds have passed and it has been tried SECS / STEP times (a slow
# COMMAND still gets all its tries), or, with -p, as soon as process PID
# has gone (what COMMAND waits for would never come).
wait_for() {
    local step=0.2 pid="" end tries
    while :; do
        case $1 in
        -i) step=$2 ;;
        -p) pid=$2 ;;
        *) break ;;
        esac
        shift 2
    done
    end=$(($(date +%s%3N) + $1 * 1000))
    tries=$(awk "BEGIN { print int($1 / $step) }")
    shift
    until "$@"; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || [ "$(date +%s%3N)" -lt "$end" ] || return 1
        [ -z "$pid" ] || kill -0 "$pid" 2>/dev/null || return 1
        sleep "$step"
    done
}

# wait_file SECS FILE: waits until FILE exists and is not empty.
wait_file() {
    wait_for "$1" test -s "$2"
}

# ---- ports ----------------------------------------------------------------

# The scripts that listen on loopback take their ports below the ephemeral
# range (32768 and up, where outgoing connections would take ports from
# under the listeners), each in a range of its own, since make check may
# run them at the same time:
#     ui.sh                 1100-1999   (chromedriver)
#     hosts.sh              2000-4999   (nimbus, supervisors, a slot)
#     workers.sh            5000-9999   (gale.tcp.base.port)
#     cluster_loopback.sh  10000-19999  (nimbus, supervisors, topology slots)
#     nimbus.sh            20000-31999  (a cluster file per port)
# cluster.sh needs no range: each of its namespaces has ports of its own.

# port_in FIRST LAST STEP [SEED]: prints a base port FIRST + k * STEP below
# LAST, k picked by SEED (default: this shell's pid).
port_in() {
    local n=$((($2 - $1) / $3))
    echo $(($1 + (${4:-$$} % n) * $3))
}

# ---- the word count -------------------------------------------------------

# wc_want GEN SENTENCES OUT [OPTION...]: writes "word count" lines,
# sorted, for the first SENTENCES sentences bench/gen_corpus makes with
# seed 42, or with the OPTIONs (-s SEED, -v VOCABULARY...) instead.
wc_want() {
    local gen=$1 n=$2 out=$3
    shift 3
    [ $# -gt 0 ] || set -- -s 42
    "$gen" "$@" -n "$n" | tr -s ' ' '\n' | sort | uniq -c |
        awk '{ print $2, $1 }' > "$out"
}

# spill_wc_cfg NAME SEED SENTENCES RATE INTERVAL_MS: writes $tmp/s.cfg, the
# spill tests' word count: a generator of SENTENCES sentences (SEED, RATE
# per second, a 200 000-word vocabulary) -> split -> fields -> count x2
# under a 1 MiB memory cap (state_memory_mb = 1: the rest spills) ->
# global -> a file_sink in $tmp/out, exactly-once with a checkpoint every
# INTERVAL_MS in $tmp/state.
spill_wc_cfg() {
    cat > "$tmp/s.cfg" <<CFG
name = "$1";
config = { state_memory_mb = 1; restart_delay_ms = 0;
           checkpoint = { interval_ms = $5; dir = "$tmp/state"; }; };
spouts = ( { id = "gen"; type = "generator"; seed = $2; count = $3; rate = $4;
             vocabulary = 200000; fields = ["sentence"]; } );
bolts = ( { id = "split"; type = "split"; fields = ["word"]; },
          { id = "count"; type = "count"; key = "word"; parallelism = 2;
            fields = ["word", "count"]; },
          { id = "sink"; type = "file_sink"; path = "$tmp/out"; } );
streams = ( { from = "gen"; to = "split"; grouping = "shuffle"; },
            { from = "split"; to = "count"; grouping = "fields"; fields = ["word"]; },
            { from = "count"; to = "sink"; grouping = "global"; } );
CFG
}

# wc_check DIR WANT: checks the file_sink output in DIR, which committed
# every running count: per word exactly 1, 2, ..., n in checkpoint order
# (published files sorted by checkpoint id, then task), and n the count
# in WANT. Prints what is wrong and returns 1, or returns 0.
wc_check() {
    local bad got
    bad=$(cat $(ls "$1"/part-* | sort -t- -k3,3 -k2,2n) | awk -F '\t' '
        { if ($2 != seen[$1] + 1) { print $1 " " seen[$1] " -> " $2; exit } seen[$1] = $2 }')
    [ -z "$bad" ] || { echo "running counts not 1..n: $bad"; return 1; }
    got=$(mktemp)
    cat "$1"/part-* | awk -F '\t' '{ if ($2 > m[$1]) m[$1] = $2 }
        END { for (w in m) print w, m[w] }' | sort > "$got"
    if ! cmp -s "$2" "$got"; then
        echo "final counts differ:"; diff "$2" "$got" | head -5; rm -f "$got"
        return 1
    fi
    rm -f "$got"
    return 0
}

# ---- the HTTP server (docs/metrics.md, docs/rest.md) ----------------------

# paced_wc_cfg NAME WORKERS RATE: writes topo.cfg, a word count (generator
# sentences, seed 42, RATE sentences/s -> split x2 -> count x2, no sink)
# that runs until stopped; the sentences are bench/gen_corpus -s 42's.
paced_wc_cfg() {
    cat > topo.cfg <<CFG
name = "$1";
config = { workers = $2; checkpoint = { interval_ms = 300; dir = "state"; }; };
spouts = ( { id = "sentences"; type = "generator"; mode = "sentences";
             seed = 42; count = 100000000; rate = $3; fields = ["sentence"]; } );
bolts = (
  { id = "split"; type = "split"; parallelism = 2; fields = ["word"]; },
  { id = "count"; type = "count"; key = "word"; parallelism = 2;
    fields = ["word", "count"]; } );
streams = (
  { from = "sentences"; to = "split"; grouping = "shuffle"; },
  { from = "split"; to = "count"; grouping = "fields"; fields = ["word"]; } );
CFG
}

# start_http CFG: starts `gale run CFG` in the background (stdout run.out,
# stderr run.err, its pid in $pid, killed at exit), waits up to 20 s for
# the address its HTTP server logs and sets $addr (HOST:PORT); dies when
# there is none or it is not loopback.
start_http() {
    "$GALE" run "$1" >run.out 2>run.err &
    pid=$!
    at_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
    wait_for -p "$pid" 20 grep -q 'http: metrics at' run.err ||
        { cat run.err; die "$1: no http address in the log"; }
    addr=$(sed -n 's|.*metrics at http://\([^/]*\)/metrics.*|\1|p' run.err)
    case $addr in 127.0.0.1:[1-9]*) ;; *) die "$1: not on loopback: $addr" ;; esac
}
