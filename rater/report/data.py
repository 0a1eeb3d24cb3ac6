"""What the report reads from a database: one row per answer, and per axis the panel's and clinicians' scores.

Everything is aligned on one answer order (``StudyData.ids``) so the
estimators are plain numpy over arrays. Scores:

- the panel: each judge's score (calibrated by the newest stored calibration
  where it has a map for that judge and axis), combined per answer by the
  panel file's aggregate (:func:`rater.panel.panel_method`), the rule the
  rating app and `rater agreement` use;
- the clinicians: the consensus of the blind ratings (lower median), as in
  `rater agreement`.

Data other branches add is read when present and skipped when absent:
scenario ``family`` and ``trap`` columns, the judges' failure modes
(``judgment_failure_modes``), and the study's inclusion weights
(``rater.study.inclusion_weights``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from rater.stats.agreement import combine

if TYPE_CHECKING:
    import pandas as pd

    from rater.rubric import Rubric
    from rater.stats.tidy import TidyScores
    from rater.store import Store

FloatArray = npt.NDArray[np.float64]
RISK_ORDER = ("none", "low", "moderate", "high", "imminent")
TRAP = "none (trap)"
DIRECTION_AXIS = "crisis_direction"
DIRECTIONS = ("appropriate", "over_reaction", "under_reaction")
# Where the rubric has no crisis-direction axis, the judges' (and clinicians') tags say it.
OVER_MODES = ("crisis_resources_in_exercise",)
UNDER_MODES = ("missed_risk",)


@dataclass(frozen=True)
class AxisSpec:
    id: str
    name: str
    level: str
    values: tuple[float, ...]
    labels: dict[float, str] = field(default_factory=dict)  # nominal axes: code -> category


@dataclass
class StudyData:
    """The answers (``answers``, indexed like ``ids``) and their scores, per axis, as arrays."""

    ids: npt.NDArray[Any]
    answers: pd.DataFrame
    axes: list[AxisSpec]
    panel: dict[str, FloatArray]                 # axis -> panel aggregate per answer (nan: none)
    human: dict[str, FloatArray]                 # axis -> clinicians' consensus (nan: not rated)
    weights: FloatArray | None                   # 1 / inclusion probability per answer (None: equal)
    tidy: TidyScores
    calibration: dict[str, Any] | None
    panel_method: str
    judge_modes: dict[str, FloatArray] = field(default_factory=dict)   # mode -> 0/1/nan per answer
    human_modes: dict[str, FloatArray] = field(default_factory=dict)   # mode -> 0/1/nan per answer
    notes: list[str] = field(default_factory=list)
    study: dict[str, Any] | None = None

    @property
    def models(self) -> list[str]:
        return sorted(self.answers["model"].unique())


def axis_specs(rubric: Rubric) -> list[AxisSpec]:
    out = []
    for a in rubric.axes:
        labels: dict[float, str] = {}
        if a.level == "nominal":
            for v in a.values:
                label = getattr(a, "label", None)
                name = label(v) if callable(label) else None
                if not name and a.id == DIRECTION_AXIS and 1 <= v <= len(DIRECTIONS):
                    name = DIRECTIONS[int(v) - 1]
                labels[float(v)] = str(name or v)
        out.append(AxisSpec(a.id, a.name, a.level, tuple(float(v) for v in a.values), labels))
    return out


def load(store: Store, models: tuple[str, ...] = ()) -> StudyData:
    """Every answer (of ``models``, default all) with its scenario fields and scores."""
    import pandas as pd

    from rater.panel import panel_method
    from rater.rules import DEFAULT_CONSENSUS
    from rater.stats import calibration as cal
    from rater.stats.tidy import axis_data, from_store

    _, rubric = store.rubric()
    axes = axis_specs(rubric)
    answers = _answers(store)
    notes: list[str] = []
    if models:
        unknown = sorted(set(models) - set(answers["model"]))
        if unknown:
            from rater.errors import Problem, RaterError

            raise RaterError(Problem(f"no answers from model(s) {', '.join(unknown)}", store.path,
                                     field="models",
                                     fix=f"use one of {', '.join(sorted(set(answers['model'])))}"))
        answers = answers[answers["model"].isin(models)]
    ids = answers.index.to_numpy(dtype=object)
    position = pd.Series(np.arange(ids.size), index=ids)
    tidy = from_store(store, "blind")
    latest = cal.latest(store)
    if latest is not None:
        tidy = _calibrated(tidy, latest, {a.id for a in axes if a.level != "nominal"})
    method = panel_method(store)
    panel: dict[str, FloatArray] = {}
    human: dict[str, FloatArray] = {}
    data = axis_data(tidy) if len(tidy.scores) else {}
    for spec in axes:
        panel[spec.id] = np.full(ids.size, np.nan)
        human[spec.id] = np.full(ids.size, np.nan)
        d = data.get(spec.id)
        if d is None:
            continue
        cols = position.reindex(d.units).to_numpy()
        keep = ~np.isnan(cols)
        cols = cols[keep].astype(np.intp)
        domain = np.asarray(spec.values)
        judge, humans = d.judge[:, keep], d.human[:, keep]
        # A nominal axis (crisis direction): the most frequent category, a tie to the gravest.
        judge_how, human_how = ("mode", "mode") if spec.level == "nominal" else (method, DEFAULT_CONSENSUS)
        if judge.shape[0]:
            panel[spec.id][cols] = combine(judge, domain, judge_how)
        if humans.shape[0]:
            human[spec.id][cols] = combine(humans, domain, human_how)
    weights, study = _weights(store, ids)
    out = StudyData(ids, answers, axes, panel, human, weights, tidy, latest,
                    method, notes=notes, study=study)
    out.judge_modes = _judge_modes(store, position)
    out.human_modes = _human_modes(store, position)
    return out


def _calibrated(tidy: TidyScores, latest: dict[str, Any], axes: set[str]) -> TidyScores:
    """The scores with every judge map of the stored calibration applied (nominal axes left raw)."""
    from rater.stats.calibration import Calibration, Fit

    maps: dict[str, dict[str, Fit]] = {}
    for judge, per_axis in (latest.get("maps") or {}).items():
        for axis, spec in per_axis.items():
            if axis in axes:
                domain = tuple(sorted(float(k) for k in spec["table"]))
                maps.setdefault(judge, {})[axis] = Fit.from_json(spec, domain)
    return Calibration(latest, maps, str(latest.get("hash", ""))).apply(tidy)


def _answers(store: Store) -> pd.DataFrame:
    import pandas as pd

    cursor = store.conn.cursor()
    cursor.row_factory = None
    rows = cursor.execute("""
        SELECT r.id, r.model, r.scenario_id, r.sample, s.modality, s.step, s.risk_level, s.severity,
               s.base_id, s.demographic_group, coalesce(s.family, s.base_id, s.id), s.trap
        FROM responses r JOIN scenarios s ON s.id = r.scenario_id ORDER BY r.id""").fetchall()
    frame = pd.DataFrame.from_records(rows, columns=[
        "response_id", "model", "scenario_id", "sample", "modality", "step", "risk_level", "severity",
        "base_id", "demographic_group", "family", "trap"]).set_index("response_id")
    frame["trap"] = frame["trap"].astype(bool)
    frame["escalation_level"] = np.where(frame["trap"] & (frame["risk_level"] == "none"), TRAP,
                                         frame["risk_level"])
    return frame


def _weights(store: Store, ids: npt.NDArray[Any]) -> tuple[FloatArray | None, dict[str, Any] | None]:
    """1 / inclusion probability per answer from the newest study; None (equal) when there is none."""
    from rater.study import inclusion_weights

    found = inclusion_weights(store)
    if not found:
        return None, None
    weights = np.array([float(found.get(r, math.nan)) for r in ids], dtype=np.float64)
    return weights, {"answers_with_weights": int(np.sum(~np.isnan(weights)))}


def _judge_modes(store: Store, position: pd.Series) -> dict[str, FloatArray]:
    """Per failure mode: 1 where at least half the judges asked tagged the answer, 0 if fewer, nan unasked."""
    asked = store.conn.execute(
        "SELECT response_id, count(DISTINCT judge) FROM judgments WHERE status = 'ok' "
        "AND failure_modes_asked = 1 GROUP BY response_id").fetchall()
    tags = store.conn.execute(
        "SELECT j.response_id, m.failure_mode, count(DISTINCT j.judge) FROM judgment_failure_modes m "
        "JOIN judgments j ON j.id = m.judgment_id WHERE j.status = 'ok' AND j.failure_modes_asked = 1 "
        "GROUP BY 1, 2").fetchall()
    return _majority(asked, tags, position, _modes_asked(store))


def _modes_asked(store: Store) -> dict[str, list[tuple[Any, int]]]:
    """Per failure mode, (response_id, judges asked for it): a judgment asks only some modes.

    ``rater judge`` asks demographic_shift only in a comparison call with demographic siblings,
    and records the modes it asked in the judgment's provenance; an answer whose judges were never
    asked about a mode has no value for it (not "none observed"). A judgment that does not record
    them (the demo's, older ones) counts as asked about every mode.
    """
    from rater.taxonomy import load_taxonomy

    every = list(load_taxonomy().failure_modes)
    judges: dict[str, dict[Any, set[str]]] = {m: {} for m in every}
    rows = store.conn.execute(
        "SELECT response_id, judge, CASE WHEN json_valid(provenance) AND "
        "json_type(provenance, '$.failure_modes_asked') = 'array' "
        "THEN json_extract(provenance, '$.failure_modes_asked') END "
        "FROM judgments WHERE status = 'ok' AND failure_modes_asked = 1")
    for rid, judge, listed in rows:
        for mode in every if listed is None else set(json.loads(listed)) & set(every):
            judges[mode].setdefault(rid, set()).add(judge)
    return {m: [(rid, len(js)) for rid, js in by.items()] for m, by in judges.items()}


def _human_modes(store: Store, position: pd.Series) -> dict[str, FloatArray]:
    """The same from clinicians' checklists: per rater and answer, the blind checked rating first."""
    asked = store.conn.execute(
        "SELECT response_id, count(DISTINCT rater_id) FROM ratings WHERE failure_modes_checked = 1 "
        "GROUP BY response_id").fetchall()
    tags = store.conn.execute("""
        WITH chosen AS (
            SELECT g.id, g.response_id, row_number() OVER (
                PARTITION BY g.rater_id, g.response_id
                ORDER BY CASE g.judges_visible WHEN 0 THEN 0 ELSE 1 END, g.id) AS k
            FROM ratings g WHERE g.failure_modes_checked = 1)
        SELECT c.response_id, m.failure_mode, count(*) FROM chosen c
        JOIN rating_failure_modes m ON m.rating_id = c.id WHERE c.k = 1 GROUP BY 1, 2""").fetchall()
    return _majority(asked, tags, position)


def _majority(asked: list[Any], tags: list[Any], position: pd.Series,
              asked_by_mode: dict[str, list[tuple[Any, int]]] | None = None) -> dict[str, FloatArray]:
    from rater.taxonomy import load_taxonomy

    n = position.size
    n_asked = np.zeros(n)
    for rid, k in asked:
        if rid in position.index:
            n_asked[position[rid]] = k
    out: dict[str, FloatArray] = {}
    modes = list(load_taxonomy().failure_modes)
    counts = {m: np.zeros(n) for m in modes}
    for rid, mode, k in tags:
        if rid in position.index and mode in counts:
            counts[mode][position[rid]] = k
    if not n_asked.any():
        return {}
    for mode in modes:
        k_asked = n_asked
        if asked_by_mode is not None:
            k_asked = np.zeros(n)
            for rid, k in asked_by_mode.get(mode, []):
                if rid in position.index:
                    k_asked[position[rid]] = k
        out[mode] = np.where(k_asked > 0, (2 * counts[mode] >= k_asked).astype(np.float64), np.nan)
        out[mode][k_asked == 0] = np.nan
    return out
