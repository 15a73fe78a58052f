#!/bin/sh
# spill.sh - state larger than memory: a word count over a 200 000-word
# vocabulary whose count tasks may keep only 1 MiB of state in memory
# (state_memory_mb = 1; the rest spills to LevelDB), exactly-once, killed
# by a failpoint in the middle and resumed (the restore runs under the cap
# too). The final count per word must equal `uniq -c` over the same
# sentences, and the running counts must be 1, 2, ..., n.
set -u
: "${GALE:=./gale}"
: "${top_builddir:=.}"
GALE=$(cd "$(dirname "$GALE")" && pwd)/$(basename "$GALE")
gen=$(cd "$top_builddir" && pwd)/bench/gen_corpus
tmp=$(mktemp -d "${TMPDIR:-/tmp}/spill.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C
[ -x "$gen" ] || { echo "run make check first"; exit 99; }
N=30000
"$gen" -s 5 -n $N -v 200000 | tr -s ' ' '\n' | sort | uniq -c | awk '{ print $2, $1 }' > "$tmp/want"
cat > "$tmp/s.cfg" <<CFG
name = "spill";
config = { state_memory_mb = 1; restart_delay_ms = 0;
           checkpoint = { interval_ms = 100; dir = "$tmp/state"; }; };
spouts = ( { id = "gen"; type = "generator"; seed = 5; count = $N; rate = 20000;
             vocabulary = 200000; fields = ["sentence"]; } );
bolts = ( { id = "split"; type = "split"; fields = ["word"]; },
          { id = "count"; type = "count"; key = "word"; parallelism = 2;
            fields = ["word", "count"]; },
          { id = "sink"; type = "file_sink"; path = "$tmp/out"; } );
streams = ( { from = "gen"; to = "split"; grouping = "shuffle"; },
            { from = "split"; to = "count"; grouping = "fields"; fields = ["word"]; },
            { from = "count"; to = "sink"; grouping = "global"; } );
CFG
GALE_FAILPOINT=after_meta:6 "$GALE" run "$tmp/s.cfg" 2> "$tmp/e1"
[ $? -eq 86 ] || { tail -5 "$tmp/e1"; echo "FAIL: the failpoint did not fire"; exit 1; }
"$GALE" run "$tmp/s.cfg" 2> "$tmp/e2" || { tail -5 "$tmp/e2"; echo "FAIL: resume"; exit 1; }
grep -q "restoring checkpoint 6" "$tmp/e2" || { echo "FAIL: did not restore checkpoint 6"; exit 1; }
distinct=$(wc -l < "$tmp/want")
bad=$(cat $(ls "$tmp"/out/part-* | sort) | awk -F '\t' '
    { if ($2 != seen[$1] + 1) { print $1 " " seen[$1] " -> " $2; exit } seen[$1] = $2 }')
[ -z "$bad" ] || { echo "FAIL: running counts not 1..n: $bad"; exit 1; }
cat "$tmp"/out/part-* | awk -F '\t' '{ if ($2 > m[$1]) m[$1] = $2 }
    END { for (w in m) print w, m[w] }' | sort > "$tmp/got"
cmp -s "$tmp/want" "$tmp/got" || { echo "FAIL: counts differ"; diff "$tmp/want" "$tmp/got" | head; exit 1; }
echo "PASS spill ($distinct distinct words, 1 MiB cap per count task)"
