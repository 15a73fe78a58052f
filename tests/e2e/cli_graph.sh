#!/bin/sh
# cli_graph.sh - `gale graph` writes DOT that Graphviz renders, for the
# fixture and every example. Skipped (77) when dot is not installed.
set -u
. "$(dirname "$0")/lib.sh" || exit 99
need_cmd dot Graphviz
work_dir cli_graph

for f in "$top_srcdir"/tests/data/cli/small.cfg "$top_srcdir"/examples/*.cfg; do
    [ -e "$f" ] || continue
    if ! "$GALE" graph "$f" >"$tmp/g.dot" 2>"$tmp/err"; then
        fail "gale graph $f failed:"
        cat "$tmp/err"
        continue
    fi
    head -n 1 "$tmp/g.dot" | grep -q "digraph" || fail "gale graph $f: not a digraph"
    # dot may warn about its fonts on a minimal machine; errors fail.
    if ! dot -Tsvg "$tmp/g.dot" >"$tmp/g.svg" 2>"$tmp/dot.err" ||
        grep -qi "error" "$tmp/dot.err"; then
        fail "dot -Tsvg rejects the graph of $f:"
        cat "$tmp/dot.err"
    elif [ -s "$tmp/dot.err" ]; then
        echo "note: dot on $f:"
        cat "$tmp/dot.err"
    fi
    grep -q "<svg" "$tmp/g.svg" || fail "dot made no SVG of $f"
done

# Every component of the fixture is a node.
"$GALE" graph "$top_srcdir/tests/data/cli/small.cfg" >"$tmp/g.dot" 2>/dev/null
for id in words count sink log; do
    grep -q "\"$id\"" "$tmp/g.dot" || fail "no node \"$id\" in the fixture's graph"
done

finish "ok"
