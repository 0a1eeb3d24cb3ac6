"""Tidy scores for agreement and calibration: one row per response, rater (or judge), axis.

Two sources give the same shape:

- a rater database (:func:`from_store`): human ratings and the judges' scores;
- a tidy file (:func:`from_file`, CSV or JSONL) with the columns
  ``response_id, source, rater, axis, score``, so ratings made with another
  tool can be analysed. ``source`` is ``human`` or ``judge`` (empty: human);
  an empty score is missing. Optional columns ``model, modality, severity,
  demographic_group, risk_level`` feed ``--by`` breakdowns.

Which human rating is used (``phase``). The rating app keeps a rater's blind
rating (made before the judges' scores were shown) and, when they changed
their mind after the reveal, the revision, as two ratings. Imported ratings
whose phase is unknown count as blind.

- ``blind`` (the default): the blind rating. Revisions are left out, because a
  rater who has seen the judges' scores is no longer independent of them
  and would inflate human-judge agreement.
- ``final``: the revision where there is one, else the blind rating.

The choice is made per rater, response and axis, and a rating's score is its
current value (edits are in the rating history). Judges: the successful
judgment under the newest rubric version each judge used for a response.
"Not applicable" is missing here: it is not a point on the scale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from rater.errors import Problem, RaterError
from rater.phases import left_out
from rater.rubric import load_rubric
from rater.rules import ANALYSIS_PHASES as PHASES
from rater.rules import BREAKDOWNS
from rater.tabular import cell_score, cell_text, read_rows

if TYPE_CHECKING:
    import pandas as pd

    from rater.store import Store

SOURCES = ("human", "judge")
SCORE_COLUMNS = ("response_id", "source", "rater", "axis", "score")

_PHASE_SQL = {
    # (filter, preference: lower wins) on ratings.judges_visible
    "blind": ("g.judges_visible IS NOT 1", "CASE g.judges_visible WHEN 0 THEN 0 ELSE 1 END"),
    "final": ("1", "CASE g.judges_visible WHEN 1 THEN 0 WHEN 0 THEN 1 ELSE 2 END"),
}


@dataclass(frozen=True)
class AxisInfo:
    """An axis as agreement needs it: its level and, when a rubric says so, its scale."""

    id: str
    level: str = "ordinal"
    values: tuple[float, ...] | None = None  # None: the values observed
    name: str = ""
    categories: tuple[str, ...] = ()  # a nominal axis's category names, coded 1..k


@dataclass
class TidyScores:
    """Scores in long form, plus what is known about each response for breakdowns.

    ``scores`` has columns ``response_id, source, rater, axis, score`` (score
    a float, ``nan`` for missing). ``units`` is indexed by response id and
    holds whichever of :data:`BREAKDOWNS` are known.
    """

    scores: pd.DataFrame
    units: pd.DataFrame
    axes: list[AxisInfo]
    origin: str
    phase: str | None = None
    notes: list[str] = field(default_factory=list)

    def raters(self, source: str) -> list[str]:
        return sorted(self.scores.loc[self.scores["source"] == source, "rater"].unique())

    def with_scores(self, scores: pd.DataFrame) -> TidyScores:
        return TidyScores(scores, self.units, self.axes, self.origin, self.phase, list(self.notes))


@dataclass(frozen=True)
class AxisData:
    """One axis as matrices over the same units (columns): humans x units, judges x units.

    ``human_rated`` and ``judged`` mark the answers some human (judge) rated
    on any axis, "not applicable" included: the answers a comparison is about,
    so those with fewer than two values on this axis can be counted as left out.
    """

    axis: AxisInfo
    units: npt.NDArray[Any]
    humans: list[str]
    human: npt.NDArray[np.float64]
    judges: list[str]
    judge: npt.NDArray[np.float64]
    human_rated: npt.NDArray[np.bool_]
    judged: npt.NDArray[np.bool_]
    reference: npt.NDArray[np.float64] | None = None
    """Adjudicated reference scores per unit (nan: none), when the scores carry a ``reference`` source
    (rater.adjudication.with_references); None otherwise."""

    @property
    def domain(self) -> npt.NDArray[np.float64]:
        """The axis's scale, or the sorted values seen on it."""
        if self.axis.values is not None:
            return np.asarray(self.axis.values, dtype=np.float64)
        seen = np.concatenate([self.human.ravel(), self.judge.ravel()])
        return np.unique(seen[~np.isnan(seen)])


