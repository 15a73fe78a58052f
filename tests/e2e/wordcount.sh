#!/bin/sh
# wordcount.sh - the README's example: `gale run examples/wordcount.cfg`
# must count exactly. The expected counts come from the same sentences
# written by bench/gen_corpus (same seed and count) and counted with
# `tr -s ' ' '\n' | sort | uniq -c`; gale's result is the final (largest)
# running count per word in the sink's files.
set -u
: "${GALE:=./gale}"
: "${top_srcdir:=.}"
: "${top_builddir:=.}"
GALE=$(cd "$(dirname "$GALE")" && pwd)/$(basename "$GALE")
src=$(cd "$top_srcdir" && pwd)
gen=$(cd "$top_builddir" && pwd)/bench/gen_corpus
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wordcount.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C

[ -x "$gen" ] || { echo "no $gen: run make check"; exit 99; }
cd "$tmp" || exit 99
if ! "$GALE" run "$src/examples/wordcount.cfg" >run.out 2>run.err; then
    echo "FAIL: gale run examples/wordcount.cfg exited non-zero"
    cat run.err
    exit 1
fi
ls out/wordcount/part-00000* out/wordcount/part-00001* >/dev/null || exit 1

"$gen" -s 42 -n 200000 | tr -s ' ' '\n' | sort | uniq -c |
    awk '{ print $2, $1 }' >want
cat out/wordcount/part-* |
    awk -F '\t' '{ if ($2 + 0 > m[$1] + 0) m[$1] = $2 }
        END { for (w in m) print w, m[w] }' | sort >got
# Every running count appears once: as many sink lines as words.
lines=$(cat out/wordcount/part-* | wc -l)
words=$("$gen" -s 42 -n 200000 | wc -w)

fails=0
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
[ "$fails" -eq 0 ] && echo "PASS: $words words, $(wc -l <want) distinct"
exit "$fails"
