#!/usr/bin/env bash
# nimbus_http.sh - nimbus's /metrics and REST API (docs/nimbus.md,
# "Metrics and the REST API"): a paced word count is submitted to a
# nimbus with local-mode masters (no supervisor needed); nimbus's summary
# lists it ACTIVE, its /metrics has the topology's and its components'
# series with counts that grow and, relayed from the master, its task
# series, histograms, checkpoint and channel figures, each family under
# one TYPE line; the topology and component pages come from the master;
# POST deactivate pauses the spout (emitted stops growing), activate
# resumes it, savepoint writes one, bad bodies get 400, unknown actions
# and ids 404; a peer that is not loopback may POST only with the
# --http-token; a bad --http address stops nimbus with exit 1 before it
# starts masters; `gale top --once --cluster` shows the components
# through nimbus.
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

echo short > short.tok
"$GALE" nimbus --cluster c.cfg --http-token short.tok --log bad.log 2>>bad.log
rc=$?
[ "$rc" -eq 1 ] && grep -q '16 characters or more' bad.log ||
    fail "--http-token with a short token: exit $rc, $(cat bad.log)"

# Bound to every address when this host has one but loopback (for the
# token case below), else to loopback; the test talks to loopback.
ext=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+[.]' | grep -v '^127[.]' | head -1)
bind=127.0.0.1:0
[ -z "$ext" ] || bind=0.0.0.0:0
echo "tok-$$-0123456789abcdef" > http.tok
"$GALE" nimbus --cluster c.cfg --http "$bind" --http-token http.tok --log n.log 2>>n.log &
npid=$!
wait_for -p "$npid" 20 grep -q 'nimbus: http: metrics at' n.log ||
    { cat n.log; die "nimbus logged no http address"; }
hport=$(sed -n 's|.*nimbus: http: metrics at http://[^/]*:\([0-9]*\)/metrics.*|\1|p' n.log | tail -1)
addr=127.0.0.1:$hport

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

