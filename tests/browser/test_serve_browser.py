"""Clinicians rating in a real browser against a real `rater serve` (see conftest.py)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from rater.store import Store
from tests.browser.conftest import ROOT, SECOND, Browser, Served, flat
from tests.ui.conftest import ANSWERS, RATER

pytestmark = pytest.mark.slow

PLAIN = {rid: text for rid, _, _, _, text in ANSWERS if rid != "b1"}


def shown_answer(b: Browser, timeout: float = 30) -> str:
    """Wait for an answer on screen; its response id."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        screen = flat(b.screen())
        for rid, text in PLAIN.items():
            if flat(text) in screen:
                return rid
        time.sleep(0.1)
    b.shot("no-answer")
    raise AssertionError(f"no answer appeared on {b.name}'s screen")


def score_keys(db) -> list[str]:
    with Store.open(db, create=False) as s:
        return [str(min(a.high, max(a.low, 3))) for a in s.rubric()[1].axes]


def ratings(db, name: str) -> list[tuple[str, int]]:
    with Store.open(db, create=False) as s:
        return [(r[0], r[1]) for r in s.conn.execute(
            "SELECT g.response_id, count(x.axis) FROM ratings g JOIN raters r ON r.id = g.rater_id "
            "JOIN rating_scores x ON x.rating_id = g.id WHERE r.name = ? GROUP BY g.id", (name,))]


def drafts(db, name: str) -> list[str]:
    with Store.open(db, create=False) as s:
        return [r[0] for r in s.conn.execute(
            "SELECT d.response_id FROM drafts d JOIN raters r ON r.id = d.rater_id WHERE r.name = ?", (name,))]


def status(db) -> str:
    return subprocess.run([sys.executable, "-m", "rater", "status", "--db", str(db)], capture_output=True,
                          text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, check=True).stdout


def test_a_clinician_opens_the_link_rates_and_the_rating_is_saved(serve, browser):
    server: Served = serve()
    b = browser("ada")
    b.open(server.link(RATER))
    assert b.driver.current_url == server.url + "/", "the token must leave the address bar"
    rid = shown_answer(b)
    b.wait_for(RATER)                       # the app knows who is rating: no picker
    b.wait_for("End session")               # the browser's alternatives are in the footer
    b.wait_for("F2 Commands")
    b.shot("first-answer")
    assert len(server.apps()) == 1, "one app process for the session"
    b.type(*score_keys(server.db))           # no click needed: the screen has the keys
    b.type("\ue007")                         # Enter
    b.wait_for("Blind rating saved")
    b.shot("saved")
    assert ratings(server.db, RATER) == [(rid, len(score_keys(server.db)))]
    assert f"{RATER}: rate since" in status(server.db)
    # Nothing was fetched from anywhere but this server.
    urls = [u for u in b.requested_urls() if u.startswith(("http:", "https:", "ws:", "wss:"))]
    assert [u for u in urls if not u.startswith(server.url)] == []
    assert server.url + "/assets/RobotoMono.ttf" in urls     # the terminal font comes from here
    # The token appears in no log line and on no process's command line.
    token = server.tokens[RATER]
    assert token not in server.log.read_text()
    for pid in [server.proc.pid, *server.children()]:
        assert token not in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
        assert token not in Path(f"/proc/{pid}/environ").read_text(errors="replace")


def test_two_clinicians_rate_at_the_same_time(serve, browser):
    server = serve()
    ada, grace = browser("ada"), browser("grace")
    ada.open(server.link(RATER))
    grace.open(server.link(SECOND))
    first_ada, first_grace = shown_answer(ada), shown_answer(grace)
    grace.wait_for(SECOND)
    assert len(server.apps()) == 2
    text = status(server.db)
    assert f"{RATER}: rate since" in text and f"{SECOND}: rate since" in text
    keys = score_keys(server.db)
    for i, key in enumerate(keys):            # interleaved, as two people typing at once
        ada.keys(key)
        grace.keys(keys[-1 - i])
    ada.keys("\ue007")
    grace.keys("\ue007")
    ada.wait_for("Blind rating saved")
    grace.wait_for("Blind rating saved")
    ada.shot("saved")
    grace.shot("saved")
    assert ratings(server.db, RATER) == [(first_ada, len(keys))]
    assert ratings(server.db, SECOND) == [(first_grace, len(keys))]


