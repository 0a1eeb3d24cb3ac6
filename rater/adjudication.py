"""Adjudication: a reference score per answer and axis, set by an adjudicator where clinicians disagree.

The adjudication screen lists answers worst-first: the largest spread among
the clinicians' blind scores on any axis, then the largest gap between the
clinicians' consensus and the judge panel. A nominal axis (crisis direction)
has no distance between its categories: clinicians who do not all pick the
same category, or a consensus (the mode) other than the panel's, count as far
apart as the rubric's widest scale allows, so such a split comes first. For each it shows every
clinician's scores, notes and flags and the judges' scores and reasons; the
adjudicator sets a reference per axis with a reason. References are stored
in ``adjudications`` (one row per answer, adjudicator and axis; every change
lands in ``adjudication_history`` through triggers) or imported from a file
(:func:`import_adjudications`). `rater agreement --reference adjudicated`
then measures each judge, the panel and each clinician against them
(:func:`with_references`).

No Textual here; the screen (rater.ui.screens.adjudicate) calls these.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rater.errors import Problem, RaterError
from rater.panel import Panel, aggregate, mode, panel_method, panel_scores, panel_table
from rater.phases import phase_sql
from rater.rubric import Axis
from rater.rules import DEFAULT_CONSENSUS, FLAGS
from rater.store import Store, now
from rater.tabular import cell_score, cell_text, read_rows

if TYPE_CHECKING:
    from rater.stats.tidy import TidyScores

COLUMNS = ("response_id", "adjudicator", "axis", "score", "rationale")
REFERENCE = "reference"
"""The source and rater name of reference scores in a TidyScores."""


@dataclass(frozen=True)
class ClinicianRating:
    rater: str
    phase: str                          # blind | revised | shown | unknown (rater.phases)
    scores: dict[str, float | None]
    note: str
    flags: tuple[str, ...]


@dataclass(frozen=True)
class Case:
    """One answer to adjudicate, with why it comes where it does in the list."""

    response_id: str
    rowid: int
    spread: float                        # largest max - min among clinicians on any axis (see above)
    gap: float                           # largest |consensus - panel| on any axis (see above)
    n_clinicians: int
    adjudicated: int                     # axes with a reference already
    worst_axis: str


@dataclass
class CaseDetail:
    case: Case
    text: str
    scenario_title: str
    clinicians: list[ClinicianRating]
    panel: Panel
    references: dict[str, tuple[float | None, str, str]] = field(default_factory=dict)
    """axis -> (score, rationale, adjudicator) of the newest reference."""


def _blind_scores(store: Store) -> dict[str, dict[str, dict[str, float]]]:
    """response -> axis -> rater -> score, from each clinician's blind (or unknown-phase) rating."""
    out: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for rid, rater, axis, score in store.conn.execute(
            "SELECT g.response_id, r.name, s.axis, s.score FROM ratings g JOIN raters r ON r.id = g.rater_id "
            "JOIN rating_scores s ON s.rating_id = g.id "
            "WHERE g.judges_visible IS NOT 1 AND s.score IS NOT NULL"):
        out[rid][axis][rater] = float(score)
    return out


def worklist(store: Store, *, min_clinicians: int = 2) -> list[Case]:
    """Answers rated blind by at least ``min_clinicians``, worst first (spread, then panel gap)."""
    _, rubric = store.rubric()
    scores = _blind_scores(store)
    eligible = [rid for rid, axes in scores.items()
                if len({r for raters in axes.values() for r in raters}) >= min_clinicians]
    if not eligible:
        return []
    panels = panel_table(store, eligible)
    rowids = {}
    for chunk in range(0, len(eligible), 500):
        part = eligible[chunk:chunk + 500]
        rowids.update({r[0]: int(r[1]) for r in store.conn.execute(
            f"SELECT id, rowid FROM responses WHERE id IN ({','.join('?' * len(part))})", part)})
    done: dict[str, int] = defaultdict(int)
    for rid, n in store.conn.execute("SELECT response_id, count(DISTINCT axis) FROM adjudications "
                                     "GROUP BY response_id"):
        done[rid] = int(n)
    # A nominal split is as wide as the widest ordinal scale of the rubric (see the module docstring).
    apart = float(max((a.high - a.low for a in rubric.axes if not a.nominal), default=1))
    cases = []
    for rid in eligible:
        spread, gap, worst = 0.0, 0.0, rubric.axis_ids[0]
        clinicians = {r for raters in scores[rid].values() for r in raters}
        for axis in rubric.axes:
            values = list(scores[rid].get(axis.id, {}).values())
            if len(values) >= 2:
                width = _distance(axis, min(values), max(values), apart)
                if width > spread:
                    spread, worst = width, axis.id
            panel = panels.get(rid)
            agg = panel.axes[axis.id].aggregate if panel and axis.id in panel.axes else None
            if axis.nominal:
                consensus = mode(values)[0]
            else:
                consensus = aggregate(values, DEFAULT_CONSENSUS, axis.values) if values else None
            if agg is not None and consensus is not None:
                gap = max(gap, _distance(axis, agg, consensus, apart))
        cases.append(Case(rid, rowids[rid], spread, gap, len(clinicians), done[rid], worst))
    cases.sort(key=lambda c: (-c.spread, -c.gap, c.rowid))
    return cases


