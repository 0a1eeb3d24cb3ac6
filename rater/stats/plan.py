"""How many ratings are enough: Krippendorff's minimum sample size, and a simulation from a pilot.

Two answers to "how many answers must clinicians rate?":

:func:`min_units` is the textbook figure: Bloch and Kraemer's (1989) formula
as Krippendorff (*Content Analysis*, 2004 and later editions, ch. 11) gives
it for testing alpha >= alpha_min at significance p when the least frequent of
the values has probability P (1/V for V equally likely values), for two
coders. It knows nothing about the judges. :func:`simulate_min_units` checks
it by simulation and says what it means: with N units, the one-sided margin
``z * sd(alpha)`` at alpha = alpha_min is half the distance to 1, so an
observed alpha halfway between alpha_min and 1 is significantly above alpha_min
(within 1-2 Monte Carlo standard errors for alpha_min .667-.900 and 2-5 values).

:func:`simulate` answers the study's own question from a pilot: how wide
will the 95% interval of ``human-panel`` alpha and of each judge's
``replacement`` delta be with n answers rated K times, and so how many
answers does each axis need before its verdict is decided? It resamples the
pilot's answers (with replacement, to any n), runs the same agreement
computation `rater agreement` runs, and fits ``width = c / sqrt(n)`` to the
widths seen, so the answer is a smooth number with its own Monte Carlo error
(the spread of the fitted ``c`` over repetitions).

A verdict is *decided* when the interval no longer straddles its threshold:
human-panel alpha against 0.667 (below it the panel needs human ratings;
calibrate trusts an axis when the interval's lower bound clears it), and
delta against 0 unless the interval is already inside +/- ``margin`` (the
judge rates like one more clinician).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np

from rater.errors import Problem, RaterError
from rater.rules import DEFAULT_CONSENSUS, TENTATIVE

if TYPE_CHECKING:
    from rater.stats.tidy import TidyScores


def min_units(alpha_min: float, p: float = 0.05, values: int = 4, raters: int = 2,
              smallest: float | None = None) -> int:
    """Minimum number of units for testing alpha >= ``alpha_min`` at significance ``p``.

    Bloch and Kraemer's formula as Krippendorff gives it, for ``values``
    equally likely values (or the least frequent value's probability
    ``smallest``)::

        N = R z^2 [ (1 + a)(3 - a) / (4 (1 - a) P (1 - P)) - a ]

    with ``z`` the one-tailed normal quantile of ``p``, ``a`` = alpha_min and
    ``R`` = 2 coders. For more coders z^2 is multiplied by their number (the
    usual adjustment; the formula itself is derived for two).

    >>> min_units(0.800, 0.05, 4)
    139
    >>> min_units(0.667, 0.05, 4)
    81
    >>> min_units(0.800, 0.05, 4, raters=3)
    208
    """
    if not 0 < alpha_min < 1:
        raise RaterError(Problem(f"alpha_min must be between 0 and 1; got {alpha_min}", field="alpha-min"))
    if not 0 < p < 0.5:
        raise RaterError(Problem(f"p must be between 0 and 0.5; got {p}", field="p"))
    if raters < 2:
        raise RaterError(Problem("agreement needs at least 2 raters", field="raters"))
    share = smallest if smallest is not None else 1 / values
    if not 0 < share < 1:
        raise RaterError(Problem("needs at least 2 values", field="values"))
    z = NormalDist().inv_cdf(1 - p)
    a = alpha_min
    n = raters * z * z * ((1 + a) * (3 - a) / (4 * (1 - a) * share * (1 - share)) - a)
    return math.ceil(n - 1e-9)


@dataclass(frozen=True)
class SimulatedUnits:
    """The units :func:`simulate_min_units` finds, with the Monte Carlo standard error of that figure."""

    units: float
    error: float
    sd_at_start: float
    start: int


def simulate_min_units(alpha_min: float, p: float = 0.05, values: int = 4, *, repeats: int = 2000,
                       start: int | None = None, seed: int = 0) -> SimulatedUnits:
    """The same question as :func:`min_units`, answered by simulation instead of the formula.

    Two raters code N units into the rarest value (probability 1/``values``)
    or the rest, agreeing beyond chance with alpha = ``alpha_min`` (each unit:
    with probability alpha_min the second rater copies the first, otherwise
    both draw independently). Krippendorff's N is the number of units at which
    the one-sided ``1 - p`` margin ``z * sd(alpha)`` shrinks to
    ``(1 - alpha_min) / 2``: an observed alpha halfway between alpha_min and 1
    is then significantly above alpha_min. The sd is simulated at ``start``
    units (default: the formula's N) and scaled by 1 / sqrt(N); the error is
    the Monte Carlo standard error of the resulting N (delta method).

    >>> sim = simulate_min_units(0.800, 0.05, 4, repeats=400)
    >>> abs(sim.units - min_units(0.800, 0.05, 4)) < 3 * sim.error + 0.05 * sim.units
    True
    """
    from rater.stats.alpha import Coincidences

    n = start or min_units(alpha_min, p, values)
    rng = np.random.default_rng(seed)
    share = 1 / values
    first = (rng.random((repeats, n)) < share).astype(np.float64)
    other = (rng.random((repeats, n)) < share).astype(np.float64)
    second = np.where(rng.random((repeats, n)) < alpha_min, first, other)
    alphas = np.empty(repeats)
    for r in range(repeats):
        coin = Coincidences.from_reliability_data(np.vstack([first[r], second[r]]), [0.0, 1.0])
        alphas[r] = coin.alphas(np.ones((1, coin.n_units)), "nominal")[0]
    alphas = alphas[~np.isnan(alphas)]
    sd = float(alphas.std(ddof=1))
    z = NormalDist().inv_cdf(1 - p)
    units = n * (z * sd / ((1 - alpha_min) / 2)) ** 2
    # sd's relative standard error is about 1 / sqrt(2 (R - 1)); N goes with sd squared.
    error = 2 * units / math.sqrt(2 * (alphas.size - 1))
    return SimulatedUnits(units, error, sd, n)


def needed_for(c: float, gap: float) -> float:
    """Answers at which an interval of width ``c / sqrt(n)`` has a half-width below ``gap``.

    >>> round(needed_for(2.0, 0.1))
    100
    >>> needed_for(1.0, 0.0)
    inf
    """
    if gap <= 0:
        return math.inf
    return (c / (2 * gap)) ** 2


def delta_decided(low: float, high: float, margin: float) -> bool:
    """A replacement delta's verdict is decided when its interval excludes 0 or lies inside +/- margin.

    >>> delta_decided(-0.09, -0.01, 0.05), delta_decided(-0.04, 0.04, 0.05), delta_decided(-0.09, 0.01, 0.05)
    (True, True, False)
    """
    return not math.isnan(low) and (not low <= 0 <= high or (-margin <= low and high <= margin))


def delta_gap(estimate: float, margin: float) -> float:
    """The half-width below which an interval around ``estimate`` is decided (:func:`delta_decided`):
    it excludes 0 once narrower than ``|estimate|``, and lies inside +/- margin once narrower than
    ``margin - |estimate|``; whichever comes first.

    >>> [round(delta_gap(e, 0.05), 3) for e in (0.0, -0.02, 0.04, 0.2)]
    [0.05, 0.03, 0.04, 0.2]
    """
    return max(abs(estimate), margin - abs(estimate))


def fit_scale(sizes: list[int], widths: list[float]) -> float:
    """Least-squares ``c`` in ``width = c / sqrt(n)`` (through the origin in 1/sqrt(n)).

    >>> round(fit_scale([100, 400], [0.2, 0.1]), 6)
    2.0
    """
    x = np.array([1 / math.sqrt(n) for n in sizes])
    y = np.array(widths)
    ok = ~np.isnan(y)
    if not ok.any():
        return math.nan
    return float((x[ok] @ y[ok]) / (x[ok] @ x[ok]))


@dataclass
class Curve:
    """One statistic of one axis: its pilot estimate, interval widths by n, and the answers it needs."""

    axis: str
    comparison: str           # human-panel | replacement:<judge>
    estimate: float           # alpha (human-panel) or delta (replacement) on the pilot
    threshold: float          # what the interval must not straddle
    widths: dict[int, float]  # n -> mean width of the 95% interval
    scale: float              # c in width = c / sqrt(n)
    scale_error: float        # standard error of c over repetitions
    needed: float             # answers rated K times for a decided verdict (inf: at the threshold)
    decided_now: bool

    def to_dict(self) -> dict[str, Any]:
        def num(v: float) -> float | None:
            return None if math.isnan(v) or math.isinf(v) else round(v, 4)

        return {"axis": self.axis, "comparison": self.comparison, "estimate": num(self.estimate),
                "threshold": self.threshold, "widths": {str(k): num(v) for k, v in self.widths.items()},
                "scale": num(self.scale), "scale_error": num(self.scale_error),
                "needed_answers": None if math.isinf(self.needed) else math.ceil(self.needed),
                "decided_now": self.decided_now}


@dataclass
class PilotPlan:
    pilot_answers: int
    per_answer: int
    curves: list[Curve]
    notes: list[str] = field(default_factory=list)


def pilot_units(tidy: TidyScores, per_answer: int) -> list[str]:
    """Answers with at least ``per_answer`` human raters (on any axis) and at least one judge score."""
    frame = tidy.scores
    humans = frame[(frame["source"] == "human") & frame["score"].notna()]
    counts = humans.groupby("response_id", observed=True)["rater"].nunique()
    judged = set(frame.loc[(frame["source"] == "judge") & frame["score"].notna(), "response_id"])
    return sorted(str(r) for r, n in counts.items() if n >= per_answer and r in judged)


def simulate(tidy: TidyScores, *, per_answer: int = 2, sizes: list[int] | None = None, repeats: int = 3,
             n_boot: int = 200, seed: int = 0, margin: float = 0.05, consensus: str = DEFAULT_CONSENSUS,
             panel: str | None = None) -> PilotPlan:
    """Interval widths of human-panel alpha and replacement delta per axis against answers rated K times.

    ``sizes`` defaults to half, 1, 2, 4 and 8 times the pilot's answers. Each
    size is simulated ``repeats`` times: the pilot's answers resampled to that
    size (renamed so repeats are distinct answers), then the agreement
    computation with ``n_boot`` bootstrap resamples.
    """
    from rater.stats.agreement import compute
    from rater.stats.tidy import TidyScores

    units = pilot_units(tidy, per_answer)
    if len(units) < 5:
        raise RaterError(Problem(
            f"has {len(units)} answers rated by {per_answer} or more clinicians and judged; a pilot needs "
            f"at least 5", tidy.origin, fix="rate more answers K times (rater study assign), then plan"))
    n0 = len(units)
    sizes = sorted(set(sizes or [max(5, n0 // 2), n0, 2 * n0, 4 * n0, 8 * n0]))
    frame = tidy.scores[tidy.scores["response_id"].isin(units)]
    by_unit = {u: g for u, g in frame.groupby("response_id", observed=True)}
    rng = np.random.default_rng(seed)
    pilot = compute(TidyScores(frame.reset_index(drop=True), tidy.units, tidy.axes, tidy.origin, tidy.phase),
                    n_boot=n_boot, seed=seed, consensus=consensus, panel=panel)
    wanted = {(r.axis, r.comparison): r for r in pilot.records
              if r.by is None and (r.comparison == "human-panel" or r.comparison.startswith("replacement:"))}
    samples: dict[tuple[str, str], dict[int, list[float]]] = {k: {} for k in wanted}
    import pandas as pd

    for n in sizes:
        for rep in range(repeats):
            drawn = rng.choice(n0, size=n, replace=True)
            parts = []
            for i, k in enumerate(drawn):
                part = by_unit[units[k]].copy()
                part["response_id"] = f"{units[k]}#{i}"
                parts.append(part)
            sim = pd.concat(parts, ignore_index=True)
            for column in ("source", "rater", "axis"):
                sim[column] = sim[column].astype("category")
            report = compute(TidyScores(sim, tidy.units.iloc[0:0], tidy.axes, tidy.origin, tidy.phase),
                             n_boot=n_boot, seed=seed + rep, consensus=consensus, panel=panel)
            for r in report.records:
                key = (r.axis, r.comparison)
                if r.by is not None or key not in samples:
                    continue
                if r.comparison == "human-panel":
                    width = r.ci_high - r.ci_low
                else:
                    width = (r.delta_ci_high or math.nan) - (r.delta_ci_low or math.nan)
                samples[key].setdefault(n, []).append(width)
    curves = []
    for key, rec in wanted.items():
        widths = {n: float(np.nanmean(v)) if not np.all(np.isnan(v)) else math.nan
                  for n, v in sorted(samples[key].items())}
        # c per repetition, for the Monte Carlo error of the fitted scale
        reps = [fit_scale(list(samples[key]), [samples[key][n][j] if j < len(samples[key][n]) else math.nan
                                              for n in samples[key]]) for j in range(repeats)]
        scale = fit_scale(list(widths), list(widths.values()))
        scale_error = float(np.nanstd(reps, ddof=1) / math.sqrt(repeats)) if repeats > 1 else math.nan
        if key[1] == "human-panel":
            estimate, threshold = rec.alpha, TENTATIVE
            gap = abs(estimate - threshold)
            lo, hi = rec.ci_low, rec.ci_high
            decided = not (lo <= threshold <= hi) if not math.isnan(lo) else False
        else:
            estimate, threshold = rec.delta if rec.delta is not None else math.nan, 0.0
            gap = delta_gap(estimate, margin)
            dlo = math.nan if rec.delta_ci_low is None else rec.delta_ci_low
            dhi = math.nan if rec.delta_ci_high is None else rec.delta_ci_high
            decided = delta_decided(dlo, dhi, margin)
        needed = needed_for(scale, gap) if not math.isnan(estimate) and not math.isnan(scale) else math.inf
        curves.append(Curve(key[0], key[1], estimate, threshold, widths, scale, scale_error, needed, decided))
    curves.sort(key=lambda c: ([a.id for a in tidy.axes].index(c.axis), c.comparison != "human-panel",
                               c.comparison))
    return PilotPlan(n0, per_answer, curves)