# The master's own series, relayed: tasks, histograms, checkpoints,
# channels; one TYPE line per family, one gale_topology_up per topology.
relayed() {
    [ "$(get "http://$addr/metrics")" = 200 ] &&
        grep -q "^gale_task_executed_total{topology=\"$name\",component=\"count\",task=\"[0-9]*\",worker=\"0\"} [1-9]" body &&
        grep -q "^gale_checkpoints_completed_total{topology=\"$name\"} [1-9]" body
}
wait_for -p "$npid" 30 relayed ||
    fail "no relayed task or checkpoint series: $(grep "$name" body | head -5)"
grep -q "^gale_component_execute_latency_seconds_bucket{topology=\"$name\",component=\"count\",le=\"+Inf\"} [1-9]" body ||
    fail "no relayed latency histogram"
grep -q "^gale_channel_queue_tuples{topology=\"$name\",component=\"count\"" body ||
    fail "no relayed channel series"
grep -q "^gale_component_execute_latency_p99_seconds{topology=\"$name\",component=\"count\"} " body ||
    fail "nimbus's own p99 gauge is gone"
dups=$(grep '^# TYPE ' body | sort | uniq -d)
[ -z "$dups" ] || fail "families with two TYPE lines: $dups"
[ "$(grep -c "^gale_topology_up{topology=\"$name\"}" body)" -eq 1 ] ||
    fail "gale_topology_up of $name not exactly once: $(grep gale_topology_up body)"
# The master's per-host sums and totals, relayed, each series once (nimbus
# adds no totals of its own then).
for f in gale_topology_emitted_total gale_topology_executed_total; do
    [ "$(grep -c "^$f{topology=\"$name\"} " body)" -eq 1 ] ||
        fail "$f of $name not exactly once: $(grep "^$f" body)"
done
grep -q "^gale_host_executed_total{topology=\"$name\",host=\"[^\"]*\"} [1-9]" body ||
    fail "no relayed gale_host_executed_total: $(grep '^gale_host_' body | head -3)"
grep -q "^gale_worker_executed_total{topology=\"$name\",worker=\"0\",host=\"[^\"]*\"} " body ||
    fail "no host label on the relayed worker series"
# Every sample line follows its own family's TYPE line.
awk '/^# TYPE / { fam = $3; next } /^#/ { next }
     { n = $0; sub(/[{ ].*/, "", n); b = n; sub(/_(bucket|sum|count)$/, "", b)
       if (n != fam && b != fam) { print "stray: " $0; bad = 1 } }
     END { exit bad }' body || fail "sample lines outside their family"

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
[ "$(get -X POST "http://$addr/api/v1/topology/summary")" = 405 ] ||
    fail "POST to the summary: not 405"
[ "$(get -X DELETE "http://$addr/api/v1/topology/$name")" = 405 ] ||
    fail "DELETE: not 405"

# Actions through nimbus, for the topology id.
emitted() {
    get "http://$addr/metrics" >/dev/null &&
        awk -v t="$name" 'index($0, "gale_component_emitted_total{topology=\"" t "\",component=\"sentences\"}") == 1 { print $NF }' body
}
status_is() {
    [ "$(get "http://$addr/api/v1/topology/summary")" = 200 ] &&
        grep -q "\"id\":\"$name\",[^}]*\"status\":\"$1\"" body
}
[ "$(get -X POST "http://$addr/api/v1/topology/$name/deactivate")" = 202 ] ||
    fail "POST deactivate: not 202: $(cat body)"
wait_for -p "$npid" 20 status_is INACTIVE || fail "not INACTIVE after POST deactivate: $(cat body)"
sleep 3
e1=$(emitted)
sleep 3
e2=$(emitted)
[ -n "$e1" ] && [ "$e1" = "$e2" ] || fail "deactivated over nimbus, the spout still emits ($e1 -> $e2)"
[ "$(get -X POST "http://$addr/api/v1/topology/$name/activate")" = 202 ] ||
    fail "POST activate: not 202: $(cat body)"
wait_for -p "$npid" 20 status_is ACTIVE || fail "not ACTIVE after POST activate"
grows() { e=$(emitted) && [ -n "$e" ] && [ "$e" -gt "$e2" ]; }
wait_for -p "$npid" 20 grows || fail "activated over nimbus, the spout does not emit ($e2)"
[ "$(get -X POST "http://$addr/api/v1/topology/$name/savepoint" -d "{\"dir\": \"$tmp/sp\"}")" = 202 ] ||
    fail "POST savepoint: not 202: $(cat body)"
wait_for -p "$npid" 30 test -f "$tmp/sp/SAVEPOINT" || fail "savepoint over nimbus: not written"
[ "$(get -X POST "http://$addr/api/v1/topology/$name/savepoint" -d '{not json')" = 400 ] ||
    fail "savepoint with a broken body: not 400"
[ "$(get -X POST "http://$addr/api/v1/topology/$name/savepoint" -d '{"dir": "rel/dir"}')" = 409 ] ||
    fail "savepoint into a relative dir: not 409: $(cat body)"
[ "$(get -X POST "http://$addr/api/v1/topology/$name/rebalance" -d '{}')" = 400 ] ||
    fail "rebalance without a spec: not 400"
[ "$(get -X POST "http://$addr/api/v1/topology/$name/kill" -d '{"wait": -1}')" = 400 ] ||
    fail "kill with a negative wait: not 400"
[ "$(get -X POST "http://$addr/api/v1/topology/$name/explode")" = 404 ] ||
    fail "unknown action: not 404"
[ "$(get -X POST "http://$addr/api/v1/topology/nope-$$/deactivate")" = 404 ] ||
    fail "POST for an unknown topology: not 404"
status_is ACTIVE || fail "the refused requests changed $name: $(cat body)"

# A peer that is not loopback reads, but POSTs only with the token.
if [ -n "$ext" ]; then
    eaddr=$ext:$hport
    [ "$(get "http://$eaddr/api/v1/topology/summary")" = 200 ] ||
        fail "token: GET from $ext: not 200"
    [ "$(get -X POST "http://$eaddr/api/v1/topology/$name/deactivate")" = 403 ] ||
        fail "token: POST from $ext without the token: not 403"
    [ "$(get -X POST -H 'Authorization: Bearer wrong' "http://$eaddr/api/v1/topology/$name/deactivate")" = 403 ] ||
        fail "token: POST with a wrong token: not 403"
    status_is ACTIVE || fail "token: a refused POST deactivated $name"
    [ "$(get -X POST -H "Authorization: Bearer $(cat http.tok)" "http://$eaddr/api/v1/topology/$name/deactivate")" = 202 ] ||
        fail "token: POST with the token: not 202: $(cat body)"
    wait_for -p "$npid" 20 status_is INACTIVE || fail "token: not INACTIVE"
    [ "$(get -X POST "http://$addr/api/v1/topology/$name/activate")" = 202 ] ||
        fail "token: POST activate from loopback: not 202"
    wait_for -p "$npid" 20 status_is ACTIVE || fail "token: not ACTIVE again"
else
    echo "no address but loopback here: the token case is not run"
fi

# gale top through nimbus.
"$GALE" top --once --cluster c.cfg "$name" >top.out 2>top.err || fail "gale top --cluster: $(cat top.err)"
awk '$1 == "count" && $2 == "bolt" && $7 > 0 { ok = 1 } END { exit !ok }' top.out ||
    fail "gale top --cluster: no count row with a rate: $(cat top.out)"
"$GALE" top --once --cluster c.cfg nope-$$ 2>top.err && fail "gale top --cluster of an unknown topology exited 0"
grep -q "no topology called" top.err || fail "gale top --cluster nope: $(cat top.err)"

[ "$(get -X POST "http://$addr/api/v1/topology/$name/kill?wait=0")" = 202 ] ||
    fail "POST kill: not 202: $(cat body)"
gone_from_summary() {
    [ "$(get "http://$addr/api/v1/topology/summary")" = 200 ] && ! grep -q "\"id\":\"$name\"" body
}
wait_for -p "$npid" 60 gone_from_summary || fail "$name still in the summary after kill: $(cat body)"
kill "$npid"
wait "$npid"
npid=""
finish "PASS nimbus_http"
