"""A database written by rater's first schema opens in today's rater through the real migration chain."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from rater import schema
from rater.store import Store
from tests.conftest import FIXTURES


@pytest.fixture
def old_db(tmp_path: Path) -> Path:
    path = tmp_path / "v1.db"
    shutil.copy(FIXTURES / "v1.db", path)
    return path


def test_a_v1_database_migrates_keeping_every_row(old_db: Path) -> None:
    assert sqlite3.connect(old_db).execute("PRAGMA user_version").fetchone()[0] == 1
    with Store.open(old_db, create=False) as store:
        assert store.schema_version == len(schema.MIGRATIONS)
        q = store.conn.execute
        assert tuple(q("SELECT id, model, sample, text FROM responses").fetchone()) == (
            "old-r1", "model-a", 1, "An old answer")
        assert q("SELECT score FROM judge_scores").fetchone()[0] == 4
        assert q("SELECT score FROM rating_scores").fetchone()[0] == 5
        assert q("SELECT count(*) FROM rating_history").fetchone()[0] == 2
        assert q("PRAGMA foreign_keys").fetchone()[0] == 1
        assert q("PRAGMA foreign_key_check").fetchall() == []
        assert q("PRAGMA integrity_check").fetchone()[0] == "ok"
        indexes = {r[0] for r in q("SELECT name FROM sqlite_master WHERE tbl_name = 'responses' "
                                   "AND type = 'index' AND sql IS NOT NULL")}
        assert {"responses_model", "responses_call_key"} <= indexes


def test_after_migrating_samples_may_start_at_zero_and_rules_still_hold(old_db: Path) -> None:
    with Store.open(old_db, create=False) as store, store.write():
        q = store.conn.execute
        q("INSERT INTO responses (id, scenario_id, model, sample, text, created_at) "
          "VALUES ('z0', 'old-pe-01', 'model-a', 0, 'zero', 'now')")
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            q("INSERT INTO responses (id, scenario_id, model, sample, text, created_at) "
              "VALUES ('neg', 'old-pe-01', 'model-a', -1, 'no', 'now')")
        with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
            q("INSERT INTO responses (id, scenario_id, model, sample, text, created_at) "
              "VALUES ('dup', 'old-pe-01', 'model-a', 1, 'slot taken', 'now')")
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            q("INSERT INTO responses (id, scenario_id, model, sample, text, created_at) "
              "VALUES ('orphan', 'no-such-scenario', 'model-a', 2, 'x', 'now')")
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            q("DELETE FROM responses WHERE id = 'old-r1'")  # ratings and judgments point to it
        with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
            q("DELETE FROM ratings")
