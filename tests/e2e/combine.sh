#!/bin/sh
# combine.sh - `combine = true` on a stream: equal tuples merged by the
# sender, sent once with their multiplicity, exactly once through crashes.
#
# 1. A word count (generator -> split x2 -> fields, combine -> count x2 ->
#    transactional file_sink x2) commits its running counts. count takes
#    weights, so a word's committed counts rise by more than one at a
#    time: they must be strictly increasing per word (nothing twice), end
#    at the word's true count (nothing lost), and be fewer than the words
#    (the combining happened).
# 2. The same with the combined stream going to a bolt that takes no
#    weights (file_sink, straight from split; count then counts whole
#    sentences and sends nothing): each combined tuple is executed as that
#    many tuples, so the committed words, counted, equal the true counts.
# 3. Crashes at a failpoint (mid-alignment, mid-snapshot), then a resume
#    with the same command: the checks of 1 hold.
# 4. `combine` on a grouping that can send equal tuples to two tasks is
#    refused with the file and line.
# 5. combine_interval_ms longer than the run (and checkpoints as rare):
#    with room for every word (combine_entries), only END drains the
#    combiners, so count gets each word at most once from each of the two
#    split tasks: at most 2 running counts per word, the final counts
#    exact. A negative interval is refused.
set -u
. "$(dirname "$0")/lib.sh" || exit 99
gen=$(build_file bench/gen_corpus)
work_dir combine
SENTENCES=60000
need_build "$gen"
wc_want "$gen" $SENTENCES "$tmp/want"
words=$(awk '{ n += $2 } END { print n }' "$tmp/want")

# topology NAME TO: the word count, its split stream combined into TO
# ("count", or "sink" for a bolt without weights).
topology() {
    key=word
    if [ "$2" = count ]; then
        streams='{ from = "split"; to = "count"; grouping = "fields"; fields = ["word"]; combine = true; },
            { from = "count"; to = "sink"; grouping = "fields"; fields = ["word"]; }'
    else
        streams='{ from = "split"; to = "sink"; grouping = "fields"; fields = ["word"]; combine = true; },
            { from = "gen"; to = "count"; grouping = "fields"; fields = ["sentence"]; }'
        key=sentence
    fi
    cat <<CFG
name = "combine-$1";
config = { checkpoint = { interval_ms = 100; dir = "$tmp/$1/state"; };
           restart_delay_ms = 0; };
spouts = ( { id = "gen"; type = "generator"; seed = 42; count = $SENTENCES;
             rate = 30000; fields = ["sentence"]; } );
bolts = ( { id = "split"; type = "split"; parallelism = 2; fields = ["word"]; },
          { id = "count"; type = "count"; key = "$key"; parallelism = 2;
            fields = ["word", "count"]; },
          { id = "sink"; type = "file_sink"; path = "$tmp/$1/out"; parallelism = 2; } );
streams = ( { from = "gen"; to = "split"; grouping = "shuffle"; },
            $streams );
CFG
}

