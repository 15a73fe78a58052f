#!/usr/bin/env bash
# channels.sh - input queue depth and credits per channel on /metrics and
# in the REST component page (docs/metrics.md, "Channels"). A generator
# feeds a deliberately slow bolt (testkit "slow", 300 us per tuple): its
# input channel fills (queue depth above 0, up to the window) and the
# generator's credits on that channel reach 0. A paced generator feeding
# a fast bolt keeps its channel near empty and its credits near the
# window. In every scrape the figures are consistent: a queue never holds
# more frames than the channel's window, nor more tuples than those frames
# can carry, and credits are never above the window. With 2 workers
# (the generator in one, the bolt in the other) the same holds across
# the bridge: the receiver's window is the credits plus the bridge's
# local leg (queue_depth + 2), the sender's its leg to the bridge; the
# frames between the two bridges (gale_channel_transit_frames, only for
# a channel between workers) never exceed queue_depth, and are exactly 0
# once the spout is deactivated and the channel drained.
set -u
. "$(dirname "$0")/lib.sh" || exit 99
plugin=$(build_file tests/plugins/testkit.so)
need_build "$plugin"
need_cmd curl curl
work_dir channels
cd "$tmp" || exit 99

# val NAME SELECTOR: the value of the one series of NAME whose labels
# contain SELECTOR in file scrape (empty when there is none).
val() {
    awk -v n="$1" -v sel="$2" '
        index($0, n "{") == 1 && index($0, sel) > 0 { v = $NF; k++ }
        END { if (k == 1) print v }' scrape
}

# run NAME DEPTH BATCH SPOUT_EXTRA BOLT: writes NAME.cfg (with $workers
# workers) and starts it.
workers=1
run() {
    cat > "$1.cfg" <<CFG
name = "$1";
config = { workers = $workers; queue_depth = $2; batch_size = $3; batch_bytes = 65536;
           flush_interval_ms = 5; guarantee = "none"; chaining = false; };
spouts = ( { id = "gen"; type = "generator"; mode = "words"; seed = 7;
             fields = ["word"]; $4 } );
bolts = ( { id = "sink"; $5 } );
streams = ( { from = "gen"; to = "sink"; grouping = "shuffle"; } );
CFG
    start_http "$1.cfg"
}

