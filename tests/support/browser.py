"""Open an HTML file in headless Chromium over the DevTools protocol (``--remote-debugging-pipe``).

No extra dependency: Chromium reads commands on fd 3 and writes replies on fd 4, NUL-separated
JSON. :func:`open_page` loads a file, collects console messages, uncaught exceptions, log
entries (failed loads) and every request that is not ``file:``/``data:``/``about:``, takes a
full-page screenshot (PNG) and prints the page to PDF, then closes the browser.

Debian: ``apt-get install chromium``. :func:`chromium_path` is None when no browser is installed
(the tests then skip, saying how to install it).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--remote-debugging-pipe",
)
INSTALL_HINT = "không có trình duyệt Chromium; cài bằng: apt-get install chromium (Debian/Ubuntu)"
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class PageReport:
    console: list[str] = field(default_factory=list)  # console.* calls: "type: text"
    exceptions: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)  # Log.entryAdded at warning/error level
    external: list[str] = field(default_factory=list)  # requests leaving the machine
    screenshot: bytes = b""
    pdf: bytes = b""
    title: str = ""

    @property
    def errors(self) -> list[str]:
        return self.console + self.exceptions + self.log + [f"request: {u}" for u in self.external]


class _Pipe:
    def __init__(self, browser: str, user_dir: str) -> None:
        to_r, self._to_w = os.pipe()
        self._from_r, from_w = os.pipe()

        def child() -> None:
            # via fresh copies: dup2 onto the same number would keep the close-on-exec flag
            a, b = os.dup(to_r), os.dup(from_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [browser, *FLAGS, f"--user-data-dir={user_dir}", "about:blank"],
            preexec_fn=child, close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        os.close(to_r)
        os.close(from_w)
        self._buf = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None, timeout: float = 60) -> dict[str, Any]:
        self._next += 1
        msg: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            self.events.append(reply)

    def wait_event(self, method: str, timeout: float = 60) -> dict[str, Any]:
        for ev in self.events:
            if ev.get("method") == method:
                return ev
        deadline = time.monotonic() + timeout
        while True:
            ev = self._read(deadline)
            self.events.append(ev)
            if ev.get("method") == method:
                return ev

    def _read(self, deadline: float) -> dict[str, Any]:
        import select

        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer")
            ready, _, _ = select.select([self._from_r], [], [], left)
            if ready:
                chunk = os.read(self._from_r, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the pipe")
                self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        out: dict[str, Any] = json.loads(raw)
        return out

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self._to_w, json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_w)
        os.close(self._from_r)


def open_page(html: Path, width: int = 1200, max_height: int = 4000) -> PageReport:
    return open_pages([html], width, max_height)[0]


def open_pages(pages: list[Path], width: int = 1200, max_height: int = 4000, pdf: frozenset[Path] | None = None) -> list[PageReport]:
    """Open each file in its own tab of one headless browser; one :class:`PageReport` each."""
    browser = chromium_path()
    if browser is None:
        raise RuntimeError(INSTALL_HINT)
    out = []
    with tempfile.TemporaryDirectory(prefix="par-index-chromium-") as user_dir:
        pipe = _Pipe(browser, user_dir)
        try:
            for html in pages:
                out.append(_visit(pipe, html, width, max_height, pdf is None or html in pdf))
        finally:
            pipe.close()
    return out


def _visit(pipe: _Pipe, html: Path, width: int, max_height: int, print_pdf: bool) -> PageReport:
    report = PageReport()
    target = pipe.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Runtime", "Log", "Network", "Page"):
        pipe.send(f"{domain}.enable", session=session)
    pipe.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=session)
    pipe.events.clear()
    pipe.send("Page.navigate", {"url": html.resolve().as_uri()}, session=session)
    pipe.wait_event("Page.loadEventFired")
    title = pipe.send("Runtime.evaluate", {"expression": "document.title", "returnByValue": True}, session=session)
    report.title = str(title.get("result", {}).get("value", ""))
    metrics = pipe.send("Page.getLayoutMetrics", session=session)
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    height = min(int(size["height"]) + 1, max_height)
    shot = pipe.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}}, session=session)
    report.screenshot = base64.b64decode(shot["data"])
    if print_pdf:
        pdf = pipe.send("Page.printToPDF", {"printBackground": False, "preferCSSPageSize": True}, session=session)
        report.pdf = base64.b64decode(pdf["data"])
    events = [ev for ev in pipe.events if ev.get("sessionId") in (None, session)]
    pipe.events.clear()
    pipe.send("Target.closeTarget", {"targetId": target})
    for ev in events:
        method, params = ev.get("method"), ev.get("params", {})
        if method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            report.console.append(f"{params.get('type')}: {text}")
        elif method == "Runtime.exceptionThrown":
            report.exceptions.append(json.dumps(params.get("exceptionDetails", {}), ensure_ascii=False)[:500])
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            if entry.get("level") in ("error", "warning"):
                report.log.append(f"{entry.get('level')}: {entry.get('text')} {entry.get('url', '')}")
        elif method == "Network.requestWillBeSent":
            url = str(params.get("request", {}).get("url", ""))
            if not url.startswith(LOCAL_SCHEMES):
                report.external.append(url)
    return report


A4_PORTRAIT_PX = 703  # the printed width of an A4 page with 12 mm margins (186 mm) in CSS pixels


def probe_print(html: Path, expression: str, width: int = A4_PORTRAIT_PX) -> Any:
    """The value of ``expression`` (JavaScript) in ``html`` laid out as it prints: print media, the
    page's printable width — to measure whether a table fits the paper instead of being shrunk."""
    browser = chromium_path()
    if browser is None:
        raise RuntimeError(INSTALL_HINT)
    with tempfile.TemporaryDirectory(prefix="par-index-chromium-") as user_dir:
        pipe = _Pipe(browser, user_dir)
        try:
            target = pipe.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            pipe.send("Page.enable", session=session)
            pipe.send("Emulation.setEmulatedMedia", {"media": "print"}, session=session)
            pipe.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": 1000, "deviceScaleFactor": 1, "mobile": False}, session=session)
            pipe.send("Page.navigate", {"url": html.resolve().as_uri()}, session=session)
            pipe.wait_event("Page.loadEventFired")
            got = pipe.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session)
            return got.get("result", {}).get("value")
        finally:
            pipe.close()


def blank_fraction(png: bytes) -> tuple[float, int]:
    """(share of pixels that are pure white, number of distinct colours) of a PNG screenshot."""
    import io

    import numpy as np
    from PIL import Image

    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.uint8).reshape(-1, 3)
    white = float(np.all(rgb == 255, axis=1).mean())
    colours = len(np.unique(rgb[:: max(1, len(rgb) // 200000)], axis=0))
    return white, colours
