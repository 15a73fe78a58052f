#!/bin/sh
# flux_import.sh - `gale flux-import`: every good Flux fixture converts and
# the result passes `gale validate`; the word count, whose classes all map
# to built-ins, runs and counts right; every bad fixture exits 2 with
# exactly its `file:line: message` lines (tests/flux/*.err) and writes
# nothing on stdout.
set -u
. "$(dirname "$0")/lib.sh" || exit 99
work_dir flux_import
cd "$top_srcdir/tests/flux" || exit 99
export FLUX_TEST_TIMEOUT=45
unset FLUX_TEST_UNSET_VARIABLE

# Good fixtures: convert (exit 0), then validate.
for spec in simple_wordcount.yaml multilang.yaml include_main.yaml \
    "--properties subst.properties subst.yaml" simple_windowing.yaml \
    windowing_ts.yaml "--properties kafka.properties kafka_spout.yaml"; do
    # shellcheck disable=SC2086
    set -- $spec
    name=$(basename "$(eval echo \${$#})" .yaml)
    if ! "$GALE" flux-import "$@" -o "$tmp/$name.cfg" 2>"$tmp/$name.err"; then
        fail "gale flux-import $spec failed:"; cat "$tmp/$name.err"; continue
    fi
    if ! "$GALE" validate "$tmp/$name.cfg" >"$tmp/$name.val" 2>&1; then
        fail "converted $name does not validate:"; cat "$tmp/$name.val"
    fi
done
# What the conversions say, checked on the validate summaries.
grep -q "^topology: *substituted\$" "$tmp/subst.val" || fail "subst: name not substituted"
grep -q "^workers: *2\$" "$tmp/subst.val" || fail "subst: workers not substituted"
grep -q "spout  second " "$tmp/subst.val" || fail "subst: \${spout.ids[1]} is not 'second'"
grep -q "message_timeout_secs = 45;" "$tmp/subst.cfg" || fail "subst: \${ENV-...} not substituted"
grep -q "^workers: *1\$" "$tmp/include_main.val" || fail "include: override false replaced workers"
grep -q "bolt   count  count " "$tmp/include_main.val" || fail "include: override true did not replace bolt count"
grep -q "debug = true;" "$tmp/include_main.cfg" || fail "include: a new config key was not merged"
grep -q "warning: bolt .orphan. is fed by no stream" "$tmp/multilang.err" || fail "multilang: unfed bolt not reported"
grep -q "ignored by gale: topology.foo.bar (passed to components' conf)" "$tmp/multilang.val" ||
    fail "multilang: topology.foo.bar not listed as ignored"
grep -q "split .*shell .* 2 .* 4 .*default \[word\]; rejects \[line\]; picked \[word\] direct" "$tmp/multilang.val" ||
    fail "multilang: shell bolt's streams"
for g in all global none local_or_shuffle direct partial_key; do
    grep -Eq "  $g( |$)" "$tmp/multilang.val" || fail "multilang: no $g grouping"
done

# Windowed bolts: the window, event time and its watermarks, late stream.
grep -q "length_count = 5; slide_count = 3;" "$tmp/simple_windowing.cfg" ||
    fail "simple_windowing: withWindow(Count 5, Count 3) not converted"
grep -Eq "bolt +bolt-1 +window .*default \[start, end, count\]" "$tmp/simple_windowing.val" ||
    fail "simple_windowing: bolt-1 is not a window bolt"
grep -q 'watermark = { field = "ts"; lag_ms = 200; interval_ms = 50; };' "$tmp/windowing_ts.cfg" ||
    fail "windowing_ts: no watermark on the spout"
grep -q "length_ms = 10000; slide_ms = 1000;" "$tmp/windowing_ts.cfg" ||
    fail "windowing_ts: the sliding window"
grep -q 'value = "value";' "$tmp/windowing_ts.cfg" || fail "windowing_ts: the sum's value field"
grep -q "per-second  ->  print       late     shuffle" "$tmp/windowing_ts.val" ||
    fail "windowing_ts: the late stream"
