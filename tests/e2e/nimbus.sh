#!/bin/bash
# nimbus.sh - `gale nimbus` and the verbs against a cluster, end to end,
# on 127.0.0.1:
#   - a file with an error is refused by `gale submit` with file:line,
#     exit 2, before nimbus is asked;
#   - security "none": a bounded word count is submitted, listed, its
#     master is killed with -9 mid-run and restarted by nimbus, and it
#     finishes: the record says finished and the committed output is
#     exact; a second submit of a running name is refused;
#   - a long-running topology: deactivate/activate and a rebalance
#     through nimbus (the record keeps the new parallelism); nimbus is
#     killed with -9 and started again: it adopts the running master (same
#     pid) and still lists the topology; `gale kill` stops it and its
#     record goes;
#   - a name that a process of the nimbus host already runs (a local
#     `gale run`) is refused;
#   - security "curve" (`gale keygen`): a client with a listed key submits
#     and lists; one whose key is not on the list is refused (non-zero
#     exit, the refusal named) and nimbus logs the refusals;
#   - a client of a nimbus that is not running gives up after its timeout.
# Masters are real cluster masters (`gale run --cluster --slot`) placing
# their workers on a supervisor of the test; GALE_NIMBUS_LOCAL_MASTERS=1
# runs the same test with local-mode masters and no supervisor.
set -u
. "$(dirname "$0")/lib.sh" || exit 99
gen=$(build_file bench/gen_corpus)
work_dir nimbus
export XDG_RUNTIME_DIR=$tmp/run
need_build "$gen"
local_masters=${GALE_NIMBUS_LOCAL_MASTERS:-}
unset GALE_CLUSTER GALE_KEY

