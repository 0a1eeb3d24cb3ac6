"""The rating app as `rater serve` runs it in a browser tab (Pilot; the real browser is in tests/browser)."""

from __future__ import annotations

import subprocess
import sys

from textual.app import App
from textual.widgets import Footer

from rater.serve.roles import mode_for
from rater.store import Store
from rater.ui import served
from rater.ui.screens.help import HelpScreen
from rater.ui.screens.rating import RatingScreen

from .conftest import RATER

SIZE = (140, 40)


def footer_text(app) -> str:
    return " ".join(str(k.render()) for k in app.screen.query_one(Footer).query("FooterKey"))


async def test_keys_the_browser_keeps_have_alternatives_in_the_footer(db_path):
    store = Store.open(db_path)
    app = served.MODES["rate"](store, store.rater_id(RATER) or 0, {"blind": True})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, RatingScreen)          # no rater picker: the link said who
        text = footer_text(app)
        assert "? Help" in text and "^x End session" in text and "F2 Commands" in text
        assert "F1" not in text and "^q" not in text and "^p" not in text
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape", "f2")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "CommandPalette"
        await pilot.press("escape", "ctrl+x")
        await pilot.pause()
    assert app.return_code == 0
    store.close()


async def test_the_browser_alternatives_stay_in_view_when_the_footer_is_full(db_path):
    """The rating screen's keys fill a 120-column footer: the app's own keys, listed last, went under
    the command palette's key (and off the screen in the browser)."""
    store = Store.open(db_path)
    app = served.MODES["rate"](store, store.rater_id(RATER) or 0, {"blind": True})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.pause()
        keys = {str(k.render()).strip(): k.region for k in app.screen.query_one(Footer).query("FooterKey")}
        palette = keys["F2 Commands"]
        for wanted in ("? Help", "^x End session"):
            assert keys[wanted].right <= palette.x, f"{wanted} is hidden"
    store.close()


async def test_adjudicators_get_rating_with_a_note_while_the_adjudication_screen_is_absent(db_path, monkeypatch):
    monkeypatch.setattr(served, "ADJUDICATION_ENTRY", "rater.ui.no_such_module:build")
    assert mode_for("Adjudicator ") == "adjudicate" and mode_for("psychologist") == "rate"
    store = Store.open(db_path)
    app = served.MODES["adjudicate"](store, store.rater_id(RATER) or 0, {})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, RatingScreen)
        assert any("adjudication screen is not in this version" in n.message for n in app._notifications)
    store.close()


class FakeAdjudication(App[None]):
    def __init__(self, store: Store, adjudicator: str) -> None:
        super().__init__()
        self.adjudicator = adjudicator


async def test_adjudicators_get_the_adjudication_app_under_their_own_name(db_path, monkeypatch):
    monkeypatch.setattr(served, "ADJUDICATION_ENTRY", f"{__name__}:FakeAdjudication")
    store = Store.open(db_path)
    app = served.MODES["adjudicate"](store, store.rater_id(RATER) or 0, {})
    assert isinstance(app, FakeAdjudication) and app.adjudicator == RATER
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+x")
        await pilot.pause()
    assert app.return_code == 0
    store.close()


def test_the_server_and_the_link_commands_import_no_textual():
    code = ("import sys, rater.cli, rater.commands.raters, rater.commands.serve, rater.serve.server\n"
            "print(sorted(m for m in ('textual', 'pandas', 'numpy', 'litellm') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


async def test_the_adjudication_footer_shows_the_browser_alternative_not_ctrl_q(db_path):
    """The footer shows one key per action: it showed ^q Quit, which the browser keeps, not ^x End session."""
    store = Store.open(db_path)
    app = served.MODES["adjudicate"](store, store.rater_id(RATER) or 0, {})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = footer_text(app)
        assert "^x End session" in text and "^q" not in text
        await pilot.press("ctrl+q")             # still bound where the browser lets it through
        await pilot.pause()
    assert app.return_code == 0
    store.close()
