"""Importing scenarios, responses, judge scores and human ratings made elsewhere.

Every importer reads and checks the whole file before it writes anything,
then writes in one transaction: one bad row rejects the file with a message
naming the line, and the database is exactly as it was. Re-importing the
same file changes nothing.

Formats (CSV with a header row, or JSONL with one object a line):

- responses:  response_id, scenario_id, model, sample (0, 1, 2... or 1, 2, 3...), text
- judgments:  response_id, judge, axis, score, rationale
- ratings:    response_id, rater, axis, score, rationale  (optional: judges_visible)

An empty score means not applicable, which the rubric must allow for that axis.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec

from rater.errors import Problem, RaterError
from rater.rubric import Rubric
from rater.scenarios import FAMILY_FIELDS, OPTIONAL, REQUIRED, check_set, load_scenarios, parse_scenario
from rater.store import AxisScore, Store, now
from rater.tabular import cell_id, cell_score, cell_text, read_rows
from rater.taxonomy import load_taxonomy
from rater.yamlsrc import Located

RESPONSE_COLUMNS = ("response_id", "scenario_id", "model", "sample", "text")
JUDGMENT_COLUMNS = ("response_id", "judge", "axis", "score", "rationale")
RATING_COLUMNS = ("response_id", "rater", "axis", "score", "rationale")
KINDS = ("scenarios", "responses", "judgments", "ratings")
P = ParamSpec("P")


@dataclass(frozen=True)
class ImportResult:
    kind: str
    added: int
    updated: int
    unchanged: int

    def __str__(self) -> str:
        return (f"{self.kind}: {self.added} added, {self.updated} updated, "
                f"{self.unchanged} unchanged")


UNCHANGED = Problem("nothing was imported; the database is unchanged")


def _fail(problems: list[Problem]) -> None:
    if problems:
        raise RaterError(problems)


def _all_or_nothing(importer: Callable[P, ImportResult]) -> Callable[P, ImportResult]:
    """Cap the problems listed and say that nothing was written."""

    @functools.wraps(importer)
    def run(*args: P.args, **kwargs: P.kwargs) -> ImportResult:
        try:
            return importer(*args, **kwargs)
        except RaterError as exc:
            if exc.problems and exc.problems[-1] is UNCHANGED:  # already capped (Problems)
                raise
            raise RaterError.capped(exc.problems, UNCHANGED) from None

    return run


def _ids(path: Path, line: int, row: dict[str, Any], keys: tuple[str, ...],
         add: Callable[[Problem], None]) -> list[str] | None:
    """The id and name cells ``keys`` of a row, or None after reporting each one that is not an id."""
    out: list[str] = []
    for key in keys:
        value = cell_id(row.get(key))
        if isinstance(value, Problem):
            add(Problem(value.message, str(path), line, key, value.fix))
        else:
            out.append(value)
    return out if len(out) == len(keys) else None


def _scored_row(path: Path, line: int, row: dict[str, Any], rubric: Rubric,
                problems: list[Problem]) -> tuple[str, float | None] | None:
    """Check a row's axis and score against the rubric."""
    axis_id = cell_text(row.get("axis"))
    if not rubric.has_axis(axis_id):
        problems.append(Problem(f"axis {axis_id!r} is not in the rubric", str(path), line, "axis",
                                f"use one of {', '.join(rubric.axis_ids)}"))
        return None
    score = cell_score(row.get("score"))
    if isinstance(score, str) and (code := rubric.axis(axis_id).code(cell_text(row.get("score")))):
        score = float(code)  # a nominal axis's category, by name
    if isinstance(score, str):
        problems.append(Problem(score, str(path), line, "score",
                                "write a whole number on the axis's scale, or leave it empty "
                                "for not applicable"))
        return None
    problem = rubric.axis(axis_id).score_problem(score)
    if problem:
        problems.append(Problem(problem, str(path), line, "score",
                                "use a score on the axis's scale from the rubric"))
        return None
    return axis_id, score


# -- scenarios ---------------------------------------------------------------------

