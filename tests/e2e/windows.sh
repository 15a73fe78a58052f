#!/bin/bash
# windows.sh - event-time windows, exactly once, end to end.
#
# A seeded out-of-order event stream (generator mode "events": 2 spout
# tasks, event times up to 300 ms out of order, watermarks with a lag of
# 300 ms, so no event is late) feeds four window bolts: a keyed 1 s
# tumbling sum, a keyed 2 s / 500 ms sliding count, keyed sessions with
# a 40 ms gap, and the top 3 keys of every 1 s window (not keyed). Each
# window's committed result must equal a reference computed offline
# (python3) from bench/gen_corpus -e, exactly:
#   1. a clean run;
#   2. a run killed with -9 twice mid-stream and resumed with the same
#      command each time;
#   3. two worker processes (watermarks cross the ipc bridge), one of
#      them killed with -9 mid-stream: recovered in the run, exact; then
#      the coordinator killed with -9 and started again: exact;
#   4. a run stopped with a savepoint mid-stream and resumed with other
#      parallelism (tum 2 -> 3 tasks, sld 2 -> 1): exact;
#   5. a late stream: with disorder above the lag some events are late;
#      every event is in exactly one window count or on the late stream;
#   6. whole windows (aggregate "collect") summed by a python shell
#      bolt, and by a C windowed bolt (on_window) through a task failure,
#      equal the tumbling sums of 1;
#   7. bad input: a timestamp field that is not an integer is a clear
#      error naming the component and the field, and exits non-zero.
set -u
. "$(dirname "$0")/lib.sh" || exit 99
gen=$(build_file bench/gen_corpus)
plugin=$(build_file tests/plugins/testkit.so)
work_dir windows
need_build "$gen" "$plugin"
need_cmd python3
at_exit 'pkill -KILL -f "gale (run|worker -- ) *$tmp" 2>/dev/null'
N=120000

# topology FILE DIR RATE [WORKERS]
topology() {
    local dis=300 lag=300
    cat > "$1" <<CFG
name = "win-$$-$(basename "$2")";
config = { checkpoint = { interval_ms = 100; dir = "$2/state"; };
           restart_delay_ms = 0; workers = ${4:-1}; };
spouts = ( { id = "ev"; type = "generator"; mode = "events"; seed = 5;
             count = $N; vocabulary = 200; step_ms = 1; disorder_ms = $dis;
             rate = $3; parallelism = 2; fields = ["key", "ts", "value"];
             watermark = { field = "ts"; lag_ms = $lag; interval_ms = 20; }; } );
bolts = (
  { id = "tum"; type = "window"; key = "key"; timestamp_field = "ts";
    length_ms = 1000; aggregate = "sum"; value = "value"; parallelism = 2;
    fields = ["key", "start", "end", "sum"]; },
  { id = "sld"; type = "window"; key = "key"; timestamp_field = "ts";
    length_ms = 2000; slide_ms = 500; parallelism = 2;
    fields = ["key", "start", "end", "count"]; },
  { id = "ses"; type = "window"; key = "key"; timestamp_field = "ts";
    gap_ms = 40; aggregate = "max"; value = "value";
    fields = ["key", "start", "end", "max"]; },
  { id = "top"; type = "window"; timestamp_field = "ts"; length_ms = 1000;
    aggregate = "top"; value = "key"; top_n = 3;
    fields = ["start", "end", "key", "n"]; },
  { id = "o_tum"; type = "file_sink"; path = "$2/tum"; },
  { id = "o_sld"; type = "file_sink"; path = "$2/sld"; },
  { id = "o_ses"; type = "file_sink"; path = "$2/ses"; },
  { id = "o_top"; type = "file_sink"; path = "$2/top"; } );
streams = (
  { from = "ev"; to = "tum"; grouping = "fields"; fields = ["key"]; },
  { from = "ev"; to = "sld"; grouping = "fields"; fields = ["key"]; },
  { from = "ev"; to = "ses"; grouping = "fields"; fields = ["key"]; },
  { from = "ev"; to = "top"; grouping = "global"; },
  { from = "tum"; to = "o_tum"; grouping = "shuffle"; },
  { from = "sld"; to = "o_sld"; grouping = "shuffle"; },
  { from = "ses"; to = "o_ses"; grouping = "shuffle"; },
  { from = "top"; to = "o_top"; grouping = "shuffle"; } );
CFG
}

