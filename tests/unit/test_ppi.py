"""Prediction-powered intervals hold where the panel-only interval does not (simulated studies)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rater.stats.ppi import human_mean, panel_mean, ppi_batch, ppi_disjoint, ppi_mean, z_value

TRUTH = 3.0
STUDIES = 1_000


def _studies(rng: np.random.Generator, n_answers: int = 2_000) -> tuple[np.ndarray, np.ndarray]:
    """Clinicians' truth and a panel that is biased (+0.4 on average) and noisy, for many studies."""
    y = TRUTH + rng.normal(0, 1, (STUDIES, n_answers))
    f = 0.8 * y + 1.0 + rng.normal(0, 0.5, y.shape)
    return y, f


def _coverage(est: np.ndarray, se: np.ndarray, truth: float = TRUTH) -> float:
    z = z_value(0.95)
    return float(np.mean((est - z * se <= truth) & (est + z * se >= truth)))


@pytest.mark.parametrize("lam", [None, 1.0], ids=["ppi++", "ppi"])
def test_ppi_covers_the_truth_and_the_biased_panel_does_not(lam: float | None) -> None:
    rng = np.random.default_rng(2023)
    y, f = _studies(rng)
    rated = np.zeros(y.shape, dtype=bool)
    picks = rng.permuted(np.tile(np.arange(y.shape[1]), (STUDIES, 1)), axis=1)[:, :200]
    np.put_along_axis(rated, picks, True, axis=1)
    est, se, _ = ppi_batch(y, f, rated, lam=lam)
    coverage = _coverage(est, se)
    print(f"PPI ({'tuned' if lam is None else 'lam=1'}) coverage: {coverage:.3f}")
    assert 0.93 <= coverage <= 0.97
    panel_est = f.mean(axis=1)
    panel_se = f.std(axis=1, ddof=1) / math.sqrt(f.shape[1])
    panel_coverage = _coverage(panel_est, panel_se)
    print(f"panel-only coverage: {panel_coverage:.3f}")
    assert panel_coverage < 0.5


@pytest.mark.parametrize("lam", [None, 1.0], ids=["ppi++", "ppi"])
def test_unequal_inclusion_probabilities_are_corrected_by_the_weights(lam: float | None) -> None:
    """Hard answers (30%), where the panel overrates most, drawn 8x as often as the rest (as a study
    oversampling a stratum would): with the weights the interval covers; without them it cannot.

    The panel's bias must differ between the strata: were it the same, the unweighted estimate would be
    right by luck and this test could not tell a weighted estimator from one that ignores the weights.
    """
    rng = np.random.default_rng(8)
    hard = rng.random((STUDIES, 2_000)) < 0.3
    y = TRUTH + rng.normal(0, 1, hard.shape) - 0.5 * hard
    f = 0.8 * y + 1.0 + 0.8 * hard + rng.normal(0, 0.5, hard.shape)
    pi = np.where(hard, 0.4, 0.05)
    rated = rng.random(hard.shape) < pi
    truth = TRUTH - 0.5 * 0.3
    est, se, _ = ppi_batch(y, f, rated, 1.0 / pi, lam=lam)
    coverage = _coverage(est, se, truth)
    print(f"weighted PPI ({'tuned' if lam is None else 'lam=1'}) coverage: {coverage:.3f}")
    assert 0.93 <= coverage <= 0.97
    unweighted, unweighted_se, _ = ppi_batch(y, f, rated, lam=lam)
    assert _coverage(unweighted, unweighted_se, truth) < 0.5
    # The clinicians' plain mean is pulled towards the oversampled hard answers.
    naive = np.where(rated, y, 0).sum(axis=1) / rated.sum(axis=1)
    naive_se = np.sqrt(np.nanvar(np.where(rated, y, np.nan), axis=1) / rated.sum(axis=1))
    assert _coverage(naive, naive_se, truth) < 0.5


