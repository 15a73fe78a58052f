#!/bin/sh
# spill_dirty.sh - the memory cap holds while every key changes between
# checkpoints (issue 13): a word count over a 200 000-word vocabulary at
# 40 000 sentences/s with a checkpoint every second, so a count task
# changes most of its ~100 000 words in each interval, far more than the
# 1 MiB it may keep in memory (state_memory_mb = 1): changed entries are
# evicted to the spill with marks, and each checkpoint must still record
# every change (docs/state.md, "The spill"). The run is killed with
# SIGKILL after its second checkpoint, while spilled, and resumed from
# its last checkpoint; the final count per word must equal `uniq -c`
# over the same sentences, and the running counts must be 1, 2, ..., n.
set -u
. "$(dirname "$0")/lib.sh" || exit 99
gen=$(build_file bench/gen_corpus)
work_dir spill_dirty
need_build "$gen"
N=200000
wc_want "$gen" $N "$tmp/want" -s 7 -v 200000
spill_wc_cfg spill_dirty 7 $N 40000 1000
# The spill's LevelDB files hold bytes: state left memory.
spilled() {
    [ "$(find "$tmp/state/spill" -name '*.ldb' -o -name '*.log' 2>/dev/null |
        xargs -r du -cb 2>/dev/null | tail -1 | cut -f1)" -gt 0 ] 2>/dev/null
}
completed() {
    [ "$(cat "$tmp/state/checkpoints.log" 2>/dev/null | grep -c completed)" -ge "$1" ]
}
"$GALE" run "$tmp/s.cfg" 2> "$tmp/e1" &
pid=$!
wait_for -p $pid 60 completed 2 || { tail -5 "$tmp/e1"; die "no second checkpoint"; }
spilled || die "the state never left memory (nothing in $tmp/state/spill)"
kill -9 $pid
wait $pid 2>/dev/null
completed 1 || die "no checkpoint before the kill"
"$GALE" run "$tmp/s.cfg" 2> "$tmp/e2" || { tail -5 "$tmp/e2"; die "resume failed"; }
grep -q "restoring checkpoint" "$tmp/e2" || die "did not restore a checkpoint"
msg=$(wc_check "$tmp/out" "$tmp/want") || die "$msg"
echo "PASS spill_dirty ($(wc -l < "$tmp/want") distinct words, 1 MiB cap per count task, killed after checkpoint $(grep completed "$tmp/state/checkpoints.log" | head -2 | tail -1 | awk '{ print $1 }'))"
