#!/usr/bin/env bash
# ui.sh - the web UI (docs/ui.md) in a real browser: headless Chromium
# loads /ui/ of a running word count, takes a screenshot in the work dir
# (UI_SCREENSHOT=FILE copies it there: docs/ui.png is made so), and the
# DOM it built from the REST API must list every component, with a
# non-zero rate for the spout and the bolts. Beside the word count, split
# feeds a deliberately slow bolt (testkit "slow") and the spout a Python
# shell bolt: the DOM must show the slow bolt's input queue (tuples and
# frames) above 0 and its stream coloured by a fill above 0, split's
# backpressure above 0 and its credits as N/WINDOW, count's execute p99
# and the shell bolt's process p99 above 0, the host's row with the
# executed tuples, and the checkpoint history. Then a click on the
# Deactivate button (Chromium driven through chromedriver:
# tests/e2e/webdriver.py) pauses the spout: the page shows INACTIVE, and
# the spout's emitted count stops growing.
set -u
. "$(dirname "$0")/lib.sh" || exit 99
plugin=$(build_file tests/plugins/testkit.so)
ml=$(cd "$top_srcdir" && pwd)/tests/multilang
need_build "$plugin"
need_cmd curl curl
need_cmd python3 python3
browser=$(command -v chromium || command -v chromium-browser) ||
    skip "no chromium (apt-get install -y chromium)"
driver=$(command -v chromedriver) ||
    skip "no chromedriver (apt-get install -y chromium-driver)"
work_dir ui
cd "$tmp" || exit 99
name=ui-$$
cat > ack_bolt.py <<PY
import sys
sys.path.insert(0, "$ml")
import storm


class AckBolt(storm.BasicBolt):
    def process(self, tup):
        pass


AckBolt().run()
PY
# paced_wc_cfg's word count, with the slow bolt on split's words and the
# shell bolt on the sentences.
cat > topo.cfg <<CFG
name = "$name";
config = { workers = 1; checkpoint = { interval_ms = 300; dir = "state"; }; };
spouts = ( { id = "sentences"; type = "generator"; mode = "sentences";
             seed = 42; count = 100000000; rate = 2000; fields = ["sentence"]; } );
bolts = (
  { id = "split"; type = "split"; parallelism = 2; fields = ["word"]; },
  { id = "count"; type = "count"; key = "word"; parallelism = 2;
    fields = ["word", "count"]; },
  { id = "slow"; type = "slow"; plugin = "$plugin"; delay_us = 300; },
  { id = "py"; type = "shell"; command = ["python3", "ack_bolt.py"];
    cwd = "$PWD"; } );
streams = (
  { from = "sentences"; to = "split"; grouping = "shuffle"; },
  { from = "split"; to = "count"; grouping = "fields"; fields = ["word"]; },
  { from = "split"; to = "slow"; grouping = "shuffle"; },
  { from = "sentences"; to = "py"; grouping = "shuffle"; } );
CFG
start_http topo.cfg
url=http://$addr/ui/

# A page of the REST API, into file body.
get() { curl -sf -o body "http://$addr/api/v1/topology/$1"; }
emitted() {
    get "$name" && sed 's/.*"spouts":\[{[^]]*"emitted":\([0-9]*\).*/\1/' body
}
# Rates need two samples a second apart, and some seconds of them.
sleep 4

# chromium ARGS...: headless, in the work dir's profile; virtual time lets
# the page's fetches finish before the DOM is dumped.
chrome() {
    timeout 90 "$browser" --headless --no-sandbox --disable-gpu \
        --no-first-run --user-data-dir="$tmp/profile" \
        --virtual-time-budget=6000 "$@" 2>>chrome.err
}
chrome --dump-dom "$url" >dom.html || { tail -5 chrome.err; die "chromium failed"; }
chrome --window-size=1500,1400 --screenshot="$tmp/ui.png" "$url" >/dev/null ||
    fail "no screenshot"
[ -s ui.png ] || fail "the screenshot is empty"
if [ -n "${UI_SCREENSHOT:-}" ] && [ -s ui.png ]; then
    cp ui.png "$UI_SCREENSHOT"
fi

for c in sentences split count slow py; do
    row=$(grep -o "<tr id=\"comp-$c\"[^>]*>" dom.html)
    [ -n "$row" ] || { fail "no row for $c in the DOM"; continue; }
    rate=$(echo "$row" | sed -n 's/.*data-rate="\([0-9.]*\)".*/\1/p')
    awk -v r="$rate" 'BEGIN { exit !(r > 0) }' ||
        fail "$c: rate '$rate' in the DOM, not > 0"
    grep -q "data-component=\"$c\"" dom.html || fail "$c: not in the graph"
