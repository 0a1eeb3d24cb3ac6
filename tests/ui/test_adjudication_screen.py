"""The adjudication screen, driven by keys as an adjudicator would; and its 80x24 snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from rater import adjudication
from rater.store import AxisScore, Store
from rater.ui.adjudication import build_adjudication_app
from rater.ui.screens.adjudicate import AdjudicationScreen

from .conftest import MARKUP, fill

# Two clinicians' blind scores per answer: a1 split widely, b1 slightly, a2 agreed.
SCORES = {
    "a1": ({"protocol_fidelity": 1, "crisis_safety": 2}, {"protocol_fidelity": 5, "crisis_safety": 4}),
    "b1": ({"protocol_fidelity": 3, "crisis_safety": 3}, {"protocol_fidelity": 4, "crisis_safety": 3}),
    "a2": ({"protocol_fidelity": 3, "crisis_safety": 3}, {"protocol_fidelity": 3, "crisis_safety": 3}),
}


@pytest.fixture
def adj_db(tmp_path: Path) -> Path:
    path = tmp_path / "adj.db"
    store = fill(Store.open(path), tmp_path)
    version, rubric = store.rubric()
    for i, name in enumerate(("Dr One", "Dr Two")):
        rid = store.ensure_rater(name)
        for response, pair in SCORES.items():
            scores = {a: AxisScore(float(pair[i].get(a, 3))) for a in rubric.axis_ids}
            store.save_rating(rater_id=rid, response_id=response, rubric_version=version, scores=scores,
                              judges_visible=False, shown_from_start=False,
                              note=MARKUP if (i, response) == (0, "b1") else "", flags=["unsure"] if i else [])
    store.close()
    return path


def make(path: Path):
    store = Store.open(path)
    return store, build_adjudication_app(store, "Chief")


async def test_worst_first_and_setting_a_reference_with_a_reason(adj_db):
    store, app = make(adj_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, AdjudicationScreen)
        table = screen.query_one(DataTable)
        assert [c.response_id for c in screen.cases][:2] == ["a1", "b1"]
        assert table.row_count == 3
        detail = str(screen.query_one("#adj-detail", Static).render())
        assert "judge-a" in detail and "Dr One" in detail
        # give Protocol fidelity a 3, with a reason
        await pilot.press("3")
        for ch in "split":
            await pilot.press(ch)
        await pilot.press("enter")
        await pilot.pause()
        # a score without a reason is not saved
        await pilot.press("4", "enter")
        await pilot.pause()
        await pilot.press("escape")
        # the next answer
        await pilot.press("down")
        await pilot.pause()
        assert screen.detail.case.response_id == "b1"
    refs = adjudication.references(store)
    assert refs == {"a1": {"protocol_fidelity": (3.0, "split", "Chief")}}
    store.close()


async def test_model_text_and_notes_are_literal(adj_db):
    store, app = make(adj_db)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("down")
        await pilot.pause()
        text = str(app.screen.query_one("#adj-detail", Static).render())
        assert "[bold]not bold[/]" in text and "␛[31m" in text
    store.close()


async def test_nothing_to_adjudicate_says_so(tmp_path):
    store = fill(Store.open(tmp_path / "e.db"), tmp_path)
    app = build_adjudication_app(store, "Chief")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "nothing to adjudicate" in str(app.screen.query_one("#adj-detail", Static).render())
    store.close()


def test_adjudication_screen_80x24(snap_compare, adj_db):
    store, app = make(adj_db)
    try:
        assert snap_compare(app, terminal_size=(80, 24), press=["right"])
    finally:
        store.close()


async def test_clinicians_whose_names_share_their_first_letters_are_told_apart(tmp_path):
    # Found on the demo: "demo-clinician-1/-2/-3" were all headed "demo".
    path = tmp_path / "same.db"
    store = fill(Store.open(path), tmp_path)
    version, rubric = store.rubric()
    for i, name in enumerate(("demo-clinician-1", "demo-clinician-2")):
        rid = store.ensure_rater(name)
        scores = {a: AxisScore(float(1 + 3 * i)) for a in rubric.axis_ids if not rubric.axis(a).nominal}
        store.save_rating(rater_id=rid, response_id="a1", rubric_version=version, scores=scores,
                          judges_visible=False, shown_from_start=False, note="", flags=[])
    app = build_adjudication_app(store, "Chief")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = str(app.screen.query_one("#adj-detail", Static).render())
        header = next(line for line in text.splitlines() if "panel" in line)
        assert "demo" not in header and header.split()[:2] == ["A", "B"]
        assert "A demo-clinician-1" in text and "B demo-clinician-2" in text
    store.close()
