"""The database schema, as an ordered list of migrations.

``PRAGMA user_version`` holds how many migrations a database has had. A
migration is appended, never edited: a database made by any earlier rater
opens in every later one by running the migrations it has not had yet, each
in its own transaction. A database from a newer rater is refused rather than
guessed at.

Ratings are never deleted and every change to one is written to
``rating_history`` by triggers, so no code path, including a hand-written
UPDATE, can change a rating without leaving a trace.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

V1 = f"""
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE rubric_versions (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    label      TEXT NOT NULL,          -- the rubric file's own 'version'
    hash       TEXT NOT NULL UNIQUE,   -- sha256 of the canonical content
    content    TEXT NOT NULL,          -- JSON
    created_at TEXT NOT NULL
);

CREATE TABLE scenarios (
    id                TEXT PRIMARY KEY,
    modality          TEXT NOT NULL,
    step              TEXT NOT NULL,
    severity          INTEGER NOT NULL CHECK (severity >= 0),
    base_id           TEXT,
    demographic_group TEXT,
    risk_level        TEXT NOT NULL,
    title             TEXT NOT NULL,
    content           TEXT NOT NULL,   -- the whole scenario as JSON
    hash              TEXT NOT NULL,
    source            TEXT,
    created_at        TEXT NOT NULL
);
CREATE INDEX scenarios_base ON scenarios (base_id);

CREATE TABLE responses (
    id          TEXT PRIMARY KEY,
    scenario_id TEXT NOT NULL REFERENCES scenarios (id),
    model       TEXT NOT NULL,
    sample      INTEGER NOT NULL DEFAULT 1 CHECK (sample >= 1),
    text        TEXT NOT NULL,
    provenance  TEXT NOT NULL DEFAULT '{{}}',   -- JSON: where the answer came from
    created_at  TEXT NOT NULL,
    UNIQUE (scenario_id, model, sample)
);
CREATE INDEX responses_model ON responses (model);

-- One judge's verdict on one response: ok with a score per axis, or failed
-- with the raw reply kept (never replaced by a default score).
CREATE TABLE judgments (
    id             INTEGER PRIMARY KEY,
    response_id    TEXT NOT NULL REFERENCES responses (id),
    judge          TEXT NOT NULL,
    rubric_version INTEGER NOT NULL REFERENCES rubric_versions (id),
    status         TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    raw_reply      TEXT,
    error          TEXT,
    provenance     TEXT NOT NULL DEFAULT '{{}}',
    created_at     TEXT NOT NULL,
    UNIQUE (response_id, judge, rubric_version)
);

CREATE TABLE judge_scores (
    judgment_id INTEGER NOT NULL REFERENCES judgments (id),
    axis        TEXT NOT NULL,
    score       REAL,                  -- NULL: not applicable
    rationale   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (judgment_id, axis)
);

CREATE TABLE raters (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL DEFAULT '',
    credentials TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL
);

