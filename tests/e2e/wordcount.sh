#!/bin/sh
# wordcount.sh - the README's example: `gale run examples/wordcount.cfg`
# must count exactly. The expected counts come from the same sentences
# written by bench/gen_corpus (same seed and count) and counted with
# `tr -s ' ' '\n' | sort | uniq -c`; gale's result is the final (largest)
# running count per word in the sink's files.
set -u
. "$(dirname "$0")/lib.sh" || exit 99
src=$(cd "$top_srcdir" && pwd)
gen=$(build_file bench/gen_corpus)
work_dir wordcount

need_build "$gen"
cd "$tmp" || exit 99
if ! "$GALE" run "$src/examples/wordcount.cfg" >run.out 2>run.err; then
    echo "FAIL: gale run examples/wordcount.cfg exited non-zero"
    cat run.err
    exit 1
fi
ls out/wordcount/part-00000* out/wordcount/part-00001* >/dev/null || exit 1

wc_want "$gen" 200000 want
cat out/wordcount/part-* |
    awk -F '\t' '{ if ($2 + 0 > m[$1] + 0) m[$1] = $2 }
        END { for (w in m) print w, m[w] }' | sort >got
# Every running count appears once: as many sink lines as words.
lines=$(cat out/wordcount/part-* | wc -l)
words=$("$gen" -s 42 -n 200000 | wc -w)

if ! cmp -s want got; then
    echo "FAIL: final counts differ from tr | sort | uniq -c:"
    diff want got | head -20
    fails=1
fi
if [ "$lines" -ne "$words" ]; then
    echo "FAIL: $lines sink lines for $words words"
    fails=1
fi
[ "$(wc -l <want)" -gt 1000 ] || { echo "FAIL: too few words"; fails=1; }
finish "PASS: $words words, $(wc -l <want) distinct"
