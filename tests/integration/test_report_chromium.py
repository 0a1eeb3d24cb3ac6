"""report.html as a reader gets it: real headless Chromium loads it offline, draws every figure, prints it.

Needs Debian's ``chromium`` and ``chromium-driver`` packages and selenium (the
test extra). Without them these tests skip, saying how to install them; CI
(.ci/run) installs them and sets RATER_REQUIRE_BROWSER=1, which turns the skip into a failure. The first page's screenshot is kept in
tests/artifacts/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from rater.demo import build_demo
from rater.report import build, write

ARTIFACTS = Path(__file__).parents[1] / "artifacts"
INSTALL = ("needs Chromium and its driver: `sudo apt-get install chromium chromium-driver` (Debian/Ubuntu) "
           "and `pip install -e '.[test]'` for selenium")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1200,1600")


def _binary(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
        if found:
            return found
    return None


def _missing(reason: str) -> NoReturn:
    """Skip where the browser is missing, but fail in CI, which installs it (RATER_REQUIRE_BROWSER=1)."""
    if os.environ.get("RATER_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (.ci/run installs it)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing(INSTALL)
    chromium, driver = _binary("chromium", "chromium-browser"), _binary("chromedriver")
    if chromium is None or driver is None:
        _missing(INSTALL)
    os.environ["SE_AVOID_STATS"] = "true"  # selenium-manager: no telemetry, and it is not used
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    session = webdriver.Chrome(service=Service(driver), options=options)
    try:
        yield session
    finally:
        session.quit()


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    with build_demo(folder / "demo.db") as store:
        report = build(store, n_boot=100, seed=11, command="rater report --db demo.db --seed 11")
    return write(report, folder / "reports")[0]


def test_the_page_loads_offline_draws_every_figure_and_prints(browser: Any, page: Path) -> None:
    browser.get_log("performance")  # drop anything logged before this page
    browser.get(page.as_uri())
    assert "Evaluation report" in browser.title or "rater report" in browser.title

    # No request leaves the file: the network log holds the page itself only, and no resource was fetched.
    requests = [json.loads(e["message"])["message"] for e in browser.get_log("performance")]
    urls = {m["params"]["request"]["url"] for m in requests if m["method"] == "Network.requestWillBeSent"}
    assert urls <= {page.as_uri()}, f"requests left the file: {sorted(urls - {page.as_uri()})}"
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0

    # Every figure is drawn at a readable size, with text in it.
    figures = browser.execute_script("""
        return [...document.querySelectorAll('svg.figure')].map(s => {
            const r = s.getBoundingClientRect();
            return {w: r.width, h: r.height, paths: s.querySelectorAll('path, use, rect').length,
                    text: s.querySelectorAll('text').length, label: s.getAttribute('aria-label')};
        });""")
    assert len(figures) == page.read_text(encoding="utf-8").count("<svg") >= 3
    for fig in figures:
        assert fig["w"] > 300 and fig["h"] > 100 and fig["paths"] > 10 and fig["text"] > 3, fig
    assert figures[0]["label"].startswith("Escalation")  # the trade-off is the first figure

    # The demo is marked ILLUSTRATIVE on screen (kept in view) and on every printed page (a page-margin box).
    banner = browser.execute_script("""
        const b = document.querySelector('.banner');
        return b && {text: b.textContent, position: getComputedStyle(b).position};""")
    assert banner and "ILLUSTRATIVE" in banner["text"] and banner["position"] == "sticky"
    margin = browser.execute_script("""
        return [...document.styleSheets].flatMap(s => [...s.cssRules])
            .filter(r => r instanceof CSSPageRule).map(r => r.cssText).join(' ');""")
    assert "top-center" in margin and "ILLUSTRATIVE" in margin

    pdf = base64.b64decode(browser.execute_cdp_cmd("Page.printToPDF", {"printBackground": True})["data"])
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") >= 3

    ARTIFACTS.mkdir(exist_ok=True)
    browser.execute_script("window.scrollTo(0, 0)")
    browser.save_screenshot(str(ARTIFACTS / "report_first_page.png"))
    (ARTIFACTS / "report.pdf").write_bytes(pdf)


def test_the_network_check_would_notice_a_request(browser: Any, tmp_path: Path) -> None:
    """Control: a page that fetches an image is caught by the same log the test above reads."""
    leaky = tmp_path / "leaky.html"
    leaky.write_text('<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/x.png"></body></html>')
    browser.get_log("performance")
    browser.get(leaky.as_uri())
    requests = [json.loads(e["message"])["message"] for e in browser.get_log("performance")]
    urls = {m["params"]["request"]["url"] for m in requests if m["method"] == "Network.requestWillBeSent"}
    assert "http://127.0.0.1:9/x.png" in urls
