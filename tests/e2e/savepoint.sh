#!/bin/bash
# savepoint.sh - savepoints, rescaling and the console verbs, end to end.
#
# A bounded word count with keyed state and the transactional sink is
# stopped with a savepoint mid-stream and resumed, over and over, each
# time with other parallelism:
#   run A: count 2 tasks, 1 worker      -> gale kill --savepoint SP1
#   run B: from a *copy* of SP1, count 3 tasks (2 -> 3)
#                                        -> gale kill --savepoint SP2
#   run C: from SP2, count 2 tasks (3 -> 2), 1 worker
#          gale rebalance -n 2 -e count=4 (workers 1 -> 2, count 2 -> 4)
#          runs to the end.
# The committed output (every running count) must be exact: per word
# 1, 2, ..., n with n the true count. Beside that: gale list, deactivate,
# activate, savepoint inspect; a topology with an added stateless bolt
# restores; one that drops a stateful component is refused without
# --allow-non-restored-state and runs with it; a spout whose task count
# would change is refused; a bad savepoint directory is a clear error.
set -u
. "$(dirname "$0")/lib.sh" || exit 99
gen=$(build_file bench/gen_corpus)
work_dir savepoint
at_exit 'pkill -KILL -f "gale (run|worker) .*$tmp" 2>/dev/null'
export XDG_RUNTIME_DIR=$tmp/run     # gale list sees this test's topologies
need_build "$gen"
N=100000
NAME="sp-$$"
wc_want "$gen" $N "$tmp/want"

# topology FILE STATE OUT [extra bolts] [extra streams] [no count]
topology() {
    local count='{ id = "count"; type = "count"; key = "word"; parallelism = 2;
            fields = ["word", "count"]; },'
    local feed='{ from = "split"; to = "count"; grouping = "fields"; fields = ["word"]; },
            { from = "count"; to = "sink"; grouping = "fields"; fields = ["word"]; }'
    if [ "${6:-}" = nocount ]; then
        count=''
        feed='{ from = "split"; to = "sink"; grouping = "fields"; fields = ["word"]; }'
    fi
    cat > "$1" <<CFG
name = "$NAME";
config = { workers = 1; worker_timeout_ms = 3000;
           checkpoint = { interval_ms = 200; dir = "$2"; }; };
spouts = ( { id = "gen"; type = "generator"; seed = 42; count = $N; rate = 15000;
             fields = ["sentence"]; } );
bolts = ( { id = "split"; type = "split"; parallelism = 2; fields = ["word"]; },
          $count
          ${4:-}
          { id = "sink"; type = "file_sink"; path = "$3"; parallelism = 2; } );
streams = ( { from = "gen"; to = "split"; grouping = "shuffle"; },
            ${5:-}
            $feed );
CFG
}

# listed: whether gale list shows the topology.
listed() {
    "$GALE" list 2>/dev/null | grep -q "^$NAME "
}
# Waits until gale list shows the topology (up to 10 s).
wait_listed() {
    wait_for 10 listed
}

topology "$tmp/t.cfg" "$tmp/state" "$tmp/out"

# Run A: 2 count tasks, 1 worker; the verbs; then a savepoint stop.
"$GALE" run "$tmp/t.cfg" 2> "$tmp/logA" &
pid=$!
wait_listed || fail "run A never showed in gale list"
"$GALE" list > "$tmp/list"
grep -qE "^$NAME +ACTIVE +7 +1 " "$tmp/list" || { fail "gale list: $(cat "$tmp/list")"; }
"$GALE" deactivate "$NAME" > /dev/null || fail "deactivate"
"$GALE" list | grep -qE "^$NAME +INACTIVE " || fail "not INACTIVE after deactivate"
"$GALE" activate "$NAME" > /dev/null || fail "activate"
"$GALE" list | grep -qE "^$NAME +ACTIVE " || fail "not ACTIVE after activate"
sleep 1
"$GALE" savepoint "$NAME" "$tmp/spR" > "$tmp/out.sp" || fail "savepoint of a running topology: $(cat "$tmp/out.sp")"
grep -q "^savepoint $tmp/spR (checkpoint [0-9]*)" "$tmp/out.sp" || fail "savepoint said: $(cat "$tmp/out.sp")"
"$GALE" kill --savepoint "$tmp/sp1" "$NAME" > "$tmp/out.kill" || fail "kill --savepoint"
wait $pid || fail "run A exited $?"
grep -q "stopped with a savepoint" "$tmp/logA" || fail "run A's summary: $(tail -3 "$tmp/logA")"
# Nothing is committed after the savepoint: the resume replays from there.
spck=$(sed -n 's/.*(checkpoint \([0-9]*\)); stopped.*/\1/p' "$tmp/out.kill")
last=$(sed -n 's/^checkpoints: .*(last \([0-9]*\)).*/\1/p' "$tmp/logA")
[ -n "$spck" ] && [ "$last" = "$spck" ] ||
    fail "run A stopped with savepoint checkpoint '$spck' but its last completed was '$last'"
