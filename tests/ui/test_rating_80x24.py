"""The rating screen at 80×24, the smallest terminal a clinician may work in."""

from __future__ import annotations

from pathlib import Path

import pytest

from rater.store import Store
from rater.ui.app import build_app
from rater.ui.screens.rating import RatingScreen

SMALL = (80, 24)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from rater.demo import build_demo

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    build_demo(path).close()
    return path


@pytest.fixture
def demo_copy(demo_db: Path, tmp_path: Path) -> Path:
    """A demo database of this test's own."""
    import shutil

    path = tmp_path / "demo.db"
    shutil.copy(demo_db, path)
    return path


def visible_text(app) -> str:
    """What the terminal shows, as text (lines joined)."""
    import html
    import re

    svg = app.export_screenshot()
    rows = re.findall(r"<text[^>]*>(.*?)</text>", svg)
    return " ".join(html.unescape(" ".join(rows)).replace("\xa0", " ").split())


def words(text: str) -> list[str]:
    return " ".join(text.split()).split(" ")


async def test_latest_message_and_task_are_on_screen_for_every_demo_scenario(demo_copy, tmp_path):
    store = Store.open(demo_copy)
    try:
        app = build_app(store, rater="Dr Small Screen", config=tmp_path / "none.toml")
        async with app.run_test(size=SMALL) as pilot:
            screen = app.screen
            assert isinstance(screen, RatingScreen)
            seen: set[str] = set()
            for rowid in screen.session.queue.order:
                view = screen.session.open(rowid, remember=False)
                if view.scenario.id in seen:
                    continue
                seen.add(view.scenario.id)
                screen.show_answer(view)
                await pilot.pause()
                latest = screen.query_one("#latest-scroll")
                # The whole of the latest message and the task fit their pane: no key press needed.
                assert latest.max_scroll_y == 0, view.scenario.id
                assert latest.region.bottom <= SMALL[1] - 1 and latest.region.height > 2
                text = visible_text(app)
                for part in (view.scenario.patient_message, view.scenario.task):
                    first, last = words(part)[0], words(part)[-1]
                    assert first in text and last in text, (view.scenario.id, first, last)
                # and the answer's first line is on screen beside them
                assert words(view.text)[0] in text
                answer = screen.query_one("#answer-scroll")
                assert answer.region.height >= 5
            assert len(seen) >= 20
    finally:
        store.close()


def notices(app) -> list[str]:
    return [n.message for n in app._notifications]


async def open_answer(pilot, response_id: str) -> RatingScreen:
    screen = pilot.app.screen
    assert isinstance(screen, RatingScreen)
    s = screen.session
    rowid = next(r for r in s.queue.order if s.open(r, remember=False).response_id == response_id)
    screen.show_answer(s.open(rowid))
    await pilot.pause()
    return screen


async def test_words_typed_without_n_say_what_they_did(make_app):
    from rater.ui.widgets.form import RatingForm

    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        form = app.screen.query_one(RatingForm)
        await pilot.press("g", "o", "o", "d")
        await pilot.pause()
        assert form.state.flags == {"rubric_gap"} and form.state.scores == {}
        said = notices(app)
        assert any("Flag 'rubric gap' set" in n for n in said)
        assert sum("write a note" in n for n in said) == 2  # the flag's and the letters', once
        await pilot.press("g")
        assert any("Flag 'rubric gap' cleared" in n for n in notices(app))


async def test_not_applicable_is_refused_where_the_answer_has_siblings(make_app):
    from rater.ui.widgets.form import RatingForm

    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_answer(pilot, "a1")  # another sample (a2) and a variant's answer (a3)
        form = screen.query_one(RatingForm)
        await pilot.press("4", "3", "0")
        await pilot.pause()
        assert "behavioral_consistency" not in form.state.scores
        assert form.focus_axis == "behavioral_consistency"
        assert any("Behavioral consistency is not N/A for this answer" in n for n in notices(app))
        await pilot.press("4", "5", "1", "0")
        assert "demographic_robustness" not in form.state.scores
        # A draft with N/A made before the rule (or by hand) is not saved either.
        state = form.state.copy()
        state.scores.update(behavioral_consistency=None, demographic_robustness=None)
        problems = screen.session.check(state, screen.view)
        assert any("Demographic robustness is not N/A" in p for p in problems)

        screen = await open_answer(pilot, "a4")  # the escalation: no sample or counterpart of its own
        await pilot.press("4", "3", "0")
        assert screen.query_one(RatingForm).state.scores["behavioral_consistency"] is None


