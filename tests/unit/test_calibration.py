"""Calibration: maps that fix a judge's bias, cross-validated honestly, stored beside the raw scores."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from rater.errors import RaterError
from rater.stats import calibration as cal
from rater.stats.tidy import AxisInfo, TidyScores, from_store
from rater.store import AxisScore, Store

SCALE = (1.0, 2.0, 3.0, 4.0, 5.0)


def panel(n: int = 300, seed: int = 0, judge_noise: float = 0.2, axes: tuple[str, ...] = ("safety",)
          ) -> TidyScores:
    """Three humans near a truth; judge 'fair' near it too, 'lenient' one point above (truth <= 4)."""
    rng = np.random.default_rng(seed)
    rows = []
    for axis in axes:
        truth = rng.integers(1, 5, n)
        for h in range(3):
            s = np.clip(truth + rng.choice([-1, 0, 1], p=[0.1, 0.8, 0.1], size=n), 1, 5)
            rows += [(f"u{i:04d}", "human", f"h{h}", axis, float(v)) for i, v in enumerate(s)]
        for name, shift in (("fair", 0), ("lenient", 1)):
            noise = rng.choice([-1, 0, 1], p=[judge_noise / 2, 1 - judge_noise, judge_noise / 2], size=n)
            s = np.clip(truth + shift + noise, 1, 5)
            rows += [(f"u{i:04d}", "judge", name, axis, float(v)) for i, v in enumerate(s)]
    frame = pd.DataFrame(rows, columns=["response_id", "source", "rater", "axis", "score"])
    return TidyScores(frame, pd.DataFrame(), [AxisInfo(a, "ordinal", SCALE) for a in axes], "test")


def report_row(c: cal.Calibration, comparison: str, axis: str = "safety") -> dict:
    return next(r for r in c.report if r["axis"] == axis and r["comparison"] == comparison)


def test_cross_validation_never_fits_on_its_test_fold() -> None:
    n = 50
    x = np.arange(n, dtype=float)
    y = x + 1000  # y identifies its unit
    folds = cal.assign_folds(n, 5, seed=1)
    seen: list[set[float]] = []

    def spy(x_train: np.ndarray, y_train: np.ndarray):
        seen.append(set(y_train.tolist()))
        return lambda values: values

    cal.cross_validate(x, y, folds, spy)
    assert len(seen) == 5
    for fold, train in enumerate(seen):
        test = set((y[folds == fold]).tolist())
        assert not train & test
        assert train | test == set(y.tolist())


def test_folds_are_balanced_and_seeded() -> None:
    folds = cal.assign_folds(103, 5, seed=2)
    assert sorted(np.bincount(folds).tolist()) == [20, 20, 21, 21, 21]
    assert np.array_equal(folds, cal.assign_folds(103, 5, seed=2))


def test_out_of_fold_predictions_come_from_the_other_folds() -> None:
    # Each fold's map is the mean of the other folds' y: a leak would show up as a different value.
    x = np.zeros(6)
    y = np.array([0.0, 0, 0, 6, 6, 6])
    folds = np.array([0, 0, 0, 1, 1, 1])
    def mean_of_train(_x: np.ndarray, y_train: np.ndarray):
        level = float(y_train.mean())
        return lambda values: values * 0 + level

    out = cal.cross_validate(x, y, folds, mean_of_train)
    np.testing.assert_array_equal(out, [6, 6, 6, 0, 0, 0])


def test_pool_adjacent_violators() -> None:
    _, ys = cal.fit_isotonic(np.array([1.0, 2, 3, 4]), np.array([1.0, 3, 2, 4]))
    np.testing.assert_allclose(ys, [1, 2.5, 2.5, 4])
    # x=1 holds two answers (mean 3), x=2 one (1): pooled, (3 + 3 + 1) / 3.
    xs, ys = cal.fit_isotonic(np.array([1.0, 1, 2, 3]), np.array([2.0, 4, 1, 5]))
    np.testing.assert_allclose(xs, [1, 2, 3])
    np.testing.assert_allclose(ys, [7 / 3, 7 / 3, 5])


def test_a_calibrated_score_is_a_point_of_the_scale() -> None:
    fit = cal.fit(np.array([2.0, 3, 4, 5]), np.array([1.0, 2, 3, 4]), np.array(SCALE))
    assert fit.method == "linear" and fit.slope == pytest.approx(1) and fit.intercept == pytest.approx(-1)
    assert fit.table == {1.0: 1.0, 2.0: 1.0, 3.0: 2.0, 4.0: 3.0, 5.0: 4.0}
    np.testing.assert_array_equal(fit.apply(np.array([5.0, np.nan, 1.0])), [4, np.nan, 1])
    assert cal.snap(np.array([2.5, 3.51, 9.0, -3.0]), np.array(SCALE)).tolist() == [2, 4, 5, 1]


def test_a_judge_that_always_says_the_same_gets_an_offset() -> None:
    fit = cal.fit(np.array([5.0, 5, 5]), np.array([3.0, 3, 4]), np.array(SCALE))
    assert fit.slope == 1.0 and fit.table[5.0] == 3.0


def test_isotonic_with_too_little_data_falls_back_to_linear_and_says_so() -> None:
    fit = cal.fit(np.array([1.0, 2, 3]), np.array([1.0, 2, 3]), np.array(SCALE), "isotonic")
    assert fit.method == "linear" and "isotonic needs at least" in (fit.note or "")


def test_calibration_removes_a_lenient_judges_bias_under_cross_validation() -> None:
    # A panel read by its maximum follows the lenient judge, so calibrating that judge helps the panel.
    c = cal.calibrate(panel(), n_boot=200, seed=0, panel="max")
    lenient = report_row(c, "human-judge:lenient")
    assert lenient["mean_bias_before"] > 0.8
    assert abs(lenient["mean_bias_after"]) < 0.15
    assert lenient["alpha_after"] > lenient["alpha_before"]
    assert c.maps["lenient"]["safety"].table[3.0] == 2.0
    assert c.maps["fair"]["safety"].table == {v: v for v in SCALE}
    assert c.content["verdicts"]["safety"]["trusted"] is True


def test_isotonic_is_used_when_asked_and_there_is_enough_data() -> None:
    c = cal.calibrate(panel(), method="isotonic", n_boot=50, seed=0, panel="max")
    assert c.maps["lenient"]["safety"].method == "isotonic"
    assert abs(report_row(c, "human-judge:lenient")["mean_bias_after"]) < 0.15


def test_a_panel_that_guesses_needs_human_ratings() -> None:
    c = cal.calibrate(panel(n=120, judge_noise=1.0), n_boot=200, seed=0)
    verdict = c.content["verdicts"]["safety"]
    assert verdict["trusted"] is False and verdict["verdict"] == cal.NEEDS_HUMANS
    assert "below 0.667" in verdict["reason"]


def test_calibrating_without_human_ratings_is_a_clear_error() -> None:
    tidy = panel()
    tidy = tidy.with_scores(tidy.scores[tidy.scores["source"] == "judge"])
    with pytest.raises(RaterError, match="needs both human ratings and judge scores"):
        cal.calibrate(tidy, n_boot=10)


def test_the_calibration_file_round_trips_and_applies(tmp_path) -> None:
    tidy = panel(n=200, axes=("safety", "fidelity"))
    c = cal.calibrate(tidy, n_boot=50, seed=4)
    path = cal.write_file(c, tmp_path / "calibration.json")
    back = cal.read_file(path)
    assert back.hash == c.hash
    assert back.maps["lenient"]["fidelity"].table == c.maps["lenient"]["fidelity"].table
    applied = back.apply(tidy).scores
    lenient = (applied["rater"] == "lenient") & (applied["axis"] == "safety")
    raw = tidy.scores.loc[lenient, "score"].to_numpy()
    np.testing.assert_array_equal(applied.loc[lenient, "score"], c.maps["lenient"]["safety"].apply(raw))
    humans = applied["source"] == "human"
    assert applied.loc[humans, "score"].equals(tidy.scores.loc[humans, "score"])


def test_a_file_that_is_not_a_calibration_is_refused(tmp_path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"maps": {}}))
    with pytest.raises(RaterError, match="is not a rater calibration"):
        cal.read_file(path)
    path.write_text("{oops")
    with pytest.raises(RaterError, match="is not JSON"):
        cal.read_file(path)


def stored_panel(store: Store, n: int = 120) -> None:
    """Humans and judges in the database on n answers (the lenient judge one point high)."""
    version, rubric = store.rubric()
    axis = rubric.axis_ids[0]
    rng = np.random.default_rng(9)
    with store.write():
        store.conn.executemany(
            "INSERT INTO responses (id, scenario_id, model, sample, text, created_at) VALUES (?, ?, 'm', ?, 'x', 'now')",
            [(f"a{i:03d}", "t-pe-01", i + 1) for i in range(n)])
        truth = rng.integers(1, 5, n)
        for h in ("ana", "ben"):
            rid = store.ensure_rater(h)
            for i in range(n):
                store.save_rating(rater_id=rid, response_id=f"a{i:03d}", rubric_version=version,
                                  judges_visible=False, scores={axis: AxisScore(float(truth[i]))})
        for judge, shift in (("fair", 0), ("lenient", 1)):
            for i in range(n):
                jid = store.conn.execute(
                    "INSERT INTO judgments (response_id, judge, rubric_version, status, created_at) "
                    "VALUES (?, ?, ?, 'ok', 'now')", (f"a{i:03d}", judge, version)).lastrowid
                store.conn.execute("INSERT INTO judge_scores (judgment_id, axis, score) VALUES (?, ?, ?)",
                                   (jid, axis, float(truth[i] + shift)))


def test_saving_stores_calibrated_scores_beside_untouched_raw_scores(store: Store) -> None:
    stored_panel(store)
    raw_before = store.conn.execute("SELECT judgment_id, axis, score FROM judge_scores ORDER BY 1").fetchall()
    c = cal.calibrate(from_store(store), n_boot=50, seed=0, panel="max")  # the panel follows "lenient"
    cal_id, written = cal.save(store, c)
    assert written == 240
    assert [tuple(r) for r in store.conn.execute(
        "SELECT judgment_id, axis, score FROM judge_scores ORDER BY 1")] == [tuple(r) for r in raw_before]
    pairs = store.conn.execute(
        "SELECT s.score, c.score FROM judge_scores s JOIN judgments j ON j.id = s.judgment_id "
        "JOIN calibrated_scores c ON c.judgment_id = s.judgment_id AND c.axis = s.axis "
        "WHERE j.judge = 'lenient' AND c.calibration_id = ?", (cal_id,)).fetchall()
    assert len(pairs) == 120 and all(c == raw - 1 for raw, c in pairs)
    # The same calibration again is the same stored calibration, not a copy.
    assert cal.save(store, c)[0] == cal_id
    assert store.conn.execute("SELECT count(*) FROM calibrations").fetchone()[0] == 1
    assert cal.latest(store)["hash"] == c.hash


def test_a_judge_improved_alone_is_not_kept_when_the_panel_gets_worse() -> None:
    c = cal.calibrate(panel(), n_boot=100, seed=0)  # median of a fair and a lenient judge: already good
    assert report_row(c, "human-judge:lenient")["alpha_after"] > report_row(c, "human-judge:lenient")[
        "alpha_before"]
    panel_row = report_row(c, "human-panel")
    assert panel_row["alpha_after"] <= panel_row["alpha_before"] == panel_row["alpha_kept"]
    assert c.maps["lenient"]["safety"].method == "raw" and "raw panel" in (c.maps["lenient"]["safety"].note or "")
    assert c.content["verdicts"]["safety"]["verdict"] == cal.RAW_TRUSTED


def test_calibration_that_lowers_agreement_is_not_kept_and_the_verdict_is_on_what_is_kept(tmp_path) -> None:
    # The demo: calibrating every judge lowered the cross-validated human-panel alpha on every axis
    # (crisis safety 0.999 -> 0.86), yet every axis was declared "calibrated panel trusted".
    from rater.demo import build_demo
    from rater.stats.tidy import from_store

    store = build_demo(tmp_path / "demo.db")
    c = cal.calibrate(from_store(store, "blind"), n_boot=100, seed=1)
    assert set(c.content["skipped"]) == {"crisis_direction"}  # the rubric's one nominal axis
    for axis, verdict in c.content["verdicts"].items():
        if axis in c.content["skipped"]:  # never calibrated: no map, a verdict on its raw panel
            assert all(axis not in axes for axes in c.maps.values()) and verdict["calibrated_judges"] == []
            assert verdict["verdict"] in (cal.NOMINAL_TRUSTED, cal.NEEDS_HUMANS)
            assert "did not raise" not in verdict["reason"]
            continue
        panel_row = report_row(c, "human-panel", axis)
        assert panel_row["alpha_kept"] >= panel_row["alpha_before"], axis
        calibrated = [j for j, axes in c.maps.items() if axes[axis].method != "raw"]
        assert verdict["calibrated_judges"] == sorted(calibrated)
        if verdict["trusted"]:
            assert verdict["verdict"] == (cal.TRUSTED if calibrated else cal.RAW_TRUSTED)
    crisis = c.content["verdicts"]["crisis_safety"]
    assert crisis["verdict"] == cal.RAW_TRUSTED and crisis["calibrated_judges"] == []
    assert report_row(c, "human-panel", "crisis_safety")["alpha_after"] < 0.95  # what calibrating did
    assert all(axes["crisis_safety"].table == {v: v for v in SCALE} for axes in c.maps.values())


def with_nominal_axis(tidy: TidyScores, n: int = 300, seed: int = 3) -> TidyScores:
    """``tidy`` plus a nominal axis (categories coded 1..3) where every rater mostly agrees."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, 4, n)
    rows = []
    for source, names in (("human", ("h0", "h1", "h2")), ("judge", ("fair", "lenient"))):
        for name in names:
            s = np.where(rng.random(n) < 0.9, truth, rng.integers(1, 4, n))
            rows += [(f"u{i:04d}", source, name, "direction", float(v)) for i, v in enumerate(s)]
    frame = pd.concat([tidy.scores, pd.DataFrame(rows, columns=list(tidy.scores.columns))], ignore_index=True)
    axes = [*tidy.axes, AxisInfo("direction", "nominal", (1.0, 2.0, 3.0), "Direction", ("ok", "over", "under"))]
    return TidyScores(frame, tidy.units, axes, tidy.origin)