def test_no_token_a_wrong_token_and_a_revoked_one_are_refused_and_start_nothing(serve, browser):
    server = serve()
    until(lambda: len(server.children()) == 1)   # the spare app process, waiting for a session
    spare = server.children()
    assert server.get("/")[0] == 401
    assert server.get("/ws")[0] == 403
    assert server.get("/assets/textual.js")[0] == 401
    assert server.get("/r/" + "A" * 43)[0] == 403
    assert server.get("/r/" + server.tokens[RATER][:-1] + "x")[0] == 403
    status_code, _, headers = server.get("/r/" + server.tokens[RATER])
    assert status_code == 200
    cookie = headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    subprocess.run([sys.executable, "-m", "rater", "raters", "revoke", RATER, "--db", str(server.db)],
                   check=True, capture_output=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert server.get("/r/" + server.tokens[RATER])[0] == 403
    # The cookie from before the revocation no longer opens anything either.
    session = cookie.split(";")[0]
    assert server.get("/", cookie=session)[0] == 401
    b = browser("refused")
    b.open(server.url + "/r/" + server.tokens[RATER])
    assert "This link does not work" in b.driver.page_source
    b.shot("revoked")
    b.open(server.url + "/")
    assert "Open your personal link" in b.driver.page_source
    assert server.children() == spare, "the spare was not handed a session, and nothing else started"
    assert server.apps() == []
    assert server.sessions() == []


def test_closing_the_tab_and_opening_the_link_again_restores_the_draft(serve, browser):
    server = serve()
    b = browser("first-tab")
    b.open(server.link(RATER))
    rid = shown_answer(b)
    b.keys(*score_keys(server.db)[:2])        # half a rating, never saved
    until(lambda: rid in drafts(server.db, RATER))
    assert drafts(server.db, RATER) == [rid]
    b.quit()                                  # the tab (and the browser) closes
    until(lambda: server.apps() == [])   # closing the tab ends its app process
    until(lambda: server.sessions() == [(RATER, 0, "closed")])
    again = browser("reopened")
    again.open(server.link(RATER))
    assert shown_answer(again) == rid
    again.wait_for("draft restored")
    again.shot("draft-restored")
    assert ratings(server.db, RATER) == []


def test_a_second_tab_replaces_the_first_and_the_limit_is_a_clear_page(serve, browser):
    server = serve("--max-sessions", "1")
    ada = browser("ada")
    ada.open(server.link(RATER))
    shown_answer(ada)
    # Another clinician while the one place is taken: a page that says so, and no process.
    grace = browser("grace")
    grace.open(server.link(SECOND))
    assert "All places are in use" in grace.driver.page_source
    grace.shot("full")
    assert len(server.apps()) == 1
    # The same clinician in a second tab takes over their own place.
    ada2 = browser("ada-second-tab")
    ada2.open(server.link(RATER))
    shown_answer(ada2)
    assert "another tab" in ada.wait_closed()
    ada.shot("replaced")
    until(lambda: len(server.apps()) == 1)


def test_stopping_the_server_ends_every_session_and_keeps_drafts(serve, browser):
    server = serve()
    b = browser("ada")
    b.open(server.link(RATER))
    rid = shown_answer(b)
    b.keys(score_keys(server.db)[0])
    until(lambda: rid in drafts(server.db, RATER))
    until(lambda: len(server.children()) == 2)   # the app and the next spare
    children = server.children()
    assert len(server.apps()) == 1
    server.stop()                             # SIGTERM, as systemd or Ctrl+C would
    assert server.proc.returncode == 0
    assert "server was stopped" in b.wait_closed()
    b.shot("server-stopped")
    assert drafts(server.db, RATER) == [rid]
    assert server.sessions() == [(RATER, 0, "server stopped")]
    for pid in children:
        assert not _alive(pid)


def test_an_idle_session_ends_with_its_draft_kept(serve, browser):
    server = serve("--idle-minutes", "0.05")  # 3 seconds
    b = browser("ada")
    b.open(server.link(RATER))
    rid = shown_answer(b)
    b.keys(score_keys(server.db)[0])
    assert "without a key" in b.wait_closed()
    b.shot("idle")
    assert drafts(server.db, RATER) == [rid]
    until(lambda: server.sessions() == [(RATER, 0, "idle")])
    # The idle session's cookie is ended too: on a shared computer the next person cannot go on.
    b.open(server.url + "/")
    assert "Open your personal link" in b.driver.page_source


def until(condition, timeout: float = 20) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out waiting"
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return False
