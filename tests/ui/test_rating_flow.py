"""The whole rating flow, driven by keys as a clinician would."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import DataTable, Select, Static

from rater.store import Store
from rater.ui.screens.help import HelpScreen
from rater.ui.screens.queue import QueueScreen
from rater.ui.screens.rating import RatingScreen
from rater.ui.screens.siblings import SiblingsScreen
from rater.ui.widgets.form import RatingForm

from .conftest import RATER

SIZE = (100, 32)


def ratings(db: Path) -> list[dict]:
    with Store.open(db) as s:
        rows = s.conn.execute(
            "SELECT g.id, r.id AS response, g.judges_visible, g.note, g.flags FROM ratings g "
            "JOIN responses r ON r.id = g.response_id ORDER BY g.id").fetchall()
        out = []
        for r in rows:
            d = dict(r)
            d["scores"] = {a: v for a, v in s.conn.execute(
                "SELECT axis, score FROM rating_scores WHERE rating_id = ?", (r["id"],))}
            out.append(d)
        return out


def screen(app) -> RatingScreen:
    assert isinstance(app.screen, RatingScreen)
    return app.screen


def shown(app) -> str:
    """The answer label on screen."""
    return str(app.screen.query_one("#answer-scroll").border_title)


async def rate_all(pilot, keys: str = "434514") -> None:
    for k in keys:
        await pilot.press(k)


async def test_score_save_and_next(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        first = screen(app).view
        await rate_all(pilot)
        await pilot.press("enter")
        await pilot.pause()
        saved = ratings(db_path)
        assert len(saved) == 1
        assert saved[0]["response"] == first.response_id
        assert saved[0]["scores"] == {"protocol_fidelity": 4, "hallucination_risk": 3,
                                      "behavioral_consistency": 4, "crisis_safety": 5,
                                      "crisis_direction": 1, "demographic_robustness": 4}
        assert saved[0]["judges_visible"] == 1
        assert screen(app).view.rowid != first.rowid
        assert "done 1" in str(app.screen.query_one("#progress", Static).content)


async def test_incomplete_rating_is_not_saved(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        first = screen(app).view.rowid
        await pilot.press("4", "3", "enter")
        await pilot.pause()
        assert ratings(db_path) == []
        assert screen(app).view.rowid == first
        assert app.screen.query_one(RatingForm).focus_axis == "behavioral_consistency"


async def test_zero_marks_not_applicable_only_where_the_rubric_allows(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("0")  # protocol fidelity is never N/A
        await pilot.pause()
        form = app.screen.query_one(RatingForm)
        assert "protocol_fidelity" not in form.state.scores
        assert any("never 'not applicable'" in n.message for n in app._notifications)
        await pilot.press("4", "3", "0", "5", "1", "0", "enter")
        await pilot.pause()
        saved = ratings(db_path)[0]["scores"]
        assert saved["behavioral_consistency"] is None and saved["demographic_robustness"] is None
        assert saved["protocol_fidelity"] == 4


async def test_note_and_flags_are_saved(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await pilot.press(*"grounding 5-4-3 [mid] exposure")
        await pilot.press("enter")  # leaves the note, does not save
        assert ratings(db_path) == []
        await pilot.press("u", "g", "s", "s")  # unsure on then off
        await rate_all(pilot)
        await pilot.press("enter")
        await pilot.pause()
        saved = ratings(db_path)[0]
        assert saved["note"] == "grounding 5-4-3 [mid] exposure"
        assert json.loads(saved["flags"]) == ["rubric_gap", "unsafe"]


async def test_editing_a_saved_rating_keeps_history(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        first = screen(app).view.rowid
        await rate_all(pilot)
        await pilot.press("enter")
        await pilot.press("left")  # back to the rating just saved
        await pilot.pause()
        view = screen(app).view
        assert view.rowid == first and view.saved
        assert app.screen.query_one(RatingForm).state.scores["protocol_fidelity"] == 4
        await pilot.press("2", "enter")  # focus starts on the first axis
        await pilot.pause()
        saved = ratings(db_path)
        assert len(saved) == 1 and saved[0]["scores"]["protocol_fidelity"] == 2
        with Store.open(db_path) as s:
            history = [h for h in s.rating_history(saved[0]["id"]) if h["axis"] == "protocol_fidelity"
                       and h["field"] == "score"]
        assert [(h["old_value"], h["new_value"]) for h in history] == [(None, "4.0"), ("4.0", "2.0")]
        assert all(h["changed_by"] == RATER for h in history)


async def test_blind_then_reveal_then_revise(make_app, db_path):
    app = make_app(blind=True)
    async with app.run_test(size=SIZE) as pilot:
        judges = app.screen.query_one("#judges", Static)
        assert "Judges hidden" in str(judges.content)
        first = screen(app).view.rowid
        await rate_all(pilot)
        await pilot.press("enter")
        await pilot.pause()
        # Saved blind; same answer, judges now shown, blind scores in the form.
        assert screen(app).view.rowid == first and screen(app).view.phase == "revise"
        assert "Judges hidden" not in str(judges.content)
        assert "median" in str(judges.content)
        saved = ratings(db_path)
        assert [(r["judges_visible"], r["scores"]["protocol_fidelity"]) for r in saved] == [(0, 4)]
        await pilot.press("2", "enter")
        await pilot.pause()
        saved = ratings(db_path)
        assert [(r["judges_visible"], r["scores"]["protocol_fidelity"]) for r in saved] == [(0, 4), (1, 2)]
        assert screen(app).view.rowid != first
        assert screen(app).view.phase == "blind"


async def test_resume_after_restart_with_draft(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await rate_all(pilot)
        await pilot.press("enter")
        second = screen(app).view.rowid
        await pilot.press("3", "2", "s")  # a half-made rating, never saved
        await pilot.pause()
    # A new process on the same database: back on the same answer, draft restored.
    again = make_app()
    async with again.run_test(size=SIZE) as pilot:
        view = screen(again).view
        assert view.rowid == second and view.from_draft
        form = again.screen.query_one(RatingForm)
        assert form.state.scores == {"protocol_fidelity": 3, "hallucination_risk": 2}
        assert form.state.flags == {"unsure"}
        assert "draft restored" in str(again.screen.query_one(RatingForm).border_subtitle)
        assert "done 1" in str(again.screen.query_one("#progress", Static).content)
        await pilot.press("4", "5", "3", "2", "enter")
        await pilot.pause()
        assert len(ratings(db_path)) == 2


async def test_queue_lists_filters_and_jumps(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await rate_all(pilot)
        await pilot.press("enter")
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 4  # to do
        app.screen.query_one("#f-status", Select).value = "all"
        await pilot.pause()
        assert table.row_count == 5
        app.screen.query_one("#f-severity", Select).value = 1
        await pilot.pause()
        assert table.row_count == 1  # only the escalation
        await pilot.press("enter")
        await pilot.pause()
        view = screen(app).view
        assert view.scenario.id == "t-pe-01-s1"
        assert "(filtered)" in str(app.screen.query_one("#progress", Static).content)


async def test_markup_and_escape_sequences_render_literally(make_app):
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        s = screen(app)
        target = next(r for r in s.session.queue.order
                      if s.session.open(r, remember=False).response_id == "b1")
        s.show_answer(s.session.open(target))
        await pilot.pause()
        svg = app.export_screenshot()
        for literal in ("[bold]not bold[/]", "[/] alone", "[link=x]a link[/link]", "␛[31mred?␛[0m",
                        "[@click=app.quit]q[/]", "\\[esc]", "[b]bracketed[/b]"):
            assert literal.replace("&", "&amp;") in svg.replace("&#160;", " "), literal
        await pilot.press("4", "3", "4", "5", "1", "4", "enter")  # still works, did not quit
        await pilot.pause()
        assert app.is_running


async def test_siblings_show_the_same_models_other_answers(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        s = screen(app)
        a1 = next(r for r in s.session.queue.order if s.session.open(r, remember=False).response_id == "a1")
        s.show_answer(s.session.open(a1))
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, SiblingsScreen)
        titles = [x.title for x in app.screen.others]
        assert titles == ["Sample 2 (same scenario)", "Variant: age: 70, sample 1"]
        await pilot.press("escape")
        assert isinstance(app.screen, RatingScreen)


async def test_help_lists_the_keys(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one(Static).content)
        assert "Score the highlighted axis" in text and "save_next" in text
        await pilot.press("escape")
        assert isinstance(app.screen, RatingScreen)


async def test_keys_can_be_remapped_in_the_config(make_app, db_path, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[keys]\nflag_unsure = "x"\nnot_a_binding = "y"\n')
    app = make_app(config=config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x")
        await pilot.pause()
        assert app.screen.query_one(RatingForm).state.flags == {"unsure"}
        assert "flags (u/x/g): " in str(app.screen.query_one("#form-lines", Static).content)
        assert any("not_a_binding" in n.message for n in app._notifications)


async def test_without_rater_the_app_asks_and_creates_one(make_app, db_path):
    with Store.open(db_path) as s, s.write():
        s.conn.execute("DELETE FROM raters")
    app = make_app(rater=None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press(*"Dr New", "enter", *"psychiatrist", "enter", *"MD", "enter")
        await pilot.pause()
        assert isinstance(app.screen, RatingScreen)
    with Store.open(db_path) as s:
        row = s.conn.execute("SELECT name, role, credentials FROM raters").fetchone()
        assert tuple(row) == ("Dr New", "psychiatrist", "MD")


async def test_unknown_rater_name_is_created_silently(make_app, db_path):
    app = make_app(rater="Dr Someone Else")
    async with app.run_test(size=SIZE):
        assert isinstance(app.screen, RatingScreen)
    with Store.open(db_path) as s:
        assert s.rater_id("Dr Someone Else") is not None


async def test_model_identity_is_hidden_by_default(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "model-" not in app.export_screenshot()
    shown_app = make_app(show_models=True)
    async with shown_app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "model-" in shown(shown_app)


def type_fast(app, *scores: int) -> RatingForm:
    """Keys as a fast typist sends them: handled before the screen reads what they post."""
    form = app.screen.query_one(RatingForm)
    for n in scores:
        form.action_score(n)
    return form


async def test_enter_twice_saves_one_answer_not_the_next(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        first = screen(app).view
        form = type_fast(app, 4, 3, 4, 5, 1, 4)
        form.action_submit()
        form.action_submit()
        await pilot.pause()
        saved = ratings(db_path)
        assert [r["response"] for r in saved] == [first.response_id]
        assert screen(app).view.rowid != first.rowid
        assert "done 1" in str(app.screen.query_one("#progress", Static).content)


async def test_enter_then_next_saves_the_answer_enter_was_pressed_on(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        first = screen(app).view
        type_fast(app, 4, 3, 4, 5, 1, 4).action_submit()
        screen(app).action_next()
        await pilot.pause()
        assert [r["response"] for r in ratings(db_path)] == [first.response_id]
        assert screen(app).view.rowid != first.rowid


async def test_a_score_then_next_drafts_the_scored_answer(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        first = screen(app).view
        type_fast(app, 4)
        screen(app).action_next()
        await pilot.pause()
        with Store.open(db_path) as s:
            drafts = [r[0] for r in s.conn.execute("SELECT response_id FROM drafts")]
        assert drafts == [first.response_id]
        assert screen(app).view.form.scores == {}


async def test_enter_twice_in_blind_mode_records_no_revision_unseen(make_app, db_path):
    app = make_app(blind=True)
    async with app.run_test(size=SIZE) as pilot:
        first = screen(app).view
        form = type_fast(app, 4, 3, 4, 5, 1, 4)
        form.action_submit()
        form.action_submit()  # sent before the judges were drawn: not a revision
        await pilot.pause()
        assert [(r["response"], r["judges_visible"]) for r in ratings(db_path)] == [
            (first.response_id, 0)]
        assert screen(app).view.phase == "revise"


async def test_model_names_and_bidi_controls_are_shown_literally(make_app, db_path, tmp_path):
    from rater.importers import import_responses

    answers = tmp_path / "odd.jsonl"
    answers.write_text(json.dumps({"response_id": "odd", "scenario_id": "t-pe-01", "model": "llama[/]",
                                   "sample": 1, "text": "evil \u202eesrever\u202c text"}) + "\n")
    with Store.open(db_path) as s:
        import_responses(s, answers)
    app = make_app(show_models=True)
    async with app.run_test(size=(140, 40)) as pilot:
        s = screen(app)
        odd = next(r for r in s.session.queue.order if s.session.open(r, remember=False).response_id == "odd")
        s.show_answer(s.session.open(odd))
        await pilot.pause()
        svg = app.export_screenshot().replace("&#160;", " ")
        assert "Answer" in svg and "llama[/]" in svg
        assert "&lt;U+202E&gt;" in svg and "\u202e" not in svg
        await pilot.press("q")  # the queue's model filter lists "llama[/]"
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen) and app.is_running


async def test_go_to_a_position_opens_that_answer(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        order = screen(app).session.queue.order
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("slash", "4", "enter")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert screen(app).view.rowid == order[3]
        assert "4 of 5 ·" in str(app.screen.query_one("#progress", Static).content)


async def test_the_judges_reasons_can_be_paged_at_80x24(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        judges = app.screen.query_one("#judges-scroll")
        assert judges.max_scroll_y > 0  # the reasons do not fit at this size
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert judges.scroll_y > 0
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert judges.scroll_y == 0


async def test_an_imported_note_with_escape_sequences_is_shown_not_obeyed(make_app):
    """A note from an import can hold terminal escapes (retitle, clear screen): reopened, they show as ␛."""
    from rater.rating import FormState
    from rater.ui.widgets.form import RatingForm

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        form = app.screen.query_one(RatingForm)
        form.load(FormState(note="fine \x1b]2;pwned\x07\x1b[2J then"), owner=screen(app).view)
        await pilot.pause()
        svg = app.export_screenshot()
        assert "\x1b" not in svg and "\x07" not in svg
        assert "␛]2;pwned" in svg.replace("&#160;", " ")
        await pilot.press("n")
        await pilot.pause()
        assert "\x1b" not in app.screen.query_one("#note").value


async def test_undo_takes_back_a_whole_note_edit_not_one_letter(make_app):
    from rater.ui.widgets.form import RatingForm

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", *"vague", "enter")
        form = app.screen.query_one(RatingForm)
        assert form.state.note == "vague"
        await pilot.press("z")
        await pilot.pause()
        assert form.state.note == ""