async def test_the_score_just_given_shows_its_anchor_readably_at_80x24(make_app):
    from rater.ui.widgets.form import RatingForm

    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        form = app.screen.query_one(RatingForm)
        await pilot.press("4")
        await pilot.pause()
        anchor = form.rubric.axis("protocol_fidelity").short(4)
        widget = app.screen.query_one("#form-lines")
        lines = str(widget.render()).splitlines()
        at = next(i for i, line in enumerate(lines) if line.startswith("✓ Protocol fidelity 4:"))
        given = " ".join(" ".join(lines[at:at + 2]).split())
        assert " ".join(anchor.split()[:4]) in given  # readable words, not four letters
        assert widget.region.y + at + 1 < SMALL[1] - 1  # on screen, above the footer
        assert form.focus_axis == "hallucination_risk"


async def test_the_note_shows_its_start(make_app):
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        note = "Good start but vague about the next exposure step, and the SUDS question comes too late"
        await pilot.press("n", *note, "enter")
        await pilot.pause()
        shown = " ".join(str(app.screen.query_one("#note-view").render()).split())
        assert shown.startswith("note: Good start but vague")
        assert "Good start but vague" in visible_text(app)


async def test_an_unsaved_edit_of_a_saved_rating_is_shown_and_warned_about(make_app, db_path):
    from rater.ui.widgets.form import RatingForm

    from .test_rating_flow import ratings

    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        screen = app.screen
        assert isinstance(screen, RatingScreen)
        first = screen.view.rowid
        await pilot.press(*"434514", "enter")
        await pilot.press("left")
        await pilot.pause()
        assert screen.view.rowid == first and screen.view.saved
        form = screen.query_one(RatingForm)
        assert "NOT saved" not in str(form.border_subtitle)
        await pilot.press("2")  # change the saved protocol fidelity 4 -> 2
        await pilot.pause()
        assert "NOT saved" in str(form.border_subtitle)
        await pilot.press("right")  # leaving: warned, stays
        await pilot.pause()
        assert screen.view.rowid == first
        assert any("is not saved" in n for n in notices(app))
        await pilot.press("right")  # again: leaves, the edit kept as a draft
        await pilot.pause()
        assert screen.view.rowid != first
        assert ratings(db_path)[0]["scores"]["protocol_fidelity"] == 4
        await pilot.press("left")
        await pilot.pause()
        assert screen.view.rowid == first
        assert form.state.scores["protocol_fidelity"] == 2 and "NOT saved" in str(form.border_subtitle)
        # Quitting warns once too.
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.is_running
        await pilot.press("enter")  # saved: nothing pending, quitting is quiet
        await pilot.pause()
        assert ratings(db_path)[0]["scores"]["protocol_fidelity"] == 2
        await pilot.press("left")
        await pilot.pause()
        assert "NOT saved" not in str(form.border_subtitle)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running


