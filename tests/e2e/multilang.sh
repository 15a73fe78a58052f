#!/bin/sh
# multilang.sh - shell spouts and bolts (Storm's multilang protocol) with
# gale's test client library (tests/multilang/mlclient.py):
#  1. every message: emit before the first command, non-ASCII UTF-8,
#     need_task_ids false, named streams, direct emit, log levels, error,
#     metrics, tick tuples, the context and conf;
#  2. a word count with a Python split bolt: exact committed counts;
#  3. a child that crashes, one that writes garbage and one that fails a
#     tuple: a clear error naming component, task and content, recovery,
#     exact committed counts;
#  4. a slow child that holds tuples past the timeout but answers
#     heartbeats runs; the same child not answering them is timed out;
#  5. a child that never acks: checkpoints are declined, the run fails
#     cleanly (no crash, no hang);
#  6. a command that cannot start: a clear error, non-zero exit.
set -u
. "$(dirname "$0")/lib.sh" || exit 99
gen=$(build_file bench/gen_corpus)
ML=$(cd "$top_srcdir" && pwd)/tests/multilang
work_dir multilang
export PYTHONDONTWRITEBYTECODE=1     # no __pycache__ in the source tree
need_cmd python3
need_build "$gen"

# ---- 1. every message ----------------------------------------------------
mkdir -p "$tmp/feat"
cat > "$tmp/feat.cfg" <<CFG
name = "ml-features";
config = { guarantee = "none"; };
spouts = ( { id = "src"; type = "shell"; command = ["python3", "features_spout.py"];
             cwd = "$ML"; fields = ["word"]; streams = ( { id = "side"; fields = ["line"]; } ); } );
bolts = ( { id = "feat"; type = "shell"; command = ["python3", "features_bolt.py"]; cwd = "$ML";
            fields = ["upper"]; streams = ( { id = "picked"; fields = ["word"]; direct = true; } ); },
          { id = "picked"; type = "file_sink"; path = "$tmp/feat/picked"; parallelism = 2; },
          { id = "out"; type = "file_sink"; path = "$tmp/feat/out"; },
          { id = "sideout"; type = "file_sink"; path = "$tmp/feat/side"; } );
streams = ( { from = "src"; to = "feat"; grouping = "shuffle"; },
            { from = "src"; to = "sideout"; stream = "side"; grouping = "shuffle"; },
            { from = "feat"; to = "out"; grouping = "shuffle"; },
            { from = "feat"; to = "picked"; stream = "picked"; grouping = "direct"; } );
CFG
GALE_LOG_LEVEL=trace "$GALE" run "$tmp/feat.cfg" 2> "$tmp/feat.err" ||
    { tail "$tmp/feat.err"; fail "features: exit status"; }
printf 'EARLY-BIRD\nGRÜSSE\nNAÏVE\n日本語\n☃ SNOW\nPLAIN\n' > "$tmp/want.out"
printf 'early-bird\ngrüße\nnaïve\n日本語\n☃ snow\nplain\n' > "$tmp/want.picked"
printf 'side:grüße\nside:naïve\nside:日本語\nside:☃ snow\nside:plain\n' > "$tmp/want.side"
cmp -s "$tmp/want.out" "$tmp/feat/out/part-00000" ||
    fail "features: default stream (emit before the first command, UTF-8)"
cmp -s "$tmp/want.picked" "$tmp/feat/picked/part-00001" &&
    [ ! -s "$tmp/feat/picked/part-00000" ] ||
    fail "features: emitDirect did not reach exactly the last task of picked"
cmp -s "$tmp/want.side" "$tmp/feat/side/part-00000" ||
    fail "features: named stream with need_task_ids false"
e="$tmp/feat.err"
for lv in TRACE DEBUG INFO WARN ERROR; do
    grep -q "$lv  *feat\[1\]: ShellLog pid:[0-9]*, name:feat level [0-4] word naïve" "$e" ||
        fail "features: no $lv log line from the child"
done
grep -q 'ERROR feat\[1\]: Shell Process Exception: first word was early-bird (to \[[0-9]\])' "$e" ||
    fail "features: error not reported (or task ids not returned)"
grep -q 'feat\[1\]: metric words updated with a number' "$e" || fail "features: metrics"
grep -q "context: taskid=1 componentid=feat streams=\['default', 'picked'\] targets=\['picked'\] max.pending=100" "$e" ||
    fail "features: context or conf as the child saw them"
grep -q "early emit went to tasks \[1\]" "$e" || fail "features: early emit task ids"
grep -q "INFO  feat\[1\]: stderr: features bolt starting\$" "$e" &&
    grep -q "INFO  feat\[1\]: stderr: second line\$" "$e" || fail "features: child's stderr not logged"
for id in early 0 4; do
    grep -q "spout got ack for $id\$" "$e" || fail "features: spout not acked for $id"
done
[ $fails -eq 0 ] && echo "ok features"