-- One rater's rating of one response. A blind rating (judges_visible = 0)
-- and its revision after the reveal (judges_visible = 1) are two rows, so
-- anchoring on the judges can be measured. NULL: not known (imported).
CREATE TABLE ratings (
    id             INTEGER PRIMARY KEY,
    rater_id       INTEGER NOT NULL REFERENCES raters (id),
    response_id    TEXT NOT NULL REFERENCES responses (id),
    judges_visible INTEGER CHECK (judges_visible IN (0, 1)),
    rubric_version INTEGER NOT NULL REFERENCES rubric_versions (id),
    note           TEXT NOT NULL DEFAULT '',
    flags          TEXT NOT NULL DEFAULT '[]',   -- JSON list: unsafe, unsure, rubric_gap
    seconds_spent  REAL,
    source         TEXT NOT NULL DEFAULT 'app',  -- 'app' or 'import:<file>'
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE UNIQUE INDEX ratings_one_per_phase
    ON ratings (rater_id, response_id, coalesce(judges_visible, -1));
CREATE INDEX ratings_response ON ratings (response_id);

CREATE TABLE rating_scores (
    rating_id INTEGER NOT NULL REFERENCES ratings (id),
    axis      TEXT NOT NULL,
    score     REAL,                    -- NULL: not applicable
    rationale TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (rating_id, axis)
);

-- Append-only: who changed what, when, from which value to which (JSON).
CREATE TABLE rating_history (
    id         INTEGER PRIMARY KEY,
    rating_id  INTEGER NOT NULL REFERENCES ratings (id),
    changed_by INTEGER NOT NULL REFERENCES raters (id),
    changed_at TEXT NOT NULL,
    via        TEXT NOT NULL,          -- the rating's source at the time
    axis       TEXT,                   -- NULL for the rating's note or flags
    field      TEXT NOT NULL,          -- score | rationale | note | flags
    old_value  TEXT,                   -- NULL when the value is new
    new_value  TEXT
);
CREATE INDEX rating_history_rating ON rating_history (rating_id);

CREATE TRIGGER rating_history_append_only_u BEFORE UPDATE ON rating_history
BEGIN SELECT RAISE(ABORT, 'rating_history is append-only'); END;
CREATE TRIGGER rating_history_append_only_d BEFORE DELETE ON rating_history
BEGIN SELECT RAISE(ABORT, 'rating_history is append-only'); END;
CREATE TRIGGER ratings_kept BEFORE DELETE ON ratings
BEGIN SELECT RAISE(ABORT, 'ratings are never deleted'); END;
CREATE TRIGGER rating_scores_kept BEFORE DELETE ON rating_scores
BEGIN SELECT RAISE(ABORT, 'ratings are never deleted; mark an axis not applicable instead'); END;

CREATE TRIGGER rating_scores_created AFTER INSERT ON rating_scores
BEGIN
    INSERT INTO rating_history (rating_id, changed_by, changed_at, via, axis, field, old_value, new_value)
    SELECT NEW.rating_id, r.rater_id, {NOW}, r.source, NEW.axis, 'score', NULL, json_quote(NEW.score)
    FROM ratings r WHERE r.id = NEW.rating_id;
    INSERT INTO rating_history (rating_id, changed_by, changed_at, via, axis, field, old_value, new_value)
    SELECT NEW.rating_id, r.rater_id, {NOW}, r.source, NEW.axis, 'rationale', NULL, json_quote(NEW.rationale)
    FROM ratings r WHERE r.id = NEW.rating_id AND NEW.rationale != '';
END;
CREATE TRIGGER rating_scores_score_changed AFTER UPDATE OF score ON rating_scores
WHEN OLD.score IS NOT NEW.score
BEGIN
    INSERT INTO rating_history (rating_id, changed_by, changed_at, via, axis, field, old_value, new_value)
    SELECT NEW.rating_id, r.rater_id, {NOW}, r.source, NEW.axis, 'score',
           json_quote(OLD.score), json_quote(NEW.score)
    FROM ratings r WHERE r.id = NEW.rating_id;
END;
CREATE TRIGGER rating_scores_rationale_changed AFTER UPDATE OF rationale ON rating_scores
WHEN OLD.rationale IS NOT NEW.rationale
BEGIN
    INSERT INTO rating_history (rating_id, changed_by, changed_at, via, axis, field, old_value, new_value)
    SELECT NEW.rating_id, r.rater_id, {NOW}, r.source, NEW.axis, 'rationale',
           json_quote(OLD.rationale), json_quote(NEW.rationale)
    FROM ratings r WHERE r.id = NEW.rating_id;
END;
CREATE TRIGGER ratings_note_changed AFTER UPDATE OF note ON ratings
WHEN OLD.note IS NOT NEW.note
BEGIN
    INSERT INTO rating_history (rating_id, changed_by, changed_at, via, axis, field, old_value, new_value)
    VALUES (NEW.id, NEW.rater_id, {NOW}, NEW.source, NULL, 'note',
            json_quote(OLD.note), json_quote(NEW.note));
END;
CREATE TRIGGER ratings_flags_changed AFTER UPDATE OF flags ON ratings
WHEN OLD.flags IS NOT NEW.flags
BEGIN
    INSERT INTO rating_history (rating_id, changed_by, changed_at, via, axis, field, old_value, new_value)
    VALUES (NEW.id, NEW.rater_id, {NOW}, NEW.source, NULL, 'flags', OLD.flags, NEW.flags);
END;
"""


# The rating app keeps a half-finished rating on every keystroke, so a crash or
# restart gives it back; and each rater's queue order is shuffled with a seed
# of their own, kept so the order survives restarts.
V2 = """
CREATE TABLE drafts (
    rater_id    INTEGER NOT NULL REFERENCES raters (id),
    response_id TEXT NOT NULL REFERENCES responses (id),
    data        TEXT NOT NULL,   -- JSON: scores, note, flags, focus
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (rater_id, response_id)
);
ALTER TABLE raters ADD COLUMN queue_seed INTEGER;
"""


# Calibration (rater calibrate): a fitted correction per judge and axis is a
# versioned calibration; calibrated scores sit beside the raw ones, which are
# never changed.
V3 = """
CREATE TABLE calibrations (
    id         INTEGER PRIMARY KEY,
    hash       TEXT NOT NULL UNIQUE,   -- sha256 of the content
    method     TEXT NOT NULL,          -- linear | isotonic
    content    TEXT NOT NULL,          -- JSON: per judge and axis, the fitted map and its CV report
    created_at TEXT NOT NULL
);
CREATE TABLE calibrated_scores (
    judgment_id    INTEGER NOT NULL REFERENCES judgments (id),
    axis           TEXT NOT NULL,
    calibration_id INTEGER NOT NULL REFERENCES calibrations (id),
    score          REAL,
    PRIMARY KEY (judgment_id, axis, calibration_id)
);
"""


# `rater generate` and `rater judge`: each answer and judgment made through
# litellm carries its call key (sha256 of the entry, model, parameters and
# the exact messages), which makes a run resumable and a repeated run free;
# each run is recorded with its settings (never a key), counts, cost and end.
V4 = """
ALTER TABLE responses ADD COLUMN call_key TEXT;
CREATE UNIQUE INDEX responses_call_key ON responses (call_key) WHERE call_key IS NOT NULL;
ALTER TABLE judgments ADD COLUMN call_key TEXT;
CREATE UNIQUE INDEX judgments_call_key ON judgments (call_key) WHERE call_key IS NOT NULL;
CREATE TABLE llm_runs (
    id            INTEGER PRIMARY KEY,
    command       TEXT NOT NULL,           -- generate | judge
    config_file   TEXT NOT NULL,
    config        TEXT NOT NULL,           -- JSON: the entries as run, without secrets
    options       TEXT NOT NULL,           -- JSON: concurrency, samples, filters, limit
    planned       INTEGER NOT NULL,
    ok            INTEGER NOT NULL DEFAULT 0,
    failed        INTEGER NOT NULL DEFAULT 0,
    skipped       INTEGER NOT NULL DEFAULT 0,   -- not attempted: their model or judge was stopped
    calls         INTEGER NOT NULL DEFAULT 0,   -- requests sent, retries included
    cost          REAL,
    status        TEXT NOT NULL CHECK (status IN ('running', 'finished', 'stopped', 'interrupted')),
    stopped       TEXT NOT NULL DEFAULT '{}',   -- JSON: entry -> why it was stopped
    failures      TEXT NOT NULL DEFAULT '[]',   -- JSON: the first failures, entry/item/error
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    rater_version TEXT NOT NULL
);
"""

# Scenario families (issue 8): every scenario belongs to a family (a flat file's base id,
# a narrative's "<narrative>-<step>"), and traps are flagged apart from severity.
V_FAMILY = """
ALTER TABLE scenarios ADD COLUMN family TEXT;
ALTER TABLE scenarios ADD COLUMN trap INTEGER NOT NULL DEFAULT 0;
UPDATE scenarios SET family = coalesce(base_id, id);
CREATE INDEX scenarios_family ON scenarios (family);
"""


# `rater serve`: personal links (only a hash of each link's token is stored) and
# the server's record of who is connected, which `rater status` reads.
V_SERVE = """
CREATE TABLE rater_links (
    id         INTEGER PRIMARY KEY,
    rater_id   INTEGER NOT NULL REFERENCES raters (id),
    token_hash TEXT NOT NULL UNIQUE,   -- sha256 of the link's token; the token is never stored
    created_at TEXT NOT NULL,
    expires_at TEXT,                   -- NULL: does not expire
    revoked_at TEXT
);
CREATE INDEX rater_links_rater ON rater_links (rater_id);
CREATE TABLE serve_sessions (
    id         INTEGER PRIMARY KEY,
    rater_id   INTEGER NOT NULL REFERENCES raters (id),
    mode       TEXT NOT NULL,          -- rate | adjudicate
    client     TEXT NOT NULL DEFAULT '',
    server_pid INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    seen_at    TEXT NOT NULL,          -- the server's heartbeat while the session lives
    ended_at   TEXT,
    end_reason TEXT                    -- closed | idle | replaced | revoked | server stopped | ...
);
CREATE INDEX serve_sessions_open ON serve_sessions (ended_at);
"""


# Clinicians' failure-mode tags (the rating form's checklist of taxonomy.yaml's
# failure modes). ``failure_modes_checked`` = 1 once the rater has confirmed the
# checklist for that rating, so no tag then means "none seen"; NULL: never
# asked (older ratings, imports). Tags added or removed land in the rating's
# history like every other change.
V_TAGS = f"""
CREATE TABLE rating_failure_modes (
    rating_id    INTEGER NOT NULL REFERENCES ratings (id),
    failure_mode TEXT NOT NULL,
    PRIMARY KEY (rating_id, failure_mode)
);
ALTER TABLE ratings ADD COLUMN failure_modes_checked INTEGER CHECK (failure_modes_checked IN (0, 1));
CREATE TRIGGER rating_failure_modes_added AFTER INSERT ON rating_failure_modes
BEGIN
    INSERT INTO rating_history (rating_id, changed_by, changed_at, via, axis, field, old_value, new_value)
    SELECT NEW.rating_id, r.rater_id, {NOW}, r.source, NULL, 'failure_mode', NULL, json_quote(NEW.failure_mode)
    FROM ratings r WHERE r.id = NEW.rating_id;
END;
CREATE TRIGGER rating_failure_modes_removed AFTER DELETE ON rating_failure_modes
BEGIN
    INSERT INTO rating_history (rating_id, changed_by, changed_at, via, axis, field, old_value, new_value)
    SELECT OLD.rating_id, r.rater_id, {NOW}, r.source, NULL, 'failure_mode', json_quote(OLD.failure_mode), NULL
    FROM ratings r WHERE r.id = OLD.rating_id;
END;
"""

# A study (rater study assign): which answers are rated, by whom, and how likely each answer
# was to be drawn (weights for the estimates); skips with a reason; adjudicated reference
# scores with their history; and how each rating was made (judges shown from the start
# with --show-judges, or hidden until the blind rating was saved).
V_STUDY = f"""
ALTER TABLE ratings ADD COLUMN judges_shown_from_start INTEGER
    CHECK (judges_shown_from_start IN (0, 1));
-- Before this column a rating with the judges visible and no blind rating beside it can only
-- have been made with the judges shown from the start.
UPDATE ratings SET judges_shown_from_start = CASE
    WHEN judges_visible = 0 THEN 0
    WHEN judges_visible = 1 AND NOT EXISTS (SELECT 1 FROM ratings b WHERE b.rater_id = ratings.rater_id
         AND b.response_id = ratings.response_id AND b.judges_visible = 0) THEN 1
    WHEN judges_visible = 1 THEN 0 END;

CREATE TABLE studies (
    id          INTEGER PRIMARY KEY,
    per_answer  INTEGER NOT NULL CHECK (per_answer >= 1),   -- K: raters per answer
    strategy    TEXT NOT NULL CHECK (strategy IN ('uniform', 'disagreement')),
    stratify    TEXT NOT NULL DEFAULT '[]',                   -- JSON list of fields
    seed        INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE TABLE study_answers (
    study_id       INTEGER NOT NULL REFERENCES studies (id),
    response_id    TEXT NOT NULL REFERENCES responses (id),
    stratum        TEXT NOT NULL,
    family         TEXT NOT NULL,      -- model + scenario family: rated together
    inclusion_prob REAL NOT NULL CHECK (inclusion_prob > 0 AND inclusion_prob <= 1),
    added_at       TEXT NOT NULL,
    PRIMARY KEY (study_id, response_id)
);
CREATE TABLE assignments (
    study_id    INTEGER NOT NULL REFERENCES studies (id),
    response_id TEXT NOT NULL REFERENCES responses (id),
    rater_id    INTEGER NOT NULL REFERENCES raters (id),
    assigned_at TEXT NOT NULL,
    PRIMARY KEY (study_id, response_id, rater_id)
);
CREATE INDEX assignments_rater ON assignments (rater_id);

CREATE TABLE skips (
    id          INTEGER PRIMARY KEY,
    rater_id    INTEGER NOT NULL REFERENCES raters (id),
    response_id TEXT NOT NULL REFERENCES responses (id),
    reason      TEXT NOT NULL CHECK (reason IN ('broken_answer', 'outside_expertise',
                                                'conflict_of_interest', 'other')),
    note        TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    UNIQUE (rater_id, response_id)
);

CREATE TABLE adjudications (
    id             INTEGER PRIMARY KEY,
    response_id    TEXT NOT NULL REFERENCES responses (id),
    adjudicator_id INTEGER NOT NULL REFERENCES raters (id),
    axis           TEXT NOT NULL,
    score          REAL,               -- NULL: not applicable
    rationale      TEXT NOT NULL DEFAULT '',
    source         TEXT NOT NULL DEFAULT 'app',
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    UNIQUE (response_id, adjudicator_id, axis)
);
CREATE TABLE adjudication_history (
    id               INTEGER PRIMARY KEY,
    adjudication_id  INTEGER NOT NULL REFERENCES adjudications (id),
    changed_at       TEXT NOT NULL,
    via              TEXT NOT NULL,
    old_score        TEXT,             -- JSON; NULL when new
    new_score        TEXT,
    old_rationale    TEXT,
    new_rationale    TEXT
);
CREATE TRIGGER adjudications_created AFTER INSERT ON adjudications
BEGIN
    INSERT INTO adjudication_history (adjudication_id, changed_at, via, old_score, new_score,
                                      old_rationale, new_rationale)
    VALUES (NEW.id, {NOW}, NEW.source, NULL, json_quote(NEW.score), NULL, NEW.rationale);
END;
CREATE TRIGGER adjudications_changed AFTER UPDATE OF score, rationale ON adjudications
WHEN OLD.score IS NOT NEW.score OR OLD.rationale IS NOT NEW.rationale
BEGIN
    INSERT INTO adjudication_history (adjudication_id, changed_at, via, old_score, new_score,
                                      old_rationale, new_rationale)
    VALUES (NEW.id, {NOW}, NEW.source, json_quote(OLD.score), json_quote(NEW.score),
            OLD.rationale, NEW.rationale);
END;
CREATE TRIGGER adjudications_kept BEFORE DELETE ON adjudications
BEGIN SELECT RAISE(ABORT, 'adjudications are never deleted'); END;
CREATE TRIGGER adjudication_history_append_only_u BEFORE UPDATE ON adjudication_history
BEGIN SELECT RAISE(ABORT, 'adjudication_history is append-only'); END;
CREATE TRIGGER adjudication_history_append_only_d BEFORE DELETE ON adjudication_history
BEGIN SELECT RAISE(ABORT, 'adjudication_history is append-only'); END;
"""


# Judges name the failure modes (scenarios/taxonomy.yaml) they observe in an
# answer. failure_modes_asked: 1 when the judge was asked (then no rows means
# "none observed"), NULL for judgments made before judges were asked.
V_JUDGE_FAILURE_MODES = """
ALTER TABLE judgments ADD COLUMN failure_modes_asked INTEGER;
CREATE TABLE judgment_failure_modes (
    judgment_id  INTEGER REFERENCES judgments (id),
    failure_mode TEXT,
    PRIMARY KEY (judgment_id, failure_mode)
);
"""


def _relax_check(table: str, old: str, new: str) -> Callable[[sqlite3.Connection], None]:
    """Rebuild ``table`` with one CHECK constraint's text replaced, keeping every row, id and index.

    SQLite cannot alter a CHECK in place. The table is rebuilt from its own
    stored CREATE statement (so columns later migrations added come along),
    copied, dropped and renamed, then its indexes and triggers are made
    again. ``Store.migrate`` runs migrations with foreign keys off, as SQLite's
    documented procedure asks, and checks them before committing: with them
    on, dropping the old table would count as deleting every answer that
    judgments and ratings point to. No row is deleted or changed, so the
    append-only tables and their triggers see nothing.
    """

    def run(conn: sqlite3.Connection) -> None:
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                           (table,)).fetchone()[0]
        if old not in sql:
            raise sqlite3.DatabaseError(f"{table}: expected {old!r} in its schema")
        others = [r[0] for r in conn.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') "
            "AND sql IS NOT NULL ORDER BY type, name", (table,))]
        head = sql.index("(")
        conn.execute(f"CREATE TABLE {table}__new " + sql[head:].replace(old, new))
        conn.execute(f"INSERT INTO {table}__new SELECT * FROM {table}")
        conn.execute(f"DROP TABLE {table}")
        conn.execute(f"ALTER TABLE {table}__new RENAME TO {table}")
        for statement in others:
            conn.execute(statement)

    return run


# Many pipelines number samples from 0: any non-negative whole number is a sample.
V_SAMPLE0 = _relax_check("responses", "CHECK (sample >= 1)", "CHECK (sample >= 0)")


# A run records the process that makes it, so a run whose process died without a word
# (kill -9, a power cut) is shown as interrupted rather than running forever.
V_RUN_OWNER = """
ALTER TABLE llm_runs ADD COLUMN pid INTEGER;
ALTER TABLE llm_runs ADD COLUMN host TEXT;
"""


def _script(sql: str) -> Callable[[sqlite3.Connection], None]:
    def run(conn: sqlite3.Connection) -> None:
        # executescript would COMMIT the surrounding transaction; run statement by statement.
        for statement in _statements(sql):
            conn.execute(statement)

    return run


def _statements(sql: str) -> list[str]:
    """Split a script into statements, keeping trigger bodies (which contain ';') whole."""
    out: list[str] = []
    buf = ""
    for line in sql.splitlines(keepends=True):
        if line.strip().startswith("--") and not buf.strip():
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out


# Append only. Index i upgrades a database from version i to i + 1.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _script(V1),
    _script(V2),
    _script(V3),
    _script(V4),
    _script(V_SERVE),
    _script(V_TAGS),
    _script(V_STUDY),
    _script(V_JUDGE_FAILURE_MODES),
    V_SAMPLE0,
    _script(V_RUN_OWNER),
    _script(V_FAMILY),
]
