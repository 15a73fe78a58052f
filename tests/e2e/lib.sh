# lib.sh - shared by the end-to-end scripts that check a word count's
# committed output (sourced: `. "$(dirname "$0")/lib.sh"`).

# wc_want GEN SENTENCES OUT: writes "word count" lines, sorted, for the
# first SENTENCES sentences bench/gen_corpus makes with seed 42.
wc_want() {
    "$1" -s 42 -n "$2" | tr -s ' ' '\n' | sort | uniq -c |
        awk '{ print $2, $1 }' > "$3"
}

# wc_check DIR WANT: checks the file_sink output in DIR, which committed
# every running count: per word exactly 1, 2, ..., n in checkpoint order
# (published files sorted by checkpoint id, then task), and n the count
# in WANT. Prints what is wrong and returns 1, or returns 0.
wc_check() {
    local bad got
    bad=$(cat $(ls "$1"/part-* | sort -t- -k3,3 -k2,2n) | awk -F '\t' '
        { if ($2 != seen[$1] + 1) { print $1 " " seen[$1] " -> " $2; exit } seen[$1] = $2 }')
    [ -z "$bad" ] || { echo "running counts not 1..n: $bad"; return 1; }
    got=$(mktemp)
    cat "$1"/part-* | awk -F '\t' '{ if ($2 > m[$1]) m[$1] = $2 }
        END { for (w in m) print w, m[w] }' | sort > "$got"
    if ! cmp -s "$2" "$got"; then
        echo "final counts differ:"; diff "$2" "$got" | head -5; rm -f "$got"
        return 1
    fi
    rm -f "$got"
    return 0
}
