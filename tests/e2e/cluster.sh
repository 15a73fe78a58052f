#!/bin/bash
# cluster.sh - gale's bare-metal cluster on three "hosts" that are network
# namespaces joined by a bridge (as on three machines on one switch; the
# filesystem they share stands for the shared mount of checkpoints and
# sink output). CurveZMQ between every process.
#
#   - nimbus on host 1 and a supervisor on each host; an operator's
#     workstation (the switch's namespace, 10.231.0.254) submits a bounded
#     exactly-once word count whose 6 workers spread over all three hosts,
#     each host running split, count and sink tasks;
#   - host 2 dies (kill -9 of every process in its namespace) and its
#     supervisor is started again: the master declares it dead, rolls back
#     to the last checkpoint on the hosts left, and spreads the workers
#     again when it is back;
#   - host 3's link goes down for longer than the supervisor timeout: it
#     is declared dead, its workers stop themselves when the master's
#     lease is lost, and when the link comes back it gets work again;
#   - the master is killed: nimbus starts it again, and the new one
#     restores the last checkpoint and spreads over every host;
#   - deactivate, activate, and a rebalance to 3 workers and 3 count
#     tasks, through nimbus;
#   - an upgrade: `gale kill --savepoint` on the nimbus host, and the file
#     submitted again from the savepoint (6 workers, 6 count tasks);
#   - nimbus is killed and started again: it adopts the running master;
#   - the topology finishes; every committed running count is exact;
#   - a client whose key pair is not in the cluster's keys, and a client
#     without keys (security "none"), are both refused by nimbus.
#
# Needs root and network namespaces (ip netns, veth, bridge); exits 77
# (skipped) without them, saying which is missing. SENTENCES and RATE
# tune the run's length, SUP_TIMEOUT_MS and WORKER_TIMEOUT_MS the two
# timeouts, LIMIT bounds the whole test (s); KEEP=1 keeps the temporary
# directory.
set -u
. "$(dirname "$0")/lib.sh" || exit 99
: "${SENTENCES:=300000}"
: "${RATE:=10000}"
: "${LIMIT:=240}"       # seconds: the whole test, whatever happens
: "${SUP_TIMEOUT_MS:=2000}"     # supervisor.timeout_ms
: "${WORKER_TIMEOUT_MS:=3000}"  # the topology's worker_timeout_ms
gen=$(build_file bench/gen_corpus)
unset GALE_CLUSTER GALE_KEY GALE_FAILPOINT
need_build "$gen"

# ---- what this test makes, and its removal on every exit path ------------
pfx="gale$$"                    # namespace names: unique per run
sw="$pfx-sw"                    # the switch (bridge) and the workstation
hosts=(h1 h2 h3)
declare -A ns addr before_m
for i in 1 2 3; do
    ns[h$i]="$pfx-h$i"
    addr[h$i]="10.231.0.$i"
done
made=()                         # namespaces made so far
watchdog=""

cleanup() {
    local n p
    trap - EXIT INT TERM HUP
    # Every process of every namespace (daemons, masters, workers, clients)
    # is killed by its pid; deleting a namespace removes its links, and the
    # switch's holds the bridge.
    for n in "${made[@]}"; do
        for p in $(ip netns pids "$n" 2>/dev/null); do
            kill -KILL "$p" 2>/dev/null
        done
    done
    for n in "${made[@]}"; do
        ip netns del "$n" 2>/dev/null
    done
    [ -n "$watchdog" ] && kill -TERM "$watchdog" 2> /dev/null
}
at_exit cleanup                 # then lib.sh removes $tmp (KEEP=1 keeps it)
trap 'exit 1' INT TERM HUP

# ---- preconditions: each one checked, and named when it fails -------------
[ "$(id -u)" -eq 0 ] || skip "not root (network namespaces need CAP_SYS_ADMIN)"
need_cmd ip iproute2
need_cmd timeout coreutils
err=$(ip netns add "$sw" 2>&1) || skip "\`ip netns add\` failed: $err"
made+=("$sw")
err=$(ip -n "$sw" link add br0 type bridge 2>&1) ||
    skip "cannot make a bridge: $err"
for h in "${hosts[@]}"; do
    err=$(ip netns add "${ns[$h]}" 2>&1) || skip "\`ip netns add\` failed: $err"
    made+=("${ns[$h]}")
    err=$(ip -n "$sw" link add "$h" type veth peer name eth0 \
        netns "${ns[$h]}" 2>&1) || skip "no veth support: $err"
