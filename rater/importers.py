"""Importing scenarios, responses, judge scores and human ratings made elsewhere.

Every importer reads and checks the whole file before it writes anything,
then writes in one transaction: one bad row rejects the file with a message
naming the line, and the database is exactly as it was. Re-importing the
same file changes nothing.

Formats (CSV with a header row, or JSONL with one object a line):

- responses:  response_id, scenario_id, model, sample, text
- judgments:  response_id, judge, axis, score, rationale
- ratings:    response_id, rater, axis, score, rationale  (optional: judges_visible)

An empty score means not applicable, which the rubric must allow for that axis.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec

from rater.errors import Problem, RaterError
from rater.rubric import Rubric
from rater.scenarios import OPTIONAL, REQUIRED, check_set, load_scenarios, parse_scenario
from rater.store import AxisScore, Store, now
from rater.tabular import cell_score, cell_text, read_rows
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
            raise RaterError.capped(exc.problems, UNCHANGED) from None

    return run


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
        for line, row in read_rows(path, ("id",), REQUIRED + OPTIONAL):
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

@_all_or_nothing
def import_responses(store: Store, path: Path, provenance: dict[str, Any] | None = None
                     ) -> ImportResult:
    scenario_ids = set(store.scenario_hashes())
    existing = {r["id"]: r for r in store.conn.execute(
        "SELECT id, scenario_id, model, sample, text FROM responses")}
    slots = {(r["scenario_id"], r["model"], r["sample"]): r["id"] for r in existing.values()}
    problems: list[Problem] = []
    fresh: dict[str, tuple[int, tuple[str, str, int, str]]] = {}
    unchanged = 0
    for line, row in read_rows(path, RESPONSE_COLUMNS):

        def bad(message: str, field: str, fix: str, line: int = line) -> None:
            problems.append(Problem(message, str(path), line, field, fix))

        rid, sid, model, text = (cell_text(row.get(k)) for k in ("response_id", "scenario_id",
                                                              "model", "text"))
        for key, value in (("response_id", rid), ("model", model), ("text", text)):
            if not value:
                bad("is empty", key, "every response needs it")
        if sid not in scenario_ids:
            bad(f"scenario {sid!r} is not in the database", "scenario_id",
                "import the scenario first, or check the id (`rater scenarios list --db ...`)")
        sample_raw = cell_text(row.get("sample"))
        if not sample_raw.isdigit() or int(sample_raw) < 1:
            bad(f"{sample_raw!r} is not a sample number", "sample",
                "use 1, 2, 3... (1 for a single answer)")
            continue
        record = (sid, model, int(sample_raw), text)
        if rid in fresh:
            if fresh[rid][1] != record:
                bad(f"response {rid!r} appears again (first at line {fresh[rid][0]}) with "
                    "different content", "response_id", "give each response its own id")
            continue
        old = existing.get(rid)
        if old is not None:
            if (old["scenario_id"], old["model"], old["sample"], old["text"]) != record:
                bad(f"response {rid!r} is already stored with different content", "response_id",
                    "responses are permanent once stored; use a new id")
            else:
                unchanged += 1
            fresh[rid] = (line, record)
            continue
        taken = slots.get(record[:3]) or next(
            (r for r, (_, rec) in fresh.items() if rec[:3] == record[:3]), None)
        if taken and taken != rid:
            bad(f"{model} sample {record[2]} for {sid} is already response {taken!r}", "sample",
                "number each model's answers to a scenario 1, 2, 3...")
        fresh[rid] = (line, record)
    _fail(problems)
    stamp = now()
    prov = json.dumps(provenance or {"source": "import", "file": path.name})
    new_rows = [(rid, *rec, prov, stamp) for rid, (_, rec) in fresh.items() if rid not in existing]
    with store.write():
        store.conn.executemany(
            "INSERT INTO responses (id, scenario_id, model, sample, text, provenance, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", new_rows)
    return ImportResult("responses", len(new_rows), 0, unchanged)


# -- judge scores ------------------------------------------------------------------

Group = tuple[str, str, bool | None]  # response id, judge or rater, judges visible (ratings)
Scored = dict[str, tuple[int, float | None, str]]  # axis -> (line, score, rationale)


def _read_scored(store: Store, path: Path, who: str, columns: tuple[str, ...],
                 phased: bool = False) -> tuple[dict[Group, Scored], list[Problem]]:
    """Rows grouped by (response_id, judge or rater, judges_visible): axis -> (line, score, rationale).

    With ``phased``, each row's optional judges_visible column is part of its
    group, so a rater's blind rating and their revision after seeing the
    judges can come in one file and stay two ratings.
    """
    _, rubric = store.rubric()
    response_ids = {r[0] for r in store.conn.execute("SELECT id FROM responses")}
    groups: dict[Group, Scored] = defaultdict(dict)
    problems: list[Problem] = []
    for line, row in read_rows(path, columns, ("judges_visible",) if phased else ()):
        rid, name = cell_text(row.get("response_id")), cell_text(row.get(who))
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
                                    "keep one row per response, " + who + " and axis"
                                    + (" (and judges_visible)" if phased else "")))
        groups[key][axis] = (line, score, rationale)
    return groups, problems


@_all_or_nothing
def import_judgments(store: Store, path: Path) -> ImportResult:
    version, _ = store.rubric()
    groups, problems = _read_scored(store, path, "judge", JUDGMENT_COLUMNS)
    stored: dict[tuple[str, str], tuple[int, dict[str, tuple[float | None, str]]]] = {}
    failed: set[tuple[str, str]] = set()
    for row in store.conn.execute(
            "SELECT j.id, j.response_id, j.judge, j.status, s.axis, s.score, s.rationale FROM judgments j "
            "LEFT JOIN judge_scores s ON s.judgment_id = j.id WHERE j.rubric_version = ?",
            (version,)):
        if row[3] != "ok":
            failed.add((row[1], row[2]))
            continue
        entry = stored.setdefault((row[1], row[2]), (row[0], {}))
        if row[4] is not None:
            entry[1][row[4]] = (row[5], row[6])
    added = unchanged = 0
    todo: list[tuple[tuple[str, str], Scored]] = []
    for (rid, judge, _), axes in groups.items():
        key = (rid, judge)
        if key in failed:
            problems.append(Problem(
                f"judge {judge!r} has a failed judgment of {rid!r}; scores added to it would never count",
                str(path), min(v[0] for v in axes.values()), "judge",
                "re-run it with `rater judge --retry-failed`, or import these scores under another "
                "judge name"))
            continue
        old = stored.get(key, (0, {}))[1]
        for axis, (line, score, rationale) in axes.items():
            if axis in old and old[axis] != (score, rationale):
                problems.append(Problem(
                    f"judge {key[1]!r} already has a different {axis} score for {key[0]!r}",
                    str(path), line, "score",
                    "stored judge scores are not overwritten; import them under another judge "
                    "name"))
        new = {a: v for a, v in axes.items() if a not in old}
        unchanged += len(axes) - len(new)
        if new:
            todo.append((key, new))
    _fail(problems)
    stamp = now()
    prov = json.dumps({"source": "import", "file": path.name})
    with store.write():
        for (rid, judge), axes in todo:
            judgment_id = stored.get((rid, judge), (0, {}))[0]
            if not judgment_id:
                judgment_id = int(store.conn.execute(
                    "INSERT INTO judgments (response_id, judge, rubric_version, status, provenance,"
                    " created_at) VALUES (?, ?, ?, 'ok', ?, ?)",
                    (rid, judge, version, prov, stamp)).lastrowid or 0)
            store.conn.executemany(
                "INSERT INTO judge_scores (judgment_id, axis, score, rationale) VALUES (?, ?, ?, ?)",
                [(judgment_id, axis, score, rationale) for axis, (_, score, rationale) in axes.items()])
            added += len(axes)
    return ImportResult("judge scores", added, 0, unchanged)


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
    groups, problems = _read_scored(store, path, "rater", RATING_COLUMNS, phased=True)
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
