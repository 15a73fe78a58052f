#!/usr/bin/env bash
# metrics.sh - /metrics and the REST API of a running word count
# (docs/metrics.md, docs/rest.md), in one process and with 2 worker
# processes: scraped while it runs; deactivated over POST, the spout stops
# and, once drained, count's executed total is exactly the words of the
# sentences the spout emitted (bench/gen_corpus writes the same ones);
# bad requests (malformed, unknown paths and ids, huge bodies, wrong
# methods, bad action bodies) get 4xx and the topology keeps running;
# activated again it goes on; POST kill ends it with exit 0. `gale top
# --once` shows its components. A bad gale.http.address is refused; a
# savepoint over POST is written; a peer that is not loopback may POST
# only with the topology's http_token; a multilang bolt's `metrics`
# counter equals the tuples it executed.
set -u
. "$(dirname "$0")/lib.sh" || exit 99
gen=$(build_file bench/gen_corpus)
ml=$(cd "$top_srcdir" && pwd)/tests/multilang
need_build "$gen"
need_cmd curl curl
work_dir metrics
cd "$tmp" || exit 99

# metric NAME SELECTOR: the sum of NAME's series whose labels contain
# SELECTOR (e.g. component="count"), from the scrape in file scrape.
metric() {
    awk -v n="$1" -v sel="$2" '
        index($0, n "{") == 1 && index($0, sel) > 0 { s += $NF }
        END { printf "%.0f\n", s }' scrape
}