"$gen" -s 5 -n $N -v 200 -t 2 -e 1700000000000,1,300 > "$tmp/events"
python3 - "$tmp/events" "$tmp/want" <<'PY' || die "the reference failed"
import collections, sys
ev = [(k, int(t), int(v)) for k, t, v in (l.split() for l in open(sys.argv[1]))]
out = {}
tum = collections.defaultdict(int)
sld = collections.defaultdict(int)
for k, t, v in ev:
    tum[(k, t // 1000 * 1000)] += v
    s = t // 500 * 500
    while s > t - 2000:
        sld[(k, s)] += 1
        s -= 500
out["tum"] = ["%s\t%d\t%d\t%d" % (k, s, s + 1000, v) for (k, s), v in tum.items()]
out["sld"] = ["%s\t%d\t%d\t%d" % (k, s, s + 2000, v) for (k, s), v in sld.items()]
byk = collections.defaultdict(list)
for k, t, v in ev:
    byk[k].append((t, v))
ses = []
for k, l in byk.items():
    l.sort()
    start, end, mx = None, None, None
    for t, v in l:
        if start is not None and t <= end:
            end = max(end, t + 40); mx = max(mx, v)
        else:
            if start is not None:
                ses.append("%s\t%d\t%d\t%d" % (k, start, end, mx))
            start, end, mx = t, t + 40, v
    ses.append("%s\t%d\t%d\t%d" % (k, start, end, mx))
out["ses"] = ses
win = collections.defaultdict(collections.Counter)
for k, t, v in ev:
    win[t // 1000 * 1000][k] += 1
top = []
for s, c in win.items():
    for k, n in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:3]:
        top.append("%d\t%d\t%s\t%d" % (s, s + 1000, k, n))
out["top"] = top
for name, lines in out.items():
    with open(sys.argv[2] + "." + name, "w") as f:
        f.write("".join(l + "\n" for l in sorted(lines)))
PY

# check NAME DIR: every window's committed result equals the reference.
check() {
    local w n
    for w in tum sld ses top; do
        if ! ls "$2/$w"/part-* > /dev/null 2>&1; then
            fail "$1: $w committed nothing"; continue
        fi
        cat "$2/$w"/part-* | sort > "$2/got.$w"
        if ! cmp -s "$2/got.$w" "$tmp/want.$w"; then
            n=$(diff "$2/got.$w" "$tmp/want.$w" | grep -c '^[<>]')
            fail "$1: $w differs from the reference in $n lines: $(diff "$2/got.$w" "$tmp/want.$w" | head -4 | tr '\n' ' ')"
        fi
    done
    echo "   $1: $(cat "$tmp/want.tum" "$tmp/want.sld" "$tmp/want.ses" "$tmp/want.top" | wc -l) window results checked"
}

# 1. clean
topology "$tmp/clean.cfg" "$tmp/clean" 0
"$GALE" run "$tmp/clean.cfg" 2> "$tmp/clean.err" || { tail -5 "$tmp/clean.err"; die "clean run failed"; }
check clean "$tmp/clean"

# 2. kill -9 twice, resume with the same command
topology "$tmp/kill.cfg" "$tmp/kill" 20000
# A cache of 3 records: the window bolts write back and refill all along.
sed -i 's/type = "window";/type = "window"; cache_records = 3;/' "$tmp/kill.cfg"
for round in 1 2; do
    "$GALE" run "$tmp/kill.cfg" 2> "$tmp/kill.err$round" &
    pid=$!
    sleep 1.2
    kill -KILL $pid 2>/dev/null || fail "kill: the run had already ended (round $round)"
    wait $pid 2>/dev/null
done
"$GALE" run "$tmp/kill.cfg" 2> "$tmp/kill.err3" || { tail -5 "$tmp/kill.err3"; fail "resume failed"; }
grep -q "restoring checkpoint" "$tmp/kill.err3" || fail "the last run restored no checkpoint"
check "kill -9 x2" "$tmp/kill"

# 3. two workers, one killed with -9
topology "$tmp/w2.cfg" "$tmp/w2" 20000 2
sed -i 's/type = "window";/type = "window"; cache_records = 50;/' "$tmp/w2.cfg"
"$GALE" run "$tmp/w2.cfg" 2> "$tmp/w2.err" &
pid=$!
wait_for 20 pgrep -f "gale worker -- $tmp/w2.cfg" > /dev/null || fail "no worker process"
sleep 1.5
w=$(pgrep -f "gale worker -- $tmp/w2.cfg" | head -1)
[ -n "$w" ] && kill -KILL "$w" || fail "no worker to kill"
wait $pid || { tail -5 "$tmp/w2.err"; fail "the 2-worker run failed"; }
grep -q "^recoveries: [1-9]" "$tmp/w2.err" || fail "2 workers: no recovery in the summary"
check "2 workers, one killed" "$tmp/w2"

# 3b. two workers, the coordinator (gale run) killed with -9 and started
# again with the same command: it stops its predecessor's workers and
# restores the last checkpoint.
topology "$tmp/co.cfg" "$tmp/co" 20000 2
"$GALE" run "$tmp/co.cfg" 2> "$tmp/co.err1" &
pid=$!
wait_for 20 pgrep -f "gale worker -- $tmp/co.cfg" > /dev/null || fail "coordinator case: no worker process"
wait_for 20 grep -q completed "$tmp/co/state/checkpoints.log" 2>/dev/null || fail "coordinator case: no checkpoint"
sleep 1
kill -KILL $pid
wait $pid 2>/dev/null
"$GALE" run "$tmp/co.cfg" 2> "$tmp/co.err2" || { tail -5 "$tmp/co.err2"; fail "the restarted coordinator failed"; }
grep -q "restoring checkpoint" "$tmp/co.err2" || fail "the restarted coordinator restored no checkpoint"
check "coordinator killed, started again" "$tmp/co"

# 4. stop with a savepoint, resume rescaled. No checkpoint may complete
# after the savepoint's: under load one used to (periodic checkpoints went
# on while the savepoint was copied out), its sink output was committed and
# the resume from the savepoint committed those windows again.
export XDG_RUNTIME_DIR=$tmp/run     # gale list/kill see this test's runs
topology "$tmp/sp.cfg" "$tmp/sp" 20000
spname=$(sed -n 's/^name = "\(.*\)";/\1/p' "$tmp/sp.cfg")
"$GALE" run "$tmp/sp.cfg" 2> "$tmp/sp.err1" &
pid=$!
wait_for 10 sh -c "'$GALE' list 2>/dev/null | grep -q '^$spname '" || fail "the savepoint run never listed"
sleep 1.2
"$GALE" kill --savepoint "$tmp/sp1" "$spname" > "$tmp/sp.kill" 2>&1 || fail "kill --savepoint: $(cat "$tmp/sp.kill")"
wait $pid || fail "the run stopped with a savepoint exited $?"
spck=$(sed -n 's/.*(checkpoint \([0-9]*\)); stopped.*/\1/p' "$tmp/sp.kill")
last=$(sed -n 's/^checkpoints: .*(last \([0-9]*\)).*/\1/p' "$tmp/sp.err1")
[ -n "$spck" ] && [ "$last" = "$spck" ] ||
    fail "stopped with savepoint checkpoint '$spck' but the last completed was '$last'"
"$GALE" run "$tmp/sp.cfg" --from-savepoint "$tmp/sp1" -e tum=3 -e sld=1 2> "$tmp/sp.err2" ||
    { tail -5 "$tmp/sp.err2"; fail "the rescaled resume failed"; }
grep -q "restored savepoint $tmp/sp1" "$tmp/sp.err2" || fail "the resume did not restore the savepoint"
check "savepoint, tum 2 -> 3, sld 2 -> 1" "$tmp/sp"

# 5. late events: disorder 400 ms, lag 100 ms; a late stream.
cat > "$tmp/late.cfg" <<CFG
name = "late-$$";
config = { checkpoint = { interval_ms = 100; dir = "$tmp/late/state"; }; };
spouts = ( { id = "ev"; type = "generator"; mode = "events"; seed = 5;
             count = $N; vocabulary = 200; disorder_ms = 400; parallelism = 2;
             fields = ["key", "ts", "value"];
             watermark = { field = "ts"; lag_ms = 100; interval_ms = 5; }; } );
bolts = (
  { id = "w"; type = "window"; key = "key"; timestamp_field = "ts";
    length_ms = 100; late_stream = "late"; fields = ["key", "start", "end", "n"];
    streams = ( { id = "late"; fields = ["key", "ts", "value"]; } ); },
  { id = "o"; type = "file_sink"; path = "$tmp/late/w"; },
  { id = "l"; type = "file_sink"; path = "$tmp/late/l"; } );
streams = (
  { from = "ev"; to = "w"; grouping = "fields"; fields = ["key"]; },
  { from = "w"; to = "o"; grouping = "shuffle"; },
  { from = "w"; stream = "late"; to = "l"; grouping = "shuffle"; } );
CFG
"$GALE" run "$tmp/late.cfg" 2> "$tmp/late.err" || { tail -5 "$tmp/late.err"; fail "late run failed"; }
inwin=$(cat "$tmp/late/w"/part-* 2>/dev/null | awk '{ s += $4 } END { print s + 0 }')
late=$(cat "$tmp/late/l"/part-* 2>/dev/null | wc -l)
[ "$late" -gt 0 ] || fail "no event was late with disorder 400 ms and lag 100 ms"
[ $((inwin + late)) -eq $N ] || fail "late: $inwin in windows + $late late != $N events"
echo "   late: $inwin events in windows, $late on the late stream"

# 6. whole windows to a shell bolt: aggregate = "collect" hands each
# window's values as one list field to tests/multilang/window_sum_bolt.py
# (unchanged storm.py), which sums them: the tumbling sums of case 1.
ML=$(cd "$top_srcdir/tests/multilang" && pwd)
# The events of case 1, for the cases below.
ev='spouts = ( { id = "ev"; type = "generator"; mode = "events"; seed = 5;
             count = '$N'; vocabulary = 200; step_ms = 1; disorder_ms = 300;
             parallelism = 2; fields = ["key", "ts", "value"];
             watermark = { field = "ts"; lag_ms = 300; interval_ms = 20; }; } );'