done

work_dir cluster
export XDG_RUNTIME_DIR=$tmp/run
# The watchdog: TERM to this script after LIMIT s (its trap cleans up);
# TERM to the watchdog stops it and its sleep.
(
    trap 'kill "$s" 2> /dev/null; exit 0' TERM
    sleep "$LIMIT" &
    s=$!
    wait "$s" || exit 0
    echo "cluster.sh: still running after $LIMIT s: stopping" >&2
    kill -TERM $$
) > /dev/null &
watchdog=$!

# ---- the network: 10.231.0.0/24, hosts .1 .2 .3, the workstation .254 -----
set -e
ip -n "$sw" link set lo up
ip -n "$sw" addr add 10.231.0.254/24 dev br0
ip -n "$sw" link set br0 up
for h in "${hosts[@]}"; do
    ip -n "$sw" link set "$h" master br0
    ip -n "$sw" link set "$h" up
    ip -n "${ns[$h]}" link set lo up
    ip -n "${ns[$h]}" addr add "${addr[$h]}/24" dev eth0
    ip -n "${ns[$h]}" link set eth0 up
done
set +e

# on HOST CMD...: runs CMD in host HOST's namespace ("sw": the workstation).
on() {
    local n=$sw
    [ "$1" = sw ] || n=${ns[$1]}
    shift
    ip netns exec "$n" "$@"
}

# reaches HOST ADDR: whether a TCP connection from HOST to ADDR:9 gets an
# answer (accepted or refused: either way a packet came back).
reaches() {
    local out
    out=$(on "$1" timeout 3 bash -c "exec 3<>/dev/tcp/$2/9" 2>&1) && return 0
    case $out in *refused*) return 0 ;; esac
    return 1
}

for from in sw "${hosts[@]}"; do
    for to in "${hosts[@]}"; do
        wait_for 5 reaches "$from" "${addr[$to]}" ||
            { fail "$from cannot reach $to (${addr[$to]})"; exit 1; }
    done
done
echo "ok: three namespaces on a bridge reach each other"

# ---- keys and the cluster file ---------------------------------------------
mkdir -p "$tmp/keys" "$tmp/other" "$tmp/work" "$tmp/run"
for k in nimbus h1 h2 h3 admin; do
    "$GALE" keygen -o "$tmp/keys" $k > /dev/null 2>> "$tmp/keygen.log" ||
        { fail "keygen $k: $(cat "$tmp/keygen.log")"; exit 1; }
done
"$GALE" keygen -o "$tmp/other" rogue > /dev/null 2>> "$tmp/keygen.log" ||
    { fail "keygen rogue: $(cat "$tmp/keygen.log")"; exit 1; }
# Every namespace has ports of its own: the usual ones do not clash.
cat > "$tmp/cluster.cfg" <<CFG
security = "curve";
keys = "$tmp/keys";
nimbus = { host = "${addr[h1]}"; port = 6627; dir = "$tmp/nimbus"; };
supervisor = { port = 6700; dir = "$tmp/sup"; timeout_ms = $SUP_TIMEOUT_MS; };
supervisors = ( { name = "h1"; host = "${addr[h1]}"; },
                { name = "h2"; host = "${addr[h2]}"; },
                { name = "h3"; host = "${addr[h3]}"; } );
ports = { first = 7000; per_topology = 1000; };
CFG
sed 's/^security = "curve";/security = "none";/' "$tmp/cluster.cfg" > "$tmp/nokeys.cfg"

# The word count: one generator, then split, count (keyed state) and the
# transactional sink with 6 tasks each over 6 workers, so that each worker
# runs one of each; round robin over 3 hosts gives every host 2 workers.
T="wc-$$"
N=$SENTENCES
wc_want "$gen" "$N" "$tmp/want"
cat > "$tmp/work/wc.cfg" <<CFG
name = "$T";
# (restart_attempts stays 3: hosts that die or come back do not count.
# The supervisor timeout is below the workers': a dead host is seen as
# one before its workers' silence fails the attempt.)
config = { workers = 6; worker_timeout_ms = $WORKER_TIMEOUT_MS; restart_delay_ms = 0;
           checkpoint = { interval_ms = 400; dir = "$tmp/state"; }; };
spouts = ( { id = "gen"; type = "generator"; seed = 42; count = $N;
             rate = $RATE; fields = ["sentence"]; } );
