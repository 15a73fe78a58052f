#!/bin/sh
# chaining.sh - operator chaining (docs/engine.md, "Chaining") under
# exactly-once, end to end.
#
# A word count whose plan has two chains: gen -> split (shuffle, 1 and 1
# executor: split runs in the spout's thread) and count -> sink (shuffle,
# 2 executors of 2 tasks each: sink's task i in the executor of count's
# task i); split -> count stays a fields-grouped channel. The sink
# commits every running count; the committed output must hold, for every
# word, exactly 1, 2, ..., n with n its true count.
#
# 1. gale plan shows both chains and no channel for them.
# 2. A clean chained run (exact) and a run with chaining = false: their
#    final counts equal. (Unchained, count -> sink is a shuffle over the
#    sink tasks, so one word's running counts may reach the sink out of
#    order: only its final counts are compared.)
# 3. Failpoints mid-alignment, in the snapshot writer and mid-publish
#    kill the process; the same command resumes from a later checkpoint.
# 4. kill -9 of the whole process mid-run, then the same command resumes.
# 5. A chained member fails (testkit's failer, chained to split, attempt
#    1 only): the failure is reported and recovered from the last
#    checkpoint, the output stays exact.
# 6. A checkpoint of a chained run restores into an unchained run and back
#    (the tasks keep their ids and state: the ids do not depend on
#    chaining). One count and one sink task, so that the unchained run
#    keeps each word's counts in order too.
# 7. Two worker processes: each chain runs in one worker, the fields
#    grouping crosses between them; a worker killed mid-run is recovered.
# 8. Event time through chains: an event generator (one task) feeds a
#    keyed tumbling sum (fields) and a top-3 window (global), each chained
#    to it, each chained to its sink: one executor, watermarks and END
#    reach the windows only through the chain. Its results equal a
#    reference, in a clean run and after kill -9 and resume.
set -u
. "$(dirname "$0")/lib.sh" || exit 99
gen=$(build_file bench/gen_corpus)
plugin=$(build_file tests/plugins/testkit.so)
work_dir chaining
pid=
at_exit '[ -z "$pid" ] || kill -KILL $pid 2>/dev/null'
SENTENCES=60000
need_build "$gen" "$plugin"
wc_want "$gen" $SENTENCES "$tmp/want"

# topology NAME CHAINING [EXTRA-BOLT EXTRA-STREAM [PAR TASKS]]: count and
# sink get PAR (2) executors and TASKS (4) tasks each; W workers (1).
topology() {
    cat <<CFG
name = "ch-$1";
config = { checkpoint = { interval_ms = 100; dir = "$tmp/$1/state"; };
           restart_delay_ms = 0; chaining = $2; workers = ${W:-1}; };
spouts = ( { id = "gen"; type = "generator"; seed = 42; count = $SENTENCES;
             rate = 30000; fields = ["sentence"]; } );
bolts = ( { id = "split"; type = "split"; fields = ["word"]; },
          { id = "count"; type = "count"; key = "word"; parallelism = ${5:-2};
            tasks = ${6:-4}; fields = ["word", "count"]; },
          { id = "sink"; type = "file_sink"; path = "$tmp/$1/out";
            parallelism = ${5:-2}; tasks = ${6:-4}; }${3:-} );
streams = ( { from = "gen"; to = "split"; grouping = "shuffle"; },
            { from = "split"; to = "count"; grouping = "fields"; fields = ["word"]; },
            { from = "count"; to = "sink"; grouping = "local_or_shuffle"; }${4:-} );
CFG
}

# check NAME: the committed output of run NAME is exact.
check() {
    if ! ls "$tmp/$1/out"/part-* >/dev/null 2>&1; then
        fail "$1: no committed output"; return
    fi
    msg=$(wc_check "$tmp/$1/out" "$tmp/want") || { fail "$1: $msg"; return; }
    echo "ok $1"
}

# finals NAME: the largest committed count per word of run NAME.
finals() {
    cat "$tmp/$1/out"/part-* | awk -F '\t' '{ if ($2 > m[$1]) m[$1] = $2 }
        END { for (w in m) print w, m[w] }' | sort
}

# restored NAME LOG: the checkpoint LOG says it restored, at least 2.
restored() {
    r=$(sed -n 's/.*restoring checkpoint \([0-9]*\).*/\1/p' "$2" | tail -1)
    if [ -z "$r" ] || [ "$r" -lt 2 ]; then
        fail "$1: resumed from '${r:-nothing}', not a later checkpoint"
        return 1
    fi
    echo "   $1: resumed from checkpoint $r"
}

