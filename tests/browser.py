"""A tiny headless-Chromium driver for tests: the Chrome DevTools Protocol over ``--remote-debugging-pipe``.

No websocket, no port, no extra package: Chromium reads JSON commands from file descriptor 3 and
writes replies and events to descriptor 4, each message ending with a NUL byte. Every wait is
bounded. Used by the HTML report tests (console errors, failed requests, clicks, screenshots).

    with Chromium() as browser:
        page = browser.open(Path("report.html"))
        page.evaluate("document.title")
        png = page.screenshot()
"""
import base64
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars")


def find_chromium():
    """The Chromium executable, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


class BrowserError(RuntimeError):
    pass


class Chromium:
    """One headless Chromium process with a fresh profile; ``open`` gives a ``Page``."""

    def __init__(self, executable=None, timeout=30.0):
        self.executable = executable or find_chromium()
        if self.executable is None:
            raise BrowserError("chromium is not installed")
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="simtrack-chromium-")
        to_child, from_parent = os.pipe()     # we write commands to from_parent, Chromium reads fd 3
        from_child, to_parent = os.pipe()     # Chromium writes fd 4, we read from_child
        command = " ".join([f"exec 3<&{to_child} 4>&{to_parent};", "exec", f"'{self.executable}'", *FLAGS,
                            f"--user-data-dir='{self.profile}'", "--remote-debugging-pipe", "about:blank"])
        self.process = subprocess.Popen(["bash", "-c", command], pass_fds=(to_child, to_parent),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_child)
        os.close(to_parent)
        self._out = os.fdopen(from_parent, "wb", buffering=0)
        self._in = os.fdopen(from_child, "rb", buffering=0)
        self._next_id = 0
        self._replies, self.events = {}, []
        self._lock = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        buffer = b""
        while True:
            chunk = self._in.read(65536)
            if not chunk:
                with self._lock:
                    self._closed = True
                    self._lock.notify_all()
                return
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            with self._lock:
                for raw in messages:
                    message = json.loads(raw)
                    if "id" in message:
                        self._replies[message["id"]] = message
                    else:
                        self.events.append(message)
                self._lock.notify_all()

    _closed = False

    def send(self, method, params=None, session=None):
        """Send one command and wait for its reply's ``result``; protocol errors raise BrowserError."""
        with self._lock:
            self._next_id += 1
            ident = self._next_id
        message = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._out.write(json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        with self._lock:
            while ident not in self._replies:
                if self._closed or not self._lock.wait(timeout=max(0.0, deadline - time.monotonic())):
                    raise BrowserError(f"no reply to {method} within {self.timeout} s")
            reply = self._replies.pop(ident)
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def wait_event(self, method, session=None, timeout=None):
        """The first event ``method`` (of ``session``) received so far or within ``timeout`` seconds."""
        deadline = time.monotonic() + (timeout or self.timeout)
        with self._lock:
            while True:
                for event in self.events:
                    if event["method"] == method and (session is None or event.get("sessionId") == session):
                        return event
                if self._closed or not self._lock.wait(timeout=max(0.0, deadline - time.monotonic())):
                    raise BrowserError(f"no {method} event within {timeout or self.timeout} s")

    def open(self, path, width=1400, height=1000):
        """Load a local file in a new tab of ``width`` x ``height`` CSS pixels; returns its Page."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", session=session)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session)
        self.send("Page.navigate", {"url": Path(path).resolve().as_uri()}, session)
        self.wait_event("Page.loadEventFired", session)
        return Page(self, session)

    def close(self):
        try:
            if self.process.poll() is None:
                try:
                    self.send("Browser.close")
                except BrowserError:
                    pass
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout=10)
        finally:
            self._out.close()
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Page:
    """One tab: evaluate JavaScript, click, take screenshots, list its problems."""

    def __init__(self, browser, session):
        self.browser, self.session = browser, session

    def evaluate(self, expression):
        """The value of a JavaScript expression (JSON-serialisable); a thrown exception raises."""
        result = self.browser.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                        "awaitPromise": True}, self.session)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def click(self, selector):
        """A real mouse click (pressed + released) at the centre of the first element matching ``selector``."""
        box = self.evaluate(f"(function () {{ var e = document.querySelector({json.dumps(selector)}); "
                            "e.scrollIntoView({block: 'center'}); var r = e.getBoundingClientRect(); "
                            "return [r.left + r.width / 2, r.top + r.height / 2]; })()")
        for kind in ("mousePressed", "mouseReleased"):
            self.browser.send("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1], "button": "left",
                                                           "clickCount": 1}, self.session)

    def screenshot(self, full_page=False):
        """PNG bytes of the viewport (or of the whole page)."""
        params = {"format": "png"}
        if full_page:
            width, height = self.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            params.update(captureBeyondViewport=True, clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1})
        return base64.b64decode(self.browser.send("Page.captureScreenshot", params, self.session)["data"])

    def problems(self):
        """Console errors, uncaught exceptions, browser log errors and failed requests, as strings."""
        found = []
        for event in list(self.browser.events):
            if event.get("sessionId") != self.session:
                continue
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(f"exception: {params['exceptionDetails'].get('exception', {}).get('description')}")
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert", "warning"):
                found.append(f"console.{params['type']}: {[arg.get('value') for arg in params.get('args', [])]}")
            elif method == "Log.entryAdded" and params["entry"].get("level") in ("error", "warning"):
                found.append(f"log: {params['entry'].get('text')} {params['entry'].get('url', '')}")
            elif method == "Network.loadingFailed":
                found.append(f"failed request: {params.get('errorText')} ({params.get('type')})")
        return found

    def requests(self):
        """URLs the page asked for (the document itself included)."""
        return [event["params"]["request"]["url"] for event in list(self.browser.events)
                if event.get("sessionId") == self.session and event["method"] == "Network.requestWillBeSent"]
