#!/usr/bin/env bash
# hosts.sh - the per-host figures (docs/metrics.md, "Hosts"): a topology
# master (`gale run --cluster`) places a paced word count on three
# supervisors on loopback, three "hosts" (h1, h2, h3); its /metrics labels
# each worker with its host. Once the spout is deactivated and the
# topology drained (counts no longer move), one scrape must add up
# exactly: per host, gale_host_*_total (emitted, transferred, executed,
# errors) equals the sum of that host's gale_worker_*_total and the sum of
# the task series of its workers, gale_host_workers its workers and
# gale_host_tasks its tasks; the topology's gale_topology_*_total equals
# the sum over the hosts; the hosts' merged execute latency histograms
# add up, bucket by bucket, to the topology's and to the components'.
# The REST topology page's hosts add up to its totals and agree with
# /metrics. Every host executed tuples.
set -u
. "$(dirname "$0")/lib.sh" || exit 99
need_cmd curl curl
need_cmd python3 python3
work_dir hosts
cd "$tmp" || exit 99
unset GALE_CLUSTER GALE_KEY
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do
        pkill -KILL -P "$p" 2>/dev/null
        kill -KILL "$p" 2>/dev/null
    done
    pkill -KILL -f "gale worker $tmp" 2>/dev/null
}
at_exit cleanup

# 2000-4999: lib.sh's table of port ranges.
base=$(port_in 2000 4900 100 $RANDOM)
cat > cluster.cfg <<CFG
security = "none";
nimbus = { host = "127.0.0.1"; port = $base; dir = "$tmp/nimbus"; };
supervisor = { dir = "$tmp/sup"; timeout_ms = 3000; };
supervisors = ( { name = "h1"; host = "127.0.0.1"; port = $((base + 1)); },
                { name = "h2"; host = "127.0.0.1"; port = $((base + 2)); },
                { name = "h3"; host = "127.0.0.1"; port = $((base + 3)); } );
ports = { first = $((base + 10)); per_topology = 80; };
CFG
name=hosts-$$
cat > wc.cfg <<CFG
name = "$name";
config = { workers = 3; checkpoint = { interval_ms = 300; dir = "$tmp/state"; }; };
spouts = ( { id = "sentences"; type = "generator"; mode = "sentences";
             seed = 42; count = 100000000; rate = 1500; fields = ["sentence"]; } );
bolts = (
  { id = "split"; type = "split"; parallelism = 3; fields = ["word"]; },
  { id = "count"; type = "count"; key = "word"; parallelism = 3;
    fields = ["word", "count"]; } );
streams = (
  { from = "sentences"; to = "split"; grouping = "shuffle"; },
  { from = "split"; to = "count"; grouping = "fields"; fields = ["word"]; } );
CFG
for h in h1 h2 h3; do
    "$GALE" supervisor --cluster cluster.cfg --name $h 2>>sup-$h.log &
    pids+=($!)
    disown $!
done
"$GALE" run --cluster cluster.cfg --slot 0 wc.cfg >run.out 2>run.err &
pid=$!
pids+=($pid)
wait_for -p "$pid" 30 grep -q 'http: metrics at' run.err ||
    { tail -20 run.err; die "the master logged no http address"; }
addr=$(sed -n 's|.*metrics at http://\([^/]*\)/metrics.*|\1|p' run.err | head -1)

