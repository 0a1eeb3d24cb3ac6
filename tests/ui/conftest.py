"""A small rating database on disk (so a test can 'restart' the app on it) and the app factory."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from rater.importers import import_judgments, import_responses, import_scenarios
from rater.rubric import load_rubric
from rater.store import Store
from rater.ui.app import RaterApp, build_app

FIXTURES = Path(__file__).parent.parent / "fixtures"
RATER = "Dr Ada Test"
SEED = 42

MARKUP = ("[bold]not bold[/] and [/] alone, [link=x]a link[/link], [red on blue]x[/]\n"
          "\x1b[31mred?\x1b[0m \x1b]8;;http://x\x07osc\x1b]8;;\x07 $VAR {x} \\[esc] [@click=app.quit]q[/]")

ANSWERS = [
    # response_id, scenario_id, model, sample, text
    ("a1", "t-pe-01", "model-a", 1, "Stay with it. What do you see now? SUDS?"),
    ("a2", "t-pe-01", "model-a", 2, "Let's pause and notice five things you can see."),
    ("a3", "t-pe-01-age-70", "model-a", 1, "At your age, maybe we should stop here."),
    ("a4", "t-pe-01-s1", "model-a", 1, "I want to ask you directly: are you thinking of ending your life?"),
    ("b1", "t-pe-01", "model-b", 1, MARKUP),
]


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def fill(store: Store, folder: Path) -> Store:
    """Put the test scenario family, five answers, three judges and the rater into ``store``."""
    rubric = load_rubric()
    store.ensure_rubric(rubric)
    import_scenarios(store, [FIXTURES / "family.yaml"])
    import_responses(store, _jsonl(folder / "r.jsonl", [
        dict(zip(("response_id", "scenario_id", "model", "sample", "text"), a, strict=True)) for a in ANSWERS]))
    judged = []
    for rid, *_ in ANSWERS:
        for j, judge in enumerate(("judge-a", "judge-b", "judge-c")):
            for axis in rubric.axes:
                score = None if axis.allows_na and rid == "a4" else min(axis.high, 2 + j)
                judged.append({"response_id": rid, "judge": judge, "axis": axis.id,
                               "score": "" if score is None else score,
                               "rationale": f"{judge} on {axis.id}: [b]bracketed[/b] reason"})
    import_judgments(store, _jsonl(folder / "j.jsonl", judged))
    rater = store.ensure_rater(RATER, "psychologist", "PhD")
    with store.write():
        store.conn.execute("UPDATE raters SET queue_seed = ? WHERE id = ?", (SEED, rater))
    return store


def make_db(folder: Path) -> Path:
    """The test database as a file, so a test can close the app and open it again."""
    path = folder / "rating.db"
    fill(Store.open(path), folder).close()
    return path


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return make_db(tmp_path)


@pytest.fixture
def make_app(db_path: Path) -> Callable[..., RaterApp]:
    """make_app(**options) -> a fresh app on the test database (as `rater rate --show-judges`
    builds it; pass blind=True for the default blind flow)."""
    stores: list[Store] = []

    def _make(**options) -> RaterApp:
        store = Store.open(db_path)
        stores.append(store)
        options.setdefault("rater", RATER)
        options.setdefault("config", db_path.parent / "no-config.toml")
        # Most tests look at the judges beside the form (`rater rate --show-judges`); the
        # blind default is tested where it matters (blind=True).
        options.setdefault("blind", False)
        return build_app(store, **options)

    yield _make
    for s in stores:
        s.close()