def axis_data(tidy: TidyScores) -> dict[str, AxisData]:
    """Every axis as matrices; units (sorted response ids) are shared across axes."""
    import pandas as pd

    frame = tidy.scores
    unit_code, units = pd.factorize(frame["response_id"].astype(object), sort=True)
    units = np.asarray(units, dtype=object)
    axis_code, axis_names = pd.factorize(frame["axis"].astype(object))
    source = frame["source"].astype(object).to_numpy()
    rater = frame["rater"].astype(object).to_numpy()
    score = frame["score"].to_numpy(np.float64)
    present = ~np.isnan(score)
    by_axis = {name: axis_code == i for i, name in enumerate(axis_names)}
    by_source = {name: source == name for name in SOURCES}
    has_reference = bool((source == "reference").any())
    rated = {name: np.zeros(units.size, dtype=bool) for name in SOURCES}
    for name in SOURCES:
        rated[name][unit_code[by_source[name]]] = True
    out: dict[str, AxisData] = {}
    for info in tidy.axes:
        on_axis = by_axis.get(info.id, np.zeros(len(frame), dtype=bool)) & present
        blocks: dict[str, tuple[list[str], npt.NDArray[np.float64]]] = {}
        for name in SOURCES:
            rows = np.flatnonzero(on_axis & by_source[name])
            codes, raters = pd.factorize(rater[rows], sort=True)
            matrix = np.full((len(raters), units.size), np.nan)
            matrix[codes, unit_code[rows]] = score[rows]
            blocks[name] = ([str(r) for r in raters], matrix)
        reference = None
        if has_reference:
            rows = np.flatnonzero(on_axis & (source == "reference"))
            reference = np.full(units.size, np.nan)
            reference[unit_code[rows]] = score[rows]
        out[info.id] = AxisData(info, units, *blocks["human"], *blocks["judge"], rated["human"],
                                rated["judge"], reference)
    return out


# -- from a database -------------------------------------------------------------


def from_store(store: Store, phase: str = "blind") -> TidyScores:
    """Human ratings (see the module docstring for ``phase``) and judge scores of a database."""
    import pandas as pd

    if phase not in PHASES:
        raise RaterError(Problem(f"unknown phase {phase!r}", field="phase",
                                 fix=f"use {' or '.join(PHASES)}"))
    _, rubric = store.rubric()
    where, prefer = _PHASE_SQL[phase]
    names = dict(_rows(store, "SELECT id, name FROM raters"))
    # Preference columns are fetched only when some key has several rows: the common case
    # (one rating per rater and answer, one judgment per judge and answer) skips them.
    repeated = _rows(store, f"SELECT EXISTS (SELECT 1 FROM ratings g WHERE {where} "
                            "GROUP BY g.rater_id, g.response_id HAVING count(*) > 1)")[0][0]
    humans = _latest(_rows(store, f"""
        SELECT g.response_id, g.rater_id, s.axis, s.score
               {f', {prefer}, g.updated_at, g.id' if repeated else ''}
        FROM ratings g JOIN rating_scores s ON s.rating_id = g.id WHERE {where}"""),
        descending=(False, True, True) if repeated else ())
    repeated = _rows(store, "SELECT EXISTS (SELECT 1 FROM judgments WHERE status = 'ok' "
                            "GROUP BY response_id, judge HAVING count(*) > 1)")[0][0]
    judges = _latest(_rows(store, f"""
        SELECT j.response_id, j.judge, s.axis, s.score {', j.rubric_version, j.id' if repeated else ''}
        FROM judgments j JOIN judge_scores s ON s.judgment_id = j.id WHERE j.status = 'ok'"""),
        descending=(True, True) if repeated else ())
    humans["rater"] = humans["rater"].map(names)
    scores = pd.concat([humans.assign(source="human"), judges.assign(source="judge")],
                       ignore_index=True)[list(SCORE_COLUMNS)]
    for column in ("source", "rater", "axis"):
        scores[column] = scores[column].astype("category")
    scores["score"] = pd.to_numeric(scores["score"], errors="coerce").astype(np.float64)
    axes = [AxisInfo(a.id, a.level, tuple(float(v) for v in a.values), a.name, a.categories)
            for a in rubric.axes]
    tidy = TidyScores(scores, _store_units(store), axes, store.path, phase, left_out(store, phase))
    stray = sorted(set(scores["axis"].unique()) - {a.id for a in axes})
    if stray:
        tidy.notes.append(f"left out scores on axes not in the current rubric: {', '.join(stray)}")
        kept = scores[scores["axis"].isin([a.id for a in axes])].reset_index(drop=True)
        kept["axis"] = kept["axis"].cat.remove_unused_categories()
        tidy.scores = kept
    _check_scales(tidy)
    return tidy