def test_a_nominal_axis_weights_and_keeping_what_helps_hold_together() -> None:
    # The rubric's nominal axis is skipped (no map, its raw figures reported), study weights pull the
    # fits, and each judge keeps a map only where it helped: all in one calibration.
    tidy = with_nominal_axis(panel())
    weights = {f"u{i:04d}": (4.0 if i % 2 else 1.0) for i in range(300)}
    c = cal.calibrate(tidy, n_boot=100, seed=0, panel="max", weights=weights)
    unweighted = cal.calibrate(tidy, n_boot=100, seed=0, panel="max")
    assert c.content["weights"] and "weights" not in unweighted.content
    # The weights pull the maps and the figures, on the nominal axis too.
    assert c.maps["lenient"]["safety"].intercept != unweighted.maps["lenient"]["safety"].intercept
    for axis in ("safety", "direction"):
        assert report_row(c, "human-panel", axis)["alpha_before"] != report_row(
            unweighted, "human-panel", axis)["alpha_before"]

    assert all("direction" not in axes for axes in c.maps.values())
    assert "nominal" in c.content["skipped"]["direction"]
    row = report_row(c, "human-panel", "direction")
    assert row["alpha_before"] == row["alpha_after"] == row["alpha_kept"] and row["alpha_before"] > 0.7
    direction = c.content["verdicts"]["direction"]
    assert direction["calibrated_judges"] == [] and direction["trusted"] is True
    assert direction["verdict"] == cal.NOMINAL_TRUSTED
    assert "did not raise" not in direction["reason"] and "nominal" in direction["reason"]

    # The ordinal axis as without the nominal one: the lenient judge's map kept, the fair one's raw.
    assert c.maps["lenient"]["safety"].method == "linear" and c.maps["fair"]["safety"].method == "raw"
    assert c.content["verdicts"]["safety"]["verdict"] == cal.TRUSTED
    assert c.content["verdicts"]["safety"]["calibrated_judges"] == ["lenient"]
    panel_row = report_row(c, "human-panel")
    assert panel_row["alpha_kept"] > panel_row["alpha_before"]

    # Applying it maps the calibrated judge's ordinal scores and leaves the nominal axis alone.
    applied = c.apply(tidy).scores
    nominal = applied["axis"] == "direction"
    assert applied.loc[nominal, "score"].equals(tidy.scores.loc[nominal, "score"])
