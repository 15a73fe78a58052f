#!/usr/bin/env bash
# ui.sh - the web UI (docs/ui.md) in a real browser: headless Chromium
# loads /ui/ of a running word count, takes a screenshot in the work dir
# (UI_SCREENSHOT=FILE copies it there: docs/ui.png is made so), and the
# DOM it built from the REST API must list every component, with a
# non-zero rate for the spout and the bolts. Then the deactivate button's
# request (POST .../deactivate, what the button sends) pauses the spout:
# its emitted count stops growing, and the page shows INACTIVE.
set -u
. "$(dirname "$0")/lib.sh" || exit 99
need_cmd curl curl
browser=$(command -v chromium || command -v chromium-browser) ||
    skip "no chromium (apt-get install -y chromium)"
work_dir ui
cd "$tmp" || exit 99
name=ui-$$
paced_wc_cfg "$name" 1 2000
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
chrome --window-size=1100,1150 --screenshot="$tmp/ui.png" "$url" >/dev/null ||
    fail "no screenshot"
[ -s ui.png ] || fail "the screenshot is empty"
if [ -n "${UI_SCREENSHOT:-}" ] && [ -s ui.png ]; then
    cp ui.png "$UI_SCREENSHOT"
fi

for c in sentences split count; do
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

# The deactivate button's request.
[ "$(curl -s -o post -w '%{http_code}' -X POST "http://$addr/api/v1/topology/$name/deactivate")" = 200 ] ||
    fail "deactivate: $(cat post)"
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