[ -f "$tmp/sp1/SAVEPOINT" ] || fail "no savepoint written"
"$GALE" savepoint inspect "$tmp/sp1" > "$tmp/inspect" || fail "inspect"
[ "$(grep -c '^count ' "$tmp/inspect")" -eq 2 ] || fail "inspect: $(cat "$tmp/inspect")"
grep -q "^topology file   $tmp/t.cfg" "$tmp/inspect" || fail "inspect: no topology file"
[ -f "$tmp/sp1/topology.cfg" ] || fail "no copy of the topology file"
"$GALE" savepoint inspect "$tmp/nothing" 2> "$tmp/err" && fail "inspect of nothing succeeded"
grep -q "not a savepoint" "$tmp/err" || fail "inspect of nothing said: $(cat "$tmp/err")"

# Refusals, against the savepoint, before anything else uses it.
"$GALE" run "$tmp/t.cfg" --from-savepoint "$tmp/nothing" 2> "$tmp/err" && fail "a missing savepoint was accepted"
grep -q "nothing" "$tmp/err" || fail "missing savepoint said: $(cat "$tmp/err")"
"$GALE" run "$tmp/t.cfg" --from-savepoint "$tmp/sp1" -e gen=2 2> "$tmp/err" && fail "a spout's task change was accepted"
grep -q "spout \`gen\` had 1 tasks" "$tmp/err" || fail "spout change said: $(cat "$tmp/err")"
topology "$tmp/drop.cfg" "$tmp/state-drop" "$tmp/out-drop" "" "" nocount
"$GALE" run "$tmp/drop.cfg" --from-savepoint "$tmp/sp1" 2> "$tmp/err" && fail "dropping a stateful component was accepted"
grep -q "component \`count\` holds state there but is not in the topology" "$tmp/err" ||
    fail "drop said: $(cat "$tmp/err")"
"$GALE" run "$tmp/drop.cfg" --from-savepoint "$tmp/sp1" --allow-non-restored-state --ttl 1 2> "$tmp/err" ||
    fail "--allow-non-restored-state did not run: $(tail -3 "$tmp/err")"
topology "$tmp/add.cfg" "$tmp/state-add" "$tmp/out-add" \
    '{ id = "seen"; type = "filter"; field = "word"; match = "zzz"; fields = ["word", "count"]; },' \
    '{ from = "count"; to = "seen"; grouping = "shuffle"; },'
"$GALE" run "$tmp/add.cfg" --from-savepoint "$tmp/sp1" --ttl 1 2> "$tmp/err" ||
    fail "an added stateless bolt did not restore: $(tail -3 "$tmp/err")"
grep -q "restored savepoint" "$tmp/err" || fail "add: no restore in $(tail -3 "$tmp/err")"

