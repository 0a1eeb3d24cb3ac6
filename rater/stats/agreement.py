"""How far the judge panel agrees with clinicians, per axis: alpha with intervals, and per-judge errors.

For every axis (level of measurement from the rubric unless overridden) and
every breakdown group, :func:`compute` gives one :class:`Record` per comparison:

``human-human``
    Krippendorff's alpha among the human raters: the ceiling any judge can be held to.
``judge-judge``
    Alpha among the judges of the panel.
``human-judge:<judge>``
    Alpha between one judge and the human consensus, with the judge's mean
    bias, exact and within-one agreement, Spearman's rho and confusion matrix.
``human-panel``
    The same for the panel aggregate against the human consensus.
``judge-reference:<judge>``, ``panel-reference``, ``human-reference:<rater>``
    Only with adjudicated references in the scores (`rater agreement
    --reference adjudicated`): alpha between each judge, the panel aggregate
    or each clinician and the reference, on the answers with a reference,
    with the same errors and intervals as ``human-judge``.
``replacement:<judge>``
    Leave-one-rater-out: for each human, their scores are swapped for the
    judge's on the very answers that human rated, and alpha among the humans is
    recomputed; ``alpha`` is the mean over humans and ``delta`` its difference
    from ``human-human`` (negative: the judge lowers agreement, i.e. it does not
    rate like one more clinician).

Consensus and aggregate (:func:`combine`). Per answer, the human consensus is
the median of the humans' scores and the panel aggregate the median of the
judges'. With an even number of scores whose two middle values differ, the
lower (more critical: every axis is higher-is-better) of the two is taken, so
the consensus is always a point of the scale and a split never makes an
answer look better than half its raters judged it. ``mean`` instead takes the
mean rounded to the nearest scale point (halves down). A single human's score
is the consensus of one. Note that a consensus is less noisy than one rater,
so ``human-judge`` alpha is not directly comparable with ``human-human``:
``replacement`` is the like-for-like check.

Nominal axes (crisis direction). Categories have no order, so alpha is
nominal, and the consensus and the panel aggregate are the mode whatever
``consensus`` and ``panel`` say (``rater.panel.mode``). A tie for the most
frequent category goes to the tied category listed last in the rubric (the
rubric lists them from the best to the gravest), so two clinicians who
disagree still give a consensus, the graver reading, rather than leaving
the answer out (which would keep only the answers clinicians agree on and
flatter the judges). Mean bias, within-one agreement and Spearman's rho need
an order and are not computed (None); exact agreement and the confusion
matrix (with the category names) are.

Intervals: percentile bootstrap over units (answers). Statistics on the same
pairable units share their resamples (a seed per unit set, derived from
``seed``), so ``delta`` is a paired difference, and each plain comparison's
interval is exactly ``alpha.bootstrap`` on its data with that derived seed.
A unit with fewer than two values on a comparison is left out and counted
(``n_excluded_units``).
"""

from __future__ import annotations

import hashlib
import math
import secrets
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from rater.errors import Problem, RaterError
from rater.rules import BREAKDOWNS, DEFAULT_CONSENSUS, LEVELS
from rater.rules import CONSENSUS_RULES as CONSENSUS
from rater.rules import PANEL_AGGREGATES as PANEL
from rater.stats.alpha import (
    AlphaResult,
    Coincidences,
    Level,
    alphas_from_totals,
    resample_weights,
)
from rater.stats.tidy import AxisData, TidyScores, axis_data

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