bolts = ( { id = "split"; type = "split"; parallelism = 6; fields = ["word"]; },
          { id = "count"; type = "count"; key = "word"; parallelism = 6;
            fields = ["word", "count"]; },
          { id = "sink"; type = "file_sink"; path = "$tmp/out"; parallelism = 6; } );
streams = ( { from = "gen"; to = "split"; grouping = "shuffle"; },
            { from = "split"; to = "count"; grouping = "fields"; fields = ["word"]; },
            { from = "count"; to = "sink"; grouping = "fields"; fields = ["word"]; } );
CFG

# ---- the daemons -------------------------------------------------------------
# Logs: $tmp/nimbus.log, $tmp/sup-hN.log; the master's is named in
# nimbus's log, workers' are under $tmp/sup/hN/T/.
# (ip netns exec execs its command: $! is the daemon's pid. Disowned: the
# kill -9s are this test's, bash need not report them.)
start_nimbus() {
    ip netns exec "${ns[h1]}" "$GALE" nimbus --cluster "$tmp/cluster.cfg" \
        > /dev/null 2>> "$tmp/nimbus.log" &
    nimbus_pid=$!
    disown $!
}
start_sup() {  # HOST
    ip netns exec "${ns[$1]}" "$GALE" supervisor --cluster "$tmp/cluster.cfg" \
        --name "$1" > /dev/null 2>> "$tmp/sup-$1.log" &
    disown $!
}

# dump: the logs' tails, after a failure.
dump() {
    local f
    for f in "$tmp"/nimbus.log "$(master_log)" "$tmp"/sup-h?.log; do
        [ -f "$f" ] || continue
        echo "--- $f (tail)"
        tail -${1:-15} "$f"
    done
}

# master_log: the path of the topology master's log (from nimbus's log).
master_log() {
    sed -n "s/.*$T: master started, pid [0-9]* (slot [0-9]*, log \(.*\))$/\1/p" \
        "$tmp/nimbus.log" 2> /dev/null | tail -1
}

# in_master REGEX: whether the master's log has a line matching REGEX.
in_master() {
    local m
    m=$(master_log)
    [ -n "$m" ] && grep -qE "$1" "$m"
}

# gale_cli ARGS...: the gale command on the workstation, bounded.
gale_cli() {
    on sw timeout 60 "$GALE" "$@"
}

start_nimbus
wait_for 20 grep -qs "nimbus: listening at" "$tmp/nimbus.log" ||
    { fail "nimbus did not start"; dump; exit 1; }
for h in "${hosts[@]}"; do start_sup $h; done
for h in "${hosts[@]}"; do
    wait_for 20 grep -q "supervisor $h registered" "$tmp/nimbus.log" ||
        fail "supervisor $h did not register with nimbus"
done
[ $fails -eq 0 ] || { dump; exit 1; }
echo "ok: nimbus on h1 and a supervisor on each host, registered"

# ---- submit from the workstation, and placement ------------------------------
(cd "$tmp/work" && gale_cli submit wc.cfg --cluster "$tmp/cluster.cfg") \
    > "$tmp/submit.out" 2>&1 ||
    { fail "submit: $(cat "$tmp/submit.out")"; dump; exit 1; }
listed() {  # STATUS-REGEX
    gale_cli list --cluster "$tmp/cluster.cfg" 2> /dev/null |
        grep -qE "^$T +($1) "
}
wait_for 30 listed ACTIVE || fail "$T never listed ACTIVE"
gale_cli list --cluster "$tmp/cluster.cfg" | grep -qE "^$T +ACTIVE +19 +6 " ||
    fail "list: $(gale_cli list --cluster "$tmp/cluster.cfg" 2>&1)"

# Where the workers run, from the master's log: "T: worker W (epoch E)
# runs on H as pid P".
placed() {  # EPOCH HOST
    in_master "$T: worker [0-9]+ \(epoch $1\) runs on $2 as pid"
}
# placements HOST: how many times a worker was started on HOST.
placements() {
    grep -cE "$T: worker [0-9]+ \(epoch [0-9]+\) runs on $1 as pid" \
        "$(master_log)" 2> /dev/null
}
# more_placements HOST N: whether HOST got a worker after the first N.
more_placements() {
    [ "$(placements "$1")" -gt "$2" ]
}
for h in "${hosts[@]}"; do
    wait_for 30 placed 1 $h || fail "no worker of the first attempt on $h"