# A savepoint of a newer format, and one whose metadata is damaged, are
# clear errors.
cp -a "$tmp/sp1" "$tmp/sp-new"
sed -i 's/^format 1$/format 99/' "$tmp/sp-new/SAVEPOINT"
"$GALE" savepoint inspect "$tmp/sp-new" 2> "$tmp/err" && fail "inspect of format 99 succeeded"
grep -q "savepoint format 99; this gale reads formats 1 to 1" "$tmp/err" || fail "format 99 said: $(cat "$tmp/err")"
"$GALE" run "$tmp/t.cfg" --from-savepoint "$tmp/sp-new" 2> "$tmp/err" && fail "a format 99 savepoint was restored"
grep -q "savepoint format 99" "$tmp/err" || fail "run of format 99 said: $(cat "$tmp/err")"
cp -a "$tmp/sp1" "$tmp/sp-bad"
for m in "$tmp"/sp-bad/meta/*.meta; do printf 'x' >> "$m"; done
"$GALE" run "$tmp/t.cfg" --from-savepoint "$tmp/sp-bad" 2> "$tmp/err" && fail "a damaged savepoint was restored"
grep -qi "checksum\|malformed\|no valid checkpoint" "$tmp/err" || fail "damaged savepoint said: $(cat "$tmp/err")"

# Run B: from a copy of SP1 in another directory, count 2 -> 3 tasks.
cp -a "$tmp/sp1" "$tmp/moved-sp1"
rm -rf "$tmp/sp1"
"$GALE" run "$tmp/t.cfg" --from-savepoint "$tmp/moved-sp1" -e count=3 2> "$tmp/logB" &
pid=$!
wait_listed || fail "run B never showed in gale list"
"$GALE" list | grep -qE "^$NAME +ACTIVE +8 " || fail "run B: not 8 tasks"
sleep 1.5
"$GALE" kill --savepoint "$tmp/sp2" "$NAME" > /dev/null || fail "kill --savepoint (B)"
wait $pid || fail "run B exited $?"
grep -q "restored savepoint $tmp/moved-sp1" "$tmp/logB" || fail "run B did not restore the copy"
[ "$(grep -c '^count ' <("$GALE" savepoint inspect "$tmp/sp2"))" -eq 3 ] || fail "sp2 has not 3 count tasks"

# Run C: count 3 -> 2, then gale rebalance to 2 workers and 4 count tasks.
"$GALE" run "$tmp/t.cfg" --from-savepoint "$tmp/sp2" 2> "$tmp/logC" &
pid=$!
wait_listed || fail "run C never showed in gale list"
sleep 1
"$GALE" rebalance "$NAME" -e gen=3 2> "$tmp/err" && fail "rebalance of a spout's tasks was accepted"
grep -q "task count cannot change" "$tmp/err" || fail "rebalance gen said: $(cat "$tmp/err")"
"$GALE" rebalance "$NAME" -n 2 -e count=4 > "$tmp/out.reb" || fail "rebalance: $(cat "$tmp/out.reb")"
grep -q "restarting with the new parallelism" "$tmp/out.reb" || fail "rebalance said: $(cat "$tmp/out.reb")"
wait_listed || fail "run C never came back after the rebalance"
sleep 0.5
"$GALE" list | grep -qE "^$NAME +[A-Z]+ +9 +2 " || fail "after rebalance: $("$GALE" list)"
wait $pid || fail "run C exited $?"
grep -q "rebalance: restarting with workers=2 count=4" "$tmp/logC" || fail "run C: no rebalance in the log"
grep -q "finished in" "$tmp/logC" || fail "run C did not finish: $(tail -3 "$tmp/logC")"
msg=$(wc_check "$tmp/out" "$tmp/want") || fail "2->3->2->4 tasks, 1->2 workers: $msg"

"$GALE" kill "$NAME" 2> "$tmp/err" && fail "kill of a stopped topology succeeded"
grep -q "no topology called" "$tmp/err" || fail "kill said: $(cat "$tmp/err")"

# A topology that ends while a savepoint request waits for its answer
# (its coordinator stopped, then killed): the command says so at once
# instead of waiting out its 30 minutes.
topology "$tmp/e.cfg" "$tmp/state-e" "$tmp/out-e"
"$GALE" run "$tmp/e.cfg" 2> "$tmp/logE" &
pid=$!
wait_listed || fail "run E never listed"
kill -STOP $pid
"$GALE" savepoint "$NAME" "$tmp/spE" > /dev/null 2> "$tmp/err" &
ask=$!
sleep 1
kill -KILL $pid
wait $pid 2>/dev/null
gone() { ! kill -0 $ask 2>/dev/null; }
wait_for 5 gone || { kill $ask; fail "the savepoint request still waits after its topology ended"; }
wait $ask && fail "a savepoint of a topology that ended succeeded"
grep -q "ended before it answered" "$tmp/err" || fail "the request said: $(cat "$tmp/err")"
[ $fails -eq 0 ] || { grep -E "WARN|ERROR" "$tmp"/log* | tail -10; exit 1; }
echo "PASS savepoint"
