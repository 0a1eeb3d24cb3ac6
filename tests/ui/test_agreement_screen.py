"""The agreement screen: alpha per axis and comparison, coloured by Krippendorff's thresholds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from rater.importers import import_ratings
from rater.rubric import load_rubric
from rater.store import Store
from rater.ui.app import build_app
from rater.ui.screens.agreement import VERDICTS, AgreementScreen, verdict
from rater.ui.screens.rating import RatingScreen
from rater.ui.widgets.heatgrid import HeatGrid

from .conftest import ANSWERS, RATER, make_db

SIZE = (100, 32)
ANSWER_IDS = [a[0] for a in ANSWERS]
# Two clinicians over the five answers: identical on most axes (alpha 1, green), a tentative
# pair on hallucination risk (ordinal alpha 0.744, yellow) and a poor one on crisis safety
# (0.640, red). The fixture's judges score every answer alike, so they agree with nobody.
FIRST = [1, 2, 3, 4, 5]
SECOND = {"hallucination_risk": [2, 1, 3, 5, 3], "crisis_safety": [3, 2, 1, 4, 5]}


def rated_db(folder: Path) -> Path:
    path = make_db(folder)
    rows = []
    for axis in load_rubric().axes:
        for name, scores in (("dr-one", FIRST), ("dr-two", SECOND.get(axis.id, FIRST))):
            rows += [{"response_id": rid, "rater": name, "axis": axis.id,
                      "score": min(s, axis.high), "rationale": ""}  # a nominal axis has 3 categories
                     for rid, s in zip(ANSWER_IDS, scores, strict=True)]
    file = folder / "ratings.jsonl"
    file.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with Store.open(path) as store:
        import_ratings(store, file)
    return path


@pytest.fixture
def stores():
    opened: list[Store] = []
    yield opened
    for s in opened:
        s.close()


def app_on(path: Path, stores: list[Store]):
    store = Store.open(path)
    stores.append(store)
    return build_app(store, rater=RATER, config=path.parent / "no-config.toml")


async def open_agreement(pilot) -> AgreementScreen:
    assert isinstance(pilot.app.screen, RatingScreen)
    await pilot.press("a")
    screen = pilot.app.screen
    assert isinstance(screen, AgreementScreen)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    assert not screen.computing
    return screen


def table_rows(screen: AgreementScreen) -> dict[str, list]:
    table = screen.query_one(DataTable)
    return {str(k.value): table.get_row(k) for k in table.rows}


def status(screen: AgreementScreen) -> str:
    return str(screen.query_one("#agreement-status", Static).render())


async def test_opens_from_the_rating_screen_with_every_axis_and_comparison(tmp_path, stores):
    app = app_on(rated_db(tmp_path), stores)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_agreement(pilot)
        rows = table_rows(screen)
        judges = ("judge-a", "judge-b", "judge-c")
        for axis in load_rubric().axes:
            assert str(rows[f"axis:{axis.id}"][0]) == axis.name
            for comparison in ("human-human", "judge-judge", "human-panel",
                               *(f"human-judge:{j}" for j in judges),
                               *(f"replacement:{j}" for j in judges)):
                row = rows[f"{axis.id}|{comparison}"]
                assert str(row[0]) == comparison
                assert str(row[3]) == str(screen.records[f"{axis.id}|{comparison}"].n_units)
            # Both clinicians rated all five answers; the judges left a4 "not applicable" where allowed.
            assert str(rows[f"{axis.id}|human-human"][3]) == "5"
            assert str(rows[f"{axis.id}|judge-judge"][3]) == ("4" if axis.allows_na else "5")
        hh = rows["protocol_fidelity|human-human"]
        assert str(hh[1]) == "1.000"
        assert "2 clinicians" in status(screen) and "seed" in status(screen)
        assert not screen.query("#demo-marker")
        await pilot.press("escape")
        assert isinstance(app.screen, RatingScreen)


async def test_alpha_is_coloured_by_krippendorffs_thresholds(tmp_path, stores):
    app = app_on(rated_db(tmp_path), stores)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_agreement(pilot)
        rows = table_rows(screen)
        cells = {key: row[1] for key, row in rows.items() if not key.startswith("axis:")}
        expected = {"protocol_fidelity|human-human": "reliable",
                    "hallucination_risk|human-human": "tentative",
                    "crisis_safety|human-human": "unreliable"}
        for key, reading in expected.items():
            assert cells[key].style == VERDICTS[reading] == {
                "reliable": "bold green", "tentative": "bold yellow", "unreliable": "bold red"}[reading]
        assert str(cells["hallucination_risk|human-human"]) == "0.744"
        # Every alpha on screen carries its own reading's colour.
        for cell in cells.values():
            value = float(str(cell)) if str(cell) != "n/a" else None
            assert cell.style == VERDICTS[verdict(value)]


async def test_highlighting_a_judge_plots_it_against_the_human_consensus(tmp_path, stores):
    app = app_on(rated_db(tmp_path), stores)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_agreement(pilot)
        table = screen.query_one(DataTable)
        table.move_cursor(row=table.get_row_index("protocol_fidelity|human-judge:judge-c"))
        await pilot.pause()
        grid = str(screen.query_one(HeatGrid).render())
        assert "cols: judge-c" in grid and "rows: human consensus" in grid
        # judge-c gave 4 to every answer: one count per consensus score, all in the "4" column.
        lines = [ln.split() for ln in grid.splitlines() if ln.strip()[:1].isdigit()]
        assert lines[0] == ["1", "2", "3", "4", "5"]
        assert [ln[0] for ln in lines[1:]] == ["1", "2", "3", "4", "5"]
        assert [ln[4] for ln in lines[1:]] == ["1", "1", "1", "1", "1"]
        assert all(ln[1:4] + ln[5:] == ["·"] * 4 for ln in lines[1:])
        detail = str(screen.query_one("#agreement-detail", Static).render())
        assert "bias +1.00 (lenient)" in detail


async def test_the_panel_grid_names_the_aggregate_the_judge_runs_configured(tmp_path, stores):
    path = rated_db(tmp_path)
    with Store.open(path) as store:
        store.set_meta("panel_aggregate", "max")  # as `rater judge` records a panel file's aggregate
    app = app_on(path, stores)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_agreement(pilot)
        table = screen.query_one(DataTable)
        table.move_cursor(row=table.get_row_index("protocol_fidelity|human-panel"))
        await pilot.pause()
        grid = str(screen.query_one(HeatGrid).render())
        assert "cols: panel (max)" in grid and "median" not in grid


async def test_without_human_ratings_it_says_so_and_shows_judge_judge_only(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_agreement(pilot)
        comparisons = {k.partition("|")[2] for k in table_rows(screen) if "|" in k}
        assert comparisons == {"judge-judge"}
        assert "no human ratings" in status(screen)
        assert "nothing to plot" in str(screen.query_one(HeatGrid).render())


async def test_the_command_palette_opens_it(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        for ch in "Agreement":
            await pilot.press(ch)
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, AgreementScreen)
        await app.workers.wait_for_complete()


async def test_the_demo_database_is_marked_illustrative(tmp_path, stores):
    from rater.demo import build_demo

    build_demo(tmp_path / "demo.db").close()
    app = app_on(tmp_path / "demo.db", stores)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_agreement(pilot)
        assert str(screen.query_one("#demo-marker", Static).render()) == "ILLUSTRATIVE DEMO DATA"
        comparisons = {k.partition("|")[2] for k in table_rows(screen) if "|" in k}
        assert {"human-human", "human-panel", "judge-judge"} <= comparisons
        assert {c for c in comparisons if c.startswith("human-judge:")} == {
            "human-judge:demo-judge-a", "human-judge:demo-judge-b", "human-judge:demo-judge-c"}


async def test_a_database_with_no_scores_says_what_to_do(tmp_path, stores):
    path = tmp_path / "empty.db"
    with Store.open(path) as store:
        store.ensure_rubric(load_rubric())
    app = app_on(path, stores)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, AgreementScreen)
        assert "no scores to compare" in status(screen)


def test_agreement_screen_snapshot(snap_compare, tmp_path):
    path = rated_db(tmp_path)
    store = Store.open(path)

    async def open_with_fixed_seed(pilot):
        pilot.app.push_screen(AgreementScreen(pilot.app.store, seed=7))
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        table = pilot.app.screen.query_one(DataTable)
        table.move_cursor(row=table.get_row_index("protocol_fidelity|human-panel"))  # no scrolling needed
        assert not pilot.app.screen.computing
        # On a loaded machine the loading indicator's removal and the highlight events land
        # over several frames: wait until two screenshots in a row agree.
        previous = None
        for _ in range(60):
            await pilot.pause(0.05)
            shot = pilot.app.export_screenshot()
            if shot == previous:
                break
            previous = shot

    try:
        app = build_app(store, rater=RATER, config=tmp_path / "no-config.toml")
        assert snap_compare(app, terminal_size=SIZE, run_before=open_with_fixed_seed)
    finally:
        store.close()


async def test_new_seed_and_final_phase_recompute(tmp_path, stores):
    app = app_on(rated_db(tmp_path), stores)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_agreement(pilot)
        first = screen.seed
        await pilot.press("n")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.seed != first and f"seed {screen.seed}" in status(screen)
        await pilot.press("f")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "final ratings" in status(screen) and "--phase final" in status(screen)


def test_opening_the_app_imports_no_statistics():
    """The screen's module is light: numpy and pandas load only when it computes."""
    code = ("import sys\nimport rater.ui.app, rater.ui.screens.agreement, rater.ui.screens.help\n"
            "print(sorted(m for m in ('numpy', 'pandas', 'rater.stats') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