@dataclass
class Record:
    """One comparison on one axis (and one breakdown group): what `rater agreement` prints."""

    axis: str
    comparison: str
    level: str
    alpha: float
    ci_low: float
    ci_high: float
    n_units: int
    n_excluded_units: int
    n_pairable: int
    p_below_0667: float
    p_below_0800: float
    n_raters: int
    n_boot: int
    n_nan_boot: int
    confidence: float
    by: str | None = None
    group: str | None = None
    delta: float | None = None
    delta_ci_low: float | None = None
    delta_ci_high: float | None = None
    n_swaps: int | None = None
    n_scored: int | None = None
    mean_bias: float | None = None
    exact: float | None = None
    within_one: float | None = None
    spearman_rho: float | None = None
    confusion: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``nan`` becomes None."""
        return {k: json_ready(v) for k, v in asdict(self).items()}


@dataclass
class Report:
    records: list[Record]
    seed: int
    origin: str
    phase: str | None
    consensus: str
    panel: str
    humans: list[str]
    judges: list[str]
    notes: list[str] = field(default_factory=list)


def compute(tidy: TidyScores, *, level: str | None = None, n_boot: int = 1000, seed: int | None = None,
            confidence: float = 0.95, consensus: str = DEFAULT_CONSENSUS, panel: str | None = None,
            by: Iterable[str] = (), replacement: bool = True,
            weights: Mapping[str, float] | None = None) -> Report:
    """Every comparison on every axis, overall and for each group of each ``by`` field.

    ``panel`` is how the judges' scores form the panel aggregate (default: as
    ``consensus``); the CLI passes the panel file's setting that `rater judge`
    recorded, so the panel measured is the panel the rating app shows.
    ``seed`` None draws a fresh one, reported in ``Report.seed`` so the run can
    be repeated. ``replacement=False`` skips the leave-one-rater-out checks
    (calibration does not need them). ``weights``: per response id, how much
    the answer counts (a study's 1 / inclusion probability, see
    rater.study.inclusion_weights; missing: 1), in the point estimates and
    every resample, so a sample drawn where the judges disagree is weighted
    back to all answers. A database or file without human
    ratings gives judge-judge only, with a note saying so.
    """
    if level is not None and level not in LEVELS:
        raise RaterError(Problem(f"unknown level {level!r}", field="level", fix=f"use {', '.join(LEVELS)}"))
    if consensus not in CONSENSUS:
        raise RaterError(Problem(f"unknown consensus {consensus!r}", field="consensus",
                                 fix=f"use {' or '.join(CONSENSUS)}"))
    panel = panel or consensus
    if panel not in PANEL:
        raise RaterError(Problem(f"unknown panel aggregate {panel!r}", field="panel",
                                 fix=f"use {', '.join(PANEL)}"))
    if n_boot < 1 or not 0 < confidence < 1:
        raise RaterError(Problem("needs --bootstrap >= 1 and 0 < --confidence < 1", field="bootstrap"))
    seed = secrets.randbelow(2**32) if seed is None else seed
    data = axis_data(tidy)
    humans, judges = tidy.raters("human"), tidy.raters("judge")
    report = Report([], seed, tidy.origin, tidy.phase, consensus, panel, humans, judges,
                    list(tidy.notes))
    if not humans and not judges:
        raise RaterError(Problem("holds no scores to compare", tidy.origin,
                                 fix="rate some answers, run the judges, or import ratings"))
    if not humans:
        report.notes.append("no human ratings: only judge-judge agreement can be measured; rate answers "
                            "in the app or `rater import ratings` to compare the judges with clinicians")
    if not judges:
        report.notes.append("no judge scores: only human-human agreement can be measured")
    n_all = next(iter(data.values())).units.size if data else 0
    groups: list[tuple[str | None, str | None, IntArray]] = [(None, None, np.arange(n_all))]
    for field_name in by:
        groups.extend((field_name, label, cols) for label, cols in _groups(tidy, data, field_name))
    unit_weights = None
    if weights:
        units = next(iter(data.values())).units if data else np.array([], dtype=object)
        unit_weights = np.array([float(weights.get(u, 1.0)) for u in units], dtype=np.float64)
    runner = _Runner(n_boot, seed, confidence, replacement, unit_weights)
    for group_by, group, cols in groups:
        for axis in data.values():
            axis_level = cast(Level, level or axis.axis.level)
            runner.add_axis(axis, cols, axis_level, consensus, panel, group_by, group)
    report.records = runner.run()
    return report


def unit_set_seed(seed: int, columns: npt.ArrayLike) -> np.random.SeedSequence:
    """The resampling seed of a set of units (global unit indices): one draw per set and run."""
    key = np.ascontiguousarray(np.asarray(columns, dtype=np.intp)).tobytes()
    return np.random.SeedSequence([seed, int.from_bytes(hashlib.sha256(key).digest()[:8], "little")])


def combine(matrix: FloatArray, domain: FloatArray, how: str = "median") -> FloatArray:
    """Per unit (column), the consensus of the raters' scores as a point of ``domain``; nan if none.

    ``median``: the lower median (see the module docstring); ``mean``: the
    mean snapped to the nearest point of ``domain``, ties to the lower point;
    ``min``, ``max``; ``mode``: the most frequent value, the highest of those tied (nominal axes:
    the category listed last, the gravest). The same rules as ``rater.panel.aggregate`` and
    ``rater.panel.mode``, vectorised.
    """
    present = ~np.isnan(matrix)
    m = present.sum(axis=0)
    out = np.full(matrix.shape[1], np.nan)
    has = m > 0
    if how == "mode":
        points = np.sort(np.asarray(domain, dtype=np.float64))
        if not points.size:
            return out
        counts = np.stack([(matrix == p).sum(axis=0) for p in points])
        at_top = counts == counts.max(axis=0)
        last = points.size - 1 - at_top[::-1].argmax(axis=0)  # the highest point among those tied
        out[has] = points[last[has]]
        return out
    if how == "median":
        ordered = np.sort(matrix, axis=0)  # nan sorts last
        out[has] = ordered[(m[has] - 1) // 2, np.flatnonzero(has)]
        return out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-nan columns: nan, as wanted
        if how == "mean":
            values = np.nanmean(matrix, axis=0)
        else:
            values = np.nanmin(matrix, axis=0) if how == "min" else np.nanmax(matrix, axis=0)
    return snap(values, domain)


def snap(values: FloatArray, domain: FloatArray) -> FloatArray:
    """Each value moved to the nearest point of the scale (halves to the lower); nan stays nan."""
    points = np.sort(np.asarray(domain, dtype=np.float64))
    out = np.full(values.shape, np.nan)
    ok = ~np.isnan(values)
    if ok.any() and points.size:
        out[ok] = points[np.argmin(np.abs(values[ok, None] - points[None, :]), axis=1)]
    return out


def judge_errors(consensus: FloatArray, judge: FloatArray, domain: FloatArray,
                 categories: tuple[str, ...] = ()) -> dict[str, Any]:
    """A judge's (or the panel's) errors against the human consensus, on units where both exist.

    With ``categories`` (a nominal axis) only exact agreement and the confusion matrix: bias,
    within-one and rho assume an order the categories do not have.
    """
    both = ~np.isnan(consensus) & ~np.isnan(judge)
    c, j = consensus[both], judge[both]
    points = np.sort(domain)
    matrix = np.zeros((points.size, points.size), dtype=np.int64)
    np.add.at(matrix, (np.searchsorted(points, c), np.searchsorted(points, j)), 1)
    n = int(both.sum())
    confusion: dict[str, Any] = {"rows": "human consensus", "columns": "judge",
                                 "values": [plain_number(v) for v in points], "counts": matrix.tolist()}
    if categories:
        confusion["labels"] = [categories[int(v) - 1] if float(v).is_integer() and 1 <= v <= len(categories)
                               else f"{v:g}" for v in points]
        return {"n_scored": n, "mean_bias": None, "exact": float(np.mean(j == c)) if n else math.nan,
                "within_one": None, "spearman_rho": None, "confusion": confusion}
    return {
        "n_scored": n,
        "mean_bias": float(np.mean(j - c)) if n else math.nan,
        "exact": float(np.mean(j == c)) if n else math.nan,
        "within_one": float(np.mean(np.abs(j - c) <= 1)) if n else math.nan,
        "spearman_rho": spearman(c, j),
        "confusion": confusion,
    }


def spearman(x: FloatArray, y: FloatArray) -> float:
    """Spearman's rho: Pearson correlation of average ranks (ties share their mean rank)."""
    if x.size < 2:
        return math.nan
    rx, ry = _ranks(x), _ranks(y)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    denom = math.sqrt(float(rx @ rx) * float(ry @ ry))
    return float(rx @ ry) / denom if denom > 0 else math.nan