done
[ $fails -eq 0 ] || { dump; exit 1; }
# Which components each host runs: the plan's executors per worker, joined
# with the master's worker -> host lines.
"$GALE" plan "$tmp/work/wc.cfg" > "$tmp/plan" || fail "gale plan"
sed -n "s/.*$T: worker \([0-9]*\) (epoch 1) runs on \(h[0-9]\) as pid.*/\1 \2/p" \
    "$(master_log)" > "$tmp/hosts.1"
awk 'NR == FNR { host[$1] = $2; next }
     /^executors/ { ex = 1; next }
     ex && NF == 4 && $1 ~ /^[0-9]+$/ { print host[$4], $2 }' \
    "$tmp/hosts.1" "$tmp/plan" | sort -u > "$tmp/stages"
for h in "${hosts[@]}"; do
    for c in split count sink; do
        grep -qx "$h $c" "$tmp/stages" || fail "host $h runs no $c task"
    done
    ls "$tmp/sup/$h/$T"/worker-*.log > /dev/null 2>&1 ||
        fail "supervisor $h has no worker log under $tmp/sup/$h/$T"
done
[ $fails -eq 0 ] || { cat "$tmp/stages"; dump; exit 1; }
echo "ok: 6 workers on 3 hosts: $(awk '{ print $2 }' "$tmp/hosts.1" | sort | uniq -c | tr -s ' \n' ' ')"

# ---- host 2 dies, and comes back ---------------------------------------------
published() { ls "$tmp/out"/part-* > /dev/null 2>&1; }
wait_for 60 published || { fail "nothing published in 60 s"; dump; exit 1; }
finished() { [ "$(sed -n 's/^status=//p' "$tmp/nimbus/topologies/$T/record" 2> /dev/null)" = finished ]; }
running() {  # the faults must come before the end
    finished && { fail "the run ended before the faults (raise SENTENCES)"; dump; exit 1; }
    return 0
}
running
before=$(placements h2)
for p in $(ip netns pids "${ns[h2]}"); do kill -KILL "$p" 2> /dev/null; done
echo "fault: host h2 killed (every process in its namespace, kill -9)"
wait_for 30 in_master "attempt [0-9]+ failed: .*host h2" ||
    { fail "the master did not notice h2's death"; dump 30; exit 1; }
start_sup h2
wait_for 15 grep -q "supervisor h2 registered.*pid $!" "$tmp/nimbus.log" ||
    fail "the restarted supervisor h2 (pid $!) did not register"
wait_for 30 more_placements h2 "$before" ||
    { fail "h2 got no work after it came back"; dump 30; exit 1; }
running
echo "ok: h2 declared dead and given work again"

# ---- host 3 is cut off, and reconnected ----------------------------------------
workers_on() {  # HOST: gale worker processes in its namespace
    local p n=0
    for p in $(ip netns pids "${ns[$1]}"); do
        tr '\0' ' ' < /proc/$p/cmdline 2> /dev/null | grep -q " worker " && n=$((n + 1))
    done
    echo $n
}
sleep 1
[ "$(workers_on h3)" -gt 0 ] || fail "no workers on h3 before the cut"
before=$(placements h3)
ip -n "$sw" link set h3 down
echo "fault: host h3 cut off (its link down)"
wait_for 30 in_master "attempt [0-9]+ failed: .*host h3" ||
    { fail "the master did not notice h3's cut"; dump 30; }
# Its workers stop by themselves (the lease, 3 s) while it is cut off.
no_workers_on() { [ "$(workers_on "$1")" -eq 0 ]; }
wait_for 20 no_workers_on h3 ||
    fail "h3's workers still run while it is cut off: $(workers_on h3)"
ip -n "$sw" link set h3 up
echo "fault: host h3 reconnected"
wait_for 40 more_placements h3 "$before" ||
    fail "h3 got no work after it came back"
running
echo "ok: h3 declared dead, its workers stopped, and given work again"

# ---- the master, nimbus, the verbs, an upgrade ------------------------------
record() {  # KEY: a value of the topology's record
    sed -n "s/^$1=//p" "$tmp/nimbus/topologies/$T/record" 2> /dev/null
}
# count REGEX: lines of the master's log that match.
count() { grep -cE "$1" "$(master_log)" 2> /dev/null; }
grown() { [ "$(count "$1")" -gt "$2" ]; }  # REGEX N
master_up() { p=$(record pid); [ -n "$p" ] && [ "$p" != 0 ] && kill -0 "$p" 2> /dev/null; }

