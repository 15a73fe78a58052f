#!/bin/sh
# kafka_wc.sh - records/s of the exactly-once word count with the kafka
# spout (librdkafka's mock cluster, 4 partitions) beside the same with the
# lines spout on the same corpus. Run from the build directory after
# `make check`:  sh ../bench/kafka_wc.sh [SENTENCES]  (default 200000).
set -u
n=${1:-200000}
kt=tests/kafka/kafkatool
tmp=$(mktemp -d /tmp/kafka_wc.XXXXXX) || exit 1
"$kt" mock "$tmp/boot" big:4 &
mock=$!
trap 'kill $mock 2>/dev/null; rm -rf "$tmp"' EXIT
i=0; while [ ! -s "$tmp/boot" ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
br=$(cat "$tmp/boot")
bench/gen_corpus -s 42 -n "$n" > "$tmp/corpus.txt"
"$kt" produce "$br" big -p 4 < "$tmp/corpus.txt" || exit 1
for src in kafka lines; do
    if [ $src = kafka ]; then
        s="type = \"kafka\"; brokers = \"$br\"; topics = [\"big\"]; bounded = true; start = \"earliest\";"
    else
        s="type = \"lines\"; path = \"$tmp/corpus.txt\";"
    fi
    cat > "$tmp/$src.cfg" <<CFG
name = "b$src";
config = { checkpoint = { interval_ms = 1000; dir = "$tmp/state-$src"; }; };
spouts = ( { id = "in"; $s parallelism = 1; fields = ["value"]; } );
bolts = ( { id = "split"; type = "split"; parallelism = 2; fields = ["word"]; },
          { id = "count"; type = "count"; key = "word"; parallelism = 2; fields = ["word", "count"]; },
          { id = "sink"; type = "file_sink"; path = "$tmp/out-$src"; parallelism = 2; } );
streams = ( { from = "in"; to = "split"; grouping = "shuffle"; },
            { from = "split"; to = "count"; grouping = "fields"; fields = ["word"]; },
            { from = "count"; to = "sink"; grouping = "fields"; fields = ["word"]; } );
CFG
    secs=$(./gale run "$tmp/$src.cfg" 2>&1 | sed -n 's/.*finished in \([0-9.]*\) s.*/\1/p')
    echo "$src: $n records in $secs s: $(awk "BEGIN { printf \"%.0f\", $n / $secs }") records/s"
done