cat > "$tmp/col.cfg" <<CFG
name = "col-$$";
config = { checkpoint = { interval_ms = 100; dir = "$tmp/col/state"; }; };
$ev
bolts = (
  { id = "col"; type = "window"; key = "key"; timestamp_field = "ts";
    length_ms = 1000; aggregate = "collect"; value = "value"; parallelism = 2;
    fields = ["key", "start", "end", "values"]; },
  { id = "py"; type = "shell"; command = ["python3", "window_sum_bolt.py"];
    cwd = "$ML"; parallelism = 2; fields = ["key", "start", "end", "sum"]; },
  { id = "o"; type = "file_sink"; path = "$tmp/col/tum"; } );
streams = (
  { from = "ev"; to = "col"; grouping = "fields"; fields = ["key"]; },
  { from = "col"; to = "py"; grouping = "shuffle"; },
  { from = "py"; to = "o"; grouping = "shuffle"; } );
CFG
"$GALE" run "$tmp/col.cfg" 2> "$tmp/col.err" || { tail -5 "$tmp/col.err"; fail "collect run failed"; }
cat "$tmp/col/tum"/part-* 2>/dev/null | sort > "$tmp/col/got"
cmp -s "$tmp/col/got" "$tmp/want.tum" ||
    fail "collect -> shell bolt: $(diff "$tmp/col/got" "$tmp/want.tum" | grep -c '^[<>]') lines differ from the tumbling reference"