# scrape: GETs /metrics into file scrape; fails on anything but 200.
scrape() {
    [ "$(curl -s -o scrape -w '%{http_code}' "http://$addr/metrics")" = 200 ]
}

# status_of METHOD PATH [CURL ARGS]: the HTTP status of one request.
status_of() {
    local m=$1 p=$2
    shift 2
    curl -s -o body -w '%{http_code}' -X "$m" "$@" "http://$addr$p"
}

# drained: the spout emitted nothing since the last call and count
# executed everything split emitted.
last_emitted=-1
drained() {
    scrape || return 1
    local e s c
    e=$(metric gale_component_emitted_total 'component="sentences"')
    s=$(metric gale_component_emitted_total 'component="split"')
    c=$(metric gale_component_executed_total 'component="count"')
    [ "$e" = "$last_emitted" ] && [ "$s" = "$c" ] && [ "$c" -gt 0 ] &&
        return 0
    last_emitted=$e
    return 1
}

run_case() {
    local workers=$1 name=metrics-$$-$1
    mkdir -p "w$workers" && cd "w$workers" || exit 99
    paced_wc_cfg "$name" "$workers" 3000
    start_http topo.cfg

    # Scraped while it runs: counts grow, every family is there.
    wait_for -p "$pid" 20 eval 'scrape && [ "$(metric gale_component_executed_total component=\"count\")" -gt 1000 ]' ||
        die "workers=$workers: count executed nothing in 20 s"
    grep -q '^# TYPE gale_task_executed_total counter$' scrape ||
        fail "no gale_task_executed_total family"
    grep -q "^gale_task_executed_total{topology=\"$name\",component=\"count\",task=\"[0-9]*\",worker=\"[0-9]*\"} [0-9]*\$" scrape ||
        fail "task series not as documented: $(grep gale_task_executed_total scrape | head -2)"
    grep -q "^gale_component_execute_latency_seconds_bucket{topology=\"$name\",component=\"count\",le=\"+Inf\"} [1-9]" scrape ||
        fail "no latency histogram for count"
    grep -q "^gale_topology_workers{topology=\"$name\"} $workers\$" scrape ||
        fail "gale_topology_workers is not $workers"
    [ "$(metric gale_component_state_bytes 'component="count"')" -gt 0 ] ||
        fail "workers=$workers: count's keyed state is 0 bytes: $(grep 'state_bytes.*count' scrape | head -2)"
    [ "$(metric gale_worker_executed_total 'worker="'$((workers - 1))'"')" -gt 0 ] ||
        fail "worker $((workers - 1)) executed nothing (workers=$workers)"
    first=$(metric gale_component_executed_total 'component="count"')

    # Bad input: 4xx, and the topology goes on.
    [ "$(status_of GET /nope)" = 404 ] || fail "GET /nope: not 404"
    [ "$(status_of GET /api/v1/topology/no-such-topology)" = 404 ] ||
        fail "unknown topology id: not 404"
    [ "$(status_of GET /api/v1/topology/$name/component/nope)" = 404 ] ||
        fail "unknown component: not 404"
    [ "$(status_of DELETE /metrics)" = 405 ] || fail "DELETE /metrics: not 405"
    [ "$(status_of POST /api/v1/topology/$name/explode)" = 404 ] ||
        fail "unknown action: not 404"
    [ "$(status_of POST /api/v1/topology/$name/savepoint -d '{not json')" = 400 ] ||
        fail "savepoint with a broken body: not 400"
    [ "$(status_of POST /api/v1/topology/$name/rebalance -d '{"executors": {"nope": 3}}')" = 409 ] ||
        fail "rebalance of an unknown component: not 409 ($(cat body))"
    [ "$(status_of POST /api/v1/topology/$name/savepoint -d '{"dir": "relative/dir"}')" = 409 ] ||
        fail "savepoint to a relative dir: not 409 ($(cat body))"
    head -c 2000000 /dev/zero | tr '\0' x > big
    [ "$(status_of POST /api/v1/topology/$name/activate --data-binary @big)" = 413 ] ||
        fail "a 2 MB body: not 413"
    [ "$(status_of GET "/$(head -c 20000 big)")" = 414 ] ||
        [ "$(status_of GET "/$(head -c 20000 big)")" = 431 ] ||
        fail "a 20 kB URL: not 414/431 ($(status_of GET "/$(head -c 20000 big)"))"
    port=${addr##*:}
    reply=$(timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port;
        printf 'THIS IS NOT HTTP\r\n\r\n' >&3; head -1 <&3")
    case $reply in "HTTP/1.1 400"*) ;; *) fail "garbage: '$reply', not 400" ;; esac
    timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port; printf 'GET /metr' >&3;
        exec 3>&-" || true
    kill -0 "$pid" || die "workers=$workers: gale died on bad input"
    wait_for -p "$pid" 10 eval 'scrape && [ "$(metric gale_component_executed_total component=\"count\")" -gt "$first" ]' ||
        fail "count did not go on after the bad requests"

    # Summary and pages.
    [ "$(status_of GET /api/v1/topology/summary)" = 200 ] &&
        grep -q "\"id\":\"$name\"" body || fail "summary: $(cat body)"
    [ "$(status_of GET /api/v1/topology/$name)" = 200 ] &&
        grep -q '"id":"count"' body && grep -q '"grouping":"fields"' body ||
        fail "topology page: $(head -c 300 body)"
    [ "$(status_of GET /api/v1/topology/$name/component/count)" = 200 ] &&
        grep -q '"taskStats":\[{' body || fail "component page: $(head -c 300 body)"

    # gale top, once: a row per component, count's rate non-zero (a rate
    # needs two of the master's samples: asked again until there are).
    top_rate() {
        "$GALE" top --once "$name" >top.out 2>top.err || return 1
        awk '$1 == "count" && $2 == "bolt" && $7 > 0 { ok = 1 } END { exit !ok }' top.out
    }
    wait_for -p "$pid" 10 top_rate ||
        fail "gale top: no count row with a rate: $(cat top.out top.err)"
    grep -q '^sentences  *spout ' top.out || fail "gale top: no spout row"
    "$GALE" top --once no-such-topology-$$ 2>/dev/null &&
        fail "gale top of an unknown topology exited 0"

    if [ "$workers" = 1 ]; then
        # A savepoint over POST: accepted, then written.
        [ "$(status_of POST /api/v1/topology/$name/savepoint -d "{\"dir\": \"$PWD/sp\"}")" = 202 ] ||
            fail "savepoint: $(cat body)"
        wait_for -p "$pid" 30 test -f sp/SAVEPOINT || fail "savepoint: not written"
        grep -q "savepoint $PWD/sp written" run.err || fail "savepoint: not logged"
    fi

    # Deactivated: the spout stops; drained, count executed exactly the
    # words of the sentences emitted.
    [ "$(status_of POST /api/v1/topology/$name/deactivate)" = 200 ] ||
        fail "deactivate: $(cat body)"
    wait_for -i 1 -p "$pid" 30 drained || die "workers=$workers: not drained after deactivate"
    grep -q "^gale_topology_active{topology=\"$name\"} 0\$" scrape ||
        fail "gale_topology_active is not 0 when deactivated"
    emitted=$(metric gale_component_emitted_total 'component="sentences"')
    executed=$(metric gale_component_executed_total 'component="count"')
    words=$("$gen" -s 42 -n "$emitted" | wc -w)
    [ "$executed" -eq "$words" ] ||
        fail "workers=$workers: count executed $executed, the first $emitted sentences have $words words"
    tasks=$(metric gale_task_executed_total 'component="count"')
    [ "$tasks" -eq "$executed" ] || fail "task series sum $tasks, component $executed"
    echo "workers=$workers: deactivated after $emitted sentences; count executed $executed = $words words"

    [ "$(status_of POST /api/v1/topology/$name/activate)" = 200 ] ||
        fail "activate: $(cat body)"
    wait_for -p "$pid" 10 eval 'scrape && [ "$(metric gale_component_emitted_total component=\"sentences\")" -gt "$emitted" ]' ||
        fail "the spout did not go on after activate"
    [ "$(status_of POST "/api/v1/topology/$name/kill?wait=0")" = 200 ] ||
        fail "kill: $(cat body)"
    wait_for 30 eval '! kill -0 $pid 2>/dev/null' || die "not stopped after kill"
    wait "$pid" || fail "workers=$workers: exit status $? after kill"
    grep -q "http: POST deactivate: ok" run.err || fail "the action is not logged"
    cd .. || exit 99
}

# Bad addresses: file:line and exit 2 at load; one that cannot be bound
# (not this host's, or a port in use) stops the run before it starts.
mkdir bad && cd bad || exit 99
paced_wc_cfg "bad-$$" 1 10
sed 's/^config = {/config = { http = "no-port";/' topo.cfg > badaddr.cfg
"$GALE" validate badaddr.cfg >out 2>err
rc=$?
[ "$rc" -eq 2 ] && grep -q '^badaddr.cfg:2: config key `http` must be "HOST:PORT"' err ||
    fail "http = \"no-port\": exit $rc, $(cat err)"
"$GALE" run -c gale.http.address=127.0.0.1:70000 topo.cfg >out 2>err
rc=$?
[ "$rc" -eq 2 ] && grep -q 'gale.http.address=127.0.0.1:70000: .* must be' err ||
    fail "-c gale.http.address=127.0.0.1:70000: exit $rc, $(cat err)"
"$GALE" run -c gale.http.address=192.0.2.1:80 topo.cfg >out 2>err
rc=$?
[ "$rc" -eq 1 ] && grep -q 'gale.http.address: cannot listen on 192.0.2.1:80' err ||
    fail "an address not on this host: exit $rc, $(cat err)"
start_http topo.cfg
sed "s/^name = \"bad-$$\"/name = \"bad2-$$\"/" topo.cfg > two.cfg
timeout 30 "$GALE" run -c "gale.http.address=$addr" two.cfg >out 2>err
rc=$?
[ "$rc" -eq 1 ] && grep -q "cannot listen on $addr" err ||
    fail "a port in use: exit $rc, $(cat err)"
kill "$pid"
wait "$pid"
cd .. || exit 99

# Write access: bound to every address with a token, a peer that is not
# loopback reads, but may POST only with the token.
ext=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+[.]' | grep -v '^127[.]' | head -1)
if [ -n "$ext" ]; then
    mkdir token && cd token || exit 99
    paced_wc_cfg "token-$$" 1 100
    sed "s/^config = {/config = { http = \"0.0.0.0:0\"; http_token = \"s3cret-$$\";/" \
        topo.cfg > tok.cfg
    "$GALE" run tok.cfg >run.out 2>run.err &
    pid=$!
    at_exit "kill $pid 2>/dev/null"
    wait_for -p "$pid" 20 grep -q 'http: metrics at' run.err || die "token: no address"
    port=$(sed -n 's|.*metrics at http://[^/]*:\([0-9]*\)/metrics.*|\1|p' run.err)
    addr=$ext:$port
    [ "$(status_of GET /api/v1/topology/summary)" = 200 ] ||
        fail "token: GET from $ext: not 200"
    [ "$(status_of POST /api/v1/topology/token-$$/deactivate)" = 403 ] ||
        fail "token: POST from $ext without the token: not 403"
    [ "$(status_of POST /api/v1/topology/token-$$/deactivate -H 'Authorization: Bearer wrong')" = 403 ] ||
        fail "token: POST with a wrong token: not 403"
    [ "$(status_of POST /api/v1/topology/token-$$/deactivate -H "Authorization: Bearer s3cret-$$")" = 200 ] ||
        fail "token: POST with the token: not 200 ($(cat body))"
    addr=127.0.0.1:$port
    [ "$(status_of POST /api/v1/topology/token-$$/activate)" = 200 ] ||
        fail "token: POST from loopback: not 200"
    kill "$pid"
    wait "$pid"
    cd .. || exit 99
else
    echo "no address but loopback here: the token case is not run"
fi

# User counters: a Python bolt sends Storm's `metrics` command once per
# tuple; drained, its counter equals the tuples it executed.
if command -v python3 >/dev/null 2>&1; then
    mkdir user && cd user || exit 99
    cat > seen_bolt.py <<PY
import sys
sys.path.insert(0, "$ml")
import storm


class SeenBolt(storm.BasicBolt):
    def process(self, tup):
        storm.rpcMetrics("seen", 1)


SeenBolt().run()
PY
    cat > topo.cfg <<CFG
name = "user-$$";
config = { checkpoint = { interval_ms = 200; dir = "state"; }; };
spouts = ( { id = "sentences"; type = "generator"; mode = "sentences";
             seed = 42; count = 100000000; rate = 200; fields = ["sentence"]; } );
bolts = ( { id = "ml"; type = "shell"; command = ["python3", "seen_bolt.py"];
            cwd = "$PWD"; parallelism = 2; } );
streams = ( { from = "sentences"; to = "ml"; grouping = "shuffle"; } );
CFG
    start_http topo.cfg
    # user_drained: the spout is deactivated, and ml's counter has caught
    # up with what it executed: the child sends it before its ack, and a
    # checkpoint barrier passes the shell bolt only once the child acked
    # every tuple before it (with guarantee none the last replies would
    # wait for the next tuple).
    user_drained() {
        scrape || return 1
        local x u
        x=$(metric gale_component_executed_total 'component="ml"')
        u=$(metric gale_component_user_counter 'name="seen"')
        [ "$x" -gt 0 ] && [ "$x" = "$u" ]
    }
    wait_for -p "$pid" 20 eval 'scrape && [ "$(metric gale_component_executed_total component=\"ml\")" -gt 50 ]' ||
        die "user: ml executed nothing"
    [ "$(status_of POST "/api/v1/topology/user-$$/deactivate")" = 200 ] ||
        fail "user: deactivate"
    sleep 1
    wait_for -p "$pid" 20 user_drained ||
        fail "user: counter seen $(metric gale_component_user_counter 'name="seen"'), executed $(metric gale_component_executed_total 'component="ml"')"
    grep -q "^gale_task_user_counter{topology=\"user-$$\",component=\"ml\",task=\"[0-9]*\",worker=\"0\",name=\"seen\"} [1-9]" scrape ||
        fail "user: no task series: $(grep user_counter scrape | head -3)"
    [ "$(status_of GET "/api/v1/topology/user-$$/component/ml")" = 200 ] &&
        grep -q '"userCounters":{"seen":[1-9]' body || fail "user: component page: $(head -c 300 body)"
    echo "user counters: ml executed $(metric gale_component_executed_total 'component="ml"'), seen $(metric gale_component_user_counter 'name="seen"')"
    kill "$pid"
    wait "$pid"
    cd .. || exit 99
else
    echo "no python3: the user counter case is not run"
fi

run_case 1
run_case 2

# Event time: a window bolt's watermark and its lag behind the wall clock.
# The events start 60 s ago, 1 ms of event time each at 2 000 a second,
# so the lag grows; the watermark is within the events' span.
mkdir -p wm && cd wm || exit 99
start=$(( $(date +%s) * 1000 - 60000 ))
cat > topo.cfg <<CFG
name = "wm-$$";
config = { guarantee = "none"; };
spouts = ( { id = "ev"; type = "generator"; mode = "events"; seed = 1;
             start_ms = $start; step_ms = 1; rate = 2000; vocabulary = 10;
             fields = ["key", "ts", "value"];
             watermark = { field = "ts"; lag_ms = 50; interval_ms = 20; }; } );
bolts = ( { id = "w"; type = "window"; key = "key"; timestamp_field = "ts";
            length_ms = 100; fields = ["key", "start", "end", "count"]; } );
streams = ( { from = "ev"; to = "w"; grouping = "fields"; fields = ["key"]; } );
CFG
start_http topo.cfg
wait_for -p "$pid" 20 eval 'scrape && grep -q "^gale_task_watermark_lag_seconds{topology=\"wm-$$\",component=\"w\"" scrape' ||
    fail "event time: no watermark lag series for w: $(grep watermark scrape | head -3)"
wm=$(awk -v n='gale_task_watermark_seconds{topology="wm-'$$'",component="w"' 'index($0, n) == 1 { print int($NF) }' scrape | head -1)
lag=$(awk -v n='gale_task_watermark_lag_seconds{topology="wm-'$$'",component="w"' 'index($0, n) == 1 { print int($NF) }' scrape | head -1)
[ -n "$wm" ] && [ "$wm" -ge $((start / 1000 - 1)) ] && [ "$wm" -le $(( $(date +%s) )) ] ||
    fail "event time: watermark $wm s is not within the events (from $((start / 1000)) s)"
[ -n "$lag" ] && [ "$lag" -ge 50 ] && [ "$lag" -le 120 ] ||
    fail "event time: watermark lag $lag s, expected about 60 s"
echo "event time: w's watermark $wm s, lag $lag s"
kill "$pid"
wait "$pid"
cd .. || exit 99
finish "PASS metrics"
