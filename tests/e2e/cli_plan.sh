#!/bin/sh
# cli_plan.sh - `gale plan` of a small fixture equals the expected tables,
# with and without -v.
set -u
. "$(dirname "$0")/lib.sh" || exit 99
work_dir cli_plan
data=$top_srcdir/tests/data/cli

if "$GALE" plan "$data/small.cfg" >"$tmp/out" 2>"$tmp/err"; then
    diff -u "$data/small.plan" "$tmp/out" || fail "gale plan: unexpected output"
    [ ! -s "$tmp/err" ] || { fail "gale plan wrote to stderr:"; cat "$tmp/err"; }
else
    fail "gale plan $data/small.cfg failed:"
    cat "$tmp/err"
fi

if "$GALE" plan -v "$data/small.cfg" >"$tmp/out" 2>"$tmp/err"; then
    diff -u "$data/small.plan-v" "$tmp/out" || fail "gale plan -v: unexpected output"
else
    fail "gale plan -v $data/small.cfg failed:"
    cat "$tmp/err"
fi

# Options may follow the operand (GNU style).
"$GALE" plan "$data/small.cfg" -v >"$tmp/out2" 2>/dev/null
cmp -s "$tmp/out" "$tmp/out2" || fail "gale plan FILE -v differs from gale plan -v FILE"

finish "ok"