# ---- 2./3. word counts with a Python split bolt --------------------------
N=3000
"$gen" -s 42 -n $N | tr -s ' ' '\n' | sort | uniq -c | awk '{ print $2, $1 }' > "$tmp/want"

# wordcount NAME BOLT-ARGS: a word count whose split is the Python bolt.
wordcount() {
    mkdir -p "$tmp/$1"
    cat > "$tmp/$1.cfg" <<CFG
name = "ml-$1";
config = { checkpoint = { interval_ms = 200; dir = "$tmp/$1/state"; };
           restart_delay_ms = 0; subprocess_timeout_secs = 20; };
spouts = ( { id = "gen"; type = "generator"; seed = 42; count = $N; rate = 3000;
             fields = ["sentence"]; } );
bolts = ( { id = "split"; type = "shell"; command = [$2]; cwd = "$tmp/$1";
            env = { PYTHONPATH = "$ML"; }; parallelism = 2; fields = ["word"]; },
          { id = "count"; type = "count"; key = "word"; parallelism = 2;
            fields = ["word", "count"]; },
          { id = "sink"; type = "file_sink"; path = "$tmp/$1/out"; parallelism = 2; } );
streams = ( { from = "gen"; to = "split"; grouping = "shuffle"; },
            { from = "split"; to = "count"; grouping = "fields"; fields = ["word"]; },
            { from = "count"; to = "sink"; grouping = "fields"; fields = ["word"]; } );
CFG
    "$GALE" run "$tmp/$1.cfg" 2> "$tmp/$1.err"
}

