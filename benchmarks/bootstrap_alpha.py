"""How much faster the matrix-product bootstrap of alpha is than a loop over resamples.

Data: 4 raters x 2,000 units of 1-5 ordinal ratings, about 10% missing;
1,000 resamples of units. The naive loop calls ``krippendorff.alpha`` on each
resample's columns; the fast path is :func:`rater.stats.alpha.resample_alphas`
on the very same resample indices, so the two can be compared value by value.

Run from the top of the checkout (prints figures; it is not a test)::

    .venv/bin/python -m benchmarks.bootstrap_alpha [--naive-resamples 100]

(or ``.venv/bin/python benchmarks/bootstrap_alpha.py`` once rater is installed).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import TypeVar

import krippendorff
import numpy as np
import numpy.typing as npt

from rater.stats.alpha import LEVELS, Coincidences, Level, bootstrap, resample_alphas

T = TypeVar("T")

RATERS, UNITS, RESAMPLES, MISSING, SEED = 4, 2_000, 1_000, 0.10, 2024
DOMAIN = [1, 2, 3, 4, 5]
LEVEL: Level = "ordinal"


def ratings() -> npt.NDArray[np.float64]:
    """Raters who mostly agree, off by one now and then, with gaps."""
    rng = np.random.default_rng(SEED)
    truth = rng.integers(1, 6, size=UNITS)
    noise = rng.choice([-1, 0, 1], p=[0.15, 0.7, 0.15], size=(RATERS, UNITS))
    data: npt.NDArray[np.float64] = np.clip(truth + noise, 1, 5).astype(np.float64)
    data[rng.random(data.shape) < MISSING] = np.nan
    return data


def timed(run: Callable[[], T], repeats: int) -> tuple[float, T]:
    """Median wall time of ``repeats`` runs, and the last run's result."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def naive_alphas(
    data: npt.NDArray[np.float64], columns: npt.NDArray[np.intp], level: Level
) -> npt.NDArray[np.float64]:
    """krippendorff.alpha on each resample's columns, one call per resample."""
    return np.array(
        [
            krippendorff.alpha(
                reliability_data=data[:, row], level_of_measurement=level, value_domain=DOMAIN
            )
            for row in columns
        ]
    )


def row(label: str, figure: str) -> None:
    print(f"{label:<46}{figure}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--naive-resamples",
        type=int,
        default=RESAMPLES,
        help=f"time the naive loop on this many resamples and scale to {RESAMPLES:,}",
    )
    parser.add_argument("--repeats", type=int, default=5, help="timings per figure (median)")
    args = parser.parse_args()

    data = ratings()
    coincidences = Coincidences.from_reliability_data(data, DOMAIN)
    indices = np.random.default_rng(SEED + 1).integers(
        0, coincidences.n_units, size=(RESAMPLES, coincidences.n_units)
    )
    columns = coincidences.unit_columns[indices]
    n_naive = min(args.naive_resamples, RESAMPLES)
    naive_repeats = max(1, args.repeats // 2)

    naive_time, naive = timed(lambda: naive_alphas(data, columns[:n_naive], LEVEL), naive_repeats)
    naive_time *= RESAMPLES / n_naive
    fast_time, fast = timed(lambda: resample_alphas(coincidences, indices, LEVEL), args.repeats)
    full_time, result = timed(
        lambda: bootstrap(data, LEVEL, DOMAIN, n_boot=RESAMPLES, seed=SEED), args.repeats
    )

    print(
        f"{RATERS} raters x {UNITS:,} units, 1-5 {LEVEL}, {MISSING:.0%} missing: "
        f"{coincidences.n_units:,} pairable units ({coincidences.n_excluded} excluded), "
        f"{coincidences.n_pairable:,} pairable values; {RESAMPLES:,} resamples"
    )
    scaled = "" if n_naive == RESAMPLES else f", timed on {n_naive} and scaled"
    row(
        "naive loop (krippendorff.alpha per resample)",
        f"{naive_time:9.4f} s  (median of {naive_repeats}{scaled})",
    )
    row("fast resample_alphas, same indices", f"{fast_time:9.4f} s  (median of {args.repeats})")
    row(
        "fast bootstrap() end to end, incl. draws",
        f"{full_time:9.4f} s  (median of {args.repeats})",
    )
    row("speed-up naive / resample_alphas", f"{naive_time / fast_time:9.0f} x  (target >= 50)")
    row("speed-up naive / bootstrap()", f"{naive_time / full_time:9.0f} x")
    difference = np.max(np.abs(fast[:n_naive] - naive))
    row(f"max |fast - naive|, {LEVEL}, {n_naive} resamples", f"{difference:9.1e}  (target < 1e-12)")
    for level in LEVELS:
        if level != LEVEL:
            check = columns[:100]
            other = np.max(
                np.abs(
                    resample_alphas(coincidences, indices[:100], level)
                    - naive_alphas(data, check, level)
                )
            )
            row(f"max |fast - naive|, {level}, 100 resamples", f"{other:9.1e}")
    print(
        f"alpha = {result.alpha:.4f}, {result.confidence:.0%} CI "
        f"[{result.ci_low:.4f}, {result.ci_high:.4f}], "
        f"P(alpha < .667) = {result.p_below_0667:.3f}, P(alpha < .800) = {result.p_below_0800:.3f}"
    )


if __name__ == "__main__":
    main()
