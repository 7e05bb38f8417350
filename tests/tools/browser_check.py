#!/usr/bin/env python3
"""Opens an HTML report in headless Chromium and checks it as a reader's
browser would: every <img class="plot"> decodes (naturalWidth > 0), the
console shows no errors and no script throws, and nothing is fetched from
the network (only file: and data: URLs). Saves a full-page screenshot.

    browser_check.py REPORT.html SCREENSHOT.png [--expect-plots N]

Talks the Chrome DevTools Protocol over --remote-debugging-pipe (file
descriptors 3 and 4, NUL-terminated JSON), so it needs only the Python
standard library and Debian's chromium. Exit 0 when every check passed,
1 when one failed (each printed), 2 when the browser could not be driven.
"""
import argparse
import base64
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time


class Browser:
    def __init__(self, binary, profile):
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()

        def child_fds():
            # the protocol's fixed descriptors: 3 reads commands, 4 writes replies
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        self.proc = subprocess.Popen(
            [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions",
             "--remote-debugging-pipe", f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=child_fds, pass_fds=(3, 4))
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def _read_message(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.time()
            if left <= 0:
                raise TimeoutError("no answer from the browser")
            ready, _, _ = select.select([self.from_browser], [], [], left)
            if ready:
                chunk = os.read(self.from_browser, 1 << 16)
                if not chunk:
                    raise RuntimeError("the browser closed the pipe (it exited)")
                self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_browser, json.dumps(msg).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method, timeout=30):
        deadline = time.time() + timeout
        for e in self.events:
            if e.get("method") == method:
                return e
        while True:
            e = self._read_message(deadline)
            self.events.append(e)
            if e.get("method") == method:
                return e

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("screenshot")
    ap.add_argument("--expect-plots", type=int, default=None, help="the number of plots the page must show")
    args = ap.parse_args()
    binary = find_chromium()
    if not binary:
        print("browser_check: no chromium on PATH", file=sys.stderr)
        return 2
    url = "file://" + os.path.abspath(args.report)
    profile = tempfile.mkdtemp(prefix="fidrun-chromium-")
    problems = []
    b = Browser(binary, profile)
    try:
        target = b.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        s = b.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            b.call(f"{domain}.enable", session=s)
        b.call("Emulation.setDeviceMetricsOverride",
               {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=s)
        b.call("Page.navigate", {"url": url}, session=s)
        b.wait_event("Page.loadEventFired", timeout=60)
        state = b.call("Runtime.evaluate", {"returnByValue": True, "awaitPromise": True, "expression": """
            Promise.all(Array.from(document.images).map(i => i.decode().then(() => null, () => null)))
              .then(() => ({
                plots: Array.from(document.querySelectorAll('img.plot')).map(i => ({
                    alt: i.alt, ok: i.complete && i.naturalWidth > 0, w: i.naturalWidth, h: i.naturalHeight})),
                figures: document.querySelectorAll('figure').length,
                verdict: (document.getElementById('verdict') || {}).textContent || null,
                height: document.documentElement.scrollHeight}))"""}, session=s)["result"]["value"]
        time.sleep(0.3)  # late console messages
        b.call("Runtime.evaluate", {"expression": "0"}, session=s)
        for e in b.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.exceptionThrown":
                problems.append("script error: " + p["exceptionDetails"].get("text", "?"))
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                problems.append("console error: " + " ".join(str(a.get("value", "")) for a in p.get("args", [])))
            elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
                problems.append("browser error: " + p["entry"].get("text", "?"))
            elif m == "Network.requestWillBeSent":
                u = p["request"]["url"]
                if not (u.startswith("file:") or u.startswith("data:")):
                    problems.append("fetched from the network: " + u)
        for plot in state["plots"]:
            print(f"plot {'ok  ' if plot['ok'] else 'FAIL'} {plot['w']}x{plot['h']}  {plot['alt']}")
            if not plot["ok"]:
                problems.append("plot did not render: " + plot["alt"])
        if args.expect_plots is not None and len(state["plots"]) != args.expect_plots:
            problems.append(f"{len(state['plots'])} plots shown, {args.expect_plots} expected")
        height = min(int(state["height"]), 16000)
        b.call("Emulation.setDeviceMetricsOverride",
               {"width": 1280, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=s)
        shot = b.call("Page.captureScreenshot", {"format": "png"}, session=s, timeout=60)
        with open(args.screenshot, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        print(f"{len(state['plots'])} plots in {state['figures']} figures · verdict: {state['verdict']} · "
              f"screenshot {args.screenshot} (1280x{height})")
    except (RuntimeError, TimeoutError, KeyError) as e:
        print(f"browser_check: could not drive {binary}: {e}", file=sys.stderr)
        return 2
    finally:
        b.close()
        shutil.rmtree(profile, ignore_errors=True)
    for p in problems:
        print("FAIL", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