# observe NAME N: N scrapes 0.4 s apart; per scrape one line in NAME.obs:
# queue frames, queue tuples, window, credits (of the one channel gen ->
# sink). Checks every scrape's consistency against DEPTH and BATCH.
observe() {
    local i=0 qf qt w cr
    : > "$1.obs"
    while [ $i -lt "$2" ]; do
        sleep 0.4
        kill -0 "$pid" 2>/dev/null || { cat run.err; die "$1: gale exited"; }
        [ "$(curl -s -o scrape -w '%{http_code}' "http://$addr/metrics")" = 200 ] ||
            die "$1: scrape failed"
        qf=$(val gale_channel_queue_frames 'component="sink",task="2",from_component="gen",from_task="1"')
        qt=$(val gale_channel_queue_tuples 'component="sink",task="2",from_component="gen",from_task="1"')
        w=$(val gale_channel_window_frames 'component="sink",task="2",from_component="gen",from_task="1"')
        cr=$(val gale_channel_credits 'component="gen",task="1",to_component="sink",to_task="2"')
        xf=$(val gale_channel_transit_frames 'component="sink",task="2",from_component="gen",from_task="1"')
        i=$((i + 1))
        if [ "$workers" = 1 ]; then
            [ -z "$xf" ] || fail "$1: transit frames '$xf' for a channel inside a process"
        elif [ -n "$xf" ]; then
            [ "$xf" -le "$depth" ] || fail "$1: $xf frames between the bridges, above queue_depth $depth"
            echo "$xf" >> "$1.xf"
        fi
        # The first reports may not be in yet.
        [ -n "$qf" ] && [ -n "$cr" ] || continue
        echo "$qf $qt $w $cr" >> "$1.obs"
        [ "$w" -eq "$rwin" ] ||
            fail "$1: window $w, not $rwin"
        [ "$qf" -le "$w" ] || fail "$1: $qf frames queued, above the window $w"
        [ "$qt" -le $((qf * batch)) ] ||
            fail "$1: $qt tuples queued in $qf frames of at most $batch"
        [ "$cr" -le $((depth + 1)) ] ||
            fail "$1: $cr credits, above the sender's window $((depth + 1))"
        [ "$(val gale_component_queue_tuples 'component="sink"')" -ge 0 ] ||
            fail "$1: no gale_component_queue_tuples for sink"
    done
    [ "$(wc -l < "$1.obs")" -ge $(($2 / 2)) ] ||
        die "$1: channel series in only $(wc -l < "$1.obs") of $2 scrapes"
    echo "$1 (frames tuples window credits): $(tr '\n' ';' < "$1.obs")"
}

# stop: SIGINT, a graceful stop: gale exits 0 (a sanitizer's report
# would make it fail).
stop() {
    local st=0
    kill -INT "$pid"
    wait "$pid" 2>/dev/null || st=$?
    [ "$st" -eq 0 ] || { cat run.err; fail "gale exited $st after SIGINT"; }
}

# The slow bolt: the channel fills, the sender runs out of credits.
depth=4 batch=64 rwin=5
run slow $depth $batch "" "type = \"slow\"; plugin = \"$plugin\"; delay_us = 300;"
observe slow 10
# The component page shows the same channel from both ends.
curl -s "http://$addr/api/v1/topology/slow/component/sink" > sink.json
grep -q '"inputChannels": *\[ *{[^]]*"fromComponent": *"gen"' sink.json ||
    fail "slow: no input channel from gen in the component page: $(cat sink.json)"
grep -q '"queuedTuples": *[1-9]' sink.json ||
    fail "slow: the component page shows an empty input queue: $(cat sink.json)"
curl -s "http://$addr/api/v1/topology/slow/component/gen" > gen.json
grep -q '"outputChannels": *\[ *{[^]]*"toComponent": *"sink"' gen.json ||
    fail "slow: no output channel to sink in gen's page: $(cat gen.json)"
# gale top's QUEUE column (the last) has the sink's queued tuples.
"$GALE" top --once slow > top.out 2>&1 || fail "slow: gale top failed: $(cat top.out)"
q=$(awk '$1 == "sink" { print $NF }' top.out)
[ "${q:-0}" -gt 0 ] || fail "slow: gale top shows no queue for sink: $(cat top.out)"
stop
max_qt=$(awk '$2 > m { m = $2 } END { print m + 0 }' slow.obs)
min_cr=$(awk 'NR == 1 || $4 < m { m = $4 } END { print m + 0 }' slow.obs)
full=$(awk '$1 >= $3 - 1 { n++ } END { print n + 0 }' slow.obs)
[ "$max_qt" -gt 0 ] || fail "slow: the slow bolt's input queue stayed empty"
[ "$min_cr" -eq 0 ] || fail "slow: gen's credits never reached 0 (min $min_cr)"
[ "$full" -ge 3 ] || fail "slow: the channel was near full in only $full scrapes"

# A fast bolt at 400 words/s: the channel stays near empty.
depth=16 batch=64 rwin=17
run fast $depth $batch "rate = 400;" "type = \"slow\"; plugin = \"$plugin\"; delay_us = 1;"
observe fast 10
stop
max_qf=$(awk '$1 > m { m = $1 } END { print m + 0 }' fast.obs)
min_cr=$(awk 'NR == 1 || $4 < m { m = $4 } END { print m + 0 }' fast.obs)
[ "$max_qf" -le 3 ] || fail "fast: up to $max_qf frames queued for a fast bolt"
[ "$min_cr" -ge $((depth + 1 - 3)) ] ||
    fail "fast: gen's credits fell to $min_cr of $((depth + 1))"

# Across workers: gen in worker 0, sink in worker 1 (gale plan says so).
workers=2 depth=4 batch=64 rwin=6
run slow2 $depth $batch "" "type = \"slow\"; plugin = \"$plugin\"; delay_us = 300;"
observe slow2 20
[ "$(wc -l < slow2.xf 2>/dev/null || echo 0)" -ge 5 ] ||
    fail "slow2: gale_channel_transit_frames in only $(wc -l < slow2.xf 2>/dev/null) scrapes"
echo "slow2 frames between the bridges: $(tr '\n' ' ' < slow2.xf 2>/dev/null)"
# Deactivated and drained: nothing queued and nothing between the bridges.
[ "$(curl -s -o post -w '%{http_code}' -X POST "http://$addr/api/v1/topology/slow2/deactivate")" = 200 ] ||
    fail "slow2: deactivate: $(cat post)"
still() {
    [ "$(curl -s -o scrape -w '%{http_code}' "http://$addr/metrics")" = 200 ] &&
        [ "$(val gale_channel_queue_frames 'component="sink",task="2",from_component="gen",from_task="1"')" = 0 ] &&
        [ "$(val gale_channel_transit_frames 'component="sink",task="2",from_component="gen",from_task="1"')" = 0 ] &&
        [ "$(val gale_channel_transit_tuples 'component="sink",task="2",from_component="gen",from_task="1"')" = 0 ]
}
wait_for -p "$pid" 20 still ||
    fail "slow2: drained, yet $(grep -E '^gale_channel_(queue|transit)_frames' scrape | tr '\n' ' ')"
stop
max_qt=$(awk '$2 > m { m = $2 } END { print m + 0 }' slow2.obs)
min_cr=$(awk 'NR == 1 || $4 < m { m = $4 } END { print m + 0 }' slow2.obs)
[ "$max_qt" -gt 0 ] || fail "slow2: the bolt's input queue (in worker 1) stayed empty"
# Starved: at most one credit of the 5 (0 on a quiet machine; under load
# (make distcheck, -j2) 20 scrapes once all caught the bridge just after
# it took a frame: min 1). The fast case above keeps 14 or more of 17.
[ "$min_cr" -le 1 ] || fail "slow2: gen's credits (in worker 0) stayed above 1 (min $min_cr of 5)"
finish