# check NAME: the committed running counts are 1..n per word, n exact.
check() {
    bad=$(cat $(ls "$tmp/$1/out"/part-* | sort) | awk -F '\t' '
        { if ($2 != seen[$1] + 1) { print $1 " " seen[$1] " -> " $2; exit } seen[$1] = $2 }')
    [ -z "$bad" ] || { fail "$1: running counts not 1..n: $bad"; return 1; }
    cat "$tmp/$1/out"/part-* | awk -F '\t' '{ if ($2 > m[$1]) m[$1] = $2 }
        END { for (w in m) print w, m[w] }' | sort > "$tmp/$1.got"
    cmp -s "$tmp/want" "$tmp/$1.got" || { fail "$1: counts differ"; return 1; }
    echo "ok $1"
}

wordcount plain "\"python3\", \"$ML/faulty_split.py\", \"none\", \"0\"" ||
    { tail -5 "$tmp/plain.err"; fail "plain: exit status"; }
check plain
grep -q "^recoveries" "$tmp/plain.err" && { fail "plain: recovered without a fault";
    grep -E "WARN|ERROR" "$tmp/plain.err" | head -5; }

# fault NAME MODE PATTERN: the child faults once per task; the run names
# the component, the task and what happened, recovers, and is exact.
fault() {
    wordcount "$1" "\"python3\", \"$ML/faulty_split.py\", \"$2\", \"400\"" ||
        { tail -5 "$tmp/$1.err"; fail "$1: exit status"; return; }
    grep -q "^recoveries: [12] " "$tmp/$1.err" || fail "$1: no recovery"
    grep -q "ERROR split\[[67]\]: shell bolt split\[[67]\]: $3" "$tmp/$1.err" ||
        { grep ERROR "$tmp/$1.err" | head -3; fail "$1: no clear error"; }
    grep "ERROR split" "$tmp/$1.err" | head -1 | cut -c1-220
    check "$1"
}
fault crash crash 'pipe to subprocess seems to be broken: it closed its stdout (pid [0-9]* exited with status 3)'
fault garbage garbage 'not a multilang message (a JSON object and a line `end`): "Traceback? no: some garbage on stdout"'
fault failed fail 'the child failed a tuple: .*; the child sent: {"command":"fail","id":"-\{0,1\}[0-9]*"}'

# ---- 4. heartbeats ---------------------------------------------------------
# hb NAME ARGS: 6 tuples to hb_bolt.py with a 2 s subprocess timeout.
hb() {
    mkdir -p "$tmp/$1"
    cat > "$tmp/$1.cfg" <<CFG
name = "ml-$1";
config = { guarantee = "none"; subprocess_timeout_secs = 2; restart_attempts = 0; };
spouts = ( { id = "gen"; type = "generator"; seed = 1; count = 6; rate = 3;
             fields = ["sentence"]; } );
bolts = ( { id = "slow"; type = "shell"; command = [$2]; fields = ["sentence"];
            cwd = "$ML"; config = { tick_secs = 1; }; },
          { id = "sink"; type = "file_sink"; path = "$tmp/$1/out"; } );
streams = ( { from = "gen"; to = "slow"; grouping = "shuffle"; },
            { from = "slow"; to = "sink"; grouping = "shuffle"; } );
CFG
    timeout 60 "$GALE" run "$tmp/$1.cfg" 2> "$tmp/$1.err"
}
if hb heartbeat '"python3", "hb_bolt.py"'; then
    [ "$(wc -l < "$tmp/heartbeat/out/part-00000")" -eq 6 ] || fail "heartbeat: not 6 tuples out"
    grep -q "ShellLog .*flushed [1-6] tuples after 3 heartbeats" "$tmp/heartbeat.err" ||
        fail "heartbeat: the child did not hold its tuples over heartbeats"
    grep -q "ShellLog .*tick tuple \[1\] from __system" "$tmp/heartbeat.err" ||
        fail "heartbeat: no tick tuple reached the child"
    echo "ok heartbeat"
else
    tail -3 "$tmp/heartbeat.err"; fail "heartbeat: a child answering heartbeats was failed"
fi
hb mute '"python3", "hb_bolt.py", "mute"'
rc=$?
if [ $rc -ne 1 ]; then
    fail "mute: exit status $rc, want 1"
elif ! grep -q "shell bolt slow\[3\]: the child (pid [0-9]*) sent nothing for 2 s (topology.subprocess.timeout.secs)" "$tmp/mute.err"; then
    grep ERROR "$tmp/mute.err" | head -3; fail "mute: no timeout error"
else
    echo "ok mute"
fi

# ---- 5. a child that never acks ------------------------------------------
mkdir -p "$tmp/noack"
cat > "$tmp/noack.cfg" <<CFG
name = "ml-noack";
config = { checkpoint = { interval_ms = 200; timeout_ms = 1500; dir = "$tmp/noack/state"; };
           restart_attempts = 0; };
spouts = ( { id = "gen"; type = "generator"; seed = 1; count = 1000; rate = 500; fields = ["sentence"]; } );
bolts = ( { id = "stuck"; type = "shell"; command = ["python3", "noack_bolt.py", "$tmp"]; cwd = "$ML";
            fields = ["sentence"]; },
          { id = "sink"; type = "file_sink"; path = "$tmp/noack/out"; } );
streams = ( { from = "gen"; to = "stuck"; grouping = "shuffle"; },
            { from = "stuck"; to = "sink"; grouping = "shuffle"; } );
CFG
timeout 60 "$GALE" run "$tmp/noack.cfg" 2> "$tmp/noack.err"
rc=$?
if [ $rc -ne 1 ]; then
    tail -3 "$tmp/noack.err"; fail "noack: exit status $rc, want 1 (124 = hang)"
elif ! grep -q "WARN  checkpoint [0-9]* declined: not acknowledged by [0-9] of 3 tasks within 1500 ms" "$tmp/noack.err" ||
    ! grep -q "checkpoints in a row declined" "$tmp/noack.err"; then
    grep -E "WARN|ERROR" "$tmp/noack.err" | head -3; fail "noack: checkpoint not declined"
elif pgrep -f "noack_bolt.py $tmp" >/dev/null; then
    fail "noack: the child outlived its task"
else
    echo "ok noack"
fi

# ---- 5b. topology.max.spout.pending bounds ids no checkpoint covers -------
mkdir -p "$tmp/pending"
cat > "$tmp/pending.cfg" <<CFG
name = "ml-pending";
config = { max_spout_pending = 3; checkpoint = { interval_ms = 50; dir = "$tmp/pending/state"; }; };
spouts = ( { id = "src"; type = "shell"; command = ["python3", "pending_spout.py", "40"];
             cwd = "$ML"; fields = ["line"]; } );
bolts = ( { id = "sink"; type = "file_sink"; path = "$tmp/pending/out"; } );
streams = ( { from = "src"; to = "sink"; grouping = "shuffle"; } );
CFG
if timeout 60 "$GALE" run "$tmp/pending.cfg" 2> "$tmp/pending.err"; then
    n=$(cat "$tmp"/pending/out/part-* | sort -u | wc -l)
    m=$(sed -n 's/.*ShellLog .* max outstanding \([0-9]*\)$/\1/p' "$tmp/pending.err")
    if [ "$n" -ne 40 ]; then
        fail "pending: $n distinct lines out, want 40"
    elif [ -z "$m" ] || [ "$m" -gt 3 ] || [ "$m" -lt 1 ]; then
        fail "pending: the child saw ${m:-?} ids outstanding, max.spout.pending is 3"
    else
        echo "ok pending (at most $m ids outstanding)"
    fi
else
    tail -3 "$tmp/pending.err"; fail "pending: exit status"
fi

# ---- 6. a command that cannot start --------------------------------------
sed "s|\"python3\", \"noack_bolt.py\", \"$tmp\"|\"./no-such-program\"|" "$tmp/noack.cfg" > "$tmp/nocmd.cfg"
timeout 60 "$GALE" run "$tmp/nocmd.cfg" 2> "$tmp/nocmd.err"
rc=$?
if [ $rc -ne 1 ] || ! grep -q "shell bolt stuck\[3\]: cannot start \`./no-such-program\` in $ML: No such file or directory" "$tmp/nocmd.err"; then
    tail -3 "$tmp/nocmd.err"; fail "nocmd: exit $rc, no clear error"
else
    echo "ok nocmd"
fi

finish "PASS multilang"
