#!/usr/bin/env python3
"""webdriver.py - clicks a button of a page in headless Chromium through
chromedriver (W3C WebDriver over HTTP, Debian package chromium-driver),
for tests/e2e/ui.sh.

Usage: webdriver.py DRIVER_URL PAGE_URL CHROMIUM PROFILE_DIR BUTTON_ID
                    WAIT_SELECTOR WAIT_TEXT

Opens PAGE_URL, waits until the element BUTTON_ID is displayed, clicks it
(accepting a confirm() if the page asks one), then waits until the text
of the element WAIT_SELECTOR (a CSS selector) is WAIT_TEXT. Prints what
it did; exits 1 with the reason on any failure or after 30 s of waiting.
"""
import json
import sys
import time
import urllib.error
import urllib.request

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # W3C web element id


def call(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.load(r)["value"]
    except urllib.error.HTTPError as e:
        value = json.load(e).get("value", {})
        raise RuntimeError("%s %s: %s: %s" % (method, path,
                           value.get("error"), value.get("message")))


def wait(what, fn, seconds=30):
    end = time.time() + seconds
    while True:
        try:
            v = fn()
            if v:
                return v
        except RuntimeError:
            pass
        if time.time() > end:
            raise RuntimeError("waited %d s for %s" % (seconds, what))
        time.sleep(0.2)


def main():
    if len(sys.argv) != 8:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    drv, page, binary, profile, button, sel, text = sys.argv[1:]
    caps = {"capabilities": {"alwaysMatch": {
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": binary,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                     "--no-first-run", "--user-data-dir=" + profile,
                     "--window-size=1500,1400"]}}}}
    sid = call(drv, "POST", "/session", caps)["sessionId"]
    s = "/session/" + sid
    try:
        call(drv, "POST", s + "/url", {"url": page})

        def find(css):
            v = call(drv, "POST", s + "/element",
                     {"using": "css selector", "value": css})
            if not isinstance(v, dict) or ELEMENT not in v:
                raise RuntimeError("find %s: %r" % (css, v))
            return v[ELEMENT]

        def shown():
            e = find("#" + button)
            return e if call(drv, "GET", s + "/element/" + e +
                             "/displayed") else None
        el = wait("#" + button + " to be displayed", shown)
        before = wait(sel + " to have a text", lambda: call(
            drv, "GET", s + "/element/" + find(sel) + "/text"))
        call(drv, "POST", s + "/element/" + el + "/click", {})
        try:
            call(drv, "POST", s + "/alert/accept", {})
        except RuntimeError:
            pass                # no dialog: fine
        wait("%s to read %s" % (sel, text),
             lambda: call(drv, "GET", s + "/element/" + find(sel) +
                          "/text") == text)
        print("clicked #%s: %s went from %r to %r" % (button, sel, before,
                                                       text))
        return 0
    finally:
        call(drv, "DELETE", s)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, OSError, KeyError, ValueError) as e:
        print("webdriver.py: %s" % e, file=sys.stderr)
        sys.exit(1)
