"""Helpers of the web page tests (fixtures in ``conftest.py``): the site, Chromium through Selenium.

* ``seed_db`` (once per session): a temporary SQLite database made by the commands of the
  contract (``db init`` with the Bắc Giang criteria and units plus a unit named
  ``<script>alert(1)</script>``, ``db import`` of the example data, ``users add`` for one account
  of each role), run in this process;
* ``site`` (once per test module): ``par-index serve`` on a private copy of it, in a
  subprocess on 127.0.0.1 on a free port; stopped when the module ends.
* ``browser``: one headless Chromium (``/usr/bin/chromium`` + ``/usr/bin/chromedriver``, no
  browser download) at 1366×768 for the module. :meth:`Browser.visit` opens a page and checks
  what every page must satisfy — no console error, a label for every input, no duplicate id —
  and writes a screenshot under the test's temporary folder (``…/shots/NN-name.png``).

Needs ``apt-get install chromium chromium-driver`` (``.ci/run`` installs both). Without them
the tests fail with the install hint: they never skip in CI.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "evidence" / "bac-giang" / "2024"
CRITERIA = [REPO / "criteria" / "bac-giang" / "2024" / "so.yaml", REPO / "criteria" / "bac-giang" / "2024" / "huyen.yaml"]
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
INSTALL_HINT = "cần Chromium và ChromeDriver của Debian: apt-get install chromium chromium-driver"
PASSWORD = "mat-khau-thu-nghiem-2024"

# One account per role (login, role, unit, agency) and a second unit for the "another unit" checks.
ACCOUNTS = [
    ("so-noi-vu", "unit", "so-noi-vu", None),
    ("so-tu-phap", "unit", "so-tu-phap", None),
    ("h-son-dong", "unit", "h-son-dong", None),
    ("so-cong-thuong", "unit", "so-cong-thuong", None),
    ("stp-kiem-chung", "agency", None, "so-tu-phap"),
    ("tham-dinh", "appraiser", None, None),
    ("quan-tri", "admin", None, None),
    ("xem", "viewer", None, None),
]


def par_index(*args: str, stdin: str = "") -> str:
    """Run the CLI in this process (as ``par-index ARGS``); a failure shows its output."""
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from par_index.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(args))
    finally:
        sys.stdin = old_stdin
    assert code == 0, f"par-index {' '.join(args)} → {code}\n{out.getvalue()}\n{err.getvalue()}"
    return out.getvalue()


def make_db(folder: Path, extra_units: str = "") -> Path:
    """A database of the Bắc Giang example with one account per role (``ACCOUNTS``), by the CLI."""
    db = folder / "par-index.db"
    db_url = f"sqlite:///{db}"
    units = EXAMPLE / "units.csv"
    if extra_units:
        units = folder / "units.csv"
        units.write_text((EXAMPLE / "units.csv").read_text(encoding="utf-8") + extra_units, encoding="utf-8")
    crit = [a for path in CRITERIA for a in ("--criteria", str(path))]
    par_index("db", "init", "--db", db_url, *crit, "--units", str(units), "--year", "2024")
    par_index("db", "import", "--db", db_url, "--data", str(EXAMPLE))
    for login, role, unit, agency in ACCOUNTS:
        extra = [*(["--unit", unit] if unit else []), *(["--agency", agency] if agency else [])]
        par_index("users", "add", "--db", db_url, "--login", login, "--role", role, *extra, "--password-stdin", stdin=PASSWORD + "\n")
    return db


def copy_db(db: Path, folder: Path) -> Path:
    """A private copy of a database file (each test module changes its own)."""
    out = folder / db.name
    for suffix in ("", "-wal", "-shm"):
        src = db.with_name(db.name + suffix)
        if src.exists():
            shutil.copyfile(src, out.with_name(out.name + suffix))
    return out


XSS_UNIT = "xss-unit,<script>alert(1)</script>,so\n"


@pytest.fixture(scope="session")
def seed_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_db(tmp_path_factory.mktemp("seed"), XSS_UNIT)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Site:
    url: str
    db_url: str
    folder: Path
    proc: subprocess.Popen[bytes]
    log: Path

    def get(self, path: str) -> tuple[int, str]:
        """A plain GET without cookies (status, body) — for anonymous checks."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=30) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()


def start_site(folder: Path, db: Path) -> Site:
    """``par-index serve`` on a copy of ``db`` in a subprocess, on a free port of 127.0.0.1."""
    db = copy_db(db, folder)
    db_url = f"sqlite:///{db}"
    port = free_port()
    log = folder / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "par_index", "serve", "--db", db_url, "--host", "127.0.0.1", "--port", str(port),
             "--files", str(folder / "files")],
            stdout=out, stderr=subprocess.STDOUT, cwd=folder,
        )
    site = Site(f"http://127.0.0.1:{port}", db_url, folder, proc, log)
    deadline = time.monotonic() + 60
    while True:
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return site
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_site(site)
            raise AssertionError(f"the server did not start:\n{log.read_text(errors='replace')}")
        time.sleep(0.2)


def stop_site(site: Site) -> None:
    if site.proc.poll() is None:
        site.proc.terminate()
        try:
            site.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            site.proc.kill()
            site.proc.wait()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, seed_db: Path) -> Iterator[Site]:
    s = start_site(tmp_path_factory.mktemp("site"), seed_db)
    try:
        yield s
    finally:
        stop_site(s)


# -- the browser -----------------------------------------------------------------------------

