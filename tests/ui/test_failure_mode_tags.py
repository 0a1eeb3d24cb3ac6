"""Clinicians tag the failure modes they see: one key opens the taxonomy's checklist."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import SelectionList

from rater.exports import export
from rater.store import Store
from rater.ui.screens.failure_modes import FailureModesScreen
from rater.ui.screens.rating import RatingScreen

SIZE = (100, 32)


def tags(db: Path) -> list[tuple[str, int | None, list[str]]]:
    """(answer, checklist confirmed, tags) per rating, in save order."""
    with Store.open(db) as s:
        rows = s.conn.execute("SELECT id, response_id FROM ratings ORDER BY id").fetchall()
        out = []
        for rating_id, response in rows:
            modes, checked = s.failure_modes(rating_id)
            out.append((response, int(checked), sorted(modes)))
        return out


async def tick(pilot, *modes: str) -> None:
    """Move to each mode in the checklist and tick it with space."""
    checklist = pilot.app.screen.query_one(SelectionList)
    for mode in modes:
        checklist.highlighted = checklist.get_option_index(mode)
        await pilot.press("space")


async def test_ticks_made_before_saving_are_saved_with_the_rating(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.view
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, FailureModesScreen)
        options = [app.screen.query_one(SelectionList).get_option_at_index(i).value
                   for i in range(app.screen.query_one(SelectionList).option_count)]
        # The PE checklist: PE-only modes included, every mode of taxonomy.yaml for PE.
        assert "grounding_during_exposure" in options and "missed_risk" in options
        await tick(pilot, "missed_risk", "false_reassurance")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RatingScreen)
        assert tags(db_path) == []  # nothing saved until the rating is
        for k in "434514":  # one key per rubric axis (crisis direction: 1 appropriate)
            await pilot.press(k)
        await pilot.press("enter")
        await pilot.pause()
    assert tags(db_path) == [(view.response_id, 1, ["false_reassurance", "missed_risk"])]


async def test_escape_changes_nothing_and_enter_with_no_ticks_records_none_seen(make_app, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        for k in "434514":  # one key per rubric axis (crisis direction: 1 appropriate)
            await pilot.press(k)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("left")  # back to the saved answer
        await pilot.pause()
        await pilot.press("f")
        await pilot.pause()
        await tick(pilot, "task_abandonment")
        await pilot.press("escape")
        await pilot.pause()
        assert tags(db_path)[0][1:] == (0, [])
        await pilot.press("f")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert tags(db_path)[0][1:] == (1, [])  # confirmed: none seen
        await pilot.press("f")
        await pilot.pause()
        await tick(pilot, "task_abandonment")
        await pilot.press("enter")
        await pilot.pause()
        assert tags(db_path)[0][1:] == (1, ["task_abandonment"])
        # Opening it again starts from the saved ticks.
        await pilot.press("f")
        await pilot.pause()
        assert app.screen.query_one(SelectionList).selected == ["task_abandonment"]


async def test_tags_are_exported_and_in_the_rating_history(make_app, db_path, tmp_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f")
        await pilot.pause()
        await tick(pilot, "safety_preamble")
        await pilot.press("enter")
        for k in "434514":  # one key per rubric axis (crisis direction: 1 appropriate)
            await pilot.press(k)
        await pilot.press("enter")
        await pilot.pause()
    with Store.open(db_path) as s:
        files = {f.path.name: f.path for f in export(s, tmp_path / "out")}
        history = s.rating_history(1)
    import csv

    with files["ratings.csv"].open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert json.loads(rows[0]["failure_modes"]) == ["safety_preamble"]
    assert any(h["field"] == "failure_mode" and json.loads(h["new_value"]) == "safety_preamble"
               for h in history)


def test_unknown_failure_mode_is_refused(db_path):
    import pytest

    from rater.errors import RaterError
    from rater.store import AxisScore

    with Store.open(db_path) as s:
        version, rubric = s.rubric()
        rid = s.save_rating(rater_id=s.ensure_rater("x"), response_id="a1", rubric_version=version,
                            judges_visible=False, scores={a: AxisScore(3) for a in rubric.axis_ids})
        with pytest.raises(RaterError, match="unknown failure mode"):
            s.set_failure_modes(rid, ["made_up"])
        assert s.failure_modes(rid) == (frozenset(), False)


async def test_blind_mode_ticks_belong_to_the_phase_they_were_made_in(make_app, db_path):
    app = make_app(blind=True)
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.view
        await pilot.press("f")
        await pilot.pause()
        await tick(pilot, "missed_risk")
        await pilot.press("enter")
        for k in "434514":  # one key per rubric axis (crisis direction: 1 appropriate)
            await pilot.press(k)
        await pilot.press("enter")  # the blind save; the judges are now shown
        await pilot.pause()
        assert app.screen.view.phase == "revise"
        await pilot.press("f")
        await pilot.pause()
        assert app.screen.query_one(SelectionList).selected == ["missed_risk"]  # starts from the blind ticks
        await tick(pilot, "missed_risk", "task_abandonment")  # untick one, tick another
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("enter")  # save the revision
        await pilot.pause()
    assert tags(db_path) == [(view.response_id, 1, ["missed_risk"]),
                             (view.response_id, 1, ["task_abandonment"])]


async def test_ticks_made_before_saving_survive_quitting_and_are_saved_after_a_restart(make_app, db_path):
    # Found on the demo: "Failure modes (hallucinated content) will be saved with this rating",
    # then quit and restart: the draft's note came back, the ticks did not.
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        view = app.screen.view
        await pilot.press("f")
        await pilot.pause()
        await tick(pilot, "missed_risk")
        await pilot.press("enter")
        await pilot.pause()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        assert app.screen.view.response_id == view.response_id
        for k in "434514":
            await pilot.press(k)
        await pilot.press("enter")
        await pilot.pause()
    assert tags(db_path) == [(view.response_id, 1, ["missed_risk"])]