echo "   collect -> shell bolt: $(wc -l < "$tmp/col/got") windows summed in python"

# 6b. a C windowed bolt (testkit.so's winsum: on_window, run behind the
# window machinery) sums each window's values: the tumbling sums again,
# through a task failure in its 50th window (attempt 1) and the recovery.
cat > "$tmp/ws.cfg" <<CFG
name = "ws-$$";
config = { checkpoint = { interval_ms = 100; dir = "$tmp/ws/state"; };
           restart_delay_ms = 0; };
$ev
bolts = (
  { id = "ws"; type = "winsum"; plugin = "$plugin"; key = "key";
    timestamp_field = "ts"; length_ms = 1000; value = "value";
    fail_on_window = 50; parallelism = 2; fields = ["key", "start", "end", "sum"]; },
  { id = "o"; type = "file_sink"; path = "$tmp/ws/tum"; } );
streams = (
  { from = "ev"; to = "ws"; grouping = "fields"; fields = ["key"]; },
  { from = "ws"; to = "o"; grouping = "shuffle"; } );
CFG
"$GALE" run "$tmp/ws.cfg" 2> "$tmp/ws.err" || { tail -5 "$tmp/ws.err"; fail "winsum run failed"; }
grep -q "failing on window 50 as asked" "$tmp/ws.err" || fail "winsum: the failure did not happen"
grep -q "^recoveries: [1-9]" "$tmp/ws.err" || fail "winsum: no recovery in the summary"
cat "$tmp/ws/tum"/part-* 2>/dev/null | sort > "$tmp/ws/got"
cmp -s "$tmp/ws/got" "$tmp/want.tum" ||
    fail "winsum (on_window): $(diff "$tmp/ws/got" "$tmp/want.tum" | grep -c '^[<>]') lines differ from the tumbling reference"
echo "   on_window (C plugin), one task failure: $(wc -l < "$tmp/ws/got") windows summed"

# 7. bad input: the timestamp field is a string
sed 's/timestamp_field = "ts";/timestamp_field = "key";/; s/late_stream = "late"; //; s/name = "late-/name = "bad-/; s|late/state|bad/state|' \
    "$tmp/late.cfg" > "$tmp/bad.cfg"
"$GALE" run "$tmp/bad.cfg" 2> "$tmp/bad.err" && fail "a string timestamp field was accepted"
grep -q "w\[[0-9]*\].*has a timestamp field \`key\` that is not an integer" "$tmp/bad.err" ||
    fail "bad timestamp said: $(grep -i error "$tmp/bad.err" | head -2)"

finish "PASS windows"
