"""Prediction-powered inference (PPI) for a mean: the panel on every answer, corrected by clinicians.

The judge panel scores every answer; clinicians rate a sample of them. The
panel-only mean is precise but biased by whatever the panel gets wrong; the
clinician-only mean is unbiased but rests on few answers. PPI (Angelopoulos,
Bates, Fannjiang, Jordan and Zrnic, *Science* 2023) uses both: the panel's
mean over all answers, corrected by the mean difference between clinicians and
panel on the answers clinicians rated. Power-tuned PPI++ (Angelopoulos, Duchi
and Zrnic, 2024) scales the panel's part by ``lam``, chosen from the data to
make the interval as narrow as it can be: ``lam = 1`` is classic PPI,
``lam = 0`` the clinician-only mean, so PPI++ is never wider (up to the
noise of estimating ``lam``) than either.

The design rater has (``nested``): the answers clinicians rated are a
probability sample *of* the answers the panel scored, so

    theta = lam * mean_all(f) + hajek_mean_rated(y - lam * f)

where ``f`` is the panel's score, ``y`` the clinicians' consensus and the
Hajek mean weights each rated answer by ``w = 1 / inclusion probability``
(Horvitz-Thompson style; equal weights for a simple random sample). The
target is the expected score of an answer like these (the model's answers to
this scenario set), so the variance has two parts: the population's own
spread, ``Var(y) / N``, and the sampling of the rated answers (the Hajek
linearised variance with the finite-population factor ``1 - pi``)::

    Var = n/(n-1) * (Var_w(y) / N + sum(w^2 (1 - pi) (r - r_bar)^2) / (sum w)^2),   r = y - lam * f

With equal weights this is ``Var(y)/N + Var(r) (1/n - 1/N)``: the classic
regression estimator of survey sampling, and with ``lam = 0`` exactly the
clinician-only ``Var(y)/n``. The tuned ``lam`` minimises ``Var(r)``:
``Cov(y, f) / Var(f)``, clipped to [0, 1].

The paper's own setting (``nested=False``) has a separate unlabelled sample;
there ``Var = Var(r)/n + lam^2 Var(f_unlabelled)/N`` and the tuned ``lam`` is
``Cov(y, f) / ((1 + n/N) Var(f))``, as in the ``ppi-python`` reference,
whose estimates and intervals :func:`ppi_disjoint` matches to 4 decimals
(tests/unit/test_ppi.py, where ppi-python is installed).

Intervals are the CLT's: ``theta +- z * se``. They assume the rated answers
are a probability sample of the answers (with the inclusion probabilities
given, or equal ones); they do not assume the panel is right.

Everything works along the last axis, so a simulation of many studies is one
call (:func:`ppi_batch`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ESTIMATORS = ("ppi", "panel", "human")


@dataclass(frozen=True)
class Estimate:
    """A mean with its CLT interval; ``nan`` where it cannot be computed (say so, never guess)."""

    estimator: str          # ppi | panel | human
    mean: float
    se: float
    ci_low: float
    ci_high: float
    n_rated: int            # answers with a clinician consensus (and, for ppi, a panel score)
    n_answers: int          # answers with a panel score
    lam: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(self).items()}

    def clipped(self, low: float, high: float) -> Estimate:
        """The interval clipped to what the quantity can be (e.g. 0-1 for a share)."""
        if math.isnan(self.ci_low):
            return self
        return Estimate(self.estimator, self.mean, self.se, max(low, self.ci_low), min(high, self.ci_high),
                        self.n_rated, self.n_answers, self.lam)


def z_value(confidence: float = 0.95) -> float:
    """The two-sided normal quantile: 1.96 for 95%.

    >>> round(z_value(0.95), 3)
    1.96
    """
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def ppi_batch(y: FloatArray, f: FloatArray, rated: BoolArray, weights: FloatArray | None = None,
              lam: float | None = None) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(estimate, standard error, lam) along the last axis, for the nested design.

    ``f`` is the panel's score on every answer (shape ``(..., N)``), ``y`` the
    clinicians' consensus (any value where not rated), ``rated`` marks the
    rated answers, ``weights`` is ``1 / inclusion probability`` per answer
    (None: a simple random sample, ``pi = n / N``). ``lam=None`` tunes it
    (PPI++), ``1.0`` is classic PPI, ``0.0`` the clinician-only mean.
    Fewer than two rated answers give ``nan``.
    """
    f = np.asarray(f, dtype=np.float64)
    rated = np.asarray(rated, dtype=bool)
    y = np.where(rated, np.asarray(y, dtype=np.float64), 0.0)
    n = rated.sum(axis=-1).astype(np.float64)
    big_n = np.full(n.shape, float(f.shape[-1]))
    if weights is None:
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.where(rated, (big_n / n)[..., None], 0.0)
            pi = np.where(rated, (n / big_n)[..., None], 1.0)
    else:
        w = np.where(rated, np.asarray(weights, dtype=np.float64), 0.0)
        with np.errstate(divide="ignore"):
            pi = np.where(rated, np.minimum(1.0, 1.0 / np.where(w > 0, w, np.inf)), 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        sw = w.sum(axis=-1)
        y_bar = (w * y).sum(axis=-1) / sw
        fr = np.where(rated, f, 0.0)
        f_bar = (w * fr).sum(axis=-1) / sw
        dy, df = np.where(rated, y - y_bar[..., None], 0.0), np.where(rated, fr - f_bar[..., None], 0.0)
        var_y = (w * dy * dy).sum(axis=-1) / sw
        if lam is None:
            var_f = (w * df * df).sum(axis=-1) / sw
            cov = (w * dy * df).sum(axis=-1) / sw
            tuned = np.where(var_f > 0, np.clip(cov / np.where(var_f > 0, var_f, 1.0), 0.0, 1.0), 1.0)
        else:
            tuned = np.full(n.shape, float(lam))
        r = np.where(rated, y - tuned[..., None] * fr, 0.0)
        r_bar = (w * r).sum(axis=-1) / sw
        estimate = tuned * f.sum(axis=-1) / big_n + r_bar
        dr = np.where(rated, r - r_bar[..., None], 0.0)
        design = n / (n - 1) * (w * w * (1 - pi) * dr * dr).sum(axis=-1) / (sw * sw)
        se = np.sqrt(n / (n - 1) * var_y / big_n + design)
    bad = n < 2
    return np.where(bad, np.nan, estimate), np.where(bad, np.nan, se), np.where(bad, np.nan, tuned)


def ppi_mean(y: npt.ArrayLike, f: npt.ArrayLike, *, weights: npt.ArrayLike | None = None,
             lam: float | None = None, confidence: float = 0.95) -> Estimate:
    """PPI++ (``lam=None``) or PPI (``lam=1``) estimate of the mean, nested design.

    ``f``: the panel's score per answer (``nan``: the panel gave none; those
    answers are outside the population). ``y``: the clinicians' consensus per
    answer, ``nan`` where not rated. ``weights``: ``1 / inclusion probability``
    per answer, or None for equal probabilities.

    A panel that scores one point too high, and clinicians who rated half the answers:

    >>> y = [3, 4, 5, 2, float("nan"), float("nan"), float("nan"), float("nan")]
    >>> f = [4, 5, 5, 3, 4, 5, 5, 3]
    >>> e = ppi_mean(y, f, lam=1.0)
    >>> e.mean, e.n_rated, e.n_answers
    (3.5, 4, 8)
    >>> round(panel_mean(f).mean, 3)
    4.25
    """
    yy, ff = np.asarray(y, dtype=np.float64), np.asarray(f, dtype=np.float64)
    keep = ~np.isnan(ff)
    yy, ff = yy[keep], ff[keep]
    rated = ~np.isnan(yy)
    w = None if weights is None else np.asarray(weights, dtype=np.float64)[keep]
    est, se, tuned = ppi_batch(yy, ff, rated, w, lam)
    return _estimate("ppi", float(est), float(se), int(rated.sum()), int(ff.size), confidence,
                     None if math.isnan(float(tuned)) else float(tuned))


def human_mean(y: npt.ArrayLike, *, n_answers: int | None = None, weights: npt.ArrayLike | None = None,
               confidence: float = 0.95) -> Estimate:
    """The clinicians-only mean (``nan`` = not rated), weighted by 1 / inclusion probability when given.

    ``n_answers`` is the population the rated answers were drawn from (for the
    finite-population factor); by default the length of ``y``.

    >>> e = human_mean([3, 4, 5, 2, float("nan")])
    >>> e.mean, e.n_rated
    (3.5, 4)
    """
    yy = np.asarray(y, dtype=np.float64)
    big_n = n_answers if n_answers is not None else yy.size
    rated = ~np.isnan(yy)
    values = yy[rated]
    if values.size < 2:
        mean = float(values.mean()) if values.size else math.nan
        return Estimate("human", mean, math.nan, math.nan, math.nan, int(values.size), big_n, 0.0)
    # lam = 0 of the nested estimator: the f values do not matter.
    pad = max(big_n - values.size, 0)
    yv = np.concatenate([values, np.zeros(pad)])
    mask = np.concatenate([np.ones(values.size, dtype=bool), np.zeros(pad, dtype=bool)])
    w = None
    if weights is not None:
        w = np.concatenate([np.asarray(weights, dtype=np.float64)[rated], np.zeros(pad)])
    est, se, _ = ppi_batch(yv, np.zeros(yv.size), mask, w, 0.0)
    return _estimate("human", float(est), float(se), int(values.size), big_n, confidence, 0.0)


def panel_mean(f: npt.ArrayLike, *, confidence: float = 0.95, n_rated: int = 0) -> Estimate:
    """The panel-only mean and its CLT interval: precise, and wrong by the panel's bias.

    >>> panel_mean([4, 5, 5, 3]).mean
    4.25
    """
    ff = np.asarray(f, dtype=np.float64)
    ff = ff[~np.isnan(ff)]
    if ff.size == 0:
        return Estimate("panel", math.nan, math.nan, math.nan, math.nan, n_rated, 0)
    se = float(ff.std(ddof=1) / math.sqrt(ff.size)) if ff.size > 1 else math.nan
    return _estimate("panel", float(ff.mean()), se, n_rated, int(ff.size), confidence)


def wilson(share: float, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson's score interval for a share seen in ``n`` answers: never zero-width, never outside 0-1.

    A share of 0 in 40 answers is not certainty that the rate is 0:

    >>> low, high = wilson(0.0, 40)
    >>> round(low, 3), round(high, 3)
    (0.0, 0.088)
    """
    if n <= 0:
        return math.nan, math.nan
    z = z_value(confidence)
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def ppi_disjoint(y: npt.ArrayLike, f_rated: npt.ArrayLike, f_unlabelled: npt.ArrayLike, *,
                 lam: float | None = None, confidence: float = 0.95) -> Estimate:
    """The paper's setting: rated answers and a *separate* unlabelled set (the ``ppi-python`` API).

    >>> e = ppi_disjoint([3, 4, 5, 2], [4, 5, 5, 3], [4, 5, 5, 3], lam=1.0)
    >>> e.mean
    3.5
    """
    yy, fr = np.asarray(y, dtype=np.float64), np.asarray(f_rated, dtype=np.float64)
    fu = np.asarray(f_unlabelled, dtype=np.float64)
    n, big_n = yy.size, fu.size
    if n < 2 or big_n < 2:
        return Estimate("ppi", math.nan, math.nan, math.nan, math.nan, n, big_n)
    if lam is None:
        var_f = float(np.var(np.concatenate([fr, fu])))
        cov = float(np.mean((yy - yy.mean()) * (fr - fr.mean())))
        lam = min(1.0, max(0.0, cov / ((1 + n / big_n) * var_f))) if var_f > 0 else 1.0
    r = yy - lam * fr
    mean = float(lam * fu.mean() + r.mean())
    se = math.sqrt(float(np.var(r)) / n + lam * lam * float(np.var(fu)) / big_n)
    return _estimate("ppi", mean, se, n, big_n, confidence, lam)


def _estimate(name: str, mean: float, se: float, n_rated: int, n_answers: int, confidence: float,
              lam: float | None = None) -> Estimate:
    if math.isnan(se):
        return Estimate(name, mean, se, math.nan, math.nan, n_rated, n_answers, lam)
    z = z_value(confidence)
    return Estimate(name, mean, se, mean - z * se, mean + z * se, n_rated, n_answers, lam)
