"""Krippendorff's alpha, and a bootstrap fast enough to run on every agreement report.

Follows Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": a
coincidence matrix ``o`` built from every unit with at least two values, the
marginals ``n_c`` of ``o``, a distance ``d`` for the level of measurement, and

    alpha = 1 - D_o / D_e = 1 - (n - 1) * sum(o * d) / sum(n_c * n_k * d)

Each unit's share of ``o`` is computed once (:class:`Coincidences`). A
bootstrap resample of units is then just a weight per unit (how often it was
drawn), and its coincidence matrix is ``weights @ unit_contributions``: one
matrix product for all resamples, with no Python loop over resamples. As
``d`` is symmetric with a zero diagonal, only the pairs above the diagonal
and the value counts enter that product (:attr:`Coincidences.design`).

Only numpy is imported here, so agreement reports start fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt

from rater.rules import LEVELS, RELIABLE, TENTATIVE, Level

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

# Resamples per chunk are chosen so one chunk's weights stay near this many cells.
_CHUNK_CELLS = 4_000_000
# From this many units on, draw counts are tallied one resample at a time.
_ROW_BINCOUNT = 2_048


@dataclass(frozen=True, eq=False)
class Coincidences:
    """Every pairable unit's contribution to the coincidence matrix, computed once.

    Build it with :meth:`from_reliability_data`. Units with fewer than two
    values cannot be paired: they are left out of every array here and counted
    in ``n_excluded``, so a report can say how many were skipped.

    Attributes
    ----------
    value_domain : ndarray, shape (V,)
        The ordered possible values; index ``c`` of every array means ``value_domain[c]``.
    unit_contributions : ndarray, shape (U, V, V)
        For unit ``u`` with ``m_u`` values, ``(#pairs of values c, k) / (m_u - 1)``.
    unit_counts : ndarray, shape (U, V)
        How many of unit ``u``'s values equal each value (its row sums of the contribution).
    unit_columns : ndarray, shape (U,)
        Column of the reliability data each pairable unit came from.
    n_excluded : int
        Units (columns) with fewer than two values.

    Notes
    -----
    Memory is ``U * V**2`` floats: small for rating scales, large for
    continuous interval data with thousands of distinct values.
    """

    value_domain: FloatArray
    unit_contributions: FloatArray
    unit_counts: FloatArray
    unit_columns: IntArray
    n_excluded: int

    @classmethod
    def from_reliability_data(
        cls, reliability_data: npt.ArrayLike, value_domain: npt.ArrayLike | None = None
    ) -> Coincidences:
        """Validate raters x units data (``nan`` = missing) and precompute each unit's share."""
        data = np.asarray(reliability_data, dtype=np.float64)
        if data.ndim != 2:
            raise ValueError(
                f"reliability_data must be 2-D (raters x units); got {data.ndim} dimension(s)."
            )
        if np.isinf(data).any():
            raise ValueError("reliability_data contains an infinite value; use nan for missing.")
        present = ~np.isnan(data)
        domain = _checked_domain(data[present], value_domain)
        n_units, n_values = data.shape[1], domain.size

        # Position of every present value in the domain, which need not be sorted.
        order = np.argsort(domain, kind="stable")
        positions = order[np.searchsorted(domain, data[present], sorter=order)]
        unit_of_value = np.nonzero(present)[1]
        counts = np.bincount(
            unit_of_value * n_values + positions, minlength=n_units * n_values
        ).reshape(n_units, n_values)

        m = counts.sum(axis=1)
        pairable = m >= 2
        counts = counts[pairable].astype(np.float64)
        pairs = counts[:, :, None] * counts[:, None, :]
        pairs[:, np.arange(n_values), np.arange(n_values)] -= counts
        contributions = pairs / (m[pairable] - 1.0)[:, None, None]
        return cls(
            value_domain=domain,
            unit_contributions=contributions,
            unit_counts=counts,
            unit_columns=np.flatnonzero(pairable),
            n_excluded=int(n_units - pairable.sum()),
        )

    @property
    def n_units(self) -> int:
        """Units with at least two values: the units alpha and the bootstrap use."""
        return int(self.unit_counts.shape[0])

    @property
    def n_pairable(self) -> int:
        """Total values in those units (Krippendorff's ``n``)."""
        return int(self.unit_counts.sum())

    @cached_property
    def design(self) -> FloatArray:
        """Per unit, shape (U, P + V): its coincidences for each value pair c < k, then its counts.

        Every distance is symmetric with a zero diagonal, so the pairs above
        the diagonal (``P = V * (V - 1) / 2``) carry all of the observed
        disagreement. Weighted sums of these rows are all :func:`alphas_from_totals`
        needs, so statistics on the same units can share one matrix product.
        """
        upper = np.triu_indices(self.value_domain.size, 1)
        return np.hstack([self.unit_contributions[:, upper[0], upper[1]], self.unit_counts])

    def alphas(self, weights: npt.ArrayLike, level: Level) -> FloatArray:
        """Alpha for each row of per-unit weights, shape (B, U) -> (B,).

        A row of ones is the data as observed; a row of bootstrap draw counts
        is one resample. Rows whose expected disagreement is zero give ``nan``.
        """
        _check_level(level)
        w = np.atleast_2d(np.asarray(weights, dtype=np.float64))
        if w.ndim != 2 or w.shape[1] != self.n_units:
            raise ValueError(f"weights must have shape (B, {self.n_units}); got {w.shape}.")
        return alphas_from_totals(w @ self.design, self.value_domain, level)


def alphas_from_totals(totals: FloatArray, value_domain: FloatArray, level: Level) -> FloatArray:
    """Alpha for each row of weighted sums of :attr:`Coincidences.design` rows, (B, P + V) -> (B,).

    ``D_o`` and ``D_e`` are both sums over the pairs c < k (each counted once
    rather than twice, which cancels in their ratio). Rows with no expected
    disagreement give ``nan``.
    """
    _check_level(level)
    totals = np.atleast_2d(totals)
    n_values = value_domain.size
    if n_values < 2:
        return np.full(totals.shape[0], np.nan)
    lo, hi = np.triu_indices(n_values, 1)
    observed = totals[:, : lo.size]
    # Marginals from the integer counts are exact; sums of coincidences carry rounding.
    marginals = totals[:, lo.size :]
    dist = _pair_distances(value_domain, marginals, level, lo, hi)
    d_o = np.einsum("bp,bp->b", observed, np.broadcast_to(dist, observed.shape))
    d_e = np.einsum("bp,bp->b", marginals[:, lo] * marginals[:, hi], np.broadcast_to(dist, observed.shape))
    n = marginals.sum(axis=1)
    result = np.full(totals.shape[0], np.nan)
    ok = d_e > 0
    result[ok] = 1.0 - (n[ok] - 1.0) * d_o[ok] / d_e[ok]
    return result


@dataclass(frozen=True)
class AlphaResult:
    """A point estimate of alpha with its bootstrap interval and what it rests on.

    Attributes
    ----------
    alpha : float
        Alpha on the data as observed (``nan`` if undefined, see :func:`alpha`).
    ci_low, ci_high : float
        Percentile bootstrap interval at ``confidence``, over non-nan resamples.
    p_below_0667, p_below_0800 : float
        Share of non-nan bootstrap alphas below 0.667 and 0.800, Krippendorff's
        thresholds for tentative conclusions and for relying on the data.
    n_units, n_excluded_units, n_pairable : int
        Units with at least two values, units with fewer (skipped), and values in the former.
    n_boot, n_nan_boot : int
        Resamples drawn, and how many had no expected disagreement (left out).
    confidence : float
        Coverage of the interval.
    samples : ndarray, shape (n_boot,)
        Every bootstrap alpha, ``nan`` included; left out of ``repr`` and ``==``.
    """

    alpha: float
    ci_low: float
    ci_high: float
    p_below_0667: float
    p_below_0800: float
    n_units: int
    n_excluded_units: int
    n_pairable: int
    n_boot: int
    n_nan_boot: int
    confidence: float
    samples: FloatArray = field(repr=False, compare=False)

    @classmethod
    def from_samples(
        cls,
        point: float,
        samples: FloatArray,
        *,
        n_units: int,
        n_excluded_units: int,
        n_pairable: int,
        confidence: float,
    ) -> AlphaResult:
        """Summarise bootstrap alphas (``nan`` = degenerate resample) around a point estimate.

        The one place the percentile interval and the threshold shares are
        formed, for :func:`bootstrap` and for statistics built from several
        alphas on common resamples (rater.stats.agreement).
        """
        if not 0 < confidence < 1:
            raise ValueError(f"confidence must be strictly between 0 and 1; got {confidence}.")
        samples = np.asarray(samples, dtype=np.float64)
        finite = samples[~np.isnan(samples)]
        if finite.size:
            tail = (1.0 - confidence) / 2.0
            ci_low, ci_high = (float(q) for q in np.quantile(finite, [tail, 1.0 - tail]))
            below_0667 = float(np.mean(finite < TENTATIVE))
            below_0800 = float(np.mean(finite < RELIABLE))
        else:
            ci_low = ci_high = below_0667 = below_0800 = float("nan")
        return cls(
            alpha=float(point),
            ci_low=ci_low,
            ci_high=ci_high,
            p_below_0667=below_0667,
            p_below_0800=below_0800,
            n_units=n_units,
            n_excluded_units=n_excluded_units,
            n_pairable=n_pairable,
            n_boot=int(samples.size),
            n_nan_boot=int(samples.size - finite.size),
            confidence=confidence,
            samples=samples,
        )


def alpha(
    reliability_data: npt.ArrayLike,
    level: Level = "ordinal",
    value_domain: npt.ArrayLike | None = None,
) -> float:
    """Krippendorff's alpha for raters x units data.

    Parameters
    ----------
    reliability_data : array_like, shape (raters, units)
        Numeric ratings; ``nan`` marks a missing rating.
    level : {"nominal", "ordinal", "interval", "ratio"}
        Level of measurement. Likert scales are ordinal.
    value_domain : array_like, optional
        The possible values in order, e.g. ``[1, 2, 3, 4, 5]``; the order is
        what "ordinal" ranks by. A value nobody used has frequency 0 and so
        does not change alpha. Defaults to the sorted observed values.

    Returns
    -------
    float
        Alpha; ``nan`` when no unit has two values to pair, or when the paired
        values show no variation (expected disagreement is 0), as alpha is
        undefined there.

    Raises
    ------
    ValueError
        For an unknown level, a value outside ``value_domain``, a repeated
        domain value, or data that is not 2-D.

    Examples
    --------
    Krippendorff's (2011) worked example: 4 observers, 12 units, values 1-5.

    >>> nan = float("nan")
    >>> data = [[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...         [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    ...         [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    ...         [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]
    >>> for level in ("nominal", "ordinal", "interval", "ratio"):
    ...     print(level, round(alpha(data, level, value_domain=[1, 2, 3, 4, 5]), 3))
    nominal 0.743
    ordinal 0.815
    interval 0.849
    ratio 0.797
    >>> alpha([[1, 1], [1, 1]], "nominal")  # no variation: undefined
    nan
    """
    coincidences = Coincidences.from_reliability_data(reliability_data, value_domain)
    return float(coincidences.alphas(np.ones(coincidences.n_units), level)[0])


def resample_alphas(coincidences: Coincidences, indices: npt.ArrayLike, level: Level) -> FloatArray:
    """Alpha of each resample given explicitly as rows of unit indices.

    ``indices`` has shape (B, k) with entries in ``range(coincidences.n_units)``,
    i.e. positions among the pairable units; ``coincidences.unit_columns[indices]``
    gives the matching columns of the reliability data, so a naive loop can be
    run on exactly the same resamples. ``nan`` marks a degenerate resample.
    """
    idx = np.atleast_2d(np.asarray(indices, dtype=np.intp))
    n_units = coincidences.n_units
    if idx.size and (idx.min() < 0 or idx.max() >= n_units):
        raise ValueError(f"resample indices must lie in [0, {n_units}).")
    return coincidences.alphas(_draw_counts(idx, n_units), level)


def _draw_counts(idx: IntArray, n_units: int) -> FloatArray:
    """(B, k) unit indices -> (B, n_units) how often each unit was drawn in each resample."""
    n_boot = idx.shape[0]
    if n_units >= _ROW_BINCOUNT:
        # Row by row is faster for many units: no offset array, and each count stays in cache.
        out = np.empty((n_boot, n_units))
        for b in range(n_boot):
            out[b] = np.bincount(idx[b], minlength=n_units)
        return out
    offsets = (np.arange(n_boot, dtype=np.intp) * n_units)[:, None]
    counts = np.bincount((idx + offsets).ravel(), minlength=n_boot * n_units)
    return counts.reshape(n_boot, n_units).astype(np.float64)


def resample_weights(
    n_units: int, n_boot: int, seed: int | np.random.SeedSequence | None = None
) -> Iterator[tuple[int, int, FloatArray]]:
    """Bootstrap resamples of ``n_units`` units as draw counts, a chunk at a time.

    Yields ``(start, stop, weights)`` where ``weights[b - start, u]`` is how
    often resample ``b`` drew unit ``u`` (``n_units`` draws with replacement).
    These are exactly the resamples :func:`bootstrap` uses for the same
    ``seed``, so several statistics on the same units (each a
    ``Coincidences.alphas`` of the same weights) can share resamples and be
    compared resample by resample. Chunks keep memory bounded.
    """
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1; got {n_boot}.")
    if n_units < 1:
        return
    rng = np.random.default_rng(seed)
    chunk = max(1, _CHUNK_CELLS // n_units)
    for start in range(0, n_boot, chunk):
        stop = min(start + chunk, n_boot)
        draws = rng.integers(0, n_units, size=(stop - start, n_units))
        yield start, stop, _draw_counts(draws, n_units)


def bootstrap(
    reliability_data: npt.ArrayLike,
    level: Level,
    value_domain: npt.ArrayLike | None = None,
    n_boot: int = 1000,
    seed: int | np.random.SeedSequence | None = None,
    confidence: float = 0.95,
) -> AlphaResult:
    """Alpha with a percentile bootstrap interval, resampling units with replacement.

    Only units with at least two values are resampled (the others carry no
    pairs); each resample draws that many of them. The same ``seed`` gives the
    same result. Parameters not listed are as in :func:`alpha`.

    Parameters
    ----------
    n_boot : int
        Number of resamples.
    seed : int, SeedSequence or None
        Seed for ``numpy.random.default_rng``.
    confidence : float
        Coverage of the interval, strictly between 0 and 1.

    Returns
    -------
    AlphaResult
        Resamples with no expected disagreement give ``nan``; they are left out
        of the interval and the shares, and counted in ``n_nan_boot``.

    Examples
    --------
    >>> nan = float("nan")
    >>> data = [[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...         [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    ...         [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    ...         [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]
    >>> result = bootstrap(data, "ordinal", value_domain=[1, 2, 3, 4, 5], seed=1)
    >>> round(result.alpha, 3), result.n_units, result.n_excluded_units, result.n_pairable
    (0.815, 11, 1, 40)
    >>> result.ci_low < result.alpha < result.ci_high
    True
    """
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1; got {n_boot}.")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be strictly between 0 and 1; got {confidence}.")
    coincidences = Coincidences.from_reliability_data(reliability_data, value_domain)
    point = float(coincidences.alphas(np.ones(coincidences.n_units), level)[0])
    samples = np.full(n_boot, np.nan)
    for start, stop, weights in resample_weights(coincidences.n_units, n_boot, seed):
        samples[start:stop] = coincidences.alphas(weights, level)
    return AlphaResult.from_samples(
        point,
        samples,
        n_units=coincidences.n_units,
        n_excluded_units=coincidences.n_excluded,
        n_pairable=coincidences.n_pairable,
        confidence=confidence,
    )


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise ValueError(f"Unknown level {level!r}; expected one of {', '.join(LEVELS)}.")


def _checked_domain(values: FloatArray, value_domain: npt.ArrayLike | None) -> FloatArray:
    """The value domain as floats, after checking every observed value is in it."""
    if value_domain is None:
        return np.unique(values)
    domain = np.asarray(value_domain, dtype=np.float64).ravel()
    if not np.isfinite(domain).all():
        raise ValueError("value_domain must contain only finite numbers.")
    if np.unique(domain).size != domain.size:
        raise ValueError("value_domain lists a value more than once.")
    outside = np.setdiff1d(values, domain)
    if outside.size:
        shown = ", ".join(f"{v:g}" for v in outside[:5]) + (", ..." if outside.size > 5 else "")
        raise ValueError(
            f"reliability_data has {outside.size} value(s) not in value_domain: {shown}. "
            f"Allowed: {', '.join(f'{v:g}' for v in domain)}."
        )
    return domain


def _pair_distances(
    domain: FloatArray, marginals: FloatArray, level: Level, lo: IntArray, hi: IntArray
) -> FloatArray:
    """Squared distance for each value pair (lo[p], hi[p]): (P,), or (B, P) for ordinal.

    The ordinal distance between ranks c < k is
    ``(n_c/2 + n_(c+1) + ... + n_(k-1) + n_k/2)**2``, so it depends on each
    resample's marginals and is recomputed for every resample at once.
    """
    c, k = domain[lo], domain[hi]
    if level == "nominal":
        return np.not_equal(c, k).astype(np.float64)
    if level == "interval":
        return (c - k) ** 2
    if level == "ratio":
        total = c + k
        ratio = np.divide(c - k, total, out=np.zeros_like(total), where=total != 0)
        return ratio**2
    # Ordinal: ranks are positions in the domain, which the caller ordered.
    ranks = np.arange(domain.size)
    low = np.minimum(ranks[lo], ranks[hi])
    high = np.maximum(ranks[lo], ranks[hi])
    cumulative = np.cumsum(marginals, axis=1)
    between = cumulative[:, high] - cumulative[:, low] + marginals[:, low]
    return (between - (marginals[:, low] + marginals[:, high]) / 2.0) ** 2