# The master (nimbus's child) is killed: nimbus starts it again, and the
# new one restores the last checkpoint and places the workers anew, on
# every host.
kill_master() {
    local h mpid restarts restores
    sleep 1
    wait_for 10 master_up || fail "no master runs"
    mpid=$(record pid)
    restarts=$(record restarts)
    restores=$(count "$T: restoring checkpoint [0-9]+")
    for h in "${hosts[@]}"; do before_m[$h]=$(placements $h); done
    kill -KILL "$mpid" 2> /dev/null || fail "master pid $mpid was not running"
    echo "fault: the master (pid $mpid, on h1) killed"
    wait_for 20 grep -q "$T: master pid $mpid was killed by signal 9" "$tmp/nimbus.log" ||
        fail "nimbus did not see its master die"
    restarted() { [ "$(record restarts)" -gt "$restarts" ]; }
    wait_for 20 restarted || fail "nimbus did not start the master again"
    wait_for 30 grown "$T: restoring checkpoint [0-9]+" "$restores" ||
        fail "the new master did not restore a checkpoint"
    for h in "${hosts[@]}"; do
        wait_for 30 more_placements $h "${before_m[$h]}" ||
            fail "the new master placed no worker on $h"
    done
    running
    echo "ok: a killed master was started again, restored and spread"
}

# nimbus is killed and started again: it adopts the master that runs on
# (in a session of its own), and the topology never notices.
kill_nimbus() {
    local mpid
    sleep 1
    wait_for 10 master_up || fail "no master runs"
    mpid=$(record pid)
    kill -KILL "$nimbus_pid"
    echo "fault: nimbus killed"
    start_nimbus
    wait_for 20 grep -q "$T: adopted its running master, pid $mpid" "$tmp/nimbus.log" ||
        fail "the restarted nimbus did not adopt master $mpid"
    wait_for 20 listed ACTIVE || fail "$T not listed ACTIVE after nimbus's restart"
    running
    echo "ok: a killed nimbus, started again, adopted the running master"
}

# deactivate, activate, and a rebalance from 6 workers to 3 (one per
# host) and from 6 count tasks to 3 (keyed state moves by key groups to
# tasks on other hosts), all through nimbus.
verbs() {
    local placed_all
    gale_cli deactivate "$T" --cluster "$tmp/cluster.cfg" > /dev/null ||
        fail "deactivate"
    wait_for 10 listed INACTIVE || fail "$T not INACTIVE after deactivate"
    gale_cli activate "$T" --cluster "$tmp/cluster.cfg" > /dev/null || fail "activate"
    wait_for 10 listed ACTIVE || fail "$T not ACTIVE after activate"
    placed_all=$(count "$T: worker [0-9]+ \(epoch [0-9]+\) runs on")
    gale_cli rebalance "$T" --cluster "$tmp/cluster.cfg" -n 3 -e count=3 \
        > "$tmp/rebalance.out" 2>&1 || fail "rebalance: $(cat "$tmp/rebalance.out")"
    echo "rebalance: $(head -1 "$tmp/rebalance.out")"
    wait_for 30 grown "$T: worker [0-9]+ \(epoch [0-9]+\) runs on" $((placed_all + 2)) ||
        fail "no new placement after the rebalance"
    grep -oE "$T: worker [0-9]+ \(epoch [0-9]+\) runs on h[0-9]" "$(master_log)" |
        tail -3 | sed 's/.*worker \([0-9]*\) (epoch [0-9]*) runs on/\1/' |
        tr '\n' ' ' > "$tmp/rebalanced"
    [ "$(cat "$tmp/rebalanced")" = "0 h1 1 h2 2 h3 " ] ||
        fail "after the rebalance, workers on: $(cat "$tmp/rebalanced")"
    # (nimbus asks its masters for their status every 2 s.)
    wait_for 10 listed "ACTIVE +16 +3" ||
        fail "list after the rebalance: $(gale_cli list --cluster "$tmp/cluster.cfg" 2>&1)"
    running
    echo "ok: deactivate, activate, and a rebalance to 3 workers and 3 count tasks"
}

