"""The rating app in a study: blind by default, skip with a reason, undo, blocks and time left."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from rater.store import Store
from rater.ui.screens.rating import RatingScreen
from rater.ui.screens.skip import SkipScreen
from rater.ui.widgets.form import RatingForm

from .conftest import RATER

SIZE = (100, 32)


def screen(app) -> RatingScreen:
    assert isinstance(app.screen, RatingScreen)
    return app.screen


def top_line(app) -> str:
    return str(app.screen.query_one("#progress", Static).render())


async def test_the_app_is_blind_by_default(make_app, db_path):
    app = make_app(blind=True)
    async with app.run_test(size=SIZE) as pilot:
        assert screen(app).view.phase == "blind"
        assert "judges shown" not in top_line(app)
        for k in "434514":  # one key per rubric axis (crisis direction: 1 appropriate)
            await pilot.press(k)
        await pilot.press("enter")
        await pilot.pause()
        assert screen(app).view.phase == "revise"  # judges revealed, same answer
    with Store.open(db_path) as s:
        assert [tuple(r) for r in s.conn.execute("SELECT judges_visible, judges_shown_from_start FROM ratings")] == [
            (0, 0)]


async def test_show_judges_is_recorded_on_the_rating(make_app, db_path):
    app = make_app(blind=False)
    async with app.run_test(size=SIZE) as pilot:
        for k in "434514":  # one key per rubric axis (crisis direction: 1 appropriate)
            await pilot.press(k)
        await pilot.press("enter")
        await pilot.pause()
    with Store.open(db_path) as s:
        assert [tuple(r) for r in s.conn.execute("SELECT judges_visible, judges_shown_from_start FROM ratings")] == [
            (1, 1)]


async def test_undo_puts_back_the_last_change(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = app.screen.query_one(RatingForm)
        await pilot.press("4", "3", "u")
        assert form.state.flags == {"unsafe"}
        await pilot.press("z")
        assert form.state.flags == set()
        await pilot.press("z")
        assert len(form.state.scores) == 1 and form.state.focus == 1  # back on the axis just scored
        await pilot.press("z", "z")  # nothing more to undo: said, not an error
        assert form.state.scores == {}


async def test_skip_with_a_reason_counts_as_done_not_rated(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        first = screen(app).view
        await pilot.press("x")
        assert isinstance(app.screen, SkipScreen)
        await pilot.press("2")
        await pilot.pause()
        assert screen(app).view.rowid != first.rowid
        assert "done 1" in top_line(app)
        # other needs a note
        second = screen(app).view
        await pilot.press("x", "4")
        await pilot.press("enter")  # empty note: refused, still asking
        assert isinstance(app.screen, SkipScreen)
        for ch in "my patient":
            await pilot.press("space" if ch == " " else ch)
        await pilot.press("enter")
        await pilot.pause()
        assert screen(app).view.rowid != second.rowid
    with Store.open(db_path) as s:
        skips = s.conn.execute("SELECT response_id, reason, note FROM skips ORDER BY id").fetchall()
        assert [tuple(r) for r in skips] == [(first.response_id, "outside_expertise", ""),
                                              (second.response_id, "other", "my patient")]
        assert s.conn.execute("SELECT count(*) FROM ratings").fetchone()[0] == 0


async def test_a_rated_answer_cannot_be_skipped(make_app):
    app = make_app(blind=True)
    async with app.run_test(size=SIZE) as pilot:
        for k in "434514":  # one key per rubric axis (crisis direction: 1 appropriate)
            await pilot.press(k)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("x")  # in the revision step: already rated
        assert not isinstance(app.screen, SkipScreen)


async def test_scenario_block_and_time_left_are_shown(make_app, db_path):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        title = str(app.screen.query_one("#context-scroll").border_subtitle)
        view = screen(app).view
        with Store.open(db_path) as s:
            same = s.conn.execute("SELECT count(*) FROM responses WHERE scenario_id = ?",
                                  (view.scenario.id,)).fetchone()[0]
        if same > 1:
            assert f"of {same} for this scenario" in title
        for k in "434514":  # one key per rubric axis (crisis direction: 1 appropriate)
            await pilot.press(k)
        await pilot.press("enter")
        await pilot.pause()
        line = top_line(app)
        assert "left 4 ~" in line
        assert len(line) <= 80


def test_skip_screen_keys_can_be_remapped():
    from rater.ui.app import binding_ids

    assert {"skip", "undo", "skip_other"} <= binding_ids()


async def test_a_rater_outside_the_study_is_told_so(make_app, db_path: Path):
    from rater import study

    with Store.open(db_path) as s:
        study.assign(s, ["X", "Y"], 2, 5, seed=1)
    app = make_app(rater=RATER)
    async with app.run_test(size=SIZE):
        text = str(app.screen.query_one("#answer", Static).render())
        assert "assigned to you in this study" in text


async def test_top_line_fits_80_columns_with_a_long_name_the_demo_marker_and_judges_shown(make_app, db_path):
    with Store.open(db_path) as s:
        s.set_meta("demo", "illustrative")
    app = make_app(rater="Professor Dr Alexandra Longname-Smythe, PhD")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        line = top_line(app)
        assert "left 5" in line and "judges shown" in line
        assert len(line) <= 80 - len(" ILLUSTRATIVE DEMO DATA ") - len(" F1 help ") - 2


async def test_with_nothing_to_rate_a_number_key_scores_nothing(make_app, db_path):
    # Found on the demo: a rater outside the study pressed 3 and saw "Protocol fidelity 3" ticked
    # beside "Nothing to rate assigned to you in this study".
    from rater import study

    with Store.open(db_path) as s:
        study.assign(s, ["Other A", "Other B"], 2, 5, seed=1)
    app = make_app(blind=True)
    async with app.run_test(size=SIZE) as pilot:
        assert screen(app).view is None
        await pilot.press("3", "4")
        await pilot.pause()
        assert app.screen.query_one(RatingForm).state.scores == {}
        assert "Nothing to rate" in str(app.screen.query_one("#answer", Static).render())
