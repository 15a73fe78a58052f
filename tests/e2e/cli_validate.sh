#!/bin/sh
# cli_validate.sh - `gale validate`: every example validates with a
# summary; a bad file exits 2 with exactly its `file:line: message` on
# stderr and nothing on stdout.
set -u
. "$(dirname "$0")/lib.sh" || exit 99
work_dir cli_validate

n=0
for f in "$top_srcdir"/examples/*.cfg; do
    [ -e "$f" ] || continue
    n=$((n + 1))
    if ! "$GALE" validate "$f" >"$tmp/out" 2>"$tmp/err"; then
        fail "gale validate $f failed:"
        cat "$tmp/err"
        continue
    fi
    [ ! -s "$tmp/err" ] || { fail "gale validate $f wrote to stderr:"; cat "$tmp/err"; }
    for heading in "topology:" "guarantee:" "workers:" "max_parallelism:" \
        "components (" "streams (" "total: "; do
        grep -q "^$heading" "$tmp/out" ||
            fail "gale validate $f: no '$heading' in the summary"
    done
done
[ "$n" -gt 0 ] || fail "no examples/*.cfg to validate"

# The fixture's summary, exactly.
fixture=$top_srcdir/tests/data/cli/small.cfg
if "$GALE" validate "$fixture" >"$tmp/out" 2>"$tmp/err"; then
    sed "s|^file:\( *\).*|file:\1FIXTURE|" "$tmp/out" >"$tmp/got"
    diff -u "$top_srcdir/tests/data/cli/small.validate" "$tmp/got" ||
        fail "gale validate $fixture: unexpected summary"
else
    fail "gale validate $fixture failed:"
    cat "$tmp/err"
fi

# -c overrides the file's config.
if "$GALE" validate -c topology.workers=3 "$fixture" >"$tmp/out" 2>"$tmp/err"; then
    grep -q "^workers: *3\$" "$tmp/out" || fail "-c topology.workers=3 ignored"
else
    fail "gale validate -c topology.workers=3 failed:"
    cat "$tmp/err"
fi

# A -c key that is a near miss of a known one is bad input (any other
# key passes through, as in Storm: tests/e2e/storm_config.sh).
"$GALE" validate -c topology.wrkers=1 "$fixture" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] || fail "gale validate -c topology.wrkers=1: exit $rc, expected 2"
[ ! -s "$tmp/out" ] || fail "gale validate -c topology.wrkers=1 wrote to stdout"
grep -q "^-c topology\.wrkers=1: unknown config key .*did you mean .topology\.workers" "$tmp/err" ||
    fail "gale validate -c topology.wrkers=1: no error naming the key"

# A bad file: one error per line on stderr, nothing on stdout, exit 2.
bad=$top_srcdir/tests/data/cli/bad.cfg
"$GALE" validate "$bad" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] || fail "gale validate $bad: exit $rc, expected 2"
[ ! -s "$tmp/out" ] || { fail "gale validate $bad wrote to stdout:"; cat "$tmp/out"; }
sed "s|@FILE@|$bad|" "$top_srcdir/tests/data/cli/bad.err" >"$tmp/want"
diff -u "$tmp/want" "$tmp/err" || fail "gale validate $bad: unexpected stderr"

# graph and plan report a bad file the same way.
for c in graph plan; do
    "$GALE" "$c" "$bad" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ "$rc" -eq 2 ] || fail "gale $c $bad: exit $rc, expected 2"
    [ ! -s "$tmp/out" ] || fail "gale $c $bad wrote to stdout"
    diff -u "$tmp/want" "$tmp/err" || fail "gale $c $bad: unexpected stderr"
done

finish "ok: $n examples"