done
grep -q '<span id="topo-status" class="status ACTIVE">ACTIVE</span>' dom.html ||
    fail "the page does not show ACTIVE"
grep -q "<span id=\"topo-name\">$name</span>" dom.html ||
    fail "the page does not name $name"
grep -q '<polyline' dom.html || fail "no throughput chart"

# attr COMPONENT ATTR: the value of the component row's data-ATTR.
attr() {
    grep -o "<tr id=\"comp-$1\"[^>]*>" dom.html |
        sed -n "s/.* data-$2=\"\([^\"]*\)\".*/\1/p"
}
# cell COMPONENT CLASS: the text of the row's cell of that class.
cell() {
    grep -o "<tr id=\"comp-$1\".*" dom.html | sed 's|</tr>.*||' |
        sed -n "s|.*<td class=\"$2\">\([^<]*\)</td>.*|\1|p"
}
positive() { awk -v v="$1" 'BEGIN { exit !(v + 0 > 0) }'; }
q=$(attr slow queued)
positive "$q" || fail "slow: queue '$q' in the DOM, not > 0"
qf=$(cell slow queue-frames)
case $qf in [1-9]*/[1-9]*) ;; *) fail "slow: queue frames '$qf', not N/WINDOW with N > 0" ;; esac
bp=$(attr split backpressure)
positive "$bp" || fail "split: backpressure '$bp' s in the DOM, not > 0"
cr=$(cell split credits)
case $cr in [0-9]*/[1-9]*) ;; *) fail "split: credits '$cr', not N/WINDOW" ;; esac
p=$(attr count exec-p99)
positive "$p" || fail "count: execute p99 '$p' ms, not > 0"
p=$(attr py proc-p99)
positive "$p" || fail "py: process p99 '$p' ms, not > 0"
[ -n "$(cell py proc-p50)" ] || fail "py: no process p50 cell"
fill=$(grep -o '<line [^>]*data-from="split" data-to="slow"[^>]*>' dom.html |
    sed -n 's/.*data-fill="\([0-9.]*\)".*/\1/p')
positive "$fill" || fail "the stream split -> slow: fill '$fill', not > 0"
hx=$(grep -o '<tr data-host="[^"]*" data-executed="[0-9]*"' dom.html |
    sed -n 's/.*data-executed="\([0-9]*\)"/\1/p')
positive "$hx" || fail "the hosts table: executed '$hx', not > 0"
grep -q 'id="ckpt-stats">([1-9][0-9]* completed' dom.html ||
    fail "no checkpoint counts: $(grep -o 'id="ckpt-stats">[^<]*' dom.html)"
grep -q '<tr data-checkpoint="[1-9][0-9]*" data-outcome="completed">' dom.html ||
    fail "no completed checkpoint in the checkpoint history"
echo "   slow: queue $q tuples ($qf frames); split: backpressure $bp s, credits $cr; stream fill $fill"

# A click on the Deactivate button, in Chromium driven by chromedriver
# (WebDriver on a loopback port below the other tests' ranges).
dport=$(port_in 1100 1999 1)
"$driver" --port="$dport" --allowed-ips=127.0.0.1 >driver.log 2>&1 &
dpid=$!
wait_for 20 curl -sf -o /dev/null "http://127.0.0.1:$dport/status" ||
    { kill "$dpid"; cat driver.log; die "chromedriver did not start"; }
timeout 120 python3 "$top_srcdir/tests/e2e/webdriver.py" "http://127.0.0.1:$dport" \
    "$url" "$browser" "$tmp/wdprofile" btn-deactivate ".status" INACTIVE \
    >click.out 2>&1 || fail "clicking Deactivate: $(cat click.out)"
kill "$dpid" 2>/dev/null
wait "$dpid" 2>/dev/null
cat click.out
sleep 2
a=$(emitted)
sleep 3
b=$(emitted)
[ -n "$a" ] && [ "$a" = "$b" ] || fail "emitted went on after deactivate: $a -> $b"
chrome --dump-dom "$url" >dom2.html || fail "chromium failed"
grep -q 'class="status INACTIVE">INACTIVE<' dom2.html ||
    fail "the page does not show INACTIVE after deactivate"
kill -0 "$pid" || fail "gale is gone"
echo "emitted stayed at $a after deactivate; screenshot $tmp/ui.png"
finish "PASS ui"
