#!/usr/bin/env bash
# latency.sh - Storm's process latency (bolts) and gale's complete
# latency (spouts) on /metrics and in the REST component page
# (docs/metrics.md, "Process and complete latency"). A Python shell bolt
# sleeps 20 ms per tuple before it acks: every process latency is at
# least 20 ms, so the histogram's bucket below 2^24 ns (16.8 ms) stays
# empty and its mean is 20 ms or more. The spout's complete latency, one
# value per completed checkpoint (interval 400 ms), counts at most the
# completed checkpoints, and each value lies between about the interval
# (the tuple is emitted just after one barrier and covered by the next)
# and the interval plus the slowest checkpoint plus a report period.
set -u
. "$(dirname "$0")/lib.sh" || exit 99
ml=$(cd "$top_srcdir" && pwd)/tests/multilang
need_cmd curl curl
need_cmd python3 python3
work_dir latency
cd "$tmp" || exit 99

scrape() {
    [ "$(curl -s -o scrape -w '%{http_code}' "http://$addr/metrics")" = 200 ]
}
# val NAME SELECTOR: the sum of NAME's series whose labels hold SELECTOR.
val() {
    awk -v n="$1" -v sel="$2" '
        index($0, n "{") == 1 && index($0, sel) > 0 { s += $NF; k++ }
        END { if (k) printf "%.9g\n", s }' scrape
}

cat > sleep_bolt.py <<PY
import sys
import time
sys.path.insert(0, "$ml")
import storm


class SleepBolt(storm.BasicBolt):
    def process(self, tup):
        time.sleep(0.020)


SleepBolt().run()
PY
cat > topo.cfg <<CFG
name = "lat-$$";
config = { checkpoint = { interval_ms = 400; dir = "state"; }; };
spouts = ( { id = "gen"; type = "generator"; mode = "words"; seed = 3;
             count = 100000000; rate = 30; fields = ["word"]; } );
bolts = ( { id = "sleepy"; type = "shell"; command = ["python3", "sleep_bolt.py"];
            cwd = "$PWD"; } );
streams = ( { from = "gen"; to = "sleepy"; grouping = "shuffle"; } );
CFG
start_http topo.cfg

enough() {
    scrape && [ -n "$(val gale_component_process_latency_seconds_count 'component="sleepy"')" ] &&
        awk -v c="$(val gale_component_process_latency_seconds_count 'component="sleepy"')" \
            -v k="$(val gale_component_complete_latency_seconds_count 'component="gen"')" \
            'BEGIN { exit !(c >= 40 && k >= 5) }'
}
wait_for -p "$pid" 40 enough ||
    die "not enough latencies in 40 s: $(grep -E 'process_latency_seconds_count|complete_latency_seconds_count' scrape)"

# Process latency: >= 20 ms each.
pc=$(val gale_component_process_latency_seconds_count 'component="sleepy"')
ps=$(val gale_component_process_latency_seconds_sum 'component="sleepy"')
below=$(val gale_component_process_latency_seconds_bucket 'component="sleepy",le="0.016777216"')
grep -q '^# TYPE gale_component_process_latency_seconds histogram$' scrape ||
    fail "no process latency histogram family"
[ -n "$below" ] || fail "no le=0.016777216 bucket: $(grep process_latency scrape | head -3)"
awk -v b="$below" 'BEGIN { exit !(b == 0) }' ||
    fail "$below process latencies under 16.8 ms from a bolt that sleeps 20 ms"
awk -v s="$ps" -v c="$pc" 'BEGIN { m = s / c; exit !(m >= 0.020 && m < 5) }' ||
    fail "process latency mean $ps / $pc s: not in [20 ms, 5 s)"
# Storm's acked: one per ack, so the histogram's count, and at most the
# few tuples in the child short of what sleepy executed (30 tuples/s, 20
# ms each: one at a time).
ack=$(val gale_component_acked_total 'component="sleepy"')
ex=$(val gale_component_executed_total 'component="sleepy"')
[ "$ack" = "$pc" ] || fail "acked '$ack' is not the process latency count $pc"
awk -v a="$ack" -v x="$ex" 'BEGIN { exit !(x - a >= 0 && x - a <= 5) }' ||
    fail "acked $ack against executed $ex"
[ -z "$(val gale_component_acked_total 'component="gen"')" ] ||
    fail "a spout has an acked series"
echo "process latency: $pc tuples, mean $(awk -v s="$ps" -v c="$pc" 'BEGIN { printf "%.1f", 1000 * s / c }') ms"

# Complete latency: one value per completed checkpoint at most.
kc=$(val gale_component_complete_latency_seconds_count 'component="gen"')
ks=$(val gale_component_complete_latency_seconds_sum 'component="gen"')
done_=$(val gale_checkpoints_completed_total "topology=\"lat-$$\"")
maxd=$(val gale_checkpoint_duration_seconds_max "topology=\"lat-$$\"")
kbelow=$(val gale_component_complete_latency_seconds_bucket 'component="gen",le="0.268435456"')
awk -v k="$kc" -v d="$done_" 'BEGIN { exit !(k >= 1 && k <= d) }' ||
    fail "complete latency count $kc, completed checkpoints $done_"
awk -v b="$kbelow" 'BEGIN { exit !(b == 0) }' ||
    fail "$kbelow complete latencies under 268 ms with a 400 ms interval"
awk -v s="$ks" -v k="$kc" -v d="$maxd" 'BEGIN { m = s / k; exit !(m >= 0.3 && m <= 0.4 + d + 0.6) }' ||
    fail "complete latency mean $ks / $kc s: not in [0.3, interval + $maxd + 0.6] s"
echo "complete latency: $kc checkpoints, mean $(awk -v s="$ks" -v k="$kc" 'BEGIN { printf "%.1f", 1000 * s / k }') ms, slowest checkpoint $maxd s"

# The component pages, in Storm's names.
curl -s "http://$addr/api/v1/topology/lat-$$/component/sleepy" > sleepy.json
grep -q '"processLatencyP50Ms": *\(2[0-9]\|[3-9][0-9]\|[0-9]\{3,\}\)' sleepy.json ||
    fail "sleepy's page: processLatencyP50Ms not >= 20: $(cat sleepy.json)"
grep -q '"acked": *[1-9]' sleepy.json || fail "sleepy's page: no acked: $(cat sleepy.json)"
curl -s "http://$addr/api/v1/topology/lat-$$/component/gen" > gen.json
grep -q '"completeLatencyCount": *[1-9]' gen.json ||
    fail "gen's page: no completeLatencyCount: $(cat gen.json)"
kill -INT "$pid"
st=0
wait "$pid" 2>/dev/null || st=$?
[ "$st" -eq 0 ] || { cat run.err; fail "gale exited $st after SIGINT"; }
finish