async def test_the_blind_reveal_is_said_in_the_form_not_over_the_judges(make_app):
    from rater.ui.widgets.form import RatingForm

    app = make_app(blind=True)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press(*"434514", "enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RatingScreen) and screen.view.phase == "revise"
        assert not notices(app)  # no toast over the judges' table
        assert "Blind rating saved" in str(screen.query_one(RatingForm).border_subtitle)
        assert "med" in str(screen.query_one("#judges").render())


def footer_keys(app) -> str:
    from textual.widgets import Footer

    # Only the keys drawn inside the terminal: a footer that overflows still holds the others.
    return " ".join(str(k.render()) for k in app.screen.query_one(Footer).query("FooterKey")
                    if k.region.width and k.region.right <= app.size.width)


async def test_the_footer_keeps_the_essential_keys_at_80_columns(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        text = footer_keys(app)
        for key in ("v Siblings", "a Agreement", "^q Quit", "F1 Help", "⏎ Save", "1-9 Score"):
            assert key in text, (key, text)
        assert "left 5" in str(app.screen.query_one("#progress").render())

    from rater.ui import served

    store = Store.open(db_path)
    try:
        app = served.MODES["rate"](store, store.rater_id("Dr Ada Test") or 0, {"blind": True})
        async with app.run_test(size=SMALL) as pilot:
            await pilot.pause()
            text = footer_keys(app)
            for key in ("^x End session", "? Help", "v Siblings", "a Agreement"):
                assert key in text, (key, text)
    finally:
        store.close()


async def test_the_queue_keeps_order_numbers_under_a_filter_and_goes_to_them(make_app):
    from textual.widgets import DataTable, Select

    from rater.ui.screens.queue import QueueScreen

    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        screen = app.screen
        assert isinstance(screen, RatingScreen)
        order = screen.session.queue.order
        escalation = next(r for r in order if screen.session.open(r, remember=False).scenario.id == "t-pe-01-s1")
        number = order.index(escalation) + 1
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
        app.screen.query_one("#f-severity", Select).value = 1
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        assert table.row_count == 1
        assert table.get_row_at(0)[0] == number  # the rater's own number, not "1"
        await pilot.press("slash", *str(number), "enter")
        await pilot.pause()
        assert table.cursor_row == 0
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.view.rowid == escalation
        # A number outside the filter is said so, not taken as a filtered place.
        await pilot.press("q")
        await pilot.pause()
        other = next(n for n in range(1, len(order) + 1) if n != number)
        await pilot.press("slash", *str(other), "enter")
        await pilot.pause()
        assert any("not in this filtered queue" in n for n in notices(app))


async def test_a_returning_rater_on_the_demo_is_offered_their_name_not_the_new_rater_form(demo_copy, tmp_path):
    from textual.widgets import ListView

    from rater.ui.screens.raters import RaterPicker

    store = Store.open(demo_copy)
    try:
        store.ensure_rater("Zoe Returning", "psychiatrist", "MD")
        app = build_app(store, config=tmp_path / "none.toml")
        async with app.run_test(size=SMALL) as pilot:
            await pilot.pause()
            picker = app.screen
            assert isinstance(picker, RaterPicker)
            assert not picker.query_one("#new-rater").display
            listing = picker.query_one(ListView)
            assert listing.has_focus and listing.highlighted_child.name == "Zoe Returning"
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, RatingScreen)
            assert app.screen.session.rater_name.startswith("Zoe Returning")
    finally:
        store.close()


async def test_help_names_keys_as_people_do(make_app):
    from rater.ui.screens.help import HelpScreen

    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("Static").render())
        assert "F1 or ?" in text and "Ctrl+Q" in text and "Shift+PgDn" in text
        assert "question_mark" not in text and "pagedown" not in text and "square_bracket" not in text


async def test_judge_axis_names_are_whole_on_a_wide_screen(make_app):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        table = str(app.screen.query_one("#judges").render())
        assert "Demographic robustness" in table and "Behavioral consistency" in table


async def test_e_shows_the_scenario_key_where_it_is_seen(make_app):
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        screen = app.screen
        assert isinstance(screen, RatingScreen)
        await pilot.press("e")
        await pilot.pause()
        side = screen.query_one("#judges-scroll")
        assert "Scenario key" in str(side.border_title)
        assert side.scroll_y == 0 and side.region.height >= 3
        assert str(screen.query_one("#judges").render()).startswith("Scenario key (author's intent)")
        assert "Scenario key (author's intent)" in visible_text(app)
        await pilot.press("e")
        assert "Judges" in str(side.border_title)


async def test_the_judges_pane_opens_at_the_top_for_each_answer(make_app):
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        side = app.screen.query_one("#judges-scroll")
        await pilot.press("right_square_bracket", "right_square_bracket")
        await pilot.pause()
        assert side.scroll_y > 0
        await pilot.press("right")
        await pilot.pause()
        assert side.scroll_y == 0


async def test_undo_says_what_it_put_back(make_app):
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("4", "z")
        await pilot.pause()
        assert any(n == "Undone (z): Protocol fidelity." for n in notices(app))


async def test_help_in_a_browser_session_names_its_own_keys(db_path):
    from rater.ui import served
    from rater.ui.screens.help import HelpScreen

    store = Store.open(db_path)
    try:
        app = served.MODES["rate"](store, store.rater_id("Dr Ada Test") or 0, {"blind": True})
        async with app.run_test(size=(100, 32)) as pilot:
            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            text = str(app.screen.query_one("Static").render())
            assert "Ctrl+X" in text and "End session" in text and "F2" in text
    finally:
        store.close()


async def test_the_risk_level_stays_behind_the_scenario_key_on_every_answer(make_app):
    """Severity is the risk level (none 0 .. imminent 4): shown up front it would anchor crisis safety."""
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = app.screen
        assert isinstance(screen, RatingScreen)
        for _ in screen.session.queue.order:
            await pilot.pause()
            before = visible_text(app)
            assert "severity" not in before and "risk level:" not in before
            await pilot.press("e")
            await pilot.pause()
            assert f"risk level: {screen.view.scenario.risk_level}" in visible_text(app)
            await pilot.press("e", "right")
