"""The SQLite store: one file holds scenarios, rubric versions, responses,
judge scores, raters, ratings and the history of every rating change.

The hot paths (the rating app) use the raw ``sqlite3`` connection: importing
sqlite-utils pulls in pandas and numpy (~0.5 s), so ``Store.db`` builds the
sqlite-utils view only when bulk work asks for it.

Concurrency: WAL mode with a busy timeout lets several rater processes share
one file. Every write goes through ``Store.write()``, which starts with
``BEGIN IMMEDIATE``: a transaction that reads then writes under a deferred
BEGIN fails at once with "database is locked" when another writer is active,
whatever the busy timeout.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rater.errors import Problem, RaterError
from rater.rubric import Rubric, rubric_from_content
from rater.rules import FLAGS
from rater.scenarios import Scenario
from rater.schema import MIGRATIONS

if TYPE_CHECKING:
    import sqlite_utils

DEFAULT_DB = "rater.db"
BUSY_TIMEOUT_MS = 10_000
SKIP_REASONS = {
    "broken_answer": "broken answer",
    "outside_expertise": "outside my expertise",
    "conflict_of_interest": "conflict of interest",
    "other": "other (say why in a note)",
}
"""Why a rater may skip an answer (the key is stored, the text shown); 'other' needs a note."""


def stamp(when: datetime) -> str:
    """``when`` (UTC) as ISO 8601 with milliseconds, the format every table uses."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def now() -> str:
    """The time now, as every table stores it (:func:`stamp`)."""
    return stamp(datetime.now(UTC))


def resolve_db_path(option: str | os.PathLike[str] | None) -> Path:
    """``--db PATH``, else ``$RATER_DB``, else ``./rater.db``."""
    return Path(option or os.environ.get("RATER_DB") or DEFAULT_DB)


def _refuse_foreign(conn: sqlite3.Connection, path: str) -> None:
    """Refuse a file that is not SQLite, or another program's database, before changing it.

    Opening migrates and switches to WAL; done to the wrong file (a mistyped
    --db) that would quietly rewrite someone else's data.
    """
    fix = "pass a rater database with --db, or a new file name for `rater init` to create"
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise RaterError(Problem(f"is not a SQLite database ({exc})", path, fix=fix)) from None
    if version == 0 and tables:
        conn.close()
        raise RaterError(Problem("is a SQLite database, but not one of rater's", path, fix=fix))


def _create_private(path: Path) -> None:
    """Create a new database file 0600: it holds clinical material and clinicians' names.

    SQLite gives the -wal and -shm files the database file's permissions, so
    they are private too. An existing file keeps the permissions it has.
    """
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


@dataclass(frozen=True)
class AxisScore:
    """One axis of a rating: a score on the axis's scale, or None for not applicable."""

    score: float | None
    rationale: str = ""


