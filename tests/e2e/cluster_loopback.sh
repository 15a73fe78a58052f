#!/bin/bash
# cluster_loopback.sh - a topology master (`gale run --cluster`) with three
# supervisors on loopback, CURVE between every process: the word count
# runs spread over the three "hosts"; one host is killed (supervisor and
# workers, kill -9), another is frozen (SIGSTOP, as a host cut off from
# the network) for longer than the supervisor timeout and thawed. The
# master declares each dead, restores the last checkpoint on the hosts
# left, spreads again when the frozen one answers, and the committed
# running counts are exact. Needs no privileges (tests/e2e/cluster.sh is
# the same with network namespaces as hosts).
set -u
: "${GALE:=./gale}"
: "${top_builddir:=.}"
GALE=$(cd "$(dirname "$GALE")" && pwd)/$(basename "$GALE")
gen=$(cd "$top_builddir" && pwd)/bench/gen_corpus
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cluster-lo.XXXXXX") || exit 99
export LC_ALL=C
[ -x "$gen" ] || { echo "run make check first"; exit 99; }
. "$(dirname "$0")/lib.sh"
pids=()
cleanup() {
    for p in "${pids[@]}"; do
        pkill -KILL -P "$p" 2>/dev/null
        kill -KILL "$p" 2>/dev/null
    done
    pkill -KILL -f "gale worker $tmp" 2>/dev/null
    [ -n "${KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

N=150000
wc_want "$gen" $N "$tmp/want"
# Below the ephemeral range (32768 and up), where outgoing connections
# would take ports from under the listeners, and apart from the ranges
# of the other tests that listen on loopback (workers.sh 5000-9999,
# nimbus.sh 20000-31999), which make check may run at the same time.
base=$((10000 + ($$ % 390) * 25))
mkdir -p "$tmp/keys" "$tmp/other"
for k in nimbus h1 h2 h3 admin; do
    "$GALE" keygen -o "$tmp/keys" $k > /dev/null 2>&1 || { echo "keygen failed"; exit 1; }
done
cat > "$tmp/cluster.cfg" <<CFG
security = "curve";
keys = "$tmp/keys";
nimbus = { host = "127.0.0.1"; port = $base; dir = "$tmp/nimbus"; };
supervisor = { dir = "$tmp/sup"; timeout_ms = 2000; };
supervisors = ( { name = "h1"; host = "127.0.0.1"; port = $((base + 1)); },
                { name = "h2"; host = "127.0.0.1"; port = $((base + 2)); },
                { name = "h3"; host = "127.0.0.1"; port = $((base + 3)); } );
ports = { first = $((base + 10)); per_topology = 200; };
CFG
cat > "$tmp/wc.cfg" <<CFG
name = "lo-wc";
config = { workers = 6; worker_timeout_ms = 4000; restart_delay_ms = 0;
           checkpoint = { interval_ms = 300; dir = "$tmp/state"; }; };
spouts = ( { id = "gen"; type = "generator"; seed = 42; count = $N; rate = 15000;
             fields = ["sentence"]; } );
bolts = ( { id = "split"; type = "split"; parallelism = 6; fields = ["word"]; },
          { id = "count"; type = "count"; key = "word"; parallelism = 6;
            fields = ["word", "count"]; },
          { id = "sink"; type = "file_sink"; path = "$tmp/out"; parallelism = 6; } );
streams = ( { from = "gen"; to = "split"; grouping = "shuffle"; },
            { from = "split"; to = "count"; grouping = "fields"; fields = ["word"]; },
            { from = "count"; to = "sink"; grouping = "fields"; fields = ["word"]; } );
CFG

declare -A sup
start_sup() {  # NAME
    "$GALE" supervisor --cluster "$tmp/cluster.cfg" --name "$1" 2>> "$tmp/sup-$1.log" &
    sup[$1]=$!
    pids+=($!)
    disown $!
}
for h in h1 h2 h3; do start_sup $h; done

"$GALE" run --cluster "$tmp/cluster.cfg" --slot 0 "$tmp/wc.cfg" 2> "$tmp/master.log" &
master=$!
pids+=($master)

# wait_for SECS CMD...: polls CMD every 0.2 s; 1 when it never held.
wait_for() {
    local end=$((SECONDS + $1)); shift
    until "$@"; do
        [ $SECONDS -ge $end ] && return 1
        kill -0 $master 2>/dev/null || return 1
        sleep 0.2
    done
}
placed_on() { grep -q "runs on $1 " "$tmp/master.log"; }

wait_for 30 placed_on h3 || fail "the workers were not placed on every host"
for h in h1 h2 h3; do
    placed_on $h || fail "no worker on $h"
done
sleep 2
# Host h2 dies: its supervisor and workers, kill -9.
kill -KILL "${sup[h2]}"
pkill -KILL -P "${sup[h2]}" 2>/dev/null
wait_for 30 grep -q "failed: .*host h2" "$tmp/master.log" ||
    fail "the master did not declare h2 dead"
# Host h3 is cut off: frozen past the supervisor timeout, then thawed.
sleep 2
kids=$(pgrep -P "${sup[h3]}" | tr '\n' ' ')
kill -STOP "${sup[h3]}" $kids
wait_for 30 grep -q "failed: .*host h3" "$tmp/master.log" ||
    fail "the master did not declare h3 dead"
sleep 1
kill -CONT "${sup[h3]}" $kids
# h2 comes back too: a fresh supervisor rejoins.
start_sup h2
wait $master
rc=$?
[ $rc -eq 0 ] || { tail -20 "$tmp/master.log"; fail "master exit $rc"; }
grep -q "spreading the workers again" "$tmp/master.log" ||
    fail "the hosts that came back got no work again"
msg=$(wc_check "$tmp/out" "$tmp/want") || fail "$msg"
grep -E "declared dead|spreading|restarting from" "$tmp/master.log" | sed 's/^/   /' | cut -c1-150
if [ $fails -ne 0 ]; then
    echo "--- master.log (tail)"; tail -30 "$tmp/master.log"
    for h in h1 h2 h3; do echo "--- sup-$h.log (tail)"; tail -5 "$tmp/sup-$h.log"; done
    exit 1
fi
echo "ok: killed and cut hosts recovered with exact output"
exit 0