@_all_or_nothing
def import_scenarios(store: Store, paths: Iterable[Path]) -> ImportResult:
    """YAML scenario files (or folders of them), or JSONL with one scenario a line."""
    paths = list(paths)
    known = {s.id: s for s in store.scenarios()}
    yaml_paths = [p for p in paths if p.suffix.lower() not in (".jsonl", ".ndjson")]
    scenarios = load_scenarios(yaml_paths, known=known) if yaml_paths else []
    problems: list[Problem] = []
    tax = load_taxonomy()
    for path in paths:
        if path in yaml_paths:
            continue
        fresh = []
        for line, row in read_rows(path, ("id",), REQUIRED + OPTIONAL + FAMILY_FIELDS, nested=True):
            doc = Located(row, str(path), line, {})
            scenario, found = parse_scenario(doc, tax)
            problems.extend(found)
            if scenario:
                fresh.append(scenario)
        problems.extend(check_set(fresh, {**known, **{s.id: s for s in scenarios}}))
        scenarios.extend(fresh)
    hashes = store.scenario_hashes()
    rated = {r[0]: r[1] for r in store.conn.execute(
        "SELECT scenario_id, count(*) FROM responses GROUP BY scenario_id")}
    for s in scenarios:
        if s.id in hashes and rated.get(s.id) and known[s.id].content() != s.content():
            problems.append(s.problem(
                "id", f"scenario {s.id!r} changed, but {rated[s.id]} stored responses answer the old text",
                "give the changed scenario a new id, so existing ratings keep their meaning"))
    _fail(problems)
    unchanged = sum(1 for s in scenarios if s.id in known and known[s.id].content() == s.content())
    added, updated = store.upsert_scenarios(scenarios)
    return ImportResult("scenarios", added, updated, unchanged)


# -- responses ---------------------------------------------------------------------

BATCH = 5000  # rows staged per executemany


class Problems:
    """Problems found so far: the first ``limit`` kept, the rest only counted (bounded memory)."""

    def __init__(self, limit: int = 25) -> None:
        self.limit = limit
        self.kept: list[Problem] = []
        self.count = 0

    def add(self, problem: Problem) -> None:
        self.count += 1
        if len(self.kept) < self.limit:
            self.kept.append(problem)

    def __bool__(self) -> bool:
        return self.count > 0

    def raise_if_any(self) -> None:
        if self.count:
            more = [Problem(f"... and {self.count - len(self.kept)} more problems")] \
                if self.count > len(self.kept) else []
            raise RaterError([*self.kept, *more, UNCHANGED])


@contextmanager
def _staging(store: Store, name: str, columns: str) -> Iterator[str]:
    """A TEMP table for one import: a big file is checked in SQLite, not held in Python's memory.

    Staging happens outside any write lock (temp tables are the connection's
    own), so raters keep saving while a large file is read.
    """
    table = f"temp.{name}"
    # A temp file reused after a DROP journals every page it overwrites: 10x slower, and an
    # in-memory journal grows with the file. Staging tables are dropped whatever happens, so
    # they need no journal; nothing here ever rolls the temp database back.
    store.conn.execute("PRAGMA temp.journal_mode = OFF")
    store.conn.execute(f"DROP TABLE IF EXISTS {table}")
    store.conn.execute(f"CREATE TEMP TABLE {name} ({columns})")
    try:
        yield table
    finally:
        store.conn.execute(f"DROP TABLE IF EXISTS {table}")
        store.conn.execute("PRAGMA temp.journal_mode = DELETE")