# 1. the plan
topology plan true > "$tmp/plan.cfg"
"$GALE" plan "$tmp/plan.cfg" > "$tmp/plan.out" 2>&1 || fail "gale plan: $(cat "$tmp/plan.out")"
grep -q "3 executors" "$tmp/plan.out" || fail "plan: not 3 executors: $(head -1 "$tmp/plan.out")"
grep -qE "^ +gen +-> +split +default +shuffle +chained$" "$tmp/plan.out" ||
    fail "plan: gen -> split not chained"
grep -qE "^ +count +-> +sink +default +local_or_shuffle +chained$" "$tmp/plan.out" ||
    fail "plan: count -> sink not chained"
grep -qE "^ +split +-> +count +default +fields +4$" "$tmp/plan.out" ||
    fail "plan: split -> count is not 1 x 4 channels"
grep -qE "^ +2 +gen +5 +0 +split$" "$tmp/plan.out" || fail "plan: no executor gen+split"
grep -qE "^ +1 +count +3-4 +0 +sink$" "$tmp/plan.out" || fail "plan: no executor count+sink"
grep -qE "^ +8 +sink +2 +1 +0$" "$tmp/plan.out" || fail "plan: sink's task 8 is not in executor 1"
topology plan false > "$tmp/plan-off.cfg"
"$GALE" plan "$tmp/plan-off.cfg" > "$tmp/plan-off.out" 2>&1
grep -q "6 executors" "$tmp/plan-off.out" || fail "plan, chaining = false: not 6 executors"
grep -q "chained" "$tmp/plan-off.out" && fail "plan, chaining = false: shows a chain"

# 2. clean runs, chained and not
for c in on off; do
    mkdir -p "$tmp/clean-$c"
    topology "clean-$c" "$([ $c = on ] && echo true || echo false)" > "$tmp/clean-$c.cfg"
    "$GALE" run "$tmp/clean-$c.cfg" 2> "$tmp/clean-$c.err" ||
        { cat "$tmp/clean-$c.err"; die "clean run ($c) failed"; }
    grep -q "^checkpoints: [1-9]" "$tmp/clean-$c.err" || fail "clean-$c: no checkpoints"
done
check clean-on
finals clean-on > "$tmp/finals-on"
finals clean-off > "$tmp/finals-off"
cmp -s "$tmp/want" "$tmp/finals-off" || fail "clean-off: final counts wrong"
cmp -s "$tmp/finals-on" "$tmp/finals-off" || fail "chained and unchained final counts differ"
# Every word went through the chain's member tasks: sink executed as
# many tuples as count emitted.
awk '$1 == "count" { c = $4 } $1 == "sink" { s = $6 } END { exit !(c > 0 && c == s) }' \
    "$tmp/clean-on.err" || fail "clean-on: sink did not execute what count emitted"

# 3. failpoints: crash, then resume with the same command
for fp in align:12 snapshot_write:30 publish:5; do
    name=fp-${fp%%:*}
    mkdir -p "$tmp/$name"
    topology "$name" true > "$tmp/$name.cfg"
    GALE_FAILPOINT=$fp "$GALE" run "$tmp/$name.cfg" 2> "$tmp/$name.err1"
    rc=$?
    if [ $rc -ne 86 ]; then
        fail "$name: expected the failpoint to kill gale (86), got $rc"
        tail -3 "$tmp/$name.err1"; continue
    fi
    "$GALE" run "$tmp/$name.cfg" 2> "$tmp/$name.err2" ||
        { fail "$name: resume exited non-zero"; tail -5 "$tmp/$name.err2"; continue; }
    restored "$name" "$tmp/$name.err2" && check "$name"
done

# 4. kill -9 mid-run, then resume
mkdir -p "$tmp/kill"
topology kill true > "$tmp/kill.cfg"
"$GALE" run "$tmp/kill.cfg" 2> "$tmp/kill.err1" &
pid=$!
# Three checkpoints' metadata written: well into the run.
enough() { [ "$(ls "$tmp/kill/state/meta" 2>/dev/null | grep -c '\.meta$')" -ge 3 ]; }
wait_for -p $pid 20 enough || fail "kill: no third checkpoint before the run ended"
kill -9 $pid 2>/dev/null
wait $pid
rc=$?
pid=
[ $rc -eq 137 ] || fail "kill: run was not killed mid-run (exit $rc)"
"$GALE" run "$tmp/kill.cfg" 2> "$tmp/kill.err2" ||
    { fail "kill: resume exited non-zero"; tail -5 "$tmp/kill.err2"; }