# Every process this test starts is stopped by its pid: the nimbus
# daemons, the supervisors and their workers, and the masters that the
# records and logs name.
nimbus_pids=""
sup_pids=""
lpid=""
cleanup() {
    local p
    [ -z "$lpid" ] || kill -KILL "$lpid" 2>/dev/null
    for p in $nimbus_pids; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    for p in $sup_pids; do
        pkill -KILL -P "$p" 2>/dev/null
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    for p in $(cat "$tmp"/*/topologies/*/record 2>/dev/null | sed -n 's/^pid=//p') \
             $(sed -n 's/.*master started, pid \([0-9]*\).*/\1/p' "$tmp"/*.log 2>/dev/null); do
        [ "$p" != 0 ] && kill -KILL "$p" 2>/dev/null
    done
}
at_exit cleanup

# cluster FILE SECURITY DIR PORT [KEYS]: nimbus at PORT, supervisor h1 at
# PORT + 1, topology slots from PORT + 10.
cluster() {
    local keys=""
    [ -z "${5:-}" ] || keys="keys = \"$5\";"
    cat > "$1" <<CFG
security = "$2";
$keys
nimbus = { host = "127.0.0.1"; port = $4; dir = "$3"; key = "nimbus"; };
supervisor = { dir = "$3-sup"; timeout_ms = 3000; };
supervisors = ( { name = "h1"; host = "127.0.0.1"; port = $(($4 + 1)); } );
ports = { first = $(($4 + 10)); per_topology = 40; };
CFG
}

# start_sup CLUSTER LOG: the supervisor h1 (not with local masters).
start_sup() {
    [ -z "$local_masters" ] || return 0
    "$GALE" supervisor --cluster "$1" --name h1 2>> "$2" &
    sup_pids="$sup_pids $!"
}

# records LOG N: whether nimbus has logged its record more than N times.
records() {
    [ "$(cat "$1" 2>/dev/null | grep -c "topologies in the record")" -gt "$2" ]
}

# start_nimbus CLUSTER LOG: starts nimbus, waits until it listens; sets
# npid. Returns 1 when it did not come up.
start_nimbus() {
    local before
    before=$(cat "$2" 2>/dev/null | grep -c "topologies in the record")
    "$GALE" nimbus --cluster "$1" --log "$2" 2>> "$2" &
    npid=$!
    nimbus_pids="$nimbus_pids $npid"
    wait_for -i 0.1 -p $npid 10 records "$2" "$before"
}

# new_nimbus CLUSTER SECURITY DIR LOG [KEYS]: writes a cluster file with
# a random port in 20000-31999 (lib.sh's table of port ranges) and starts
# nimbus on it, with another port while one is taken. Sets port and npid.
used_ports=" "
new_nimbus() {
    for _ in $(seq 10); do
        port=$(port_in 20000 32000 100 $RANDOM)
        # Not a base this test used: an earlier cluster's supervisor may
        # still hold its PORT + 1.
        case "$used_ports" in *" $port "*) continue ;; esac
        used_ports="$used_ports$port "
        cluster "$1" "$2" "$3" $port "${5:-}"
        start_nimbus "$1" "$4" && return 0
        grep -q "Address already in use" "$4" || return 1
    done
    return 1
}

# topology FILE NAME COUNT RATE STATE OUT
topology() {
    cat > "$1" <<CFG
name = "$2";
config = { workers = 2; worker_timeout_ms = 3000; restart_delay_ms = 0;
           checkpoint = { interval_ms = 200; dir = "$5"; }; };
spouts = ( { id = "gen"; type = "generator"; seed = 42; count = $3; rate = $4;
             fields = ["sentence"]; } );
bolts = ( { id = "split"; type = "split"; parallelism = 2; fields = ["word"]; },
          { id = "count"; type = "count"; key = "word"; parallelism = 2;
            fields = ["word", "count"]; },
          { id = "sink"; type = "file_sink"; path = "$6"; parallelism = 2; } );
streams = ( { from = "gen"; to = "split"; grouping = "shuffle"; },
            { from = "split"; to = "count"; grouping = "fields"; fields = ["word"]; },
            { from = "count"; to = "sink"; grouping = "fields"; fields = ["word"]; } );
CFG
}

# field DIR NAME KEY: a value of topology NAME's record under nimbus DIR.
field() {
    sed -n "s/^$3=//p" "$1/topologies/$2/record" 2>/dev/null
}

published() { # DIR: some output was published there
    [ -n "$(ls "$1" 2>/dev/null)" ]
}

status_is() { # DIR NAME STATUS
    [ "$(field "$1" "$2" status)" = "$3" ]
}

gone() { # PID: the process no longer exists
    ! kill -0 "$1" 2>/dev/null
}

sup_listed() { # CLUSTER: h1 registered and alive
    "$GALE" list --cluster "$1" -v 2>/dev/null | grep -qE "^h1 +127.0.0.1 .* yes$"
}

local_listed() { # NAME: a topology of this host (not the cluster's)
    "$GALE" list 2>/dev/null | grep -qE "^$1 "
}

listed() { # CLUSTER NAME STATUS-REGEX
    "$GALE" list --cluster "$1" 2>/dev/null | grep -qE "^$2 +($3) "
}

# ---- a file with an error: file:line, exit 2, nothing sent --------------
cluster "$tmp/c1.cfg" none "$tmp/n1" 20000
printf 'name = "bad";\nspouts = ( { id = "s"; type = "nosuchtype"; } );\n' > "$tmp/bad.cfg"
"$GALE" submit --cluster "$tmp/c1.cfg" "$tmp/bad.cfg" 2> "$tmp/err"
rc=$?
[ $rc -eq 2 ] || fail "a bad file: exit $rc, not 2"
grep -q "^$tmp/bad.cfg:[0-9]*:" "$tmp/err" || fail "a bad file said: $(cat "$tmp/err")"
"$GALE" submit "$tmp/bad.cfg" 2> "$tmp/err" && fail "submit without a cluster succeeded"
grep -q "no cluster" "$tmp/err" || fail "submit without a cluster said: $(cat "$tmp/err")"

# ---- security none ---------------------------------------------------------
new_nimbus "$tmp/c1.cfg" none "$tmp/n1" "$tmp/n1.log" ||
    { fail "nimbus did not start: $(tail -3 "$tmp/n1.log")"; exit 1; }
start_sup "$tmp/c1.cfg" "$tmp/sup1.log"
if [ -z "$local_masters" ]; then
    wait_for 20 sup_listed "$tmp/c1.cfg" || fail "supervisor h1 never registered"
fi
"$GALE" list --cluster "$tmp/c1.cfg" > "$tmp/out" || fail "list of an empty cluster"
grep -q "No topologies" "$tmp/out" || fail "empty list said: $(cat "$tmp/out")"

# A bounded word count whose master is killed mid-run: nimbus restarts
# it, it restores its last checkpoint and finishes exactly.
N=60000
wc_want "$gen" $N "$tmp/want"
A="wc-$$"
mkdir -p "$tmp/work"
topology "$tmp/work/a.cfg" "$A" $N 8000 state-a out-a
(cd "$tmp/work" && "$GALE" submit --cluster "$tmp/c1.cfg" a.cfg > "$tmp/out" 2>&1) ||
    fail "submit: $(cat "$tmp/out")"
grep -q "^submitted $A: slot 0" "$tmp/out" || fail "submit said: $(cat "$tmp/out")"
wait_for 20 listed "$tmp/c1.cfg" "$A" "ACTIVE" || fail "$A never listed ACTIVE"
"$GALE" list --cluster "$tmp/c1.cfg" | grep -qE "^$A +ACTIVE +7 +2 " ||
    fail "list: $("$GALE" list --cluster "$tmp/c1.cfg")"
[ "$(field "$tmp/n1" "$A" cwd)" = "$tmp/work" ] || fail "record cwd: $(field "$tmp/n1" "$A" cwd)"
cmp -s "$tmp/work/a.cfg" "$tmp/n1/topologies/$A/topology.cfg" || fail "the record's topology.cfg differs"
(cd "$tmp/work" && "$GALE" submit --cluster "$tmp/c1.cfg" a.cfg 2> "$tmp/err") &&
    fail "a second submit of a running name succeeded"
grep -q "already on the cluster" "$tmp/err" || fail "second submit said: $(cat "$tmp/err")"
# Kill the master after a checkpoint or two.
wait_for 20 published "$tmp/work/out-a" || fail "no output published"
mpid=$(field "$tmp/n1" "$A" pid)
[ "${mpid:-0}" -gt 0 ] && kill -KILL "$mpid" 2>/dev/null || fail "master '$mpid' was not running"
wait_for 30 grep -q "$A: master pid $mpid was killed by signal 9" "$tmp/n1.log" ||
    fail "nimbus did not see its master die"
wait_for 90 status_is "$tmp/n1" "$A" finished ||
    fail "$A did not finish: status $(field "$tmp/n1" "$A" status)"
[ "$(field "$tmp/n1" "$A" restarts)" = 1 ] || fail "restarts: $(field "$tmp/n1" "$A" restarts)"
wc_check "$tmp/work/out-a" "$tmp/want" || fail "the committed output of $A is not exact"
listed "$tmp/c1.cfg" "$A" FINISHED || fail "a finished topology not listed FINISHED"

# A long-running one: deactivate/activate, nimbus killed and adopting it.
B="long-$$"
topology "$tmp/work/b.cfg" "$B" 100000000 2000 state-b out-b
(cd "$tmp/work" && "$GALE" submit --cluster "$tmp/c1.cfg" b.cfg > "$tmp/out" 2>&1) ||
    fail "submit B: $(cat "$tmp/out")"
# Slot 0 is free again: the finished topology holds none.
grep -q "^submitted $B: slot 0" "$tmp/out" || fail "submit B said: $(cat "$tmp/out")"
wait_for 20 listed "$tmp/c1.cfg" "$B" ACTIVE || fail "$B never listed ACTIVE"
"$GALE" deactivate --cluster "$tmp/c1.cfg" "$B" > /dev/null || fail "deactivate"
listed "$tmp/c1.cfg" "$B" INACTIVE || fail "not INACTIVE after deactivate"
"$GALE" activate --cluster "$tmp/c1.cfg" "$B" > /dev/null || fail "activate"
listed "$tmp/c1.cfg" "$B" ACTIVE || fail "not ACTIVE after activate"
"$GALE" activate --cluster "$tmp/c1.cfg" "nothing-$$" 2> "$tmp/err" && fail "activate of nothing succeeded"
grep -q "no topology called" "$tmp/err" || fail "activate of nothing said: $(cat "$tmp/err")"
# A savepoint through nimbus; the topology runs on.
"$GALE" savepoint --cluster "$tmp/c1.cfg" "$B" "$tmp/sp-live" > "$tmp/out" 2>&1 ||
    fail "savepoint --cluster: $(cat "$tmp/out")"
[ -f "$tmp/sp-live/SAVEPOINT" ] || fail "no savepoint in $tmp/sp-live: $(cat "$tmp/out")"
"$GALE" savepoint inspect "$tmp/sp-live" > /dev/null 2>&1 || fail "savepoint inspect of $tmp/sp-live"
"$GALE" rebalance --cluster "$tmp/c1.cfg" -e count=3 "$B" > "$tmp/out" 2>&1 ||
    fail "rebalance: $(cat "$tmp/out")"
grep -q "restarting with the new parallelism" "$tmp/out" || fail "rebalance said: $(cat "$tmp/out")"
grep -qx "arg=count=3" "$tmp/n1/topologies/$B/record" || fail "the record did not keep the rebalance"
wait_for 20 listed "$tmp/c1.cfg" "$B" "ACTIVE +8" ||
    fail "after rebalance: $("$GALE" list --cluster "$tmp/c1.cfg")"
bpid=$(field "$tmp/n1" "$B" pid)
[ "${bpid:-0}" -gt 0 ] || fail "no master pid for $B"
kill -KILL $npid
wait $npid 2>/dev/null
start_nimbus "$tmp/c1.cfg" "$tmp/n1.log" || fail "nimbus did not start again"
grep -q "$B: adopted its running master, pid $bpid " "$tmp/n1.log" ||
    fail "nimbus did not adopt $bpid: $(grep "$B" "$tmp/n1.log" | tail -3)"
[ "$(field "$tmp/n1" "$B" pid)" = "$bpid" ] || fail "the record's pid changed"
wait_for 10 listed "$tmp/c1.cfg" "$B" ACTIVE || fail "$B not listed ACTIVE after the restart"
"$GALE" list --cluster "$tmp/c1.cfg" -v | grep -qE "^$B +ACTIVE .* $bpid +0$" ||
    fail "list -v: $("$GALE" list --cluster "$tmp/c1.cfg" -v)"
listed "$tmp/c1.cfg" "$A" FINISHED || fail "$A not FINISHED after the restart"
"$GALE" kill --cluster "$tmp/c1.cfg" "$B" > "$tmp/out" || fail "kill: $(cat "$tmp/out")"
wait_for 30 test ! -d "$tmp/n1/topologies/$B" || fail "the record of killed $B stayed"
wait_for 30 gone "$bpid" || fail "killed master $bpid still runs"
"$GALE" kill --cluster "$tmp/c1.cfg" "$A" > /dev/null || fail "kill of a finished topology"
[ ! -d "$tmp/n1/topologies/$A" ] || fail "the record of finished $A stayed after kill"

# A process of this host holding the console of the name (a local `gale
# run` of the same name): the submit is refused, since its master could
# take no commands.
D="clash-$$"
topology "$tmp/work/d-local.cfg" "$D" 100000000 1000 state-dl out-dl
(cd "$tmp/work" && exec "$GALE" run d-local.cfg 2> "$tmp/d-local.log") &
lpid=$!
wait_for 20 local_listed "$D" || fail "the local $D never listed"
(cd "$tmp/work" && "$GALE" submit --cluster "$tmp/c1.cfg" d-local.cfg 2> "$tmp/err") &&
    fail "a submit of a name held on the nimbus host succeeded"
grep -q "already runs on the nimbus host outside the cluster (pid $lpid)" "$tmp/err" ||
    fail "submit of a held name said: $(cat "$tmp/err")"
[ ! -d "$tmp/n1/topologies/$D" ] || fail "a refused submit left a record"
kill -TERM $lpid
wait $lpid 2>/dev/null

kill -TERM $npid
wait $npid 2>/dev/null
grep -q "nimbus: stopped" "$tmp/n1.log" || fail "nimbus did not log its stop"
# The first cluster's supervisor goes too: the curve cluster has its own.
for p in $sup_pids; do
    kill -TERM "$p" 2>/dev/null
    wait_for 10 gone "$p" || { fail "supervisor $p ignored TERM"; kill -KILL "$p"; }
    wait "$p" 2>/dev/null
done
sup_pids=""
# Nobody answers now: the client gives up after its timeout (10 s; it
# runs while the curve part goes on).
"$GALE" list --cluster "$tmp/c1.cfg" > /dev/null 2> "$tmp/noanswer.err" &
noanswer=$!

# ---- security curve ----------------------------------------------------------
for k in nimbus h1 admin; do
    "$GALE" keygen -o "$tmp/keys" $k > /dev/null 2>&1 || fail "keygen $k"
done
"$GALE" keygen -o "$tmp/other" intruder > /dev/null 2>&1 || fail "keygen intruder"
new_nimbus "$tmp/c2.cfg" curve "$tmp/n2" "$tmp/n2.log" "$tmp/keys" || { fail "curve nimbus did not start: $(tail -3 "$tmp/n2.log")"; exit 1; }
start_sup "$tmp/c2.cfg" "$tmp/sup2.log"
[ -n "$local_masters" ] || wait_for 20 sup_listed "$tmp/c2.cfg" ||
    fail "the curve cluster's supervisor never registered: $(tail -3 "$tmp/sup2.log")"
C="sec-$$"
topology "$tmp/work/c.cfg" "$C" 2000 0 state-c out-c
(cd "$tmp/work" && GALE_KEY=admin "$GALE" submit --cluster "$tmp/c2.cfg" c.cfg > "$tmp/out" 2>&1) ||
    fail "curve submit: $(cat "$tmp/out")"
wait_for 60 status_is "$tmp/n2" "$C" finished || fail "$C did not finish"
"$GALE" list --cluster "$tmp/c2.cfg" --key admin | grep -qE "^$C +FINISHED " || fail "curve list"
"$GALE" list --cluster "$tmp/c2.cfg" --key "$tmp/other/intruder.key_secret" > "$tmp/out" 2> "$tmp/err" &&
    fail "a key not on the list was let in: $(cat "$tmp/out")"
grep -q "nimbus at tcp://127.0.0.1:$port refused key $tmp/other/intruder.key_secret: it is not on the cluster's list" "$tmp/err" ||
    fail "intruder said: $(cat "$tmp/err")"
wait_for 10 grep -q "refused [0-9]* connection(s) from keys not on the cluster's list" "$tmp/n2.log" ||
    fail "nimbus did not log the refusal"

wait $noanswer && fail "a list with nimbus stopped succeeded"
grep -q "gale: list: no answer from nimbus at tcp://127.0.0.1:[0-9]* within 10 s (is it running? this client's cluster file says security \"none\"" \
    "$tmp/noanswer.err" || fail "no answer said: $(cat "$tmp/noanswer.err")"

if [ $fails -ne 0 ]; then
    echo "$fails failure(s); the end of nimbus's logs:"
    for f in "$tmp"/n1.log "$tmp"/n2.log "$tmp"/sup1.log "$tmp"/n*/topologies/*/master.log; do
        [ -f "$f" ] && { echo "--- $f"; tail -n 8 "$f"; }
    done
    exit 1
fi
echo "nimbus: ok"
