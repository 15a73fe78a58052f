#!/bin/sh
# workers.sh - the word count over 2 worker processes (ipc between them,
# and tcp): its output equals local mode's; kill -9 of a worker and SIGSTOP of a
# worker (detected by the missing heartbeat) are both recovered from a
# checkpoint, with exact committed output.
set -u
. "$(dirname "$0")/lib.sh" || exit 99
gen=$(build_file bench/gen_corpus)
work_dir workers
at_exit 'pkill -KILL -f "gale worker -- $tmp" 2>/dev/null'
need_build "$gen"
N=60000
wc_want "$gen" $N "$tmp/want"

topology() {  # name workers
    cat > "$tmp/$1.cfg" <<CFG
name = "w-$1";
config = { workers = $2; worker_timeout_ms = 2000; restart_delay_ms = 0;
           checkpoint = { interval_ms = 150; dir = "$tmp/$1/state"; }; };
spouts = ( { id = "gen"; type = "generator"; seed = 42; count = $N; rate = 20000;
             fields = ["sentence"]; } );
bolts = ( { id = "split"; type = "split"; parallelism = 2; fields = ["word"]; },
          { id = "count"; type = "count"; key = "word"; parallelism = 2;
            fields = ["word", "count"]; },
          { id = "sink"; type = "file_sink"; path = "$tmp/$1/out"; parallelism = 2; } );
streams = ( { from = "gen"; to = "split"; grouping = "shuffle"; },
            { from = "split"; to = "count"; grouping = "fields"; fields = ["word"]; },
            { from = "count"; to = "sink"; grouping = "fields"; fields = ["word"]; } );
CFG
}

check() {  # name
    msg=$(wc_check "$tmp/$1/out" "$tmp/want") ||
        { echo "FAIL $1: $msg"; fails=$((fails + 1)); return; }
    echo "ok $1"
}

# The output over 2 workers equals local mode's (1 worker), line for line
# per sink task (both are deterministic: one spout task, fields grouping).
topology local 1
topology two 2
"$GALE" run "$tmp/local.cfg" 2> "$tmp/local.err" || { tail "$tmp/local.err"; exit 1; }
"$GALE" run "$tmp/two.cfg" 2> "$tmp/two.err" || { tail "$tmp/two.err"; exit 1; }
# The same over tcp between the workers (transport = "tcp"), on a port
# range of its own.
topology tcp 2
# (5000-9999: lib.sh's table of ranges.)
port=$(port_in 5000 9900 1)
"$GALE" run -c gale.transport=tcp -c gale.tcp.base.port=$port "$tmp/tcp.cfg" 2> "$tmp/tcp.err" ||
    { tail "$tmp/tcp.err"; exit 1; }
check local
check two
check tcp
for t in 00000 00001; do
    cat $(ls "$tmp"/local/out/part-$t-* | sort) | sort > "$tmp/l.$t"
    for v in two tcp; do
        cat $(ls "$tmp"/$v/out/part-$t-* | sort) | sort > "$tmp/t.$t"
        cmp -s "$tmp/l.$t" "$tmp/t.$t" || { echo "FAIL: sink task $t differs between 1 worker and $v"; fails=$((fails + 1)); }
    done
done

# fault NAME SIGNAL: send SIGNAL to one worker 1.5 s in; the run recovers.
fault() {
    topology "$1" 2
    "$GALE" run "$tmp/$1.cfg" 2> "$tmp/$1.err" &
    pid=$!
    sleep 1.5
    w=$(pgrep -f "gale worker -- $tmp/$1.cfg" | head -1)
    [ -n "$w" ] && kill -"$2" "$w"
    wait $pid
    rc=$?
    [ $rc -eq 0 ] || { tail -5 "$tmp/$1.err"; echo "FAIL $1: exit $rc"; fails=$((fails + 1)); return; }
    grep -q "^recoveries: 1 (attempt 2 -> checkpoint [1-9]" "$tmp/$1.err" || {
        echo "FAIL $1: no recovery from a checkpoint"; grep -E "WARN|recover" "$tmp/$1.err" | head -3
        fails=$((fails + 1)); return; }
    grep "attempt 1 failed" "$tmp/$1.err" | sed 's/.*WARN  /   /' | cut -c1-110
    check "$1"
}
fault kill9 KILL
fault sigstop STOP

finish "PASS workers"
