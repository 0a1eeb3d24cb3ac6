"""The store: migrations, rubric versions, ratings and their append-only history."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from rater import bundled, schema
from rater.errors import RaterError
from rater.rubric import load_rubric, parse_rubric
from rater.store import AxisScore, Store


def test_migrations_build_an_empty_database_to_the_latest_schema(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    store = Store.open(path)
    assert store.schema_version == len(schema.MIGRATIONS)
    tables = set(store.db.table_names())
    assert {"scenarios", "rubric_versions", "responses", "judgments", "judge_scores", "raters",
            "ratings", "rating_scores", "rating_history", "meta"} <= tables
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    store.close()
    again = Store.open(path)  # reopening runs nothing new
    assert again.schema_version == len(schema.MIGRATIONS)


def test_an_older_database_is_upgraded_keeping_its_data(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "old.db"
    with Store.open(path) as old:
        old.ensure_rater("Dr Old", "psychologist", "PhD")

    def v2(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE raters ADD COLUMN email TEXT NOT NULL DEFAULT ''")

    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, v2])
    monkeypatch.setattr("rater.store.MIGRATIONS", schema.MIGRATIONS)
    with Store.open(path) as new:
        assert new.schema_version == len(schema.MIGRATIONS)
        row = new.conn.execute("SELECT name, role, email FROM raters").fetchone()
        assert tuple(row) == ("Dr Old", "psychologist", "")


def test_a_database_from_a_newer_rater_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    Store.open(path).conn.execute("PRAGMA user_version = 999")
    with pytest.raises(RaterError, match="made by a newer rater"):
        Store.open(path)


def test_missing_database_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(RaterError, match="rater init"):
        Store.open(tmp_path / "absent.db", create=False)


def test_rubric_versions_follow_content() -> None:
    store = Store.open()
    first = store.ensure_rubric(load_rubric())
    assert store.ensure_rubric(load_rubric()) == first
    text = bundled.rubric_path().read_text()
    changed = parse_rubric(text.replace("version: ", "version: 9", 1), "changed.yaml")
    second = store.ensure_rubric(changed)
    assert second != first
    version, rubric = store.rubric()
    assert version == second and rubric.hash == changed.hash
    assert store.rubric(first)[1].hash == load_rubric().hash


def rate(store: Store, rater_id: int, score: float | None, **kw) -> int:
    version, _ = store.rubric()
    return store.save_rating(rater_id=rater_id, response_id="r1", rubric_version=version,
                             judges_visible=kw.pop("judges_visible", True),
                             scores={"crisis_safety": AxisScore(score, kw.pop("why", ""))}, **kw)


def test_editing_a_rating_keeps_who_when_old_and_new(with_responses: Store) -> None:
    store = with_responses
    ana = store.ensure_rater("Ana", "psychiatrist", "MD")
    rating = rate(store, ana, 2, why="hotline dump", note="first pass", flags=["unsafe"])
    assert rate(store, ana, 4, why="on reflection fine", note="revised") == rating
    history = store.rating_history(rating)
    scores = [(h["old_value"], h["new_value"]) for h in history if h["field"] == "score"]
    assert scores == [(None, "2.0"), ("2.0", "4.0")]
    assert [h["new_value"] for h in history if h["field"] == "note"] == ['"revised"']
    assert all(h["changed_by"] == "Ana" and h["changed_at"].endswith("Z") for h in history)
    stored = store.conn.execute("SELECT score FROM rating_scores").fetchall()
    assert [r[0] for r in stored] == [4.0]


def test_saving_the_same_values_adds_no_history(with_responses: Store) -> None:
    store = with_responses
    ana = store.ensure_rater("Ana")
    rating = rate(store, ana, 3)
    before = len(store.rating_history(rating))
    rate(store, ana, 3)
    assert len(store.rating_history(rating)) == before


def test_blind_rating_and_revision_are_both_kept(with_responses: Store) -> None:
    store = with_responses
    ana = store.ensure_rater("Ana")
    blind = rate(store, ana, 2, judges_visible=False)
    revised = rate(store, ana, 4, judges_visible=True)
    assert blind != revised
    rows = store.conn.execute("SELECT judges_visible, score FROM ratings JOIN rating_scores "
                              "ON rating_id = ratings.id ORDER BY judges_visible").fetchall()
    assert [tuple(r) for r in rows] == [(0, 2.0), (1, 4.0)]


def test_history_and_ratings_cannot_be_rewritten_or_deleted(with_responses: Store) -> None:
    store = with_responses
    rating = rate(store, store.ensure_rater("Ana"), 3)
    for sql in ("UPDATE rating_history SET new_value = '5'", "DELETE FROM rating_history",
                "DELETE FROM ratings", "DELETE FROM rating_scores"):
        with pytest.raises(sqlite3.IntegrityError):
            store.conn.execute(sql)
    assert len(store.rating_history(rating)) == 1


def test_unknown_flag_is_refused(with_responses: Store) -> None:
    with pytest.raises(RaterError, match="unknown flag"):
        rate(with_responses, with_responses.ensure_rater("Ana"), 3, flags=["boring"])


def test_two_processes_can_save_at_once(tmp_path: Path) -> None:
    """Two connections (as two rater processes would) saving concurrently never fail."""
    path = tmp_path / "shared.db"
    from rater.importers import import_responses, import_scenarios
    from tests.conftest import FIXTURES, RESPONSES_CSV

    with Store.open(path) as setup:
        setup.ensure_rubric(load_rubric())
        import_scenarios(setup, [FIXTURES / "family.yaml"])
        (tmp_path / "r.csv").write_text(RESPONSES_CSV)
        import_responses(setup, tmp_path / "r.csv")
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            with Store.open(path) as store:
                rater = store.ensure_rater(name)
                for i in range(40):
                    rate(store, rater, 1 + i % 5, note=f"{name} {i}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("Ana", "Ben")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Store.open(path) as store:
        assert store.counts()["ratings"] == 2
        assert store.counts()["rating_history"] > 80


def test_another_programs_files_are_refused_untouched(tmp_path: Path) -> None:
    text = tmp_path / "notes.csv"
    text.write_text("a,b\n1,2\n")
    with pytest.raises(RaterError, match="is not a SQLite database"):
        Store.open(text)
    assert text.read_text() == "a,b\n1,2\n"
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE accounts (id INTEGER)")
    conn.commit()
    conn.close()
    before = other.read_bytes()
    with pytest.raises(RaterError, match="not one of rater's"):
        Store.open(other, create=False)
    assert other.read_bytes() == before


def test_an_answer_or_judgment_stored_twice_keeps_the_first(with_responses: Store) -> None:
    """Importers and `rater generate` / `rater judge` write through the same store methods."""
    rid, scenario, model, sample = with_responses.conn.execute(
        "SELECT id, scenario_id, model, sample FROM responses LIMIT 1").fetchone()
    again = (rid, scenario, model, sample, "another text", "{}", "2026-01-01T00:00:00Z", None)
    assert with_responses.add_responses([again]) == 0
    assert with_responses.conn.execute("SELECT text FROM responses WHERE id = ?", (rid,)).fetchone()[0] \
        != "another text"
    version, rubric = with_responses.rubric()
    axis = rubric.axes[0].id
    first = with_responses.add_judgment(rid, "judge-x", version, status="ok", provenance="{}",
                                        created_at="t", scores=[(axis, 3.0, "why")])
    assert first is not None
    assert with_responses.add_judgment(rid, "judge-x", version, status="failed", provenance="{}",
                                       created_at="t", error="boom") is None
    assert with_responses.add_judge_scores([(first, axis, 1.0, "other")]) == 0
    assert tuple(with_responses.conn.execute(
        "SELECT j.status, s.score, s.rationale FROM judgments j JOIN judge_scores s ON s.judgment_id = j.id "
        "WHERE j.id = ?", (first,)).fetchone()) == ("ok", 3.0, "why")