# KafkaSpout: the Builder's servers, topics, setters and consumer properties.
for want in 'type = "kafka";' 'brokers = "localhost:9092";' 'topics = \["sentences"\];' \
    'group_id = "flux-group";' 'first_poll_offset_strategy = "EARLIEST";' \
    'discovery_interval_ms = 2000;' 'properties = \["fetch.wait.max.ms=50"\];' \
    'fields = \["topic", "partition", "offset", "key", "value"\];'; do
    grep -q "$want" "$tmp/kafka_spout.cfg" || fail "kafka_spout: no $want"
done
grep -q "warning: spout .kafka-spout.: consumer property .auto.offset.reset. is ignored" \
    "$tmp/kafka_spout.err" || fail "kafka_spout: auto.offset.reset not reported"
# The converted count window runs: TestWordSpout's 10 words a second into
# windows of the last 5 words, one every 3 words.
(cd "$tmp" && "$GALE" run "$tmp/simple_windowing.cfg" --ttl 2 2>"$tmp/sw.log") ||
    fail "simple_windowing run failed: $(tail -3 "$tmp/sw.log")"
sed -n 's/.*bolt-1:[0-9]*, stream: default, \[\([0-9]*\), \([0-9]*\), \([0-9]*\)\]$/\1 \2 \3/p' \
    "$tmp/sw.log" > "$tmp/sw.win"
[ "$(wc -l < "$tmp/sw.win")" -ge 3 ] || fail "simple_windowing: only $(wc -l < "$tmp/sw.win") windows in 2 s"
awk '{ s = $2 > 5 ? $2 - 5 : 0
       if ($2 != 3 * NR || $1 != s || $3 != $2 - s) { print "window " NR ": " $0; bad = 1 } }
     END { exit bad }' "$tmp/sw.win" || fail "simple_windowing: wrong windows"

# Stdout by default, the same text as -o.
"$GALE" flux-import simple_wordcount.yaml >"$tmp/stdout.cfg" 2>/dev/null
cmp -s "$tmp/stdout.cfg" "$tmp/simple_wordcount.cfg" || fail "stdout differs from -o"

# Bad fixtures: exit 2, exact messages, nothing on stdout.
n=0
for err in bad_*.err; do
    f=${err%.err}.yaml
    n=$((n + 1))
    "$GALE" flux-import "$f" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ "$rc" -eq 2 ] || fail "gale flux-import $f: exit $rc, expected 2"
    [ ! -s "$tmp/out" ] || fail "gale flux-import $f wrote to stdout"
    diff -u "$err" "$tmp/err" || fail "gale flux-import $f: unexpected stderr"
done
[ "$n" -ge 11 ] || fail "only $n bad fixtures"

# A missing file and usage errors.
"$GALE" flux-import nope.yaml >/dev/null 2>"$tmp/err"; rc=$?
[ "$rc" -eq 2 ] && grep -qx "nope.yaml: cannot open: No such file or directory" "$tmp/err" ||
    fail "missing file: exit $rc, $(cat "$tmp/err")"
"$GALE" flux-import >/dev/null 2>"$tmp/err"; rc=$?
[ "$rc" -eq 2 ] && grep -q "^gale: flux-import: missing FILE" "$tmp/err" || fail "no operand: exit $rc"

# The word count runs: TestWordSpout -> generator, TestWordCounter ->
# count, LogInfoBolt -> log. Every word's counts, as logged, go 1, 2, 3...
# with no gap or repeat, over a 5-word vocabulary.
cd "$tmp" || exit 99
timeout -s INT 4 "$GALE" run simple_wordcount.cfg >run.out 2>run.err
sed -n 's/.*bolt-2\[[0-9]*\]: source: bolt-1:[0-9]*, stream: default, \[\([a-z]*\), \([0-9]*\)\]$/\1 \2/p' \
    run.err >counts
[ "$(wc -l <counts)" -ge 10 ] || { fail "word count run logged $(wc -l <counts) counts"; cat run.err; }
awk '{ if ($2 != last[$1] + 1) bad++; last[$1] = $2 }
     END { n = 0; for (w in last) n++; if (bad || n > 5 || n < 1) exit 1 }' counts ||
    fail "word count: counts are not 1, 2, 3... per word over at most 5 words"

finish "ok: $n bad fixtures refused, good ones convert, validate and run"