class Store:
    """A connection to one rater database, migrated to the current schema on open."""

    def __init__(self, conn: sqlite3.Connection, path: str) -> None:
        self.conn = conn
        self.path = path
        self._depth = 0
        self._db: sqlite_utils.Database | None = None

    # -- opening -----------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str] = ":memory:", *, create: bool = True) -> Store:
        """Open (and migrate) the database at ``path``; ``":memory:"`` for tests.

        With ``create=False`` a missing file is a RaterError telling the user to
        run ``rater init``, rather than a silently empty new database.
        """
        path = str(path)
        if path != ":memory:" and not create and not Path(path).exists():
            raise RaterError(Problem("no database here", path,
                                     fix="run `rater init --db PATH` first, or pass the right --db"))
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            _create_private(Path(path))
        conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000,
                               check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _refuse_foreign(conn, path)
        conn.execute("PRAGMA foreign_keys = ON")
        if path != ":memory:":
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        store = cls(conn, path)
        store.migrate()
        return store

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> None:
        """Bring the schema up to date, one committed migration at a time."""
        latest = len(MIGRATIONS)
        with self.write():
            version = self.schema_version
        if version > latest:
            raise RaterError(Problem(
                f"was made by a newer rater (schema {version}; this rater knows up to {latest})",
                self.path, fix="upgrade rater (pip install -U rater) to open it"))
        if version >= latest:
            return
        # Foreign keys off while migrating (a table rebuild drops its old copy), checked before
        # each commit; the pragma cannot change inside a transaction, hence out here.
        self.conn.execute("PRAGMA foreign_keys = OFF")
        try:
            while version < latest:
                with self.write():
                    # Re-read inside the lock: another process may have migrated meanwhile.
                    version = self.schema_version
                    if version >= latest:
                        break
                    MIGRATIONS[version](self.conn)
                    broken = self.conn.execute("PRAGMA foreign_key_check").fetchone()
                    if broken:
                        raise RaterError(Problem(
                            f"migration {version + 1} would break a reference ({tuple(broken)})",
                            self.path, fix="report this; the database is left as it was"))
                    self.conn.execute(f"PRAGMA user_version = {version + 1}")
                    version += 1
        finally:
            self.conn.execute("PRAGMA foreign_keys = ON")

    @property
    def db(self) -> sqlite_utils.Database:
        """A sqlite-utils view of the same connection, for bulk reads and writes."""
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self.conn)
        return self._db

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One committed transaction (BEGIN IMMEDIATE); nested calls join the outer one."""
        if self._depth:
            self._depth += 1
            try:
                yield self.conn
            finally:
                self._depth -= 1
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")
        finally:
            self._depth = 0

    # -- meta ---------------------------------------------------------------------

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self.write():
            self.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                              "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    @property
    def is_demo(self) -> bool:
        """True for a database built by `rater demo` from the illustrative demo data."""
        return self.get_meta("demo") == "illustrative"

    # -- rubric -------------------------------------------------------------------

    def ensure_rubric(self, rubric: Rubric) -> int:
        """The version id of ``rubric``, storing it as a new version if its content is new."""
        with self.write():
            row = self.conn.execute("SELECT id FROM rubric_versions WHERE hash = ?",
                                    (rubric.hash,)).fetchone()
            if row:
                return int(row[0])
            cur = self.conn.execute(
                "INSERT INTO rubric_versions (name, label, hash, content, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (rubric.name, rubric.label, rubric.hash,
                 json.dumps(rubric.content, ensure_ascii=False, sort_keys=True), now()))
            return int(cur.lastrowid or 0)

    def rubric(self, version: int | None = None) -> tuple[int, Rubric]:
        """A stored rubric version (default: the newest) as (version id, Rubric)."""
        if version is None:
            row = self.conn.execute(
                "SELECT id, content FROM rubric_versions ORDER BY id DESC LIMIT 1").fetchone()
        else:
            row = self.conn.execute("SELECT id, content FROM rubric_versions WHERE id = ?",
                                    (version,)).fetchone()
        if row is None:
            raise RaterError(Problem("holds no rubric", self.path,
                                     fix="run `rater init` to store the bundled rubric"))
        return int(row[0]), rubric_from_content(json.loads(row[1]), f"{self.path} (rubric v{row[0]})")

    # -- scenarios ----------------------------------------------------------------

    def scenario_hashes(self) -> dict[str, str]:
        return {r[0]: r[1] for r in self.conn.execute("SELECT id, hash FROM scenarios")}

    def upsert_scenarios(self, scenarios: Iterable[Scenario]) -> tuple[int, int]:
        """Store scenarios; returns (added, updated). Identical content is left alone."""
        import hashlib

        added = updated = 0
        with self.write():
            existing = self.scenario_hashes()
            stamp = now()
            for s in scenarios:
                body = s.to_json()
                digest = hashlib.sha256(body.encode()).hexdigest()
                if existing.get(s.id) == digest:
                    continue
                values = (s.modality, s.step, s.severity, s.base_id, s.demographic_group,
                          s.risk_level, s.title, body, digest, s.source, s.family, int(s.trap))
                if s.id in existing:
                    self.conn.execute(
                        "UPDATE scenarios SET modality=?, step=?, severity=?, base_id=?, "
                        "demographic_group=?, risk_level=?, title=?, content=?, hash=?, source=?, "
                        "family=?, trap=? WHERE id = ?", (*values, s.id))
                    updated += 1
                else:
                    self.conn.execute(
                        "INSERT INTO scenarios (modality, step, severity, base_id, demographic_group,"
                        " risk_level, title, content, hash, source, family, trap, id, created_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (*values, s.id, stamp))
                    added += 1
        return added, updated

    def scenarios(self) -> list[Scenario]:
        rows = self.conn.execute("SELECT content, source FROM scenarios ORDER BY id")
        return [Scenario.from_content(json.loads(r[0]), r[1]) for r in rows]

    def scenario(self, scenario_id: str) -> Scenario | None:
        row = self.conn.execute("SELECT content, source FROM scenarios WHERE id = ?",
                                (scenario_id,)).fetchone()
        return Scenario.from_content(json.loads(row[0]), row[1]) if row else None

    # -- raters ---------------------------------------------------------------------

    def rater_id(self, name: str) -> int | None:
        row = self.conn.execute("SELECT id FROM raters WHERE name = ?", (name,)).fetchone()
        return int(row[0]) if row else None

    def ensure_rater(self, name: str, role: str = "", credentials: str = "") -> int:
        """The id of rater ``name``, creating them if new (role and credentials then kept)."""
        name = name.strip()
        if not name:
            raise RaterError(Problem("a rater needs a name", field="rater"))
        with self.write():
            found = self.rater_id(name)
            if found is not None:
                return found
            cur = self.conn.execute(
                "INSERT INTO raters (name, role, credentials, created_at) VALUES (?, ?, ?, ?)",
                (name, role, credentials, now()))
            return int(cur.lastrowid or 0)

    def set_queue_seed(self, rater_id: int, seed: int) -> int:
        """Give the rater ``seed`` as their queue seed unless they have one; returns the one stored."""
        with self.write():
            self.conn.execute("UPDATE raters SET queue_seed = ? WHERE id = ? AND queue_seed IS NULL",
                              (seed, rater_id))
            return int(self.conn.execute("SELECT queue_seed FROM raters WHERE id = ?",
                                         (rater_id,)).fetchone()[0])

    def raters_with_counts(self) -> list[tuple[str, str, str, int]]:
        """Every rater as (name, role, credentials, number of ratings), by name: the app's rater picker."""
        return [(r[0], r[1], r[2], int(r[3])) for r in self.conn.execute(
            "SELECT r.name, r.role, r.credentials, count(g.id) FROM raters r "
            "LEFT JOIN ratings g ON g.rater_id = r.id GROUP BY r.id ORDER BY r.name")]

    # -- answers and judgments -----------------------------------------------------------

    def add_responses(self, rows: Iterable[Sequence[object]]) -> int:
        """Store answers given as (id, scenario_id, model, sample, text, provenance JSON, created_at,
        call_key) rows; returns how many were added.

        An answer whose id, (scenario, model, sample) slot or call key is already stored is left
        as it is: importers check for conflicting rows first, and a resumed `rater generate`
        relies on this to never store one call twice. ``rows`` may be a cursor over a staging
        table of this connection; wrap the call in :meth:`write` with any checks it depends on.
        """
        with self.write():
            return int(self.conn.executemany(
                "INSERT INTO responses (id, scenario_id, model, sample, text, provenance, created_at, "
                "call_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", rows).rowcount)

    def add_judgment(self, response_id: str, judge: str, rubric_version: int, *, status: str,
                     provenance: str, created_at: str, raw_reply: str | None = None,
                     error: str | None = None, call_key: str | None = None,
                     failure_modes_asked: bool | None = None,
                     scores: Iterable[tuple[str, float | None, str]] = (),
                     failure_modes: Iterable[str] = ()) -> int | None:
        """Store one judge's judgment of an answer with its (axis, score, rationale) scores and
        failure modes; returns its id, or None when that judge already judged that answer under
        that rubric version (or the call key is stored), which is then left as it is.

        ``failure_modes_asked``: True when the judge was asked for failure modes (so none listed
        means none observed), None for judgments from elsewhere (imports), where nobody asked.
        """
        asked = None if failure_modes_asked is None else int(failure_modes_asked)
        with self.write():
            if not self.add_judgments([(response_id, judge, rubric_version, status, raw_reply, error,
                                        provenance, created_at, call_key, asked)]):
                return None
            judgment_id = int(self.conn.execute(
                "SELECT id FROM judgments WHERE response_id = ? AND judge = ? AND rubric_version = ?",
                (response_id, judge, rubric_version)).fetchone()[0])
            self.add_judge_scores((judgment_id, axis, score, why) for axis, score, why in scores)
            self._add_judgment_failure_modes(judgment_id, failure_modes)
        return judgment_id

    def add_judgments(self, rows: Iterable[Sequence[object]]) -> int:
        """Store judgments given as (response_id, judge, rubric_version, status, raw_reply, error,
        provenance JSON, created_at, call_key, failure_modes_asked) rows, without scores (see
        :meth:`add_judge_scores`); one already stored for that answer, judge and rubric version, or
        that call key, is left as it is. Returns how many were added."""
        with self.write():
            return int(self.conn.executemany(
                "INSERT INTO judgments (response_id, judge, rubric_version, status, raw_reply, error, "
                "provenance, created_at, call_key, failure_modes_asked) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", rows).rowcount)

    def replace_judgment(self, judgment_id: int, *, status: str, provenance: dict[str, Any],
                         created_at: str, raw_reply: str | None, error: str | None, call_key: str,
                         scores: Iterable[tuple[str, float | None, str]] = (),
                         failure_modes: Iterable[str] = ()) -> None:
        """Put a judge's new verdict in place of judgment ``judgment_id`` (a failure retried).

        The old status, error, call key and time are appended to ``provenance["replaced"]`` so
        the retry stays traceable; its scores, failure modes and calibrated values go.
        """
        with self.write():
            old = self.conn.execute("SELECT status, error, call_key, created_at, provenance "
                                    "FROM judgments WHERE id = ?", (judgment_id,)).fetchone()
            replaced = json.loads(old["provenance"] or "{}").get("replaced", [])
            replaced.append({k: old[k] for k in ("status", "error", "call_key", "created_at")})
            provenance["replaced"] = replaced
            self.conn.execute("UPDATE judgments SET status = ?, raw_reply = ?, error = ?, provenance = ?, "
                              "created_at = ?, call_key = ?, failure_modes_asked = 1 WHERE id = ?",
                              (status, raw_reply, error, json.dumps(provenance, ensure_ascii=False),
                               created_at, call_key, judgment_id))
            self.conn.execute("DELETE FROM judge_scores WHERE judgment_id = ?", (judgment_id,))
            self.conn.execute("DELETE FROM judgment_failure_modes WHERE judgment_id = ?", (judgment_id,))
            # Calibrated values of the replaced verdict would sit beside new raw scores.
            self.conn.execute("DELETE FROM calibrated_scores WHERE judgment_id = ?", (judgment_id,))
            self.add_judge_scores((judgment_id, axis, score, why) for axis, score, why in scores)
            self._add_judgment_failure_modes(judgment_id, failure_modes)

    def add_judge_scores(self, rows: Iterable[Sequence[object]]) -> int:
        """Store (judgment_id, axis, score, rationale) rows; a judgment's stored score on an axis is
        kept, never overwritten. Returns how many were added."""
        with self.write():
            return int(self.conn.executemany(
                "INSERT INTO judge_scores (judgment_id, axis, score, rationale) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (judgment_id, axis) DO NOTHING", rows).rowcount)

    def set_judge_failure_modes(self, rows: Iterable[tuple[str, str, Sequence[str]]]) -> int:
        """Record the failure modes each judge named, per (response_id, judge, modes), on that
        judge's ok judgments of the answer, marking them asked (so an empty list means none
        observed). For judgments made elsewhere, e.g. the demo's. Returns how many judgments."""
        done = 0
        with self.write():
            for response_id, judge, modes in rows:
                ids = [int(r[0]) for r in self.conn.execute(
                    "SELECT id FROM judgments WHERE response_id = ? AND judge = ? AND status = 'ok'",
                    (response_id, judge))]
                for judgment_id in ids:
                    self.conn.execute("UPDATE judgments SET failure_modes_asked = 1 WHERE id = ?",
                                      (judgment_id,))
                    self.conn.execute("DELETE FROM judgment_failure_modes WHERE judgment_id = ?",
                                      (judgment_id,))
                    self._add_judgment_failure_modes(judgment_id, modes)
                done += len(ids)
        return done

    def _add_judgment_failure_modes(self, judgment_id: int, modes: Iterable[str]) -> None:
        self.conn.executemany("INSERT INTO judgment_failure_modes (judgment_id, failure_mode) VALUES (?, ?)",
                              [(judgment_id, m) for m in modes])

    # -- calibrations ---------------------------------------------------------------------

    def ensure_calibration(self, content_hash: str, method: str, content: str,
                           created_at: str) -> tuple[int, str]:
        """(id, created_at) of the calibration with this content hash, storing it if new."""
        with self.write():
            row = self.conn.execute("SELECT id, created_at FROM calibrations WHERE hash = ?",
                                    (content_hash,)).fetchone()
            if row is not None:
                return int(row[0]), str(row[1])
            cur = self.conn.execute(
                "INSERT INTO calibrations (hash, method, content, created_at) VALUES (?, ?, ?, ?)",
                (content_hash, method, content, created_at))
            return int(cur.lastrowid or 0), created_at

    def set_calibrated_scores(self, rows: Iterable[Sequence[object]]) -> None:
        """Store (judgment_id, axis, calibration_id, score) rows, replacing earlier values of the same
        judgment, axis and calibration; raw judge scores are never touched."""
        with self.write():
            self.conn.executemany(
                "INSERT OR REPLACE INTO calibrated_scores (judgment_id, axis, calibration_id, score) "
                "VALUES (?, ?, ?, ?)", rows)

    # -- LLM runs ---------------------------------------------------------------------------

    def add_run(self, *, command: str, config_file: str | None, config: str, options: str, planned: int,
                started_at: str, rater_version: str, pid: int, host: str) -> int:
        """Record a `rater generate` / `rater judge` run as running; returns its id."""
        with self.write():
            return int(self.conn.execute(
                "INSERT INTO llm_runs (command, config_file, config, options, planned, status, started_at,"
                " rater_version, pid, host) VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, ?)",
                (command, config_file, config, options, planned, started_at, rater_version, pid,
                 host)).lastrowid or 0)

    def finish_run(self, run_id: int, *, ok: int, failed: int, skipped: int, calls: int, cost: float,
                   status: str, stopped: str, failures: str, finished_at: str) -> None:
        """Record how run ``run_id`` ended (``stopped`` and ``failures`` are JSON, already scrubbed)."""
        with self.write():
            self.conn.execute(
                "UPDATE llm_runs SET ok = ?, failed = ?, skipped = ?, calls = ?, cost = ?, status = ?, "
                "stopped = ?, failures = ?, finished_at = ? WHERE id = ?",
                (ok, failed, skipped, calls, cost, status, stopped, failures, finished_at, run_id))

    def mark_runs_interrupted(self, run_ids: Iterable[int]) -> None:
        """Runs still marked running whose process is gone: interrupted."""
        with self.write():
            self.conn.executemany(
                "UPDATE llm_runs SET status = 'interrupted' WHERE id = ? AND status = 'running'",
                [(i,) for i in run_ids])

    # -- ratings --------------------------------------------------------------------

    def save_rating(self, *, rater_id: int, response_id: str, scores: Mapping[str, AxisScore],
                    rubric_version: int, judges_visible: bool | None, note: str | None = None,
                    flags: Sequence[str] | None = None, seconds_spent: float | None = None,
                    source: str = "app", shown_from_start: bool | None = None) -> int:
        """Create or update one rating in one committed transaction; returns its id.

        Axes not in ``scores``, and a note or flags given as None, keep their
        stored values. Changes land in ``rating_history`` through the schema's
        triggers. ``shown_from_start``: True for a rating made with the judges on screen
        from the start (`rater rate --show-judges`), False for one made in the blind
        flow, None when not known (see rater.phases).
        """
        bad = sorted(set(flags or ()) - set(FLAGS))
        if bad:
            raise RaterError(Problem(f"unknown flag(s) {', '.join(bad)}", field="flags",
                                     fix=f"use {', '.join(FLAGS)}"))
        visible = None if judges_visible is None else int(judges_visible)
        shown = None if shown_from_start is None else int(shown_from_start)
        flags_json = None if flags is None else json.dumps(sorted(set(flags)))
        stamp = now()
        with self.write():
            row = self.conn.execute(
                "SELECT id FROM ratings WHERE rater_id = ? AND response_id = ? "
                "AND coalesce(judges_visible, -1) = coalesce(?, -1)",
                (rater_id, response_id, visible)).fetchone()
            if row is None:
                rating_id = int(self.conn.execute(
                    "INSERT INTO ratings (rater_id, response_id, judges_visible, rubric_version, "
                    "note, flags, seconds_spent, source, created_at, updated_at, "
                    "judges_shown_from_start) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (rater_id, response_id, visible, rubric_version, note or "",
                     flags_json or "[]", seconds_spent, source, stamp, stamp, shown)).lastrowid or 0)
            else:
                rating_id = int(row[0])
                self.conn.execute(
                    "UPDATE ratings SET source = ?, rubric_version = ?, note = coalesce(?, note), "
                    "flags = coalesce(?, flags), seconds_spent = coalesce(?, seconds_spent), "
                    "judges_shown_from_start = coalesce(?, judges_shown_from_start), "
                    "updated_at = ? WHERE id = ?",
                    (source, rubric_version, note, flags_json, seconds_spent, shown, stamp, rating_id))
            self.conn.executemany(
                "INSERT INTO rating_scores (rating_id, axis, score, rationale) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (rating_id, axis) DO UPDATE SET score = excluded.score, "
                "rationale = excluded.rationale "
                "WHERE score IS NOT excluded.score OR rationale IS NOT excluded.rationale",
                [(rating_id, axis, s.score, s.rationale) for axis, s in scores.items()])
        return rating_id

    def save_skip(self, *, rater_id: int, response_id: str, reason: str, note: str = "") -> None:
        """Record that a rater skips an answer, with a reason (and a note, required for 'other').

        A skip counts as done in the rater's queue, not as a rating; skipping
        again replaces the reason and note. The rater's draft of the answer is
        dropped: a note without a complete rating is kept only through a skip.
        """
        note = note.strip()
        if reason not in SKIP_REASONS:
            raise RaterError(Problem(f"unknown skip reason {reason!r}", field="reason",
                                     fix=f"use {', '.join(SKIP_REASONS)}"))
        if reason == "other" and not note:
            raise RaterError(Problem("a skip for another reason needs a note saying why", field="note"))
        with self.write():
            self.conn.execute(
                "INSERT INTO skips (rater_id, response_id, reason, note, created_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (rater_id, response_id) DO UPDATE SET reason = excluded.reason, "
                "note = excluded.note, created_at = excluded.created_at",
                (rater_id, response_id, reason, note, now()))
            self.delete_draft(rater_id, response_id)

    def save_draft(self, rater_id: int, response_id: str, data: str) -> None:
        """Keep (or replace) a rater's half-made rating of an answer, as the form's JSON."""
        with self.write():
            self.conn.execute(
                "INSERT INTO drafts (rater_id, response_id, data, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (rater_id, response_id) DO UPDATE SET data = excluded.data, "
                "updated_at = excluded.updated_at", (rater_id, response_id, data, now()))

    def delete_draft(self, rater_id: int, response_id: str) -> None:
        with self.write():
            self.conn.execute("DELETE FROM drafts WHERE rater_id = ? AND response_id = ?",
                              (rater_id, response_id))

    def rating_history(self, rating_id: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT h.changed_at, r.name AS changed_by, h.via, h.axis, h.field, h.old_value, "
            "h.new_value FROM rating_history h JOIN raters r ON r.id = h.changed_by "
            "WHERE h.rating_id = ? ORDER BY h.id", (rating_id,))
        return [dict(r) for r in rows]

    def set_failure_modes(self, rating_id: int, modes: Iterable[str]) -> None:
        """Record the failure modes a rater saw in an answer (the checklist confirmed: none is "none seen").

        Modes must be taxonomy.yaml's; tags added or removed are written to the
        rating's history by the schema's triggers.
        """
        from rater.taxonomy import load_taxonomy

        wanted = set(modes)
        known = load_taxonomy().failure_modes
        bad = sorted(wanted - set(known))
        if bad:
            raise RaterError(Problem(f"unknown failure mode(s) {', '.join(bad)}", field="failure_modes",
                                     fix=f"use {', '.join(known)}"))
        with self.write():
            have = {r[0] for r in self.conn.execute(
                "SELECT failure_mode FROM rating_failure_modes WHERE rating_id = ?", (rating_id,))}
            self.conn.executemany("DELETE FROM rating_failure_modes WHERE rating_id = ? AND failure_mode = ?",
                                  [(rating_id, m) for m in sorted(have - wanted)])
            self.conn.executemany("INSERT INTO rating_failure_modes (rating_id, failure_mode) VALUES (?, ?)",
                                  [(rating_id, m) for m in sorted(wanted - have)])
            self.conn.execute("UPDATE ratings SET failure_modes_checked = 1, updated_at = ? WHERE id = ?",
                              (now(), rating_id))

    def failure_modes(self, rating_id: int) -> tuple[frozenset[str], bool]:
        """A rating's failure-mode tags, and whether its rater confirmed the checklist."""
        row = self.conn.execute("SELECT failure_modes_checked FROM ratings WHERE id = ?",
                                (rating_id,)).fetchone()
        tags = frozenset(r[0] for r in self.conn.execute(
            "SELECT failure_mode FROM rating_failure_modes WHERE rating_id = ?", (rating_id,)))
        return tags, bool(row and row[0])

    # -- summaries ------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        tables = ("scenarios", "rubric_versions", "responses", "judgments", "judge_scores",
                  "raters", "ratings", "rating_scores", "rating_history")
        return {t: int(self.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
                for t in tables}
