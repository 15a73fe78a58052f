#!/bin/sh
# lines.sh - the lines spout on a file: a bounded word count whose result
# must equal `tr -s ' ' '\n' | sort | uniq -c` (split lower-cases, the
# file has CRLF line ends and a last line without a newline); then a
# followed file that grows while gale runs, stopped with SIGINT.
set -u
. "$(dirname "$0")/lib.sh" || exit 99
gen=$(build_file bench/gen_corpus)
work_dir lines

need_build "$gen"
cd "$tmp" || exit 99

# Mixed case, CRLF line ends, tabs, and a last line without newline.
"$gen" -s 9 -n 30000 -w 7 -v 2000 | awk '{
    if (NR % 3 == 0) $0 = toupper($0);
    if (NR % 5 == 0) gsub(/ /, "\t");
    printf "%s%s", $0, (NR % 2 ? "\r\n" : "\n") }' >in.txt
printf 'Tail Words' >>in.txt

cat >lines.cfg <<'CFG'
name = "lines-count";
spouts = ( { id = "in"; type = "lines"; path = "in.txt"; fields = ["line"]; } );
bolts = (
  { id = "split"; type = "split"; lower = true; parallelism = 2; fields = ["word"]; },
  { id = "count"; type = "count"; key = "word"; parallelism = 2; fields = ["word", "n"]; },
  { id = "sink"; type = "file_sink"; path = "out"; }
);
streams = (
  { from = "in"; to = "split"; grouping = "shuffle"; },
  { from = "split"; to = "count"; grouping = "fields"; fields = ["word"]; },
  { from = "count"; to = "sink"; grouping = "global"; }
);
CFG
if ! "$GALE" run lines.cfg >run.out 2>run.err; then
    fail "gale run lines.cfg exited non-zero"
    cat run.err
fi
tr -d '\r' <in.txt | tr 'A-Z\t' 'a-z ' | tr -s ' ' '\n' | sed '/^$/d' |
    sort | uniq -c | awk '{ print $2, $1 }' >want
awk -F '\t' '{ if ($2 + 0 > m[$1] + 0) m[$1] = $2 }
    END { for (w in m) print w, m[w] }' out/part-00000* | sort >got
cmp -s want got || { fail "counts differ:"; diff want got | head; }

# parallelism 3: each task reads its third of the file (in.txt ten times,
# so that the run lasts several checkpoints); the same counts, also
# through a crash at a failpoint (mid-snapshot) and the resume, the sink
# committing each running count once. Follow with parallelism 3 is
# refused.
for i in 1 2 3 4 5 6 7 8 9 10; do cat in.txt; echo; done >big.txt
tr -d '\r' <big.txt | tr 'A-Z\t' 'a-z ' | tr -s ' ' '\n' | sed '/^$/d' |
    sort | uniq -c | awk '{ print $2, $1 }' >pwant
sed 's/type = "lines"; path = "in.txt";/type = "lines"; parallelism = 3; path = "big.txt";/;
     s/name = "lines-count";/name = "lines-par"; config = { checkpoint = { interval_ms = 50; dir = "par-state"; }; restart_delay_ms = 0; };/;
     s/lower = true; parallelism = 2;/lower = true; parallelism = 3;/;
     s/path = "out";/path = "pout";/' lines.cfg >par.cfg
grep -q 'parallelism = 3; path = "big.txt"' par.cfg || fail "par.cfg: sed did not apply"
# par_check NAME: the committed counts equal pwant, each count once.
par_check() {
    awk -F '\t' '{ if ($2 + 0 > m[$1] + 0) m[$1] = $2 }
        END { for (w in m) print w, m[w] }' pout/part-00000* | sort >"$1.got"
    cmp -s pwant "$1.got" || { fail "$1: counts differ:"; diff pwant "$1.got" | head; }
    dups=$(cut -f1,2 pout/part-00000* | sort | uniq -d | head -3)
    [ -z "$dups" ] || fail "$1: counts committed twice: $dups"
}
if ! "$GALE" run par.cfg >par.out 2>par.err; then
    fail "gale run par.cfg exited non-zero"
    cat par.err
fi
par_check par
rm -rf pout par-state
GALE_FAILPOINT=snapshot_write:25 "$GALE" run par.cfg >par1.out 2>par1.err
rc=$?
[ "$rc" -eq 86 ] || fail "parallelism 3: failpoint run exited $rc, not 86"
"$GALE" run par.cfg >par2.out 2>par2.err || { fail "parallelism 3: resume failed"; cat par2.err; }
grep -q "restoring checkpoint" par2.err || fail "parallelism 3: the resume restored no checkpoint"
par_check par-crash
sed 's/path = "big.txt";/path = "big.txt"; follow = true;/' par.cfg >parf.cfg
if "$GALE" run parf.cfg >parf.out 2>parf.err; then
    fail "follow with parallelism 3 was accepted"
elif ! grep -q "follow reads a growing file from one task: parallelism must be 1, not 3" parf.err; then
    fail "follow with parallelism 3: unexpected message: $(cat parf.err)"
fi

# follow: lines appended while gale runs are read; SIGINT stops it and
# the sink (guarantee none: no checkpoints) flushes what it has.
printf 'one\ntwo\n' >grow.txt
cat >follow.cfg <<'CFG'
name = "follow";
config = { guarantee = "none"; };
spouts = ( { id = "in"; type = "lines"; path = "grow.txt"; follow = true;
             fields = ["line"]; } );
bolts = ( { id = "sink"; type = "file_sink"; path = "fout"; } );
streams = ( { from = "in"; to = "sink"; grouping = "shuffle"; } );
CFG
"$GALE" run follow.cfg >follow.out 2>follow.err &
pid=$!
sleep 1
printf 'three\nfour' >>grow.txt
sleep 1
printf '\n' >>grow.txt
sleep 1
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 130 ] || fail "follow run exited $rc"
printf 'one\ntwo\nthree\nfour\n' >fwant
cmp -s fwant fout/part-00000 || { fail "followed lines differ:"; cat fout/part-00000; }

finish "PASS: lines bounded and followed"
