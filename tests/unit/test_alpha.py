"""Krippendorff's alpha and its bootstrap, checked against the krippendorff package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import krippendorff
import numpy as np
import numpy.typing as npt
import pytest

from rater.stats.alpha import (
    LEVELS,
    AlphaResult,
    Coincidences,
    Level,
    alpha,
    bootstrap,
    resample_alphas,
)

NAN = np.nan
LIKERT = [1, 2, 3, 4, 5]

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C:
# 4 observers x 12 units, values 1-5, with missing values.
KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
        [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
    ]
)
PUBLISHED = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}


def reference(
    data: npt.ArrayLike, level: Level, value_domain: npt.ArrayLike | None = None
) -> float:
    """The krippendorff package's alpha; nan (not a warning) where it divides 0 by 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(
            krippendorff.alpha(
                reliability_data=data, level_of_measurement=level, value_domain=value_domain
            )
        )


def likert(
    rng: np.random.Generator, n_raters: int, n_units: int, missing: float = 0.2
) -> npt.NDArray[np.float64]:
    """Raters who mostly agree on a 1-5 scale, off by one now and then, with gaps."""
    truth = rng.integers(1, 6, size=n_units)
    noise = rng.choice([-1, 0, 1], p=[0.15, 0.7, 0.15], size=(n_raters, n_units))
    data: npt.NDArray[np.float64] = np.clip(truth + noise, 1, 5).astype(np.float64)
    data[rng.random(data.shape) < missing] = NAN
    return data


@pytest.mark.parametrize("level", LEVELS)
def test_published_worked_example(level: Level) -> None:
    value = alpha(KRIPPENDORFF_2011, level, value_domain=LIKERT)
    assert round(value, 3) == PUBLISHED[level]
    assert value == pytest.approx(reference(KRIPPENDORFF_2011, level, LIKERT), abs=1e-12)