# An upgrade: stop with a savepoint, submit again from it. `gale kill
# --savepoint` has no --cluster form yet: it is run on the nimbus host,
# where it reaches the master's console. The master stops once the sinks
# published the savepoint, exits 0, and nimbus marks the topology
# finished (and must not start it again); the file is submitted again
# from the savepoint, back to 6 workers and 6 count tasks. The first
# master log goes with the record: a copy is kept.
upgrade() {
    local restarts
    wait_for 10 master_up || fail "no master runs"
    restarts=$(record restarts)
    # From the workstation, through nimbus.
    gale_cli kill "$T" --cluster "$tmp/cluster.cfg" --savepoint "$tmp/upgrade" > "$tmp/kill.out" 2>&1 ||
        fail "kill --savepoint --cluster: $(cat "$tmp/kill.out")"
    echo "upgrade: $(head -1 "$tmp/kill.out")"
    wait_for 30 finished || fail "$T not finished after kill --savepoint"
    [ "$(record restarts)" = "$restarts" ] ||
        fail "nimbus started the master again after kill --savepoint (restarts $restarts -> $(record restarts)): it ran on from the savepoint's checkpoint"
    [ -f "$tmp/upgrade/SAVEPOINT" ] || fail "no savepoint in $tmp/upgrade"
    cp "$(master_log)" "$tmp/master-1.log"
    (cd "$tmp/work" && gale_cli submit wc.cfg --cluster "$tmp/cluster.cfg" \
        --from-savepoint "$tmp/upgrade") > "$tmp/submit2.out" 2>&1 ||
        fail "submit --from-savepoint: $(cat "$tmp/submit2.out")"
    wait_for 30 listed "ACTIVE +19 +6" ||
        fail "after the resume: $(gale_cli list --cluster "$tmp/cluster.cfg" 2>&1)"
    wait_for 30 in_master "$T: restored savepoint $tmp/upgrade as checkpoint [0-9]+" ||
        fail "the new master did not restore the savepoint"
    running
    echo "ok: stopped with a savepoint and resumed from it"
}

kill_master
# nimbus restarts first, so the verbs and the savepoint stop reach a
# master it adopted (not its child: it learns how the master ended from
# the status file the master writes).
kill_nimbus
verbs
upgrade

# ---- the end: finished, exact, recovered -------------------------------------
wait_for 150 finished || fail "$T did not finish within 150 s"
listed FINISHED || fail "$T not listed FINISHED: $(gale_cli list --cluster "$tmp/cluster.cfg" 2>&1)"
msg=$(wc_check "$tmp/out" "$tmp/want") || fail "committed output: $msg"
cat "$tmp/master-1.log" "$(master_log)" 2> /dev/null |
    grep -oE "attempt [0-9]+ failed: .*; restarting from checkpoint [1-9][0-9]*|restoring checkpoint [0-9]+" \
    > "$tmp/recoveries"
recoveries=$(wc -l < "$tmp/recoveries")
[ "$recoveries" -ge 3 ] || fail "$recoveries recoveries from a checkpoint in the master's log, not 3 or more"
sed 's/^/   /' "$tmp/recoveries" | cut -c1-150

# ---- security ----------------------------------------------------------------
# A valid key pair that is not one of the cluster's, and no keys at all
# (security "none" against a curve nimbus): both refused. (Each client
# waits for its own timeout: the two run side by side.)
gale_cli list --cluster "$tmp/cluster.cfg" --key "$tmp/other/rogue.key_secret" \
    > "$tmp/rogue.out" 2> "$tmp/rogue.err" &
rogue=$!
gale_cli list --cluster "$tmp/nokeys.cfg" > "$tmp/none.out" 2> "$tmp/none.err" &
none=$!
wait $rogue && fail "a key pair not in $tmp/keys was let in: $(cat "$tmp/rogue.out")"
wait $none && fail "a client without keys was let in: $(cat "$tmp/none.out")"
grep -q "nimbus at tcp://${addr[h1]}:6627 refused key .*rogue.key_secret" "$tmp/rogue.err" ||
    fail "the client with a foreign key said: $(cat "$tmp/rogue.err")"
grep -q "no answer from nimbus at tcp://${addr[h1]}:6627" "$tmp/none.err" ||
    fail "the client without keys said: $(cat "$tmp/none.err")"
wait_for 10 grep -qE "refused [0-9]+ connection\(s\)" "$tmp/nimbus.log" ||
    fail "nimbus did not log the refused connections"
# The admin key is still let in, and the topology can go (its record and
# master log with it: a copy stays for KEEP=1).
cp "$(master_log)" "$tmp/master.log"
gale_cli kill "$T" --cluster "$tmp/cluster.cfg" > /dev/null ||
    fail "kill of the finished topology"
echo "ok: a foreign key and no key refused"

[ $fails -eq 0 ] || { echo "$fails failure(s)"; dump 30; exit 1; }
echo "PASS cluster"