def _distance(axis: Axis, a: float, b: float, apart: float) -> float:
    """How far apart two scores of ``axis`` are: points on a scale; ``apart`` or 0 for categories."""
    if axis.nominal:
        return apart if a != b else 0.0
    return abs(a - b)


def detail(store: Store, case: Case) -> CaseDetail:
    """Everything the adjudication screen shows for one answer."""
    row = store.conn.execute("SELECT r.text, s.title FROM responses r JOIN scenarios s "
                             "ON s.id = r.scenario_id WHERE r.id = ?", (case.response_id,)).fetchone()
    clinicians = []
    for rating_id, name, phase, note, flags in store.conn.execute(
            f"SELECT g.id, r.name, {phase_sql('g')}, g.note, g.flags FROM ratings g "
            f"JOIN raters r ON r.id = g.rater_id WHERE g.response_id = ? ORDER BY r.name, g.judges_visible",
            (case.response_id,)):
        scores = {a: s for a, s in store.conn.execute(
            "SELECT axis, score FROM rating_scores WHERE rating_id = ?", (rating_id,))}
        tags = tuple(f for f in json.loads(flags or "[]") if f in FLAGS)
        clinicians.append(ClinicianRating(name, phase, scores, note or "", tags))
    panels = panel_table(store, [case.response_id], method=panel_method(store))
    panel = panels.get(case.response_id) or panel_scores(store, case.response_id)
    return CaseDetail(case, row[0], row[1], clinicians, panel,
                      references(store, case.response_id).get(case.response_id, {}))


def references(store: Store, response_id: str | None = None
               ) -> dict[str, dict[str, tuple[float | None, str, str]]]:
    """response -> axis -> (score, rationale, adjudicator): the newest reference of each answer and axis
    (of one answer, ``response_id``, when given: the screen opens one case at a time)."""
    out: dict[str, dict[str, tuple[float | None, str, str]]] = defaultdict(dict)
    where, args = ("WHERE a.response_id = ? ", (response_id,)) if response_id is not None else ("", ())
    for rid, axis, score, rationale, name in store.conn.execute(
            "SELECT a.response_id, a.axis, a.score, a.rationale, r.name FROM adjudications a "
            f"JOIN raters r ON r.id = a.adjudicator_id {where}ORDER BY a.updated_at, a.id", args):
        out[rid][axis] = (score, rationale, name)
    return dict(out)


def save(store: Store, *, response_id: str, adjudicator: str, axis: str, score: float | None,
         rationale: str, source: str = "app") -> None:
    """Set (or change) an adjudicator's reference for one answer and axis; the reason is required."""
    _, rubric = store.rubric()
    if not rubric.has_axis(axis):
        raise RaterError(Problem(f"axis {axis!r} is not in the rubric", field="axis",
                                 fix=f"use {', '.join(rubric.axis_ids)}"))
    problem = rubric.axis(axis).score_problem(score)
    if problem:
        raise RaterError(Problem(problem, field="score"))
    if not rationale.strip():
        raise RaterError(Problem("a reference needs a reason", field="rationale",
                                 fix="say why this is the right score"))
    stamp = now()
    with store.write():
        who = store.ensure_rater(adjudicator)
        store.conn.execute(
            "INSERT INTO adjudications (response_id, adjudicator_id, axis, score, rationale, source, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (response_id, adjudicator_id, axis) DO UPDATE SET score = excluded.score, "
            "rationale = excluded.rationale, source = excluded.source, updated_at = excluded.updated_at "
            "WHERE score IS NOT excluded.score OR rationale IS NOT excluded.rationale",
            (response_id, who, axis, score, rationale.strip(), source, stamp, stamp))


