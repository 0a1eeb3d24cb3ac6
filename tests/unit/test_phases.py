"""Blind by default, --show-judges recorded, and every analysis says which ratings a phase leaves out."""

from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner

from rater.cli import cli
from rater.exports import export
from rater.phases import left_out, phase_counts
from rater.rating import FormState, RatingSession
from rater.schema import MIGRATIONS
from rater.stats.tidy import from_store
from rater.store import AxisScore, Store
from tests.ui.conftest import RATER, fill


@pytest.fixture
def db(tmp_path) -> Store:
    s = fill(Store.open(":memory:"), tmp_path)
    yield s
    s.close()


def full(store: Store, score: float = 3) -> FormState:
    """``score`` on every scale; a nominal axis (crisis direction) gets its first category."""
    return FormState({a.id: float(a.low) if a.nominal else score for a in store.rubric()[1].axes})


def test_the_default_session_is_blind_and_its_ratings_are_counted(db):
    s = RatingSession(db, db.rater_id(RATER))
    view = s.open(s.start())
    assert view.phase == "blind"
    s.save(view, full(db))
    assert phase_counts(db)["blind"] == 1
    tidy = from_store(db, "blind")
    assert RATER in tidy.raters("human")
    assert not [n for n in tidy.notes if "left out" in n]


def test_a_rating_with_the_judges_shown_is_recorded_exported_and_reported_as_left_out(db, tmp_path):
    s = RatingSession(db, db.rater_id(RATER), blind=False)
    view = s.open(s.start())
    assert view.phase == "open"
    s.save(view, full(db))
    assert phase_counts(db)["shown"] == 1
    tidy = from_store(db, "blind")
    assert RATER not in tidy.raters("human")
    assert any("1 rating(s) made with the judges shown" in n for n in tidy.notes)
    final = from_store(db, "final")
    assert RATER in final.raters("human")
    export(db, tmp_path / "out")
    rows = (tmp_path / "out" / "ratings.csv").read_text().splitlines()
    assert ",shown," in rows[1]


def test_blind_then_revised_are_two_phases(db, tmp_path):
    s = RatingSession(db, db.rater_id(RATER))
    view = s.open(s.start())
    s.save(view, full(db, 2))
    revised = s.after_blind_save(view)
    assert revised.phase == "revise"
    s.save(revised, full(db, 4))
    assert phase_counts(db) == {"blind": 1, "revised": 1, "shown": 0, "unknown": 0}
    assert any("1 revision(s) made after the judges were revealed (1 changed a score)" in n
               for n in left_out(db, "blind"))
    assert any("1 blind rating(s) replaced" in n for n in left_out(db, "final"))
    # A --show-judges session on an answer already rated blind revises it; it is not 'shown'.
    again = RatingSession(db, db.rater_id(RATER), blind=False)
    assert again.open(view.rowid).phase == "revise"


def test_old_ratings_are_told_apart_by_the_migration(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for i, migrate in enumerate(MIGRATIONS[:-1]):
        conn.execute("BEGIN")
        migrate(conn)
        conn.execute(f"PRAGMA user_version = {i + 1}")
        conn.execute("COMMIT")
    conn.close()
    # An old database's content, written through an old-schema connection.
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript("""
        INSERT INTO rubric_versions VALUES (1, 'r', '1', 'h', '{}', 'now');
        INSERT INTO scenarios VALUES ('s', 'm', 'st', 0, NULL, NULL, 'none', 't', '{}', 'h', NULL, 'now');
        INSERT INTO responses (id, scenario_id, model, text, created_at) VALUES ('a', 's', 'm', 'x', 'now');
        INSERT INTO responses (id, scenario_id, model, text, created_at) VALUES ('b', 's', 'm2', 'x', 'now');
        INSERT INTO raters (id, name, created_at) VALUES (1, 'ann', 'now');
        INSERT INTO ratings (rater_id, response_id, judges_visible, rubric_version, created_at, updated_at)
            VALUES (1, 'a', 0, 1, 'now', 'now'), (1, 'a', 1, 1, 'now', 'now'), (1, 'b', 1, 1, 'now', 'now');
    """)
    conn.close()
    migrated = Store.open(path)
    assert migrated.schema_version == len(MIGRATIONS)
    assert phase_counts(migrated) == {"blind": 1, "revised": 1, "shown": 1, "unknown": 0}


def test_an_imported_visible_rating_without_a_blind_one_counts_as_shown(db):
    version, rubric = db.rubric()
    rid = db.ensure_rater("imported")
    db.save_rating(rater_id=rid, response_id="a1", rubric_version=version, judges_visible=True,
                   scores={a: AxisScore(3) for a in rubric.axis_ids}, source="import:x.csv")
    assert phase_counts(db)["shown"] == 1


def test_rate_help_names_show_judges_and_says_blind_is_a_no_op():
    out = CliRunner().invoke(cli, ["rate", "--help"]).output
    assert "--show-judges" in out
    assert "--blind" in out and "does nothing" in out


def test_agreement_cli_says_what_it_left_out(db, tmp_path):
    path = tmp_path / "f.db"
    store = fill(Store.open(path), tmp_path)
    s = RatingSession(store, store.rater_id(RATER), blind=False)
    view = s.open(s.start())
    s.save(view, full(store))
    store.close()
    result = CliRunner().invoke(cli, ["agreement", "--db", str(path), "--bootstrap", "20", "--seed", "1"])
    assert "left out 1 rating(s) made with the judges shown from the start" in result.output
