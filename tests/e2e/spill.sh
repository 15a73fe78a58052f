#!/bin/sh
# spill.sh - state larger than memory: a word count over a 200 000-word
# vocabulary whose count tasks may keep only 1 MiB of state in memory
# (state_memory_mb = 1; the rest spills to LevelDB), exactly-once, killed
# by a failpoint in the middle and resumed (the restore runs under the cap
# too). The final count per word must equal `uniq -c` over the same
# sentences, and the running counts must be 1, 2, ..., n.
set -u
. "$(dirname "$0")/lib.sh" || exit 99
gen=$(build_file bench/gen_corpus)
work_dir spill
need_build "$gen"
N=30000
wc_want "$gen" $N "$tmp/want" -s 5 -v 200000
spill_wc_cfg spill 5 $N 20000 100
GALE_FAILPOINT=after_meta:6 "$GALE" run "$tmp/s.cfg" 2> "$tmp/e1"
[ $? -eq 86 ] || { tail -5 "$tmp/e1"; echo "FAIL: the failpoint did not fire"; exit 1; }
"$GALE" run "$tmp/s.cfg" 2> "$tmp/e2" || { tail -5 "$tmp/e2"; echo "FAIL: resume"; exit 1; }
grep -q "restoring checkpoint 6" "$tmp/e2" || { echo "FAIL: did not restore checkpoint 6"; exit 1; }
distinct=$(wc -l < "$tmp/want")
# One sink task: its files in checkpoint order hold every running count.
msg=$(wc_check "$tmp/out" "$tmp/want") || die "$msg"
echo "PASS spill ($distinct distinct words, 1 MiB cap per count task)"