def test_tuning_never_widens_the_interval_much_and_lam_zero_is_the_human_mean() -> None:
    rng = np.random.default_rng(3)
    y, f = _studies(rng, 500)
    rated = rng.random(y.shape) < 0.2
    _, se_tuned, lam = ppi_batch(y, f, rated)
    _, se_human, _ = ppi_batch(y, f, rated, lam=0.0)
    assert np.all((lam >= 0) & (lam <= 1))
    assert np.mean(se_tuned <= se_human * 1.001) > 0.99
    one = human_mean(np.where(rated[0], y[0], np.nan))
    est0, _, _ = ppi_batch(y[0], f[0], rated[0], lam=0.0)
    assert one.mean == pytest.approx(float(est0))
    assert one.se == pytest.approx(math.sqrt(np.var(y[0][rated[0]], ddof=1) / rated[0].sum()), rel=1e-9)


def test_public_functions_drop_missing_panel_scores_and_report_counts() -> None:
    y = [3, float("nan"), 5, 2, float("nan"), 4]
    f = [4, 5, float("nan"), 3, 4, 5]
    e = ppi_mean(y, f)
    assert (e.n_rated, e.n_answers) == (3, 5)
    assert e.ci_low < e.mean < e.ci_high
    p = panel_mean(f, n_rated=3)
    assert p.n_answers == 5 and p.mean == pytest.approx(4.2)
    assert math.isnan(ppi_mean([1, float("nan")], [1, 2]).mean)  # one rated answer: no estimate


def test_disjoint_form_matches_the_papers_closed_form() -> None:
    """The ppi-python setting: tuned lam = Cov / ((1 + n/N) Var f), Var = Var(r)/n + lam^2 Var(f~)/N."""
    rng = np.random.default_rng(11)
    y = rng.normal(3, 1, 150)
    fr = 0.7 * y + 1 + rng.normal(0, 0.4, 150)
    fu = 0.7 * (3 + rng.normal(0, 1, 3_000)) + 1 + rng.normal(0, 0.4, 3_000)
    e = ppi_disjoint(y, fr, fu)
    n, big_n = y.size, fu.size
    lam = np.mean((y - y.mean()) * (fr - fr.mean())) / ((1 + n / big_n) * np.var(np.concatenate([fr, fu])))
    lam = min(1.0, max(0.0, lam))
    expected = lam * fu.mean() + np.mean(y - lam * fr)
    se = math.sqrt(np.var(y - lam * fr) / n + lam**2 * np.var(fu) / big_n)
    assert e.lam == pytest.approx(lam)
    assert e.mean == pytest.approx(expected)
    assert e.ci_high - e.ci_low == pytest.approx(2 * 1.959964 * se, rel=1e-5)


def test_docstring_examples_run() -> None:
    import doctest

    import rater.stats.ppi

    result = doctest.testmod(rater.stats.ppi)
    assert result.attempted > 0 and result.failed == 0


def test_matches_the_ppi_python_reference_where_it_is_installed() -> None:
    """ppi-python (Angelopoulos et al.) is not in the test extra: it pulls ~650 MB (numba, scikit-learn,
    statsmodels). Checked against it by hand (5 decimals); this runs wherever it is installed."""
    ppi_py = pytest.importorskip("ppi_py")
    rng = np.random.default_rng(11)
    for _ in range(3):
        y = rng.normal(3, 1, 150)
        fr = 0.7 * y + 1 + rng.normal(0, 0.4, 150)
        fu = 0.7 * (3 + rng.normal(0, 1, 3_000)) + 1 + rng.normal(0, 0.4, 3_000)
        for lam in (None, 1.0):
            ours = ppi_disjoint(y, fr, fu, lam=lam)
            low, high = ppi_py.ppi_mean_ci(y, fr, fu, alpha=0.05, lam=lam)
            assert ours.mean == pytest.approx(float(np.ravel(ppi_py.ppi_mean_pointestimate(y, fr, fu, lam=lam))[0]),
                                              abs=1e-4)
            assert (ours.ci_low, ours.ci_high) == pytest.approx((float(np.ravel(low)[0]), float(np.ravel(high)[0])),
                                                                abs=1e-4)


def test_wilson_matches_statsmodels() -> None:
    """Reference values from statsmodels.stats.proportion.proportion_confint(k, n, method='wilson')."""
    from rater.stats.ppi import wilson

    assert wilson(0 / 40, 40) == pytest.approx((0.0, 0.08762160119728668), abs=1e-12)
    assert wilson(7 / 31, 31) == pytest.approx((0.11395135561262493, 0.39812418383342063), abs=1e-12)
