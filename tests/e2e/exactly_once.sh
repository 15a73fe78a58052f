#!/bin/sh
# exactly_once.sh - exactly-once in local mode, through crashes.
#
# A word count (generator -> split x2 -> count x2, fields-grouped, counts
# in keyed state -> transactional file_sink x2, fields-grouped) commits
# every running count. The committed output must hold, for every word,
# exactly the counts 1, 2, ..., n in order, and n must be the word's true
# count: nothing lost, nothing twice.
#
# 1. A clean run.
# 2. Each failpoint kills the process at a critical window (mid-alignment,
#    while a snapshot is written, before and after the metadata write, in
#    the middle of publishing); the same command then resumes from the
#    newest checkpoint and finishes. The run must have restored a
#    checkpoint after the first (not restarted from scratch).
# 3. A task failure inside the run (testkit's failer, attempt 1 only) is
#    recovered in-process from the last checkpoint.
# 4. A crash after the final checkpoint leads to publish-and-exit.
set -u
. "$(dirname "$0")/lib.sh" || exit 99
gen=$(build_file bench/gen_corpus)
plugin=$(build_file tests/plugins/testkit.so)
work_dir exactly_once
SENTENCES=60000
need_build "$gen" "$plugin"
wc_want "$gen" $SENTENCES "$tmp/want"

# topology NAME [EXTRA-BOLT EXTRA-STREAM]
topology() {
    cat <<CFG
name = "eo-$1";
config = { checkpoint = { interval_ms = 100; dir = "$tmp/$1/state"; };
           restart_delay_ms = 0; };
spouts = ( { id = "gen"; type = "generator"; seed = 42; count = $SENTENCES;
             rate = 30000; fields = ["sentence"]; } );
bolts = ( { id = "split"; type = "split"; parallelism = 2; fields = ["word"]; },
          { id = "count"; type = "count"; key = "word"; parallelism = 2;
            fields = ["word", "count"]; },
          { id = "sink"; type = "file_sink"; path = "$tmp/$1/out"; parallelism = 2; }$2 );
streams = ( { from = "gen"; to = "split"; grouping = "shuffle"; },
            { from = "split"; to = "count"; grouping = "fields"; fields = ["word"]; },
            { from = "count"; to = "sink"; grouping = "fields"; fields = ["word"]; }$3 );
CFG
}

# check NAME: the committed output of run NAME is exact.
check() {
    if ! ls "$tmp/$1/out"/part-* >/dev/null 2>&1; then
        echo "FAIL $1: no committed output"; fails=$((fails + 1)); return
    fi
    msg=$(wc_check "$tmp/$1/out" "$tmp/want") ||
        { echo "FAIL $1: $msg"; fails=$((fails + 1)); return; }
    echo "ok $1"
}

# 1. clean run
mkdir -p "$tmp/clean"
topology clean "" "" > "$tmp/clean.cfg"
"$GALE" run "$tmp/clean.cfg" 2> "$tmp/clean.err" || { cat "$tmp/clean.err"; echo "FAIL clean run"; exit 1; }
grep -q "^checkpoints: [1-9]" "$tmp/clean.err" || { cat "$tmp/clean.err"; echo "FAIL: no checkpoints"; exit 1; }
check clean

# 2. failpoints: crash, then resume with the same command
for fp in align:30 snapshot_write:30 before_meta:4 after_meta:4 publish:5; do
    name=fp-${fp%%:*}
    mkdir -p "$tmp/$name"
    topology "$name" "" "" > "$tmp/$name.cfg"
    GALE_FAILPOINT=$fp "$GALE" run "$tmp/$name.cfg" 2> "$tmp/$name.err1"
    rc=$?
    if [ $rc -ne 86 ]; then
        echo "FAIL $name: expected the failpoint to kill gale (86), got $rc"
        tail -3 "$tmp/$name.err1"; fails=$((fails + 1)); continue
    fi
    "$GALE" run "$tmp/$name.cfg" 2> "$tmp/$name.err2" || {
        echo "FAIL $name: resume exited non-zero"; tail -5 "$tmp/$name.err2"
        fails=$((fails + 1)); continue; }
    restored=$(sed -n 's/.*restoring checkpoint \([0-9]*\).*/\1/p' "$tmp/$name.err2")
    if [ -z "$restored" ] || [ "$restored" -lt 2 ]; then
        echo "FAIL $name: resumed from '${restored:-nothing}', not a later checkpoint"
        fails=$((fails + 1)); continue
    fi
    echo "   $name: crashed, resumed from checkpoint $restored"
    check "$name"
done

# 3. in-process recovery from a task failure
mkdir -p "$tmp/failer"
topology failer ",
          { id = \"zfail\"; type = \"failer\"; plugin = \"$plugin\";
            fail_at = 200000; attempt = 1; }" ",
            { from = \"split\"; to = \"zfail\"; grouping = \"shuffle\"; }" > "$tmp/failer.cfg"
"$GALE" run "$tmp/failer.cfg" 2> "$tmp/failer.err" || { tail -5 "$tmp/failer.err"; echo "FAIL failer run"; exit 1; }
grep -q "^recoveries: 1 (attempt 2 -> checkpoint [1-9]" "$tmp/failer.err" || {
    echo "FAIL failer: no recovery from a checkpoint in the summary"; tail -4 "$tmp/failer.err"
    fails=$((fails + 1)); }
check failer

# 4. after the final checkpoint: publish and exit, no reprocessing
before=$(cat "$tmp/clean/out"/part-* | wc -l)
"$GALE" run "$tmp/clean.cfg" 2> "$tmp/again.err" || { echo "FAIL rerun"; fails=$((fails + 1)); }
grep -q "is the final one of a finished run" "$tmp/again.err" || { echo "FAIL rerun: not publish-and-exit"; fails=$((fails + 1)); }
after=$(cat "$tmp/clean/out"/part-* | wc -l)
[ "$before" = "$after" ] || { echo "FAIL rerun: output changed ($before -> $after lines)"; fails=$((fails + 1)); }
check clean

finish "PASS exactly_once"
