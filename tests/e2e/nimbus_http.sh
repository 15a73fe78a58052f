#!/usr/bin/env bash
# nimbus_http.sh - nimbus's /metrics and read-only REST API
# (docs/nimbus.md, "Metrics and the REST API"): a paced word count is
# submitted to a nimbus with local-mode masters (no supervisor needed);
# nimbus's summary lists it ACTIVE, its /metrics has the topology's and
# its components' series with counts that grow, the topology and
# component pages come from the master; POST gets 405, unknown ids 404,
# a bad --http address stops nimbus with exit 1 before it starts masters;
# `gale top --once --cluster` shows the components through nimbus.
set -u
. "$(dirname "$0")/lib.sh" || exit 99
need_cmd curl curl
work_dir nimbus_http
export XDG_RUNTIME_DIR=$tmp/run
export GALE_NIMBUS_LOCAL_MASTERS=1
unset GALE_CLUSTER GALE_KEY
cd "$tmp" || exit 99

npid=""
cleanup() {
    local p
    [ -z "$npid" ] || { kill -KILL "$npid" 2>/dev/null; wait "$npid" 2>/dev/null; }
    for p in $(cat "$tmp"/n/topologies/*/record 2>/dev/null | sed -n 's/^pid=//p') \
             $(sed -n 's/.*master started, pid \([0-9]*\).*/\1/p' "$tmp"/n.log 2>/dev/null); do
        [ "$p" != 0 ] && kill -KILL "$p" 2>/dev/null
    done
}
at_exit cleanup

port=$(port_in 20000 32000 100 $RANDOM)
cat > c.cfg <<CFG
security = "none";
nimbus = { host = "127.0.0.1"; port = $port; dir = "$tmp/n"; key = "nimbus"; };
supervisor = { dir = "$tmp/n-sup"; timeout_ms = 3000; };
supervisors = ( { name = "h1"; host = "127.0.0.1"; port = $((port + 1)); } );
ports = { first = $((port + 10)); per_topology = 40; };
CFG

"$GALE" nimbus --cluster c.cfg --http nonsense --log bad.log 2>>bad.log
rc=$?
[ "$rc" -eq 1 ] && grep -q 'expected HOST:PORT' bad.log ||
    fail "--http nonsense: exit $rc, $(cat bad.log)"

"$GALE" nimbus --cluster c.cfg --http 127.0.0.1:0 --log n.log 2>>n.log &
npid=$!
wait_for -p "$npid" 20 grep -q 'nimbus: http: metrics at' n.log ||
    { cat n.log; die "nimbus logged no http address"; }
addr=$(sed -n 's|.*nimbus: http: metrics at http://\([^/]*\)/metrics.*|\1|p' n.log | tail -1)

name=nh-$$
paced_wc_cfg "$name" 1 1000
"$GALE" submit --cluster c.cfg topo.cfg >submit.out 2>&1 || die "submit: $(cat submit.out)"

# get PATH: the body in file body; prints the status.
get() { curl -s -o body -w '%{http_code}' "$@"; }
scrape_count() {
    [ "$(get "http://$addr/metrics")" = 200 ] || return 1
    awk -v t="$name" 'index($0, "gale_component_executed_total{topology=\"" t "\",component=\"count\"}") == 1 { print $NF }' body
}
counted() { c=$(scrape_count) && [ -n "$c" ] && [ "$c" -gt "${1:-0}" ]; }

wait_for -p "$npid" 30 counted || die "nimbus's /metrics never counted $name: $(grep "$name" body | head -5)"
first=$c
grep -q "^gale_topology_up{topology=\"$name\"} 1\$" body || fail "no gale_topology_up 1"
grep -q "^gale_topology_executed_total{topology=\"$name\"} [1-9]" body ||
    fail "no gale_topology_executed_total"
grep -q "^gale_component_capacity{topology=\"$name\",component=\"count\"} " body ||
    fail "no capacity for count"
grep -q "^# TYPE gale_component_executed_total counter\$" body || fail "no TYPE line"
wait_for -p "$npid" 20 counted "$first" || fail "the count did not grow ($first)"

[ "$(get "http://$addr/api/v1/topology/summary")" = 200 ] &&
    grep -q "\"id\":\"$name\"" body && grep -q '"status":"ACTIVE"' body ||
    fail "summary: $(cat body)"
[ "$(get "http://$addr/api/v1/topology/$name")" = 200 ] &&
    grep -q '"id":"count"' body || fail "topology page: $(head -c 300 body)"
[ "$(get "http://$addr/api/v1/topology/$name/component/split")" = 200 ] &&
    grep -q '"id":"split"' body || fail "component page: $(head -c 300 body)"
[ "$(get "http://$addr/api/v1/topology/$name/component/nope")" = 404 ] ||
    fail "unknown component: not 404"
[ "$(get "http://$addr/api/v1/topology/nope-$$")" = 404 ] || fail "unknown topology: not 404"
[ "$(get "http://$addr/nope")" = 404 ] || fail "unknown path: not 404"
[ "$(get -X POST "http://$addr/api/v1/topology/$name/deactivate")" = 405 ] ||
    fail "POST to nimbus: not 405"
grep -q "read-only" body || fail "POST: $(cat body)"

# gale top through nimbus.
"$GALE" top --once --cluster c.cfg "$name" >top.out 2>top.err || fail "gale top --cluster: $(cat top.err)"
awk '$1 == "count" && $2 == "bolt" && $7 > 0 { ok = 1 } END { exit !ok }' top.out ||
    fail "gale top --cluster: no count row with a rate: $(cat top.out)"
"$GALE" top --once --cluster c.cfg nope-$$ 2>top.err && fail "gale top --cluster of an unknown topology exited 0"
grep -q "no topology called" top.err || fail "gale top --cluster nope: $(cat top.err)"

"$GALE" kill --cluster c.cfg "$name" >kill.out 2>&1 || fail "kill: $(cat kill.out)"
gone_from_summary() {
    [ "$(get "http://$addr/api/v1/topology/summary")" = 200 ] && ! grep -q "\"id\":\"$name\"" body
}
wait_for -p "$npid" 60 gone_from_summary || fail "$name still in the summary after kill: $(cat body)"
kill "$npid"
wait "$npid"
npid=""
finish "PASS nimbus_http"