def test_worked_example_counts_the_unit_with_one_value() -> None:
    coincidences = Coincidences.from_reliability_data(KRIPPENDORFF_2011, LIKERT)
    assert (coincidences.n_units, coincidences.n_excluded, coincidences.n_pairable) == (11, 1, 40)
    # The published coincidence matrix, rows/columns 1..5.
    expected = [
        [7.0, 4 / 3, 1 / 3, 1 / 3, 0.0],
        [4 / 3, 10.0, 4 / 3, 1 / 3, 0.0],
        [1 / 3, 4 / 3, 8.0, 1 / 3, 0.0],
        [1 / 3, 1 / 3, 1 / 3, 4.0, 0.0],
        [0.0, 0.0, 0.0, 0.0, 3.0],
    ]
    np.testing.assert_allclose(coincidences.unit_contributions.sum(axis=0), expected, atol=1e-12)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("shape", [(2, 10), (3, 37), (5, 200), (12, 15)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_krippendorff_on_integer_ratings(
    level: Level, shape: tuple[int, int], seed: int
) -> None:
    data = np.random.default_rng(seed).integers(1, 6, size=shape).astype(np.float64)
    data[np.random.default_rng(seed + 100).random(shape) < 0.3] = NAN
    assert alpha(data, level, LIKERT) == pytest.approx(reference(data, level, LIKERT), abs=1e-9)
    assert alpha(data, level) == pytest.approx(reference(data, level), abs=1e-9)


@pytest.mark.parametrize("level", ["interval", "ratio"])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_matches_krippendorff_on_non_integer_values(level: Level, seed: int) -> None:
    rng = np.random.default_rng(seed)
    truth = rng.uniform(0, 10, size=60)
    data = np.round(truth + rng.normal(0, 1.5, size=(4, 60)), 2).clip(0, None)
    data[rng.random(data.shape) < 0.25] = NAN
    assert alpha(data, level) == pytest.approx(reference(data, level), abs=1e-9)
    halves = np.round(data * 2) / 2  # a coarse scale where values repeat
    assert alpha(halves, level) == pytest.approx(reference(halves, level), abs=1e-9)


def test_a_domain_value_nobody_used_does_not_change_alpha() -> None:
    data = likert(np.random.default_rng(3), 4, 80)
    data[data == 5] = 4
    for level in LEVELS:
        assert alpha(data, level, [0, 1, 2, 3, 4, 5, 6]) == pytest.approx(
            alpha(data, level), abs=1e-12
        )


def test_units_with_fewer_than_two_values_are_counted_not_used() -> None:
    data = likert(np.random.default_rng(4), 3, 40)
    lonely = np.full((3, 5), NAN)
    lonely[1, :3] = [1, 4, 5]  # three units rated once, two not at all
    padded = np.hstack([data, lonely])
    n_excluded = int(((~np.isnan(data)).sum(axis=0) < 2).sum()) + 5
    result = bootstrap(padded, "ordinal", LIKERT, n_boot=10, seed=0)
    assert result.n_excluded_units == n_excluded
    assert result.n_units == padded.shape[1] - n_excluded
    assert result.alpha == pytest.approx(alpha(data, "ordinal", LIKERT), abs=1e-12)


def test_undefined_alpha_is_nan() -> None:
    assert np.isnan(alpha([[1, NAN], [NAN, 2]], "nominal"))  # nothing to pair
    assert np.isnan(alpha(np.full((2, 3), NAN), "ordinal"))  # no ratings at all
    assert np.isnan(alpha([[3, 3, 3], [3, 3, 3]], "interval", LIKERT))  # no variation


def test_unknown_level_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match=r"Unknown level 'likert'.*nominal, ordinal"):
        alpha(KRIPPENDORFF_2011, "likert")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Unknown level"):
        bootstrap(KRIPPENDORFF_2011, "Ordinal", LIKERT)  # type: ignore[arg-type]


def test_values_outside_the_domain_are_named() -> None:
    data = KRIPPENDORFF_2011.copy()
    data[0, 0], data[1, 0] = 6, 0.5
    with pytest.raises(ValueError, match=r"2 value\(s\) not in value_domain: 0\.5, 6\."):
        alpha(data, "ordinal", LIKERT)


def test_malformed_input_is_refused() -> None:
    with pytest.raises(ValueError, match="more than once"):
        alpha(KRIPPENDORFF_2011, "ordinal", [1, 2, 2, 3, 4, 5])
    with pytest.raises(ValueError, match="2-D"):
        alpha([1, 2, 3], "ordinal")
    with pytest.raises(ValueError, match="n_boot"):
        bootstrap(KRIPPENDORFF_2011, "ordinal", n_boot=0)
    with pytest.raises(ValueError, match="confidence"):
        bootstrap(KRIPPENDORFF_2011, "ordinal", confidence=95)


def test_bootstrap_is_reproducible_with_a_seed() -> None:
    data = likert(np.random.default_rng(5), 4, 100)
    first = bootstrap(data, "ordinal", LIKERT, n_boot=200, seed=42)
    again = bootstrap(data, "ordinal", LIKERT, n_boot=200, seed=42)
    other = bootstrap(data, "ordinal", LIKERT, n_boot=200, seed=43)
    np.testing.assert_array_equal(first.samples, again.samples)
    assert first == again
    assert not np.array_equal(first.samples, other.samples)


def test_interval_narrows_as_units_grow() -> None:
    rng = np.random.default_rng(6)
    small = bootstrap(likert(rng, 4, 50), "ordinal", LIKERT, n_boot=500, seed=0)
    large = bootstrap(likert(rng, 4, 2000), "ordinal", LIKERT, n_boot=500, seed=0)
    assert small.ci_low <= small.alpha <= small.ci_high
    assert large.ci_low <= large.alpha <= large.ci_high
    # Width shrinks like 1/sqrt(units): sqrt(2000 / 50) is about 6.
    assert large.ci_high - large.ci_low < (small.ci_high - small.ci_low) / 3


def test_shares_below_thresholds_follow_the_samples() -> None:
    data = likert(np.random.default_rng(7), 4, 300)
    result = bootstrap(data, "ordinal", LIKERT, n_boot=300, seed=1)
    assert result.p_below_0667 == np.mean(result.samples < 0.667)
    assert result.p_below_0800 == np.mean(result.samples < 0.800)
    assert result.p_below_0667 <= result.p_below_0800
    noise = np.random.default_rng(8).integers(1, 6, size=(4, 300)).astype(np.float64)
    assert bootstrap(noise, "ordinal", LIKERT, n_boot=300, seed=1).p_below_0667 == 1.0


def test_degenerate_resamples_are_counted_and_left_out() -> None:
    # Three units: any resample that draws only the first two has one value per unit.
    data = np.array([[1, 2, 1], [1, 2, 2]], dtype=np.float64)
    result = bootstrap(data, "nominal", n_boot=500, seed=2)
    nan_count = int(np.isnan(result.samples).sum())
    assert 0 < result.n_nan_boot == nan_count < 500
    finite = result.samples[~np.isnan(result.samples)]
    assert result.ci_low == pytest.approx(np.quantile(finite, 0.025))
    assert not np.isnan(result.ci_high)


def test_result_repr_leaves_out_the_samples() -> None:
    result = bootstrap(KRIPPENDORFF_2011, "ordinal", LIKERT, n_boot=50, seed=0)
    assert isinstance(result, AlphaResult)
    assert "samples" not in repr(result) and "n_excluded_units=1" in repr(result)
    assert result.samples.shape == (50,)


@pytest.mark.parametrize("level", LEVELS)
def test_fast_bootstrap_equals_naive_loop_on_the_same_resamples(level: Level) -> None:
    rng = np.random.default_rng(9)
    data = likert(rng, 4, 60, missing=0.35)
    coincidences = Coincidences.from_reliability_data(data, LIKERT)
    assert coincidences.n_excluded > 0
    indices = rng.integers(0, coincidences.n_units, size=(200, coincidences.n_units))
    fast = resample_alphas(coincidences, indices, level)
    naive = np.array(
        [reference(data[:, coincidences.unit_columns[row]], level, LIKERT) for row in indices]
    )
    assert np.max(np.abs(fast - naive)) < 1e-12


@pytest.mark.parametrize("level", LEVELS)
def test_fast_equals_naive_on_degenerate_resamples(level: Level) -> None:
    data = np.array([[1, 2, 1, 4], [1, 2, 2, 4], [NAN, 2, NAN, NAN]], dtype=np.float64)
    coincidences = Coincidences.from_reliability_data(data, LIKERT)
    indices = np.random.default_rng(10).integers(0, 4, size=(100, 4))
    fast = resample_alphas(coincidences, indices, level)
    naive = np.array(
        [reference(data[:, coincidences.unit_columns[row]], level, LIKERT) for row in indices]
    )
    np.testing.assert_array_equal(np.isnan(fast), np.isnan(naive))
    assert np.isnan(fast).any()
    np.testing.assert_allclose(fast, naive, rtol=0, atol=1e-12)


def test_resample_indices_out_of_range_are_refused() -> None:
    coincidences = Coincidences.from_reliability_data(KRIPPENDORFF_2011, LIKERT)
    with pytest.raises(ValueError, match=r"\[0, 11\)"):
        resample_alphas(coincidences, [[0, 11]], "ordinal")
    with pytest.raises(ValueError, match=r"shape \(B, 11\)"):
        coincidences.alphas(np.ones((2, 10)), "ordinal")


def test_importing_alpha_pulls_in_no_ui_llm_or_pandas() -> None:
    code = (
        "import sys, rater.stats.alpha\n"
        "print(sorted(m for m in ('pandas', 'textual', 'litellm') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "[]"