def _ranks(values: FloatArray) -> FloatArray:
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return (first + (counts + 1) / 2.0)[inverse]


# -- building the comparisons ----------------------------------------------------


@dataclass(eq=False)
class _Part:
    """One reliability matrix, precomputed: its pairable units as global unit indices."""

    coin: Coincidences
    columns: IntArray
    n_raters: int


def _prepare(matrix: FloatArray, columns: IntArray, domain: FloatArray,
             universe: npt.NDArray[np.bool_]) -> _Part | None:
    """Coincidences of rows x columns over the comparison's answers (``universe``, per column).

    Answers of the universe with fewer than two values (one, or none: all
    "not applicable") are left out and counted; None when there are no values at all.
    """
    present = ~np.isnan(matrix)
    if not present.any():
        return None
    coin = Coincidences.from_reliability_data(matrix[:, universe], domain)
    n_raters = int(present[:, universe].any(axis=1).sum())
    return _Part(coin, columns[universe][coin.unit_columns], n_raters)


@dataclass(eq=False)
class _Job:
    """Statistics computed from the alphas of ``parts`` on every resample of ``base``."""

    record: Record
    parts: list[_Part]
    base: IntArray
    level: Level
    outputs: Callable[[list[FloatArray]], list[FloatArray]]
    samples: list[FloatArray] = field(default_factory=list)