# check_counts NAME: run NAME's committed running counts are strictly
# increasing per word, end at the true counts, and number fewer than the
# words.
check_counts() {
    out="$tmp/$1/out"
    ls "$out"/part-* >/dev/null 2>&1 || { fail "$1: no committed output"; return; }
    bad=$(cat $(ls "$out"/part-* | sort -t- -k3,3 -k2,2n) | awk -F '\t' '
        { if ($2 + 0 <= seen[$1] + 0) { print $1 " " seen[$1] " -> " $2; exit }
          seen[$1] = $2 }')
    [ -z "$bad" ] || { fail "$1: a running count did not rise: $bad"; return; }
    cat "$out"/part-* | awk -F '\t' '{ if ($2 + 0 > m[$1] + 0) m[$1] = $2 }
        END { for (w in m) print w, m[w] }' | sort > "$tmp/$1.got"
    cmp -s "$tmp/want" "$tmp/$1.got" ||
        { fail "$1: final counts differ: $(diff "$tmp/want" "$tmp/$1.got" | head -3)"; return; }
    lines=$(cat "$out"/part-* | wc -l)
    [ "$lines" -lt "$words" ] ||
        { fail "$1: $lines running counts for $words words: nothing combined"; return; }
    echo "ok $1: $lines running counts committed for $words words"
}

# 1. clean run, count takes weights
mkdir -p "$tmp/clean"
topology clean count > "$tmp/clean.cfg"
"$GALE" run "$tmp/clean.cfg" 2> "$tmp/clean.err" || { cat "$tmp/clean.err"; die "clean run failed"; }
check_counts clean

# 2. a bolt without weights sees every tuple
mkdir -p "$tmp/expand"
topology expand sink > "$tmp/expand.cfg"
"$GALE" run "$tmp/expand.cfg" 2> "$tmp/expand.err" || { cat "$tmp/expand.err"; die "expand run failed"; }
cat "$tmp/expand/out"/part-* | sort | uniq -c | awk '{ print $2, $1 }' > "$tmp/expand.got"
if cmp -s "$tmp/want" "$tmp/expand.got"; then
    echo "ok expand: every word committed as often as it occurs"
else
    fail "expand: committed words differ: $(diff "$tmp/want" "$tmp/expand.got" | head -3)"
fi

# 3. crash at a failpoint, resume with the same command
# The 12th arrival or write: the 2nd or 3rd checkpoint (about 6 of each per
# checkpoint), so that a run slowed by load, whose checkpoints take longer
# than the 100 ms interval, still reaches it (30 did not: "got 0").
for fp in align:12 snapshot_write:12; do
    name=fp-${fp%%:*}
    mkdir -p "$tmp/$name"
    topology "$name" count > "$tmp/$name.cfg"
    GALE_FAILPOINT=$fp "$GALE" run "$tmp/$name.cfg" 2> "$tmp/$name.err1"
    rc=$?
    if [ $rc -ne 86 ]; then
        fail "$name: expected the failpoint to kill gale (86), got $rc"
        continue
    fi
    "$GALE" run "$tmp/$name.cfg" 2> "$tmp/$name.err2" ||
        { tail -5 "$tmp/$name.err2"; fail "$name: resume exited non-zero"; continue; }
    grep -q "restoring checkpoint" "$tmp/$name.err2" ||
        { fail "$name: the resume restored no checkpoint"; continue; }
    check_counts "$name"
done

# 4. combine where equal tuples may go to two tasks
sed 's/grouping = "fields"; fields = \["word"\]; combine = true;/grouping = "shuffle"; combine = true;/' \
    "$tmp/clean.cfg" > "$tmp/bad.cfg"
if "$GALE" validate "$tmp/bad.cfg" > "$tmp/bad.out" 2>&1; then
    fail "combine on a shuffle grouping was accepted"
elif grep -q "bad.cfg:[0-9]*.*\`combine\` needs the fields or global grouping" "$tmp/bad.out"; then
    echo "ok refused: $(grep combine "$tmp/bad.out" | head -1)"
else
    fail "combine on shuffle: unexpected message: $(cat "$tmp/bad.out")"
fi

# 5. a combine interval longer than the run: END drains, once
mkdir -p "$tmp/long"
topology long count | sed 's/interval_ms = 100;/interval_ms = 600000;/;
    s/restart_delay_ms = 0;/restart_delay_ms = 0; combine_interval_ms = 600000; combine_entries = 16384;/' \
    > "$tmp/long.cfg"
grep -q "combine_interval_ms = 600000" "$tmp/long.cfg" || die "long.cfg: no combine_interval_ms"
"$GALE" run "$tmp/long.cfg" 2> "$tmp/long.err" || { cat "$tmp/long.err"; die "long run failed"; }
check_counts long
distinct=$(wc -l < "$tmp/want")
lines=$(cat "$tmp/long/out"/part-* | wc -l)
if [ "$lines" -le $((2 * distinct)) ]; then
    echo "ok long: $lines running counts for $distinct distinct words (at most 2 each)"
else
    fail "long: $lines running counts for $distinct distinct words: drained before END"
fi
"$GALE" validate -c gale.combine.interval.ms=-1 "$tmp/long.cfg" > "$tmp/neg.out" 2>&1 &&
    fail "combine_interval_ms = -1 was accepted"
grep -q "combine.interval.ms.*at least 0" "$tmp/neg.out" ||
    fail "combine_interval_ms = -1: unexpected message: $(cat "$tmp/neg.out")"

finish "PASS combine"
