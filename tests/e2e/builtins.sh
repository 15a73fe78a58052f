#!/bin/sh
# builtins.sh - the other built-ins end to end: the generator split over
# two spout tasks (words mode) against bench/gen_corpus; random_sentence
# through filter to stdout, deterministic across runs; the log bolt.
set -u
. "$(dirname "$0")/lib.sh" || exit 99
gen=$(build_file bench/gen_corpus)
work_dir builtins

need_build "$gen"
cd "$tmp" || exit 99

# 1. generator, words mode, two tasks: count 10001 split 5001 + 5000,
# task i seeded with seed + i, as gen_corpus -t 2 writes them.
cat >gen.cfg <<'CFG'
name = "gen";
spouts = ( { id = "words"; type = "generator"; mode = "words"; seed = 5;
             count = 10001; vocabulary = 300; parallelism = 2;
             fields = ["word"]; } );
bolts = (
  { id = "count"; type = "count"; key = "word"; parallelism = 2;
    fields = ["word", "n"]; },
  { id = "sink"; type = "file_sink"; path = "gout"; }
);
streams = (
  { from = "words"; to = "count"; grouping = "fields"; fields = ["word"]; },
  { from = "count"; to = "sink"; grouping = "global"; }
);
CFG
"$GALE" run gen.cfg >gen.out 2>gen.err || { fail "gen.cfg"; cat gen.err; }
"$gen" -s 5 -n 10001 -w 1 -v 300 -t 2 | sort | uniq -c |
    awk '{ print $2, $1 }' >want
awk -F '\t' '{ if ($2 + 0 > m[$1] + 0) m[$1] = $2 }
    END { for (w in m) print w, m[w] }' gout/part-00000* | sort >got
cmp -s want got || { fail "generator words differ:"; diff want got | head; }

# 2. random_sentence -> filter -> stdout, twice: same seed, same output.
# (stdout is not transactional: without checkpoints, a second run in the
# same directory runs again instead of re-publishing the first.)
cat >rs.cfg <<'CFG'
name = "rs";
config = { guarantee = "none"; };
spouts = ( { id = "s"; type = "random_sentence"; seed = 3; count = 200;
             rate = 0; fields = ["sentence"]; } );
bolts = (
  { id = "seven"; type = "filter"; field = "sentence"; contains = "seven";
    fields = ["sentence"]; },
  { id = "out"; type = "stdout"; }
);
streams = (
  { from = "s"; to = "seven"; grouping = "shuffle"; },
  { from = "seven"; to = "out"; grouping = "shuffle"; }
);
CFG
"$GALE" run rs.cfg >rs1.out 2>rs1.err || { fail "rs.cfg"; cat rs1.err; }
"$GALE" run rs.cfg >rs2.out 2>rs2.err || fail "rs.cfg (2)"
grep -v -e '^four score and seven years ago$' \
    -e '^snow white and the seven dwarfs$' rs1.out >other
[ -s other ] && { fail "filter passed other lines:"; head -3 other; }
n=$(wc -l <rs1.out)
[ "$n" -gt 40 ] && [ "$n" -lt 120 ] || fail "$n of 200 sentences had seven"
cmp -s rs1.out rs2.out || fail "random_sentence is not deterministic"

# 3. log: one log line per tuple, Storm's LogInfoBolt format.
cat >log.cfg <<'CFG'
name = "log";
spouts = ( { id = "s"; type = "random_sentence"; count = 3; rate = 0;
             fields = ["sentence"]; } );
bolts = ( { id = "log"; type = "log"; level = "warn"; } );
streams = ( { from = "s"; to = "log"; grouping = "shuffle"; } );
CFG
"$GALE" run log.cfg >log.out 2>log.err || { fail "log.cfg"; cat log.err; }
n=$(grep -c 'source: s:[0-9]*, stream: default, \[' log.err)
[ "$n" -eq 3 ] || { fail "$n log lines, expected 3:"; cat log.err; }

finish "PASS: generator, random_sentence, filter, stdout, log"
