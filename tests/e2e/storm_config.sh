#!/bin/sh
# storm_config.sh - Storm config keys: -c values parsed as Storm parses
# them, keys gale does not act on listed by `gale validate` as ignored,
# the `passthrough` list, and topology.acker.executors = 0.
set -u
. "$(dirname "$0")/lib.sh" || exit 99
work_dir storm_config
cat >"$tmp/t.cfg" <<'CFG'
name = "keys";
config = {
  passthrough = ( { key = "topology.foo.bar"; value = 1; },
                  { key = "my.own.key"; value = "x"; } );
  chaining = false;   # two executors, so that workers = 2 plans 2 workers
};
spouts = ( { id = "s"; type = "generator"; mode = "words"; count = 10;
             fields = ["word"]; } );
bolts = ( { id = "c"; type = "count"; key = "word"; fields = ["word", "count"];
            config = { passthrough = ( { key = "topology.bar.baz"; value = true; } ); }; } );
streams = ( { from = "s"; to = "c"; grouping = "fields"; fields = ["word"]; } );
CFG
v() {
    "$GALE" validate "$@" "$tmp/t.cfg" >"$tmp/out" 2>"$tmp/err"
}

v || { fail "validate failed"; cat "$tmp/err"; }
grep -qx "guarantee: *exactly_once" "$tmp/out" || fail "default guarantee"
for k in topology.foo.bar topology.bar.baz; do
    grep -qx "ignored by gale: $k (passed to components' conf)" "$tmp/out" ||
        fail "$k not listed as ignored"
done
grep -q "my.own.key" "$tmp/out" && fail "a user key listed as ignored"

v -c topology.workers=2 || fail "-c topology.workers=2 failed"
grep -qx "workers: *2" "$tmp/out" || fail "-c topology.workers=2 not honoured"
grep -qx "total: .* 2 workers" "$tmp/out" || fail "-c topology.workers=2: plan not on 2 workers"

# 0 ackers: Storm acks on emit, no guarantee; gale: guarantee none.
v -c topology.acker.executors=0 || fail "-c topology.acker.executors=0 failed"
grep -qx "guarantee: *none" "$tmp/out" || fail "0 ackers did not mean guarantee none"
grep -q "acker" "$tmp/out" && fail "0 ackers listed as ignored"
v -c topology.acker.executors=0 -c gale.guarantee='"at_least_once"' ||
    fail "ackers + guarantee failed"
grep -qx "guarantee: *at_least_once" "$tmp/out" || fail "an explicit guarantee lost to 0 ackers"
v -c topology.acker.executors=2 || fail "-c topology.acker.executors=2 failed"
grep -qx "ignored by gale: topology.acker.executors (passed to components' conf)" "$tmp/out" ||
    fail "2 ackers not listed as ignored"

# Values as Storm parses them: JSON, else the text.
v -c 'topology.kryo.register=["a","b"]' -c topology.max.spout.pending=null \
    -c topology.tick.tuple.freq.secs=3 -c topology.unknown.key=plain ||
    { fail "-c JSON values failed"; cat "$tmp/err"; }
grep -qx "ignored by gale: topology.kryo.register (passed to components' conf)" "$tmp/out" ||
    fail "a list -c value"
grep -qx "ignored by gale: topology.unknown.key (passed to components' conf)" "$tmp/out" ||
    fail "an unknown -c key does not pass through"
v -c topology.debug=yes; rc=$?
[ "$rc" -eq 2 ] && grep -qx -- "-c topology.debug=yes: \`topology.debug\` must be a boolean, not a string" "$tmp/err" ||
    fail "-c topology.debug=yes: exit $rc: $(cat "$tmp/err")"
v -c topology.workers=2.5; rc=$?
[ "$rc" -eq 2 ] && grep -qx -- "-c topology.workers=2.5: \`topology.workers\` must be an integer, not a number" "$tmp/err" ||
    fail "-c topology.workers=2.5: exit $rc: $(cat "$tmp/err")"

# A key with a DSL name may not hide in passthrough.
sed 's/"topology.foo.bar"/"topology.workers"/' "$tmp/t.cfg" >"$tmp/bad.cfg"
"$GALE" validate "$tmp/bad.cfg" >/dev/null 2>"$tmp/err"; rc=$?
[ "$rc" -eq 2 ] && grep -qx "$tmp/bad.cfg:3: config key \`topology.workers\` has a DSL name: set it as \`workers\`" "$tmp/err" ||
    fail "passthrough of a known key: exit $rc: $(cat "$tmp/err")"

finish ok
