"""A real `rater serve` on 127.0.0.1 and real headless Chromium (Debian's chromium + chromium-driver).

Without the browser these tests skip, saying how to install it. Where the
browser must be there (.ci/run installs it and sets RATER_REQUIRE_BROWSER=1),
a missing one fails them instead, so CI cannot pass by skipping.
Screenshots go to tests/artifacts/ (git-ignored): look at them.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from rater.serve import links
from rater.store import Store
from tests.ui.conftest import RATER, make_db

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = os.environ.get("RATER_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("RATER_CHROMEDRIVER", "/usr/bin/chromedriver")
INSTALL = ("install a browser for these tests: `apt-get install chromium chromium-driver` (Debian) "
           "and `pip install -e '.[test]'` (selenium)")
SECOND = "Dr Grace Second"
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")


def threads(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return int(re.search(r"^Threads:\s+(\d+)", status, re.M).group(1))  # type: ignore[union-attr]


def _browser_missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (Path(path).exists() or shutil.which(path)):
            return f"{path} is missing"
    return None


@pytest.fixture(scope="session", autouse=True)
def _need_browser() -> None:
    missing = _browser_missing()
    if missing:
        if os.environ.get("RATER_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{missing}: {INSTALL} (.ci/run does this)")
        pytest.skip(f"{missing}: {INSTALL}")


def flat(text: str) -> str:
    """Screen text without escape sequences or whitespace (lines wrap anywhere)."""
    return re.sub(r"\s+", "", ANSI.sub("", text))


@dataclass
class Served:
    """A running `rater serve`."""

    proc: subprocess.Popen[str]
    url: str
    db: Path
    log: Path
    tokens: dict[str, str] = field(default_factory=dict)

    def link(self, name: str) -> str:
        return f"{self.url}/r/{self.tokens[name]}"

    def children(self) -> list[int]:
        """The server's child processes (the app processes) right now."""
        found: list[int] = []
        for task in Path(f"/proc/{self.proc.pid}/task").glob("*"):
            with contextlib.suppress(OSError):
                found += [int(p) for p in (task / "children").read_text().split()]
        return found

    def apps(self) -> list[int]:
        """The app processes running a session. The spare the server keeps warm waits for its
        session with one thread; a running app has Textual's input thread besides."""
        return [pid for pid in self.children() if threads(pid) > 1]

    def get(self, path: str, cookie: str | None = None) -> tuple[int, str, dict[str, str]]:
        request = urllib.request.Request(self.url + path, headers={"Cookie": cookie} if cookie else {})
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                return r.status, r.read().decode(), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(), dict(e.headers)

    def sessions(self) -> list[tuple]:
        with Store.open(self.db, create=False) as s:
            return [tuple(r) for r in s.conn.execute(
                "SELECT r.name, s.ended_at IS NULL, s.end_reason FROM serve_sessions s "
                "JOIN raters r ON r.id = s.rater_id ORDER BY s.id")]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def make_study_db(folder: Path) -> tuple[Path, dict[str, str]]:
    """The UI tests' database with two raters, each with a personal link (name -> token)."""
    path = make_db(folder)
    tokens = {}
    with Store.open(path) as store:
        links.add_rater(store, SECOND, "psychiatrist", "MD")
        for name in (RATER, SECOND):
            url, _, _ = links.issue_link(store, name, days=1, base="http://x")
            tokens[name] = url.rsplit("/", 1)[1]
    return path, tokens


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """serve(*options) -> a running `rater serve` on a free port of 127.0.0.1, stopped after the test."""
    started: list[Served] = []

    def _serve(*options: str, db: Path | None = None, tokens: dict[str, str] | None = None) -> Served:
        if db is None:
            db, tokens = make_study_db(tmp_path)
        log = tmp_path / f"serve-{len(started)}.log"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", "RATER_SERVE_TAP": "1",
               "XDG_CONFIG_HOME": str(tmp_path / "config")}
        proc = subprocess.Popen([sys.executable, "-m", "rater", "serve", "--db", str(db), "--port", "0",
                                 *options], stdout=subprocess.PIPE, stderr=log.open("w"), text=True,
                                env=env, cwd=tmp_path)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"on (http://127\.0\.0\.1:\d+)", line)
        if not match:
            proc.kill()
            raise AssertionError(f"rater serve did not start: {line!r} {log.read_text()}")
        served = Served(proc, match.group(1), db, log, dict(tokens or {}))
        started.append(served)
        return served

    yield _serve
    for s in started:
        s.stop()


class Browser:
    """One headless Chromium with a fresh profile."""

    def __init__(self, name: str) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        os.environ["SE_AVOID_STATS"] = "true"
        self.name = name
        self.profile = tempfile.mkdtemp(prefix="rater-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run",
                    "--window-size=1400,900", f"--user-data-dir={self.profile}"):
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        self.shots = 0

    def open(self, url: str) -> None:
        self.driver.get(url)

    def screen(self) -> str:
        return str(self.driver.execute_script("return window.__raterScreen || ''"))

    def closed_reason(self) -> str | None:
        return self.driver.execute_script("return window.__raterClosed")  # type: ignore[no-any-return]

    def wait_for(self, text: str, timeout: float = 30) -> None:
        want = flat(text)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if want in flat(self.screen()):
                return
            time.sleep(0.1)
        self.shot("timeout")
        raise AssertionError(f"{text!r} never appeared on {self.name}'s screen")

    def wait_closed(self, timeout: float = 30) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            reason = self.closed_reason()
            if reason is not None:
                return reason
            time.sleep(0.1)
        self.shot("not-closed")
        raise AssertionError(f"{self.name}'s session never ended")

    def type(self, *keys: str) -> None:
        """Keys to whatever has focus, as a person types without clicking first."""
        from selenium.webdriver.common.action_chains import ActionChains

        for key in keys:
            ActionChains(self.driver).send_keys(key).perform()
            time.sleep(0.05)

    def keys(self, *keys: str) -> None:
        from selenium.webdriver.common.by import By

        # xterm.js reads keys from its hidden textarea, which has focus while the page is in front.
        area = self.driver.find_element(By.CSS_SELECTOR, ".xterm-helper-textarea")
        for key in keys:
            area.send_keys(key)
            time.sleep(0.05)

    def shot(self, what: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.shots += 1
        path = ARTIFACTS / f"{self.name}-{self.shots:02d}-{what}.png"
        self.driver.save_screenshot(str(path))
        return path

    def requested_urls(self) -> list[str]:
        import json

        urls = []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                urls.append(message["params"]["request"]["url"])
        return urls

    def quit(self) -> None:
        self.driver.quit()
        shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture
def browser(request: pytest.FixtureRequest) -> Iterator[Callable[[str], Browser]]:
    """browser(label) -> a fresh headless Chromium, quit after the test."""
    opened: list[Browser] = []

    def _open(label: str) -> Browser:
        b = Browser(f"{request.node.name}-{label}")
        opened.append(b)
        return b

    yield _open
    for b in opened:
        with contextlib.suppress(Exception):
            b.quit()
