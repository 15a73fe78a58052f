#!/bin/bash
# chaos.sh - `make chaos`: a bounded word count with keyed state and the
# transactional sink over 2 worker processes, while a driver kill -9s and
# SIGSTOPs random workers and kill -9s the coordinator at random moments
# (a killed coordinator is started again with the same command, as an
# operator would). The sink commits every running count, so the committed
# output per word must be exactly 1, 2, ..., n, with n the true count:
# nothing lost, nothing twice. The run must complete many checkpoints, and
# most recoveries must restore a checkpoint after the first. At the end it
# prints the recovery times (fault seen -> first tuple executed again, as
# the log's "recovered:" lines give them: from the failure's detection
# for a worker, from the new process's start for the coordinator) as
# p50/p99/max. The liveness settings are the defaults (worker_timeout_ms
# 4000, restart_delay_ms 1000), as a user has them.
#
# FAULTS (default 20) faults; SENTENCES (default 600000) at RATE (default
# 20000) sentences/s; SEED for the fault schedule (default: random, printed).
set -u
. "$(dirname "$0")/e2e/lib.sh" || exit 99
: "${FAULTS:=20}"
: "${SENTENCES:=600000}"
: "${RATE:=20000}"
: "${SEED:=$RANDOM}"
gen=$(build_file bench/gen_corpus)
work_dir chaos
at_exit 'pkill -KILL -f "gale (run|worker) .*$tmp" 2>/dev/null'
RANDOM=$SEED
echo "chaos: $FAULTS faults, $SENTENCES sentences at $RATE/s, seed $SEED"
need_build "$gen"

cat > "$tmp/c.cfg" <<CFG
name = "chaos";
config = { workers = 2; restart_attempts = 1000;
           checkpoint = { interval_ms = 250; dir = "$tmp/state"; }; };
spouts = ( { id = "gen"; type = "generator"; seed = 42; count = $SENTENCES;
             rate = $RATE; fields = ["sentence"]; } );
bolts = ( { id = "split"; type = "split"; parallelism = 2; fields = ["word"]; },
          { id = "count"; type = "count"; key = "word"; parallelism = 2;
            fields = ["word", "count"]; },
          { id = "sink"; type = "file_sink"; path = "$tmp/out"; parallelism = 2; } );
streams = ( { from = "gen"; to = "split"; grouping = "shuffle"; },
            { from = "split"; to = "count"; grouping = "fields"; fields = ["word"]; },
            { from = "count"; to = "sink"; grouping = "fields"; fields = ["word"]; } );
CFG

start_coordinator() {
    "$GALE" run "$tmp/c.cfg" 2>> "$tmp/log" &
    cpid=$!
}

faults=0 restarts=0
start_coordinator
while :; do
    sleep "$(printf '0.%02d' $((30 + RANDOM % 70)))"
    if ! kill -0 "$cpid" 2>/dev/null; then
        wait "$cpid"
        rc=$?
        [ $rc -eq 0 ] && break
        if [ $rc -ne 137 ]; then
            echo "FAIL: the coordinator exited $rc"; tail -20 "$tmp/log"; exit 1
        fi
        restarts=$((restarts + 1))
        start_coordinator
        continue
    fi
    [ $faults -ge "$FAULTS" ] && continue
    workers=($(pgrep -f "gale worker -- $tmp/c.cfg"))
    [ ${#workers[@]} -eq 2 ] || continue
    w=${workers[$((RANDOM % 2))]}
    case $((RANDOM % 10)) in
    0|1|2|3) kill -KILL "$w" && echo "fault $((faults + 1)): kill -9 worker $w" ;;
    4|5|6) kill -STOP "$w" && echo "fault $((faults + 1)): SIGSTOP worker $w" ;;
    *) kill -KILL "$cpid" && echo "fault $((faults + 1)): kill -9 coordinator $cpid" ;;
    esac
    faults=$((faults + 1))
done

# What the recoveries restored: in-process ("restarting from checkpoint N")
# and after a coordinator restart ("restoring checkpoint N").
grep -oE "restarting from (checkpoint [0-9]+|the beginning)|restoring checkpoint [0-9]+" \
    "$tmp/log" > "$tmp/restores"
total=$(wc -l < "$tmp/restores")
later=$(grep -cE "checkpoint ([2-9]|[1-9][0-9]+)$" "$tmp/restores")
ckpts=$(grep -oE "checkpoints: [0-9]+ completed \(last [0-9]+\)" "$tmp/log" | tail -1)
echo "faults $faults, coordinator restarts $restarts, recoveries $total" \
    "($later restored a checkpoint after the first); final run: $ckpts"

# Recovery times, ms, sorted: p50, p99 (nearest rank) and max.
grep -oE "recovered: .* [0-9]+ ms after (the failure was seen|this process started)" \
    "$tmp/log" | grep -oE "[0-9]+ ms after" | grep -oE "^[0-9]+" | sort -n > "$tmp/rtimes"
nrt=$(wc -l < "$tmp/rtimes")
if [ "$nrt" -gt 0 ]; then
    pick() { sed -n "$1p" "$tmp/rtimes"; }
    echo "recovery time (fault seen -> first tuple), $nrt recoveries:" \
        "p50 $(pick $(((nrt + 1) / 2))) ms, p99 $(pick $(((nrt * 99 + 99) / 100))) ms," \
        "max $(pick "$nrt") ms"
else
    echo "recovery time: no recovery logged"
fi

wc_want "$gen" "$SENTENCES" "$tmp/want"
msg=$(wc_check "$tmp/out" "$tmp/want") || { echo "FAIL: $msg"; fails=1; }
[ "$faults" -ge "$FAULTS" ] || { echo "FAIL: only $faults faults injected (the run ended first)"; fails=1; }
[ $((2 * later)) -ge "$total" ] && [ "$total" -gt 0 ] ||
    { echo "FAIL: most recoveries must restore a checkpoint after the first"; fails=1; }
last=$(echo "$ckpts" | grep -oE "last [0-9]+" | grep -oE "[0-9]+")
[ "${last:-0}" -ge $((2 * FAULTS)) ] || { echo "FAIL: too few checkpoints (last id ${last:-0})"; fails=1; }
[ $fails -eq 0 ] || { grep -E "WARN|ERROR" "$tmp/log" | tail -10; exit 1; }
echo "PASS chaos"
