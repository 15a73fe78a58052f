#!/bin/sh
# multilang_workers.sh - exactly-once with a shell spout and a shell bolt
# over 2 worker processes, through kill -9.
#
# A Python spout (tests/multilang/replay_spout.py) replays sentences by
# id: line i has id i, and it persists the offset below which every id was
# acked in a file in its cwd, emitting again from there after a restart.
# A Python split bolt, the count and the transactional file_sink follow.
# The committed running counts must be 1, 2, ..., n for every word with n
# the true count: nothing lost (un-acked ids come back), nothing twice
# (ids a completed checkpoint covers are dropped).
#  1. a clean run;
#  2. kill -9 of a worker mid-run: recovered from a checkpoint, exact;
#  3. kill -9 of the spout's child mid-run: recovered, exact;
#  4. the spout's child exits twice, the second time soon after the first
#     restart, while ids the restored checkpoint covers are still coming
#     back: two rollbacks in a row, exact.
set -u
. "$(dirname "$0")/lib.sh" || exit 99
gen=$(build_file bench/gen_corpus)
ML=$(cd "$top_srcdir" && pwd)/tests/multilang
work_dir mlworkers
at_exit 'pkill -KILL -f "gale worker -- $tmp" 2>/dev/null; pkill -KILL -f "replay_spout.py $tmp" 2>/dev/null'
export PYTHONDONTWRITEBYTECODE=1     # no __pycache__ in the source tree
need_cmd python3
need_build "$gen"
N=12000
"$gen" -s 42 -n $N > "$tmp/input"
tr -s ' ' '\n' < "$tmp/input" | sort | uniq -c | awk '{ print $2, $1 }' > "$tmp/want"

topology() {  # name [crash1 crash2]
    mkdir -p "$tmp/$1/spout"
    cat > "$tmp/$1.cfg" <<CFG
name = "mlw-$1";
config = { workers = 2; worker_timeout_ms = 4000; restart_delay_ms = 0;
           max_spout_pending = 4000;
           checkpoint = { interval_ms = 150; dir = "$tmp/$1/state"; }; };
spouts = ( { id = "lines"; type = "shell"; cwd = "$tmp/$1/spout";
             command = ["python3", "$ML/replay_spout.py", "$tmp/input", "5"${2:+, \"$2\", \"$3\"}];
             env = { PYTHONPATH = "$ML"; }; fields = ["sentence"]; } );
bolts = ( { id = "split"; type = "shell"; command = ["python3", "splitsentence.py"];
            cwd = "$ML/../../examples/multilang"; env = { PYTHONPATH = "$ML"; };
            parallelism = 2; fields = ["word"]; },
          { id = "count"; type = "count"; key = "word"; parallelism = 2;
            fields = ["word", "count"]; },
          { id = "sink"; type = "file_sink"; path = "$tmp/$1/out"; parallelism = 2; } );
streams = ( { from = "lines"; to = "split"; grouping = "shuffle"; },
            { from = "split"; to = "count"; grouping = "fields"; fields = ["word"]; },
            { from = "count"; to = "sink"; grouping = "fields"; fields = ["word"]; } );
CFG
}

check() {  # name
    bad=$(cat $(ls "$tmp/$1/out"/part-* | sort) | awk -F '\t' '
        { if ($2 != seen[$1] + 1) { print $1 " " seen[$1] " -> " $2; exit } seen[$1] = $2 }')
    [ -z "$bad" ] || { echo "FAIL $1: running counts not 1..n: $bad"; fails=$((fails + 1)); return; }
    cat "$tmp/$1/out"/part-* | awk -F '\t' '{ if ($2 > m[$1]) m[$1] = $2 }
        END { for (w in m) print w, m[w] }' | sort > "$tmp/$1.got"
    cmp -s "$tmp/want" "$tmp/$1.got" || { echo "FAIL $1: counts differ (want, got):"
        diff "$tmp/want" "$tmp/$1.got" | head -6; grep -E "WARN|ERROR|^recover" "$tmp/$1.err" | head -5
        fails=$((fails + 1)); return; }
    [ "$(cat "$tmp/$1/spout/acked.offset")" -eq $N ] ||
        { echo "FAIL $1: the spout's source was not acked up to $N"; fails=$((fails + 1)); return; }
    echo "ok $1"
}

topology clean
"$GALE" run "$tmp/clean.cfg" 2> "$tmp/clean.err" || { tail "$tmp/clean.err"; echo "FAIL clean: exit"; exit 1; }
check clean

# fault NAME PATTERN: kill -9 the first process matching PATTERN 1.5 s in.
fault() {
    topology "$1"
    "$GALE" run "$tmp/$1.cfg" 2> "$tmp/$1.err" &
    pid=$!
    sleep 1.5
    victim=$(pgrep -f "$2" | head -1)
    [ -n "$victim" ] && kill -KILL "$victim"
    wait $pid
    rc=$?
    [ $rc -eq 0 ] || { tail -5 "$tmp/$1.err"; echo "FAIL $1: exit $rc"; fails=$((fails + 1)); return; }
    grep -q "^recoveries: [1-3] (attempt 2 -> " "$tmp/$1.err" || {
        echo "FAIL $1: no recovery"; grep -E "WARN|ERROR" "$tmp/$1.err" | head -3
        fails=$((fails + 1)); return; }
    grep "attempt 1 failed" "$tmp/$1.err" | sed 's/.*WARN  /   /' | cut -c1-160
    grep -q "restored [0-9]* message ids a completed checkpoint covers" "$tmp/$1.err" &&
        echo "   (the restarted spout dropped redelivered ids a checkpoint covers)"
    check "$1"
}
fault worker "gale worker -- $tmp/worker.cfg"
fault child "replay_spout.py $tmp/input"

topology twice 7000 100
"$GALE" run "$tmp/twice.cfg" 2> "$tmp/twice.err" || { tail -5 "$tmp/twice.err"; echo "FAIL twice: exit"; fails=$((fails + 1)); }
# Both crashes happened (their markers), each followed by a recovery
# (more if something else failed too: the output must still be exact).
if [ -f "$tmp/twice/spout/crash1" ] && [ -f "$tmp/twice/spout/crash2" ] &&
    grep -q "^recoveries: [2-3] " "$tmp/twice.err"; then
    grep "failed: " "$tmp/twice.err" | grep WARN | sed 's/.*WARN  /   /' | cut -c1-150
    check twice
else
    echo "FAIL twice: not two crashes and recoveries"; grep -E "WARN|^recover" "$tmp/twice.err" | head -4
    ls "$tmp/twice/spout"
    fails=$((fails + 1))
fi

finish "PASS multilang_workers"