class _Runner:
    """Collects the jobs of all axes and groups, then bootstraps each unit set once."""

    def __init__(self, n_boot: int, seed: int, confidence: float, replacement: bool = True,
                 unit_weights: FloatArray | None = None) -> None:
        self.n_boot, self.seed, self.confidence = n_boot, seed, confidence
        self.replacement = replacement
        self.unit_weights = unit_weights  # per global unit index; None: every answer counts once
        self.jobs: list[_Job] = []

    def add_axis(self, axis: AxisData, cols: IntArray, level: Level, how: str, panel_how: str,
                 by: str | None, group: str | None) -> None:
        domain = axis.domain
        human, judge = axis.human[:, cols], axis.judge[:, cols]
        rated, judged = axis.human_rated[cols], axis.judged[cols]
        stem = {"axis": axis.axis.id, "level": level, "by": by, "group": group}
        hh = _prepare(human, cols, domain, rated) if len(axis.humans) else None
        if hh is not None:
            self._plain(stem, "human-human", hh, level)
        jj = _prepare(judge, cols, domain, judged) if len(axis.judges) else None
        if jj is not None:
            self._plain(stem, "judge-judge", jj, level)
        nominal = level == "nominal" or axis.axis.level == "nominal"
        if nominal:
            how = panel_how = "mode"
        categories = axis.axis.categories or (tuple(f"{v:g}" for v in domain) if nominal else ())
        if axis.reference is not None:
            self._against_reference(stem, axis, cols, domain, level, panel_how, categories)
        if hh is None or not len(axis.judges):
            return
        consensus = combine(human, domain, how)
        for i, name in enumerate(axis.judges):
            part = _prepare(np.vstack([consensus, judge[i]]), cols, domain, rated)
            if part is not None:
                self._plain(stem, f"human-judge:{name}", part, level,
                            judge_errors(consensus, judge[i], domain, categories))
        panel = combine(judge, domain, panel_how)
        part = _prepare(np.vstack([consensus, panel]), cols, domain, rated)
        if part is not None:
            self._plain(stem, "human-panel", part, level, judge_errors(consensus, panel, domain, categories))
        for i, name in enumerate(axis.judges if self.replacement else ()):
            self._replacement(stem, name, hh, human, judge[i], cols, domain, level, rated)

    def _against_reference(self, stem: dict[str, Any], axis: AxisData, cols: IntArray, domain: FloatArray,
                           level: Level, panel_how: str, categories: tuple[str, ...] = ()) -> None:
        """Each judge, the panel and each human against the adjudicated reference, on the answers
        that have one: ``judge-reference:<judge>``, ``panel-reference``, ``human-reference:<rater>``.

        On a nominal axis (``categories``) the panel is the mode (the caller passes ``mode``) and the
        errors are exact agreement and the confusion matrix only, as against the human consensus."""
        assert axis.reference is not None
        ref = axis.reference[cols]
        universe = ~np.isnan(ref)
        if not universe.any():
            return
        judge = axis.judge[:, cols]
        rows: list[tuple[str, FloatArray]] = [(f"judge-reference:{n}", judge[i])
                                              for i, n in enumerate(axis.judges)]
        if len(axis.judges):
            rows.append(("panel-reference", combine(judge, domain, panel_how)))
        rows += [(f"human-reference:{n}", axis.human[i, cols]) for i, n in enumerate(axis.humans)]
        for name, values in rows:
            # A clinician is compared on the referenced answers they rated, not on all of them.
            mine = universe if name.startswith("judge") or name.startswith("panel") else (
                universe & ~np.isnan(values))
            part = _prepare(np.vstack([ref, values]), cols, domain, mine)
            if part is not None and part.coin.n_units:
                errors = judge_errors(ref, values, domain, categories)
                errors["confusion"]["rows"] = "reference"
                self._plain(stem, name, part, level, errors)

    def _plain(self, stem: dict[str, Any], comparison: str, part: _Part, level: Level,
               extra: dict[str, Any] | None = None) -> None:
        record = _record(stem, comparison, part, extra or {})
        self.jobs.append(_Job(record, [part], part.columns, level, lambda a: a))

    def _replacement(self, stem: dict[str, Any], judge_name: str, hh: _Part, human: FloatArray,
                     judge_row: FloatArray, cols: IntArray, domain: FloatArray, level: Level,
                     rated: npt.NDArray[np.bool_]) -> None:
        swaps = []
        for h in range(human.shape[0]):
            theirs = ~np.isnan(human[h])
            if not theirs.any():
                continue
            swapped = human.copy()
            swapped[h] = np.where(theirs, judge_row, np.nan)
            part = _prepare(swapped, cols, domain, rated)
            if part is not None and part.coin.n_units:
                swaps.append(part)
        if not swaps or not hh.coin.n_units:
            return
        record = _record(stem, f"replacement:{judge_name}", hh, {"n_swaps": len(swaps)})

        def outputs(alphas: list[FloatArray]) -> list[FloatArray]:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                mean = np.nanmean(np.vstack(alphas[1:]), axis=0)
            return [mean, mean - alphas[0]]

        self.jobs.append(_Job(record, [hh, *swaps], hh.columns, level, outputs))

    def _weights(self, columns: IntArray) -> FloatArray:
        """How much each of these units counts: 1, or its inclusion weight scaled to a mean of 1 over
        them (so alpha's small-sample factor n - 1 stays that of the answers compared)."""
        if self.unit_weights is None or not columns.size:
            return np.ones(columns.size)
        w = self.unit_weights[columns]
        return w / w.mean()

    def run(self) -> list[Record]:
        """Point estimates, then every job's resamples, shared per unit set."""
        by_base: dict[bytes, list[_Job]] = {}
        for job in self.jobs:
            by_base.setdefault(np.asarray(job.base, dtype=np.intp).tobytes(), []).append(job)
            points = [p.coin.alphas(self._weights(p.columns)[None, :], job.level) for p in job.parts]
            first = job.outputs(points)
            job.record.alpha = float(first[0][0])
            if len(first) > 1:
                job.record.delta = float(first[1][0])
            job.samples = [np.full(self.n_boot, np.nan) for _ in first]
        for jobs in by_base.values():
            self._resample(jobs)
        for job in self.jobs:
            self._finish(job)
        return [job.record for job in self.jobs]

    def _resample(self, jobs: list[_Job]) -> None:
        """Every resample of the jobs' shared units: one matrix product per chunk for all their parts.

        Each part's design rows are placed at its units' positions among the
        base units (zero elsewhere), so ``weights @ stacked`` gives every
        part's weighted totals at once, reading the weights only once.
        """
        base = jobs[0].base
        parts = list({id(p): p for job in jobs for p in job.parts}.values())
        blocks, slices = [], {}
        start = 0
        for part in parts:
            design = part.coin.design
            if part.columns.size != base.size or not np.array_equal(part.columns, base):
                positions = np.searchsorted(base, part.columns)
                if positions.size and (positions.max() >= base.size
                                       or not np.array_equal(base[positions], part.columns)):
                    raise RuntimeError("a comparison's units are not among the units it is resampled with")
                placed = np.zeros((base.size, design.shape[1]))
                placed[positions] = design
                design = placed
            blocks.append(design)
            slices[id(part)] = slice(start, start + design.shape[1])
            start += design.shape[1]
        stacked = np.hstack(blocks)
        scale = self._weights(base)
        for first, stop, weights in resample_weights(base.size, self.n_boot, unit_set_seed(self.seed, base)):
            totals = (weights * scale) @ stacked
            cache: dict[tuple[int, str], FloatArray] = {}
            for job in jobs:
                alphas = []
                for part in job.parts:
                    key = (id(part), job.level)
                    if key not in cache:
                        cache[key] = alphas_from_totals(totals[:, slices[id(part)]],
                                                        part.coin.value_domain, job.level)
                    alphas.append(cache[key])
                for out, values in zip(job.samples, job.outputs(alphas), strict=True):
                    out[first:stop] = values

    def _finish(self, job: _Job) -> None:
        record = job.record
        hh = job.parts[0]
        result = AlphaResult.from_samples(record.alpha, job.samples[0], n_units=hh.coin.n_units,
                                          n_excluded_units=hh.coin.n_excluded,
                                          n_pairable=hh.coin.n_pairable, confidence=self.confidence)
        record.ci_low, record.ci_high = result.ci_low, result.ci_high
        record.p_below_0667, record.p_below_0800 = result.p_below_0667, result.p_below_0800
        record.n_boot, record.n_nan_boot = result.n_boot, result.n_nan_boot
        record.confidence = self.confidence
        if len(job.samples) > 1:
            point = math.nan if record.delta is None else record.delta
            delta = AlphaResult.from_samples(point, job.samples[1], n_units=0,
                                             n_excluded_units=0, n_pairable=0,
                                             confidence=self.confidence)
            record.delta_ci_low, record.delta_ci_high = delta.ci_low, delta.ci_high