def _rows(store: Store, sql: str) -> list[tuple[Any, ...]]:
    cursor = store.conn.cursor()
    cursor.row_factory = None  # plain tuples: sqlite3.Row costs seconds at this size
    return cursor.execute(sql).fetchall()


def _latest(rows: list[tuple[Any, ...]], descending: tuple[bool, ...]) -> pd.DataFrame:
    """(response_id, rater, axis, score, *preference) rows -> the preferred row per response, rater, axis.

    Preference columns sort ascending unless ``descending`` says otherwise;
    the first row of each key wins. Without preference columns the rows are
    taken to be one per key already.
    """
    import pandas as pd

    prefs = [f"p{i}" for i in range(len(descending))]
    frame = pd.DataFrame.from_records(rows, columns=["response_id", "rater", "axis", "score", *prefs])
    key = ["response_id", "rater", "axis"]
    if prefs:
        frame = frame.sort_values(prefs, ascending=[not d for d in descending], kind="stable")
        frame = frame.drop_duplicates(key, keep="first")
    return frame[[*key, "score"]]


def _store_units(store: Store) -> pd.DataFrame:
    """Each stored response's model and scenario fields, indexed by response id."""
    import pandas as pd

    rows = _rows(store, """
        SELECT r.id AS response_id, r.model, s.modality, s.severity, s.demographic_group, s.risk_level
        FROM responses r JOIN scenarios s ON s.id = r.scenario_id""")
    return pd.DataFrame.from_records(rows, columns=["response_id", *BREAKDOWNS]).set_index("response_id")


def _check_scales(tidy: TidyScores) -> None:
    """Every score on its axis's scale, or a RaterError saying where one is not."""
    problems = []
    for info in tidy.axes:
        if info.values is None:
            continue
        rows = tidy.scores[(tidy.scores["axis"] == info.id) & tidy.scores["score"].notna()]
        bad = rows[~rows["score"].isin(info.values)]
        if len(bad):
            first = bad.iloc[0]
            problems.append(Problem(
                f"{len(bad)} score(s) off the {info.values[0]:g}-{info.values[-1]:g} scale, e.g. "
                f"{first['score']:g} by {first['source']} {first['rater']!r} on {first['response_id']!r}",
                tidy.origin, field=info.id,
                fix="scores must be points of the axis's scale in the rubric"))
    if problems:
        raise RaterError(problems)


# -- from a file -------------------------------------------------------------------


