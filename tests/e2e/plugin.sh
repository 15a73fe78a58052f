#!/bin/sh
# plugin.sh - the example plugin end to end: examples/plugins/upper.so
# (built by make check as a plugin author builds it) provides the bolt
# "upper" and the grouping "first_n"; gale loads both with dlopen.
set -u
. "$(dirname "$0")/lib.sh" || exit 99
src=$(cd "$top_srcdir" && pwd)
so=$(build_file examples/plugins/upper.so)
gen=$(build_file bench/gen_corpus)
work_dir plugin

need_build "$so" "$gen"
cd "$tmp" || exit 99
# The shipped upper.cfg with the plugin's absolute path, so that it also
# runs from a separate build directory.
sed "s|\"upper.so\"|\"$so\"|g" "$src/examples/plugins/upper.cfg" >upper.cfg
if ! "$GALE" run upper.cfg >run.out 2>run.err; then
    fail "gale run upper.cfg exited non-zero"
    cat run.err
fi
"$gen" -s 1 -n 1000 -w 1 -v 50 | tr a-z A-Z | sort >want
for part in 0 1; do
    cat "out/upper/part-0000$part"* | sort >got
    cmp -s want got || fail "part-0000$part is not the upper-cased words"
done
! cat out/upper/part-00002* 2>/dev/null | grep -q . ||
    fail "first_n with n = 2 reached the third sink task"

# A plugin built for another ABI is refused, naming both versions.
bad=$(build_file tests/plugins/badabi.so)
cat >bad.cfg <<CFG
name = "bad";
spouts = ( { id = "w"; type = "generator"; count = 1; fields = ["s"]; } );
bolts = ( { id = "x"; type = "x"; plugin = "$bad"; } );
streams = ( { from = "w"; to = "x"; grouping = "shuffle"; } );
CFG
"$GALE" run bad.cfg >bad.out 2>bad.err && fail "a plugin of another ABI ran"
grep -q "was built for gale ABI 5, but this gale has ABI 4" bad.err ||
    { fail "no ABI message:"; cat bad.err; }

finish "PASS: plugin bolt and grouping"