def _record(stem: dict[str, Any], comparison: str, part: _Part, extra: dict[str, Any]) -> Record:
    return Record(comparison=comparison, alpha=math.nan, ci_low=math.nan, ci_high=math.nan,
                  n_units=part.coin.n_units, n_excluded_units=part.coin.n_excluded,
                  n_pairable=part.coin.n_pairable, p_below_0667=math.nan, p_below_0800=math.nan,
                  n_raters=part.n_raters, n_boot=0, n_nan_boot=0, confidence=math.nan,
                  **stem, **extra)


def _groups(tidy: TidyScores, data: dict[str, AxisData], name: str) -> list[tuple[str, IntArray]]:
    """(label, unit columns) for each value of a breakdown field, in natural order."""
    if name not in BREAKDOWNS:
        raise RaterError(Problem(f"cannot break down by {name!r}", field="by",
                                 fix=f"use {', '.join(BREAKDOWNS)}"))
    if name not in tidy.units.columns:
        raise RaterError(Problem(f"has no {name} for its answers", tidy.origin, field="by",
                                 fix=f"add a {name} column to the scores file, or pass --db"))
    units = next(iter(data.values())).units
    values = tidy.units[name].reindex(units)
    labels = np.array(["(unknown)" if r not in tidy.units.index else
                       "(none)" if _missing(v) else str(v)
                       for r, v in zip(units, values, strict=True)], dtype=object)
    return [(label, np.flatnonzero(labels == label)) for label in sorted(set(labels), key=_natural)]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _natural(label: str) -> tuple[int, float, str]:
    try:
        return (0, float(label), "")
    except ValueError:
        return (1, 0.0, label)


def plain_number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else float(value)


def json_ready(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    return value