def history(store: Store, response_id: str) -> list[dict[str, Any]]:
    """Every change to the references of one answer, oldest first."""
    return [dict(r) for r in store.conn.execute(
        "SELECT h.changed_at, r.name AS adjudicator, a.axis, h.via, h.old_score, h.new_score, "
        "h.old_rationale, h.new_rationale FROM adjudication_history h JOIN adjudications a "
        "ON a.id = h.adjudication_id JOIN raters r ON r.id = a.adjudicator_id "
        "WHERE a.response_id = ? ORDER BY h.id", (response_id,))]


def import_adjudications(store: Store, path: Path) -> str:
    """Import references made elsewhere: CSV or JSONL with response_id, adjudicator, axis, score,
    rationale. The whole file is checked first; one bad row rejects it, naming the line."""
    _, rubric = store.rubric()
    known = {r[0] for r in store.conn.execute("SELECT id FROM responses")}
    problems: list[Problem] = []
    rows: list[tuple[str, str, str, float | None, str]] = []
    seen: dict[tuple[str, str, str], int] = {}
    file = str(path)
    for line, row in read_rows(path, COLUMNS):
        rid, who, axis = (cell_text(row.get(k)) for k in ("response_id", "adjudicator", "axis"))
        rationale = cell_text(row.get("rationale"))
        if rid not in known:
            problems.append(Problem(f"response {rid!r} is not in the database", file, line, "response_id",
                                    "import the responses first, or check the id"))
            continue
        if not who:
            problems.append(Problem("is empty", file, line, "adjudicator", "name the adjudicator"))
            continue
        if not rubric.has_axis(axis):
            problems.append(Problem(f"axis {axis!r} is not in the rubric", file, line, "axis",
                                    f"use {', '.join(rubric.axis_ids)}"))
            continue
        score = cell_score(row.get("score"))
        if isinstance(score, str):
            problems.append(Problem(score, file, line, "score", "write a number, or leave it empty for N/A"))
            continue
        problem = rubric.axis(axis).score_problem(score)
        if problem:
            problems.append(Problem(problem, file, line, "score", "use a point of the axis's scale"))
            continue
        if not rationale:
            problems.append(Problem("is empty", file, line, "rationale", "say why this is the reference"))
            continue
        key = (rid, who, axis)
        if key in seen:
            problems.append(Problem(f"{who!r} already set {axis} of {rid!r} at line {seen[key]}", file, line,
                                    "axis", "keep one row per response, adjudicator and axis"))
            continue
        seen[key] = line
        rows.append((rid, who, axis, score, rationale))
    if not rows and not problems:
        problems.append(Problem("holds no adjudications", file, fix="add rows: " + ", ".join(COLUMNS)))
    if problems:
        raise RaterError.capped(problems)
    before = store.conn.execute("SELECT count(*) FROM adjudication_history").fetchone()[0]
    with store.write():
        for rid, who, axis, score, rationale in rows:
            save(store, response_id=rid, adjudicator=who, axis=axis, score=score, rationale=rationale,
                 source=f"import:{path.name}")
    changed = store.conn.execute("SELECT count(*) FROM adjudication_history").fetchone()[0] - before
    return f"adjudications: {len(rows)} read, {changed} added or changed, {len(rows) - changed} unchanged"


def with_references(tidy: TidyScores, store: Store) -> TidyScores:
    """The same scores plus every reference as source ``reference`` (see rater.stats.agreement)."""
    import numpy as np
    import pandas as pd

    refs = references(store)
    rows = [(rid, REFERENCE, REFERENCE, axis, np.nan if v[0] is None else float(v[0]))
            for rid, axes in refs.items() for axis, v in axes.items()]
    if not rows:
        raise RaterError(Problem("holds no adjudicated references", store.path, field="reference",
                                 fix="set references with `rater adjudicate` or "
                                     "`rater import adjudications`"))
    extra = pd.DataFrame.from_records(rows, columns=["response_id", "source", "rater", "axis", "score"])
    frame = pd.concat([tidy.scores.astype({c: object for c in ("source", "rater", "axis")}), extra],
                      ignore_index=True)
    for column in ("source", "rater", "axis"):
        frame[column] = frame[column].astype("category")
    axes = {a.id for a in tidy.axes}
    frame = frame[frame["axis"].isin(axes)].reset_index(drop=True)
    out = tidy.with_scores(frame)
    out.notes.append(f"reference: {len(refs):,} adjudicated answer(s)")
    return out