def from_file(path: Path, store: Store | None = None) -> TidyScores:
    """Read a tidy scores file; with ``store``, check it against that database's rubric and answers.

    Without a store, axes are taken from the file (ordinal unless overridden)
    and their values are those observed. The whole file is checked and every
    problem named with its line (up to 25).
    """
    import pandas as pd

    rubric = store.rubric()[1] if store is not None else None
    # Without a database, a nominal axis of the bundled rubric (crisis direction) keeps its level and
    # categories: analysed as ordinal, a category code would be taken for a score.
    nominal = {a.id: a for a in (rubric or load_rubric()).axes if a.nominal}
    known_responses = ({r[0] for r in store.conn.execute("SELECT id FROM responses")}
                       if store is not None else None)
    problems: list[Problem] = []
    records: list[tuple[str, str, str, str, float]] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    unit_fields: dict[str, dict[str, Any]] = {}
    unit_line: dict[str, int] = {}
    file = str(path)
    for line, row in read_rows(path, ("response_id", "rater", "axis", "score"),
                               ("source", *BREAKDOWNS)):
        def bad(message: str, column: str, fix: str, line: int = line) -> None:
            problems.append(Problem(message, file, line, column, fix))

        rid, rater, axis = (cell_text(row.get(k)) for k in ("response_id", "rater", "axis"))
        source = cell_text(row.get("source")).lower() or "human"
        for column, value in (("response_id", rid), ("rater", rater), ("axis", axis)):
            if not value:
                bad("is empty", column, f"every row needs a {column}")
        if source not in SOURCES:
            bad(f"{source!r} is not a source", "source", "write human or judge (empty means human)")
        if known_responses is not None and rid and rid not in known_responses:
            bad(f"response {rid!r} is not in the database", "response_id",
                "check the id, or leave out --db to analyse the file on its own")
        score = cell_score(row.get("score"))
        if (isinstance(score, str) and axis in nominal
                and (code := nominal[axis].code(cell_text(row.get("score"))))):
            score = float(code)  # a nominal axis's category, by name
        if isinstance(score, str):
            bad(score, "score", "write a number, or leave it empty for missing")
            score = None
        if rubric is not None and axis:
            if not rubric.has_axis(axis):
                bad(f"axis {axis!r} is not in the rubric", "axis", f"use {', '.join(rubric.axis_ids)}")
            elif score is not None and (problem := rubric.axis(axis).score_problem(score)):
                bad(problem, "score", "use a point of the axis's scale")
        key = (rid, source, rater, axis)
        if key in seen:
            bad(f"{source} {rater!r} already scored {axis} of {rid!r} at line {seen[key]}",
                "rater", "keep one row per response, rater and axis")
        seen[key] = line
        fields = {k: cell_text(row.get(k)) or None for k in BREAKDOWNS if k in row}
        if rid in unit_fields and any(unit_fields[rid].get(k, v) != v for k, v in fields.items()):
            bad(f"response {rid!r} has other {', '.join(fields)} values at line {unit_line[rid]}",
                "response_id", "give each response the same model and scenario fields on every row")
        unit_fields.setdefault(rid, {}).update(fields)
        unit_line.setdefault(rid, line)
        records.append((rid, source, rater, axis, np.nan if score is None else score))
    if not records and not problems:
        problems.append(Problem("holds no scores", file, fix="add rows: " + ", ".join(SCORE_COLUMNS)))
    if problems:
        raise RaterError.capped(problems)
    scores = pd.DataFrame.from_records(records, columns=list(SCORE_COLUMNS))
    scores["score"] = scores["score"].astype(np.float64)
    if rubric is not None and store is not None:
        axes = [AxisInfo(a.id, a.level, tuple(float(v) for v in a.values), a.name, a.categories)
                for a in rubric.axes if a.id in set(scores["axis"])]
        units = _store_units(store)
        file_units = pd.DataFrame.from_dict(unit_fields, orient="index")
        units = file_units.combine_first(units) if len(file_units.columns) else units
    else:
        axes = [AxisInfo(a, "nominal", tuple(float(v) for v in nominal[a].values), nominal[a].name,
                         nominal[a].categories) if a in nominal else AxisInfo(a)
                for a in sorted(scores["axis"].unique())]
        units = pd.DataFrame.from_dict(unit_fields, orient="index")
    return TidyScores(scores, units, axes, file)