# A page's own checks, run in the page: inputs without a label, duplicate ids.
A11Y_SCRIPT = r"""
const out = {unlabelled: [], duplicates: [], lang: document.documentElement.lang, title: document.title, cells: []};
for (const el of document.querySelectorAll('td, th')) {  // a cell laid out otherwise leaves its row
  const shown = getComputedStyle(el).display;
  if (shown !== 'table-cell' && shown !== 'none') out.cells.push(el.outerHTML.slice(0, 80) + ' → ' + shown);
}
const seen = {};
for (const el of document.querySelectorAll('[id]')) { seen[el.id] = (seen[el.id] || 0) + 1; }
for (const [id, n] of Object.entries(seen)) { if (n > 1) out.duplicates.push(id); }
for (const el of document.querySelectorAll('input, select, textarea')) {
  const type = (el.getAttribute('type') || '').toLowerCase();
  if (type === 'hidden' || type === 'submit' || type === 'button' || type === 'reset') continue;
  const labelled = (el.labels && el.labels.length > 0) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.getAttribute('title');
  if (!labelled) out.unlabelled.push(el.outerHTML.slice(0, 160));
}
for (const el of document.querySelectorAll('button')) {
  if (!el.textContent.trim() && !el.getAttribute('aria-label')) out.unlabelled.push(el.outerHTML.slice(0, 160));
}
return out;
"""


def chromium_available() -> bool:
    return Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()


@dataclass
class Browser:
    driver: Any
    site: Site
    shots: Path
    visited: list[str] = field(default_factory=list)
    _n: int = 0

    def visit(self, path: str, name: str | None = None, check: bool = True) -> None:
        self.driver.get(self.site.url + path)
        if check:
            self.check(name or path)

    def check(self, name: str, status: int | None = None) -> None:
        """Console errors (none), labels and ids, a screenshot.

        ``status``: the page is expected to answer with this error status (a refused form, a 403
        page); Chromium reports that status line of the document itself, and only that line is
        accepted.
        """
        self._n += 1
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "page"
        self.driver.save_screenshot(str(self.shots / f"{self._n:02d}-{slug}.png"))
        errors = [e["message"] for e in self.driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
        if status is not None:
            own = f"{self.driver.current_url.split('#')[0]}"
            expected = [m for m in errors if m.startswith(own) and f"status of {status} " in m]
            assert len(expected) == 1, f"{name}: expected the page to answer {status}: {errors}"
            errors = [m for m in errors if m not in expected]
        assert errors == [], f"{name}: console errors {errors}"
        found = self.driver.execute_script(A11Y_SCRIPT)
        assert found["lang"] == "vi", name
        assert found["title"], name
        assert found["duplicates"] == [], f"{name}: duplicate ids {found['duplicates']}"
        assert found["unlabelled"] == [], f"{name}: inputs without a label {found['unlabelled']}"
        assert found["cells"] == [], f"{name}: table cells not laid out as cells {found['cells']}"
        self.visited.append(self.driver.current_url)

    # -- short helpers for scenarios --
    def css(self, selector: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def all(self, selector: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return list(self.driver.find_elements(By.CSS_SELECTOR, selector))

    def text(self, selector: str) -> str:
        return str(self.css(selector).text)

    def fill(self, selector: str, value: str) -> None:
        el = self.css(selector)
        el.clear()
        el.send_keys(value)

    def login(self, login: str, password: str = PASSWORD) -> None:
        self.logout()
        self.visit("/login", f"login-{login}")
        self.fill("#login", login)
        self.fill("#password", password)
        self.css("form.login button[type=submit]").click()
        self.check(f"after-login-{login}")

    def logout(self) -> None:
        self.driver.delete_all_cookies()

    def status_of(self, path: str, form: dict[str, str] | None = None) -> int:
        """The HTTP status the browser's session gets for ``path`` (GET, or POST of ``form`` with
        the session's CSRF token) — a probe by fetch, not a page."""
        if form is None:
            script = "const r = await fetch(arguments[0], {redirect: 'manual'}); return r.status || 302;"
            status = int(self.driver.execute_script(script, path))
        else:
            body = {**form, "csrf_token": self.driver.get_cookie("par_csrf")["value"]}
            script = "const r = await fetch(arguments[0], {method: 'POST', redirect: 'manual', body: new URLSearchParams(arguments[1])}); return r.status || 302;"
            status = int(self.driver.execute_script(script, path, body))
        # Chromium logs the probe's own error status; only that line is dropped
        left = [e for e in self.driver.get_log("browser") if not e["message"].startswith(self.site.url + path + " ")]
        assert left == [], left
        return status

def make_driver() -> Any:
    if not chromium_available():
        raise AssertionError(INSTALL_HINT)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1366,768",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--lang=vi"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    opts.add_experimental_option("prefs", {"intl.accept_languages": "vi-VN,vi"})
    # selenium-manager must not look for a browser or a driver on the network
    os.environ.setdefault("SE_OFFLINE", "true")
    # A Vietnamese browser, as on the users' PCs: with Debian's chromium-l10n the date pickers
    # read dd/mm/yyyy (without it Chromium stays in English; the tests do not depend on it).
    env = {**os.environ, "LANGUAGE": "vi", "LANG": "vi_VN.UTF-8"}
    return webdriver.Chrome(options=opts, service=Service(executable_path=CHROMEDRIVER, env=env))


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    d = make_driver()
    try:
        yield d
    finally:
        d.quit()


@pytest.fixture
def browser(driver: Any, site: Site, tmp_path: Path) -> Iterator[Browser]:
    shots = tmp_path / "shots"
    shots.mkdir()
    driver.delete_all_cookies()
    driver.get_log("browser")  # drop what an earlier test left
    yield Browser(driver, site, shots)