scrape() {
    [ "$(curl -s -o scrape -w '%{http_code}' "http://$addr/metrics")" = 200 ]
}
# metric NAME SELECTOR: the sum of NAME's series whose labels hold SELECTOR.
metric() {
    awk -v n="$1" -v sel="$2" '
        index($0, n "{") == 1 && index($0, sel) > 0 { s += $NF }
        END { printf "%.0f\n", s }' scrape
}
every_host() {
    scrape || return 1
    local h
    for h in h1 h2 h3; do
        [ "$(metric gale_host_executed_total "host=\"$h\"")" -gt 0 ] || return 1
    done
}
wait_for -p "$pid" 40 every_host ||
    { tail -20 run.err; die "not every host executed tuples: $(grep '^gale_host_executed' scrape)"; }

# Deactivated and drained: two scrapes 1 s apart with the same counts.
[ "$(curl -s -o post -w '%{http_code}' -X POST "http://$addr/api/v1/topology/$name/deactivate")" = 200 ] ||
    die "deactivate: $(cat post)"
last=""
drained() {
    scrape || return 1
    local now
    now=$(grep -E '^gale_task_(emitted|executed)_total' scrape | md5sum)
    [ "$now" = "$last" ] && [ "$(metric gale_component_emitted_total 'component="split"')" = \
        "$(metric gale_component_executed_total 'component="count"')" ] && return 0
    last=$now
    return 1
}
wait_for -p "$pid" 30 drained || die "the topology did not drain"
cp scrape final.prom
curl -s -o page.json "http://$addr/api/v1/topology/$name" || die "no topology page"

# The checks, on the one scrape: awk prints one line per mismatch.
awk '
function labels(s,   r, kv, n, i, k) {
    delete L
    r = substr(s, index(s, "{") + 1)
    r = substr(r, 1, index(r, "}") - 1)
    n = split(r, kv, ",")
    for (i = 1; i <= n; i++) {
        k = substr(kv[i], 1, index(kv[i], "=") - 1)
        L[k] = substr(kv[i], index(kv[i], "=") + 2)
        sub(/"$/, "", L[k])
    }
}
/^gale_(worker|host|topology|task|component)_/ {
    name = substr($1, 1, index($1, "{") - 1)
    labels($1)
    v = $NF
    if (name ~ /^gale_worker_.*_total$/) {
        x = name; sub(/^gale_worker_/, "", x)
        wsum[L["host"], x] += v; whost[L["worker"]] = L["host"]
    } else if (name ~ /^gale_host_(emitted|transferred|executed|errors)_total$/) {
        x = name; sub(/^gale_host_/, "", x); host[L["host"], x] = v; hosts[L["host"]] = 1
    } else if (name == "gale_host_workers") {
        hw[L["host"]] = v
    } else if (name == "gale_host_tasks") {
        ht[L["host"]] = v
    } else if (name ~ /^gale_topology_(emitted|transferred|executed|errors)_total$/) {
        x = name; sub(/^gale_topology_/, "", x); topo[x] = v
    } else if (name == "gale_topology_tasks") {
        ntasks = v
    } else if (name ~ /^gale_task_(emitted|transferred|executed|errors)_total$/) {
        x = name; sub(/^gale_task_/, "", x); tsum[L["worker"], x] += v
        if (x == "emitted_total") tw[L["worker"]]++
    } else if (name == "gale_host_execute_latency_seconds_bucket") {
        hb[L["le"]] += v
    } else if (name == "gale_topology_execute_latency_seconds_bucket") {
        ob[L["le"]] = v
    } else if (name == "gale_component_execute_latency_seconds_bucket") {
        cb[L["le"]] += v
    }
}
END {
    split("emitted transferred executed errors", X, " ")
    for (h in hosts) {
        nh++
        for (i = 1; i <= 4; i++) {
            x = X[i] "_total"
            if (host[h, x] != wsum[h, x])
                print "host " h ": gale_host_" x " " host[h, x] " != its workers " wsum[h, x]
            ts = 0
            for (w in whost) if (whost[w] == h) ts += tsum[w, x]
            if (host[h, x] != ts)
                print "host " h ": gale_host_" x " " host[h, x] " != its tasks " ts
            osum[x] += host[h, x]
        }
        k = 0; tk = 0
        for (w in whost) if (whost[w] == h) { k++; tk += tw[w] }
        if (hw[h] != k) print "host " h ": gale_host_workers " hw[h] " != " k
        if (ht[h] != tk) print "host " h ": gale_host_tasks " ht[h] " != " tk
        alltasks += ht[h]
    }
    if (nh != 3) print nh " hosts, not 3"
    if (alltasks != ntasks) print "gale_host_tasks add up to " alltasks ", not " ntasks
    for (i = 1; i <= 4; i++) {
        x = X[i] "_total"
        if (!(x in topo)) print "no gale_topology_" x
        else if (topo[x] != osum[x])
            print "gale_topology_" x " " topo[x] " != the sum over hosts " osum[x]
    }
    for (le in ob) {
        nb++
        if (hb[le] != ob[le]) print "le=" le ": hosts " hb[le] " != topology " ob[le]
        if (cb[le] != ob[le]) print "le=" le ": components " cb[le] " != topology " ob[le]
    }
    if (nb < 2) print "no gale_topology_execute_latency_seconds buckets"
    printf "checked %d hosts: executed", nh > "/dev/stderr"
    for (h in hosts) printf " %s=%d", h, host[h, "executed_total"] > "/dev/stderr"
    printf ", topology %d\n", topo["executed_total"] > "/dev/stderr"
}' final.prom > mismatch 2> checked
cat checked | sed 's/^/   /'
[ ! -s mismatch ] || fail "the sums do not add up: $(head -10 mismatch)"
for h in h1 h2 h3; do
    [ "$(metric gale_host_executed_total "host=\"$h\"")" -gt 0 ] || fail "$h executed nothing"
    grep -q "^gale_worker_executed_total{topology=\"$name\",worker=\"[0-9]\",host=\"$h\"} " final.prom ||
        fail "no worker series labelled host=\"$h\""
done

# The REST page: its hosts add up to its totals, and match /metrics.
python3 - "$tmp/page.json" "$tmp/final.prom" <<'PY' > rest.out 2>&1 || fail "REST hosts: $(cat rest.out)"
import json, re, sys
page = json.load(open(sys.argv[1]))
prom = open(sys.argv[2]).read()
hosts = page["hosts"]
assert sorted(h["host"] for h in hosts) == ["h1", "h2", "h3"], hosts
for k in ("emitted", "transferred", "executed", "errors"):
    s = sum(h[k] for h in hosts)
    assert s == page["totals"][k], (k, s, page["totals"])
    for h in hosts:
        m = re.search(r'^gale_host_%s_total\{[^}]*host="%s"\} (\S+)$' % (k, h["host"]), prom, re.M)
        assert m and float(m.group(1)) == h[k], (k, h, m and m.group(0))
assert sum(len(h["workers"]) for h in hosts) == page["workersTotal"]
assert sum(h["tasks"] for h in hosts) == page["tasksTotal"]
print("REST hosts ok:", ", ".join("%s %d" % (h["host"], h["executed"]) for h in hosts))
PY
sed 's/^/   /' rest.out

[ "$(curl -s -o post -w '%{http_code}' -X POST "http://$addr/api/v1/topology/$name/kill?wait=0")" = 200 ] ||
    fail "kill: $(cat post)"
wait_for 30 eval '! kill -0 $pid 2>/dev/null' || fail "the master did not exit after kill"
wait $pid
rc=$?
[ $rc -eq 0 ] || fail "the master exited $rc after kill: $(tail -3 run.err)"
finish "PASS hosts"