def _stage(store: Store, table: str, rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert ``rows`` into a staging table in one transaction (of the temp database only)."""
    marks = ", ".join("?" * len(store.conn.execute(f"SELECT * FROM {table} LIMIT 0").description))
    own = not store.conn.in_transaction  # inside a caller's transaction, join it
    if own:
        store.conn.execute("BEGIN")
    try:
        for batch in _batched(rows):
            store.conn.executemany(f"INSERT INTO {table} VALUES ({marks})", batch)
    except BaseException:
        if own and store.conn.in_transaction:
            store.conn.execute("COMMIT")  # not ROLLBACK: without a journal it cannot; the table is dropped
        raise
    if own:
        store.conn.execute("COMMIT")


def _batched(rows: Iterable[tuple[Any, ...]], size: int = BATCH) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _sample(raw: str) -> int | None:
    """A sample number: a non-negative whole number in ASCII digits (0-based pipelines welcome)."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        return None
    return int(raw)


@_all_or_nothing
def import_responses(store: Store, path: Path, provenance: dict[str, Any] | None = None
                     ) -> ImportResult:
    """Answers to scenarios; linear in the file (rows are checked in a staging table)."""
    scenario_ids = set(store.scenario_hashes())
    problems = Problems()
    conn = store.conn

    def rows() -> Iterator[tuple[Any, ...]]:
        for line, row in read_rows(path, RESPONSE_COLUMNS):
            ids = _ids(path, line, row, ("response_id", "scenario_id", "model"), problems.add)
            if ids is None:
                continue
            rid, sid, model = ids
            text = cell_text(row.get("text"))
            ok = True
            for key, value in (("response_id", rid), ("model", model), ("text", text)):
                if not value:
                    problems.add(Problem("is empty", str(path), line, key, "every response needs it"))
                    ok = False
            if sid not in scenario_ids:
                problems.add(Problem(
                    f"scenario {sid!r} is not in the database", str(path), line, "scenario_id",
                    "import the scenario first, or check the id (`rater scenarios list --db ...`)"))
                ok = False
            sample_raw = cell_text(row.get("sample"))
            sample = _sample(sample_raw)
            if sample is None:
                problems.add(Problem(f"{sample_raw!r} is not a sample number", str(path), line,
                                     "sample", "use 0, 1, 2... (a whole number, the same numbering "
                                               "for every model)"))
                ok = False
            if ok:
                yield line, rid, sid, model, sample, text

    with _staging(store, "import_responses",
                  "line INTEGER PRIMARY KEY, id TEXT, scenario_id TEXT, model TEXT, "
                  "sample INTEGER, text TEXT") as stage:
        _stage(store, stage, rows())
        problems.raise_if_any()
        conn.execute("CREATE INDEX temp.import_responses_id ON import_responses (id, line)")
        # The first row of each id is the one that counts; a later row must repeat it exactly.
        conn.execute("CREATE TEMP TABLE import_responses_first AS SELECT * FROM import_responses "
                     "WHERE line IN (SELECT min(line) FROM import_responses GROUP BY id)")
        conn.execute("CREATE INDEX temp.import_responses_first_id ON import_responses_first (id)")
        conn.execute("CREATE INDEX temp.import_responses_first_slot ON import_responses_first "
                     "(scenario_id, model, sample, line)")
        try:
            with store.write():
                unchanged = _check_responses(store, path, stage, problems)
                problems.raise_if_any()
                stamp = now()
                prov = json.dumps(provenance or {"source": "import", "file": path.name})
                added = store.add_responses(conn.execute(
                    "SELECT f.id, f.scenario_id, f.model, f.sample, f.text, ?, ?, NULL "
                    "FROM temp.import_responses_first f WHERE NOT EXISTS "
                    "(SELECT 1 FROM main.responses r WHERE r.id = f.id) ORDER BY f.line",
                    (prov, stamp)))
        finally:
            conn.execute("DROP TABLE IF EXISTS temp.import_responses_first")
    return ImportResult("responses", added, 0, unchanged)


def _check_responses(store: Store, path: Path, stage: str, problems: Problems) -> int:
    """Cross-row checks of staged responses, in SQL; returns how many are already stored as given."""
    q = store.conn.execute
    where = str(path)
    for line, rid, first in q(
            f"SELECT s.line, s.id, f.line FROM {stage} s JOIN temp.import_responses_first f "
            "ON f.id = s.id WHERE s.line > f.line AND (s.scenario_id IS NOT f.scenario_id OR "
            "s.model IS NOT f.model OR s.sample IS NOT f.sample OR s.text IS NOT f.text) "
            "ORDER BY s.line"):
        problems.add(Problem(f"response {rid!r} appears again (first at line {first}) with "
                             "different content", where, line, "response_id",
                             "give each response its own id"))
    unchanged = 0
    for line, rid, same in q(
            "SELECT f.line, f.id, (r.scenario_id = f.scenario_id AND r.model = f.model AND "
            "r.sample = f.sample AND r.text = f.text) FROM temp.import_responses_first f "
            "JOIN main.responses r ON r.id = f.id ORDER BY f.line"):
        if same:
            unchanged += 1
        else:
            problems.add(Problem(f"response {rid!r} is already stored with different content",
                                 where, line, "response_id",
                                 "responses are permanent once stored; use a new id"))
    # A slot (scenario, model, sample) holds one answer: a stored one, else the file's first.
    for line, sid, model, sample, taken in q(
            "SELECT f.line, f.scenario_id, f.model, f.sample, coalesce(r.id, ("
            "  SELECT o.id FROM temp.import_responses_first o WHERE o.scenario_id = f.scenario_id "
            "  AND o.model = f.model AND o.sample = f.sample ORDER BY o.line LIMIT 1)) "
            "FROM temp.import_responses_first f "
            "LEFT JOIN main.responses r ON r.scenario_id = f.scenario_id AND r.model = f.model "
            "  AND r.sample = f.sample "
            "WHERE NOT EXISTS (SELECT 1 FROM main.responses x WHERE x.id = f.id) "
            "AND coalesce(r.id, (SELECT o.id FROM temp.import_responses_first o "
            "  WHERE o.scenario_id = f.scenario_id AND o.model = f.model AND o.sample = f.sample "
            "  ORDER BY o.line LIMIT 1)) IS NOT f.id ORDER BY f.line"):
        problems.add(Problem(f"{model} sample {sample} for {sid} is already response {taken!r}",
                             where, line, "sample",
                             "number each model's answers to a scenario 0, 1, 2... or 1, 2, 3..."))
    return unchanged


# -- judge scores ------------------------------------------------------------------

Group = tuple[str, str, bool | None]  # response id, judge or rater, judges visible (ratings)
Scored = dict[str, tuple[int, float | None, str]]  # axis -> (line, score, rationale)


def _read_scored(store: Store, path: Path, columns: tuple[str, ...]
                 ) -> tuple[dict[Group, Scored], list[Problem]]:
    """A ratings file's rows grouped by (response_id, rater, judges_visible): axis -> (line, score,
    rationale). The optional judges_visible column is part of the group, so a rater's blind rating
    and their revision after seeing the judges can come in one file and stay two ratings.
    (Judge scores are checked in a staging table instead: see import_judgments.)
    """
    who = "rater"
    _, rubric = store.rubric()
    response_ids = {r[0] for r in store.conn.execute("SELECT id FROM responses")}
    groups: dict[Group, Scored] = defaultdict(dict)
    problems: list[Problem] = []
    for line, row in read_rows(path, columns, ("judges_visible",)):
        ids = _ids(path, line, row, ("response_id", who, "axis"), problems.append)
        if ids is None:
            continue
        rid, name, _ = ids
        if rid not in response_ids:
            problems.append(Problem(f"response {rid!r} is not in the database", str(path), line,
                                    "response_id", "import the responses first, or check the id"))
            continue
        if not name:
            problems.append(Problem("is empty", str(path), line, who, f"name the {who}"))
            continue
        visible = _visible(row.get("judges_visible"))
        if isinstance(visible, str):
            problems.append(Problem(visible, str(path), line, "judges_visible",
                                    "write 1 if the rater saw the judges' scores, 0 if not, "
                                    "or leave it empty"))
            continue
        scored = _scored_row(path, line, row, rubric, problems)
        if scored is None:
            continue
        axis, score = scored
        rationale = cell_text(row.get("rationale"))
        key = (rid, name, visible)
        seen = groups[key].get(axis)
        if seen and seen[1:] != (score, rationale):
            problems.append(Problem(f"{who} {name!r} scored {axis} of {rid!r} differently at line "
                                    f"{seen[0]}", str(path), line, "score",
                                    "keep one row per response, rater and axis (and judges_visible)"))
        groups[key][axis] = (line, score, rationale)
    return groups, problems


@_all_or_nothing
def import_judgments(store: Store, path: Path) -> ImportResult:
    """Judge scores made elsewhere; linear in the file, memory bounded (a staging table)."""
    version, rubric = store.rubric()
    response_ids = {r[0] for r in store.conn.execute("SELECT id FROM responses")}
    problems = Problems()
    conn = store.conn
    where = str(path)

    # A file of a million rows repeats a few judges, axes and scores: each distinct good value
    # is checked once. (A stored response id is an id already; anything else takes the full path.)
    good_names: set[Any] = set()
    good_scores: dict[tuple[Any, type, Any], tuple[str, float | None]] = {}  # type: True == 1

    def rows() -> Iterator[tuple[Any, ...]]:
        for line, row in read_rows(path, JUDGMENT_COLUMNS):
            rid, judge = row.get("response_id"), row.get("judge")
            score_cell = row.get("score")
            key = (row.get("axis"), type(score_cell), score_cell)
            if rid in response_ids and judge in good_names and key in good_scores:
                axis, score = good_scores[key]
                yield line, rid, judge, axis, score, cell_text(row.get("rationale"))
                continue
            ids = _ids(path, line, row, ("response_id", "judge", "axis"), problems.add)
            if ids is None:
                continue
            rid, judge, _ = ids
            if rid not in response_ids:
                problems.add(Problem(f"response {rid!r} is not in the database", where, line,
                                     "response_id", "import the responses first, or check the id"))
                continue
            if not judge:
                problems.add(Problem("is empty", where, line, "judge", "name the judge"))
                continue
            found: list[Problem] = []
            scored = _scored_row(path, line, row, rubric, found)
            for problem in found:
                problems.add(problem)
            if scored is not None:
                if judge == row.get("judge"):
                    good_names.add(judge)
                if isinstance(key[0], str) and scored[0] == key[0] and len(good_scores) < 10_000:
                    good_scores[key] = scored
                yield line, rid, judge, scored[0], scored[1], cell_text(row.get("rationale"))

    with _staging(store, "import_scores", "line INTEGER PRIMARY KEY, response_id TEXT, judge TEXT, "
                  "axis TEXT, score REAL, rationale TEXT") as stage:
        _stage(store, stage, rows())
        problems.raise_if_any()
        conn.execute("CREATE INDEX temp.import_scores_key ON import_scores "
                     "(response_id, judge, axis, line)")
        conn.execute("CREATE TEMP TABLE import_scores_first AS SELECT * FROM import_scores "
                     "WHERE line IN (SELECT min(line) FROM import_scores GROUP BY response_id, judge, axis)")
        conn.execute("CREATE INDEX temp.import_scores_first_key ON import_scores_first "
                     "(response_id, judge, axis)")
        try:
            with store.write():
                unchanged = _check_scores(store, path, stage, version, problems)
                problems.raise_if_any()
                added = _insert_scores(store, path, version)
        finally:
            conn.execute("DROP TABLE IF EXISTS temp.import_scores_first")
    return ImportResult("judge scores", added, 0, unchanged)


def _check_scores(store: Store, path: Path, stage: str, version: int, problems: Problems) -> int:
    """Cross-row checks of staged judge scores; returns how many are already stored as given."""
    q = store.conn.execute
    where = str(path)
    for line, judge, axis, rid, first in q(
            f"SELECT s.line, s.judge, s.axis, s.response_id, f.line FROM {stage} s "
            "JOIN temp.import_scores_first f ON f.response_id = s.response_id AND f.judge = s.judge "
            "AND f.axis = s.axis WHERE s.line > f.line AND (s.score IS NOT f.score OR "
            "s.rationale IS NOT f.rationale) ORDER BY s.line"):
        problems.add(Problem(f"judge {judge!r} scored {axis} of {rid!r} differently at line {first}",
                             where, line, "score", "keep one row per response, judge and axis"))
    for line, judge, rid in q(
            "SELECT min(f.line), f.judge, f.response_id FROM temp.import_scores_first f "
            "JOIN main.judgments j ON j.response_id = f.response_id AND j.judge = f.judge "
            "AND j.rubric_version = ? AND j.status != 'ok' GROUP BY f.response_id, f.judge "
            "ORDER BY 1", (version,)):
        problems.add(Problem(
            f"judge {judge!r} has a failed judgment of {rid!r}; scores added to it would never count",
            where, line, "judge",
            "re-run it with `rater judge --retry-failed`, or import these scores under another "
            "judge name"))
    unchanged = 0
    for line, judge, axis, rid, same in q(
            "SELECT f.line, f.judge, f.axis, f.response_id, "
            "(s.score IS f.score AND s.rationale IS f.rationale) FROM temp.import_scores_first f "
            "JOIN main.judgments j ON j.response_id = f.response_id AND j.judge = f.judge "
            "AND j.rubric_version = ? AND j.status = 'ok' "
            "JOIN main.judge_scores s ON s.judgment_id = j.id AND s.axis = f.axis ORDER BY f.line",
            (version,)):
        if same:
            unchanged += 1
        else:
            problems.add(Problem(
                f"judge {judge!r} already has a different {axis} score for {rid!r}", where, line,
                "score", "stored judge scores are not overwritten; import them under another judge "
                "name"))
    return unchanged


def _insert_scores(store: Store, path: Path, version: int) -> int:
    """Write the staged scores not stored yet: a judgment per (answer, judge) where none is, then scores."""
    conn = store.conn
    prov = json.dumps({"source": "import", "file": path.name})
    store.add_judgments(conn.execute(
        "SELECT f.response_id, f.judge, ?, 'ok', NULL, NULL, ?, ?, NULL, NULL "
        "FROM temp.import_scores_first f "
        "WHERE NOT EXISTS (SELECT 1 FROM main.judgments j WHERE j.response_id = f.response_id "
        "AND j.judge = f.judge AND j.rubric_version = ?) "
        "GROUP BY f.response_id, f.judge ORDER BY min(f.line)", (version, prov, now(), version)))
    return store.add_judge_scores(conn.execute(
        "SELECT j.id, f.axis, f.score, f.rationale FROM temp.import_scores_first f "
        "JOIN main.judgments j ON j.response_id = f.response_id AND j.judge = f.judge "
        "AND j.rubric_version = ? "
        "WHERE NOT EXISTS (SELECT 1 FROM main.judge_scores s WHERE s.judgment_id = j.id "
        "AND s.axis = f.axis) ORDER BY f.line", (version,)))


# -- human ratings -----------------------------------------------------------------

def _visible(value: Any) -> bool | str | None:
    text = cell_text(value).lower()
    if text in ("", "none", "null"):
        return None
    if text in ("1", "true", "yes"):
        return True
    if text in ("0", "false", "no"):
        return False
    return f"{value!r} is not yes or no"


@_all_or_nothing
def import_ratings(store: Store, path: Path) -> ImportResult:
    version, _ = store.rubric()
    groups, problems = _read_scored(store, path, RATING_COLUMNS)
    _fail(problems)
    added = updated = unchanged = 0
    with store.write():
        for (rid, name, visible), axes in groups.items():
            rater_id = store.rater_id(name)
            old: dict[str, tuple[float | None, str]] = {}
            if rater_id is not None:
                old = {r[0]: (r[1], r[2]) for r in store.conn.execute(
                    "SELECT s.axis, s.score, s.rationale FROM ratings g JOIN rating_scores s "
                    "ON s.rating_id = g.id WHERE g.rater_id = ? AND g.response_id = ? AND "
                    "coalesce(g.judges_visible, -1) = coalesce(?, -1)",
                    (rater_id, rid, visible))}
            changed = {a: v for a, v in axes.items() if old.get(a) != v[1:]}
            unchanged += len(axes) - len(changed)
            if not changed:
                continue
            added += sum(1 for a in changed if a not in old)
            updated += sum(1 for a in changed if a in old)
            rater_id = rater_id or store.ensure_rater(name)
            store.save_rating(
                rater_id=rater_id, response_id=rid, rubric_version=version,
                judges_visible=visible, source=f"import:{path.name}",
                scores={a: AxisScore(score, rationale) for a, (_, score, rationale) in changed.items()})
    return ImportResult("ratings", added, updated, unchanged)


def import_file(store: Store, kind: str, path: Path) -> ImportResult:
    """Dispatch for `rater import KIND FILE`."""
    if kind == "scenarios":
        return import_scenarios(store, [path])
    if kind == "responses":
        return import_responses(store, path)
    if kind == "judgments":
        return import_judgments(store, path)
    if kind == "ratings":
        return import_ratings(store, path)
    raise RaterError(Problem(f"cannot import {kind!r}", fix=f"use one of {', '.join(KINDS)}"))
