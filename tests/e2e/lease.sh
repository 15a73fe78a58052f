#!/bin/bash
# lease.sh - the coordinator's lease: worker processes whose coordinator
# stops answering (SIGSTOP: alive, but not working) stop themselves after
# gale.worker.timeout.ms; when the coordinator continues, it notices its
# workers are gone, recovers from the last checkpoint, and the committed
# output is still exact.
set -u
. "$(dirname "$0")/lib.sh" || exit 99
gen=$(build_file bench/gen_corpus)
work_dir lease
at_exit 'kill -CONT ${pid:-} 2>/dev/null; pkill -KILL -f "gale (run|worker) .*$tmp" 2>/dev/null'
export XDG_RUNTIME_DIR=$tmp/run
need_build "$gen"
N=60000
wc_want "$gen" $N "$tmp/want"
cat > "$tmp/l.cfg" <<CFG
name = "lease-$$";
config = { workers = 2; worker_timeout_ms = 2000; restart_delay_ms = 0;
           checkpoint = { interval_ms = 150; dir = "$tmp/state"; }; };
spouts = ( { id = "gen"; type = "generator"; seed = 42; count = $N; rate = 20000;
             fields = ["sentence"]; } );
bolts = ( { id = "split"; type = "split"; parallelism = 2; fields = ["word"]; },
          { id = "count"; type = "count"; key = "word"; parallelism = 2;
            fields = ["word", "count"]; },
          { id = "sink"; type = "file_sink"; path = "$tmp/out"; parallelism = 2; } );
streams = ( { from = "gen"; to = "split"; grouping = "shuffle"; },
            { from = "split"; to = "count"; grouping = "fields"; fields = ["word"]; },
            { from = "count"; to = "sink"; grouping = "fields"; fields = ["word"]; } );
CFG
"$GALE" run "$tmp/l.cfg" 2> "$tmp/log" &
pid=$!
# workers N: whether exactly N workers of this run are up.
workers() {
    [ "$(pgrep -fc "gale worker -- $tmp/l.cfg")" -eq "$1" ]
}
wait_for 10 workers 2
sleep 1
kill -STOP $pid
# The workers must leave by themselves: within the 2 s lease and a margin.
gone=0
wait_for 10 workers 0 && gone=1
kill -CONT $pid
[ $gone -eq 1 ] || { echo "FAIL: workers still running 10 s after their coordinator stopped"; fails=1; }
wait $pid || { echo "FAIL: the run exited $?"; fails=1; }
grep -q "lost the coordinator's lease" "$tmp/log" || { echo "FAIL: no lease message"; fails=1; }
grep -q "restarting from checkpoint" "$tmp/log" || { echo "FAIL: no recovery from a checkpoint"; fails=1; }
msg=$(wc_check "$tmp/out" "$tmp/want") || { echo "FAIL: $msg"; fails=1; }
[ $fails -eq 0 ] || { grep -E "WARN|ERROR" "$tmp/log" | tail -5; exit 1; }
echo "PASS lease"