restored kill "$tmp/kill.err2" && check kill

# 5. a chained member fails in attempt 1: recovered in-process
mkdir -p "$tmp/failer"
topology failer true ",
          { id = \"zfail\"; type = \"failer\"; plugin = \"$plugin\";
            fail_at = 200000; attempt = 1; }" ",
            { from = \"split\"; to = \"zfail\"; grouping = \"shuffle\"; }" > "$tmp/failer.cfg"
"$GALE" plan "$tmp/failer.cfg" | grep -qE "^ +split +-> +zfail +default +shuffle +chained$" ||
    fail "failer: split -> zfail not chained"
"$GALE" run "$tmp/failer.cfg" 2> "$tmp/failer.err" ||
    { tail -5 "$tmp/failer.err"; die "failer run failed"; }
grep -q "zfail\[[0-9]*\]: execute failed on a tuple from split\[[0-9]*\] stream default (chained)" \
    "$tmp/failer.err" || fail "failer: the chained task's failure was not reported"
grep -q "^recoveries: 1 (attempt 2 -> checkpoint [1-9]" "$tmp/failer.err" ||
    fail "failer: no recovery from a checkpoint: $(tail -4 "$tmp/failer.err")"
check failer

# 6. chained -> unchained -> chained over one checkpoint directory: each
#    run is killed by a failpoint after some checkpoints, the next one
#    resumes with the other setting.
mkdir -p "$tmp/mixed"
topology mixed true "" "" 1 1 > "$tmp/mixed-on.cfg"
topology mixed false "" "" 1 1 > "$tmp/mixed-off.cfg"
GALE_FAILPOINT=before_meta:4 "$GALE" run "$tmp/mixed-on.cfg" 2> "$tmp/mixed.err1"
[ $? -eq 86 ] || fail "mixed: the chained run was not killed by the failpoint"
GALE_FAILPOINT=before_meta:4 "$GALE" run "$tmp/mixed-off.cfg" 2> "$tmp/mixed.err2"
[ $? -eq 86 ] || fail "mixed: the unchained run was not killed by the failpoint"
restored mixed-off "$tmp/mixed.err2"
"$GALE" run "$tmp/mixed-on.cfg" 2> "$tmp/mixed.err3" ||
    { fail "mixed: the last run exited non-zero"; tail -5 "$tmp/mixed.err3"; }
restored mixed-on "$tmp/mixed.err3" && check mixed

# 7. two workers
mkdir -p "$tmp/workers"
W=2 topology workers true > "$tmp/workers.cfg"
"$GALE" plan "$tmp/workers.cfg" > "$tmp/workers.plan" 2>&1
grep -qE "^ +1 +count +3-4 +1 +sink$" "$tmp/workers.plan" ||
    fail "workers: count+sink executor 1 not on worker 1: $(cat "$tmp/workers.plan")"
grep -qE "^ +8 +sink +2 +1 +1$" "$tmp/workers.plan" || fail "workers: sink task 8 not with count's"
"$GALE" run "$tmp/workers.cfg" 2> "$tmp/workers.err" &
pid=$!
enough_w() { [ "$(ls "$tmp/workers/state/meta" 2>/dev/null | grep -c '\.meta$')" -ge 2 ]; }
wait_for -p $pid 20 enough_w || fail "workers: no second checkpoint"
wpid=$(pgrep -f "gale worker -- $tmp/workers.cfg" | head -1)
if [ -n "$wpid" ]; then
    kill -9 "$wpid"
else
    fail "workers: no worker process to kill"
fi
wait $pid || { fail "workers: run exited non-zero"; tail -5 "$tmp/workers.err"; }
pid=
grep -q "^recoveries: 1 (attempt 2 -> checkpoint [1-9]" "$tmp/workers.err" ||
    fail "workers: no recovery after a worker was killed: $(tail -4 "$tmp/workers.err")"
check workers

# 8. windows in a chain
N=30000
"$gen" -s 5 -n $N -v 200 -t 1 -e 1700000000000,1,300 > "$tmp/events"
python3 - "$tmp/events" "$tmp/wwant" <<'PY' || die "the reference failed"
import collections, sys
ev = [(k, int(t), int(v)) for k, t, v in (l.split() for l in open(sys.argv[1]))]
tum = collections.defaultdict(int)
win = collections.defaultdict(collections.Counter)
for k, t, v in ev:
    tum[(k, t // 1000 * 1000)] += v
    win[t // 1000 * 1000][k] += 1
out = {"tum": ["%s\t%d\t%d\t%d" % (k, s, s + 1000, v) for (k, s), v in tum.items()],
       "top": []}
for s, c in win.items():
    for k, n in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:3]:
        out["top"].append("%d\t%d\t%s\t%d" % (s, s + 1000, k, n))
for name, lines in out.items():
    with open(sys.argv[2] + "." + name, "w") as f:
        f.write("".join(l + "\n" for l in sorted(lines)))
PY
# wtopology NAME RATE
wtopology() {
    cat <<CFG
name = "chw-$1";
config = { checkpoint = { interval_ms = 100; dir = "$tmp/$1/state"; };
           restart_delay_ms = 0; };
spouts = ( { id = "ev"; type = "generator"; mode = "events"; seed = 5;
             count = $N; vocabulary = 200; step_ms = 1; disorder_ms = 300;
             rate = $2; fields = ["key", "ts", "value"];
             watermark = { field = "ts"; lag_ms = 300; interval_ms = 20; }; } );
bolts = (
  { id = "tum"; type = "window"; key = "key"; timestamp_field = "ts";
    length_ms = 1000; aggregate = "sum"; value = "value";
    fields = ["key", "start", "end", "sum"]; },
  { id = "top"; type = "window"; timestamp_field = "ts"; length_ms = 1000;
    aggregate = "top"; value = "key"; top_n = 3;
    fields = ["start", "end", "key", "n"]; },
  { id = "o_tum"; type = "file_sink"; path = "$tmp/$1/tum"; },
  { id = "o_top"; type = "file_sink"; path = "$tmp/$1/top"; } );
streams = (
  { from = "ev"; to = "tum"; grouping = "fields"; fields = ["key"]; },
  { from = "ev"; to = "top"; grouping = "global"; },
  { from = "tum"; to = "o_tum"; grouping = "shuffle"; },
  { from = "top"; to = "o_top"; grouping = "shuffle"; } );
CFG
}
# wcheck NAME: both windows' committed results equal the reference.
wcheck() {
    for w in tum top; do
        if ! ls "$tmp/$1/$w"/part-* > /dev/null 2>&1; then
            fail "$1: $w committed nothing"; continue
        fi
        cat "$tmp/$1/$w"/part-* | sort > "$tmp/$1/got.$w"
        cmp -s "$tmp/$1/got.$w" "$tmp/wwant.$w" ||
            fail "$1: $w differs from the reference: $(diff "$tmp/$1/got.$w" "$tmp/wwant.$w" | head -4 | tr '\n' ' ')"
    done
    echo "ok $1: $(cat "$tmp/wwant.tum" "$tmp/wwant.top" | wc -l) window results"
}
mkdir -p "$tmp/wclean" "$tmp/wkill"
wtopology wclean 0 > "$tmp/wclean.cfg"
"$GALE" plan "$tmp/wclean.cfg" | grep -q "^topology chw-wclean: .*, 1 executors," ||
    fail "windows: not one executor: $("$GALE" plan "$tmp/wclean.cfg" | head -1)"
"$GALE" run "$tmp/wclean.cfg" 2> "$tmp/wclean.err" || { tail -5 "$tmp/wclean.err"; die "windows clean run failed"; }
wcheck wclean
wtopology wkill 15000 > "$tmp/wkill.cfg"
"$GALE" run "$tmp/wkill.cfg" 2> "$tmp/wkill.err1" &
pid=$!
enough_k() { [ "$(ls "$tmp/wkill/state/meta" 2>/dev/null | grep -c '\.meta$')" -ge 3 ]; }
wait_for -p $pid 20 enough_k || fail "windows: no third checkpoint before the run ended"
kill -9 $pid 2>/dev/null
wait $pid
[ $? -eq 137 ] || fail "windows: the run was not killed mid-run"
pid=
"$GALE" run "$tmp/wkill.cfg" 2> "$tmp/wkill.err2" || { tail -5 "$tmp/wkill.err2"; fail "windows: resume failed"; }
restored wkill "$tmp/wkill.err2" && wcheck wkill

finish "PASS chaining"
