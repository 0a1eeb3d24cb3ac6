"""Agreement per axis: the comparisons are built right, on data whose answer is known."""

from __future__ import annotations

import math
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pytest

from rater.errors import RaterError
from rater.stats import agreement as ag
from rater.stats.alpha import AlphaResult, Coincidences, alpha, bootstrap, resample_weights
from rater.stats.tidy import AxisInfo, TidyScores, axis_data, from_file, from_store
from rater.store import AxisScore, Store

NAN = float("nan")
SCALE = (1.0, 2.0, 3.0, 4.0, 5.0)


def tidy_from(humans: dict[str, list[float]], judges: dict[str, list[float]] | None = None,
              axis: str = "safety", level: str = "ordinal", units: pd.DataFrame | None = None) -> TidyScores:
    """Scores for one axis, given per rater as a list over units u000, u001, ... (sorted as given)."""
    rows = []
    for source, block in (("human", humans), ("judge", judges or {})):
        for name, scores in block.items():
            rows += [(f"u{i:03d}", source, name, axis, s) for i, s in enumerate(scores)]
    frame = pd.DataFrame(rows, columns=["response_id", "source", "rater", "axis", "score"])
    frame["score"] = frame["score"].astype(float)
    return TidyScores(frame, units if units is not None else pd.DataFrame(), [AxisInfo(axis, level, SCALE)],
                      "test")


def by_comparison(report: ag.Report) -> dict[str, ag.Record]:
    return {r.comparison: r for r in report.records if r.by is None}


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_alpha_among_humans_is_krippendorffs_on_the_human_matrix(level: str) -> None:
    rng = np.random.default_rng(1)
    humans = {f"h{k}": list(rng.integers(1, 6, 40).astype(float)) for k in range(3)}
    humans["h0"][:5] = [NAN] * 5
    humans["h2"][10:14] = [NAN] * 4
    report = ag.compute(tidy_from(humans, level=level), n_boot=50, seed=0)
    data = np.array([humans[k] for k in sorted(humans)])
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement=level,
                                  value_domain=list(SCALE))
    rec = by_comparison(report)["human-human"]
    assert rec.level == level and rec.alpha == pytest.approx(expected, abs=1e-9)


def test_a_judge_that_agrees_with_the_consensus_scores_perfectly() -> None:
    humans = {"a": [1, 2, 3, 4, 5, 2], "b": [1, 2, 3, 4, 5, 2]}
    report = ag.compute(tidy_from(humans, {"j": [1, 2, 3, 4, 5, 2]}), n_boot=100, seed=0)
    rec = by_comparison(report)["human-judge:j"]
    assert rec.alpha == pytest.approx(1.0)
    assert (rec.mean_bias, rec.exact, rec.within_one, rec.spearman_rho) == (0.0, 1.0, 1.0, pytest.approx(1.0))
    counts = np.array(rec.confusion["counts"])
    assert np.array_equal(counts, np.diag([1, 2, 1, 1, 1]))


def test_a_lenient_judge_shows_its_bias_and_matches_krippendorff_against_the_consensus() -> None:
    # Two humans who disagree by one on some answers: the consensus is the lower of the two.
    a = [1, 2, 3, 4, 2, 3, 1, 4, 3, 2]
    b = [1, 3, 3, 4, 2, 4, 2, 4, 3, 2]
    consensus = np.minimum(a, b).astype(float)
    judge = list(consensus + 1)
    report = ag.compute(tidy_from({"a": a, "b": b}, {"lenient": judge}, level="interval"), n_boot=50, seed=0)
    rec = by_comparison(report)["human-judge:lenient"]
    assert rec.mean_bias == pytest.approx(1.0)
    assert rec.exact == 0.0 and rec.within_one == 1.0
    assert rec.spearman_rho == pytest.approx(1.0)
    expected = krippendorff.alpha(reliability_data=[consensus, judge], level_of_measurement="interval",
                                  value_domain=list(SCALE))
    assert rec.alpha == pytest.approx(expected, abs=1e-9)
    assert rec.n_units == 10 and rec.n_excluded_units == 0 and rec.n_pairable == 20


def test_consensus_takes_the_lower_middle_score_on_a_tie() -> None:
    m = np.array([[2, 1, 4, NAN, 5], [3, 2, NAN, NAN, 5], [NAN, 3, NAN, NAN, 1], [NAN, 4, NAN, NAN, NAN]])
    median = ag.combine(m, np.array(SCALE), "median")
    np.testing.assert_array_equal(median, [2, 2, 4, NAN, 5])
    mean = ag.combine(m, np.array(SCALE), "mean")
    # means 2.5 -> 2 (halves down), 2.5 -> 2, 4, -, 3.67 -> 4
    np.testing.assert_array_equal(mean, [2, 2, 4, NAN, 4])


def test_the_panel_aggregate_is_the_judges_median() -> None:
    humans = {"a": [1, 2, 3, 4, 5], "b": [1, 2, 3, 4, 5]}
    judges = {"j1": [1, 2, 3, 4, 5], "j2": [1, 2, 3, 4, 5], "j3": [5, 5, 5, 5, 5]}
    rec = by_comparison(ag.compute(tidy_from(humans, judges), n_boot=20, seed=0))["human-panel"]
    assert rec.alpha == pytest.approx(1.0) and rec.mean_bias == 0.0


def test_spearman_is_pearson_on_average_ranks_with_ties() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(1, 6, 60).astype(float)
    y = np.clip(x + rng.integers(-1, 2, 60), 1, 5)
    ranks_x, ranks_y = pd.Series(x).rank(method="average"), pd.Series(y).rank(method="average")
    assert ag.spearman(x, y) == pytest.approx(np.corrcoef(ranks_x, ranks_y)[0, 1])
    assert ag.spearman(np.array([1.0, 2, 3]), np.array([3.0, 2, 1])) == pytest.approx(-1.0)
    assert math.isnan(ag.spearman(np.ones(5), y[:5]))


def test_replacement_is_the_mean_alpha_with_each_human_swapped_for_the_judge() -> None:
    rng = np.random.default_rng(4)
    truth = rng.integers(1, 6, 30).astype(float)
    humans = {f"h{k}": list(np.clip(truth + rng.integers(-1, 2, 30), 1, 5)) for k in range(3)}
    humans["h2"][:4] = [NAN] * 4
    judge = list(rng.integers(1, 6, 30).astype(float))
    report = ag.compute(tidy_from(humans, {"noisy": judge}), n_boot=200, seed=0)
    recs = by_comparison(report)
    data = np.array([humans[k] for k in sorted(humans)])
    swapped = []
    for h in range(3):
        m = data.copy()
        m[h] = np.where(np.isnan(data[h]), NAN, judge)
        swapped.append(alpha(m, "ordinal", SCALE))
    rep = recs["replacement:noisy"]
    assert rep.alpha == pytest.approx(np.mean(swapped))
    assert rep.delta == pytest.approx(np.mean(swapped) - recs["human-human"].alpha)
    assert rep.n_swaps == 3
    # A random judge is no stand-in for a clinician, and the paired interval says so.
    assert rep.delta_ci_high < 0


def test_a_judge_that_rates_like_the_humans_does_not_lower_their_alpha() -> None:
    scores = [1, 2, 3, 4, 5, 3, 2, 4]
    report = ag.compute(tidy_from({"a": scores, "b": scores, "c": scores}, {"twin": scores}), n_boot=50, seed=0)
    rep = by_comparison(report)["replacement:twin"]
    assert rep.alpha == pytest.approx(1.0) and rep.delta == pytest.approx(0.0)
    assert rep.delta_ci_low == pytest.approx(0.0) and rep.delta_ci_high == pytest.approx(0.0)


def test_units_with_one_value_are_counted_not_used() -> None:
    humans = {"a": [1, 2, 3, 4, 5], "b": [1, 2, 3, NAN, NAN]}
    rec = by_comparison(ag.compute(tidy_from(humans), n_boot=20, seed=0))["human-human"]
    assert rec.n_units == 3 and rec.n_excluded_units == 2 and rec.n_pairable == 6


def test_answers_all_rated_not_applicable_are_counted_as_left_out() -> None:
    humans = {"a": [1, 2, 3, NAN], "b": [1, 3, 3, NAN]}  # u003: both said "not applicable"
    rec = by_comparison(ag.compute(tidy_from(humans), n_boot=20, seed=0))["human-human"]
    assert rec.n_units == 3 and rec.n_excluded_units == 1


def test_human_judge_is_about_the_answers_humans_rated() -> None:
    # The judge scored five answers, the humans two: the three judged-only answers are not
    # "left out" of the human-judge comparison, they were never part of it.
    report = ag.compute(tidy_from({"a": [1, 4], "b": [1, 4]}, {"j": [1, 4, 2, 3, 5]}), n_boot=20, seed=0)
    rec = by_comparison(report)["human-judge:j"]
    assert (rec.n_units, rec.n_excluded_units, rec.alpha) == (2, 0, pytest.approx(1.0))


def test_a_plain_comparison_is_exactly_alpha_bootstrap_with_its_derived_seed() -> None:
    rng = np.random.default_rng(5)
    humans = {f"h{k}": list(rng.integers(1, 6, 80).astype(float)) for k in range(4)}
    humans["h1"][::7] = [NAN] * len(humans["h1"][::7])
    report = ag.compute(tidy_from(humans), n_boot=300, seed=11, confidence=0.9)
    rec = by_comparison(report)["human-human"]
    data = np.array([humans[k] for k in sorted(humans)])
    coin = Coincidences.from_reliability_data(data, SCALE)
    expected = bootstrap(data, "ordinal", SCALE, n_boot=300, confidence=0.9,
                         seed=ag.unit_set_seed(11, coin.unit_columns))
    assert (rec.alpha, rec.ci_low, rec.ci_high, rec.p_below_0667, rec.p_below_0800) == (
        expected.alpha, expected.ci_low, expected.ci_high, expected.p_below_0667, expected.p_below_0800)


def test_the_same_seed_gives_the_same_report_and_none_draws_a_reported_seed() -> None:
    rng = np.random.default_rng(6)
    tidy = tidy_from({f"h{k}": list(rng.integers(1, 6, 50).astype(float)) for k in range(3)},
                     {"j": list(rng.integers(1, 6, 50).astype(float))})
    first = [r.to_dict() for r in ag.compute(tidy, n_boot=100, seed=3).records]
    assert first == [r.to_dict() for r in ag.compute(tidy, n_boot=100, seed=3).records]
    fresh = ag.compute(tidy, n_boot=100)
    again = ag.compute(tidy, n_boot=100, seed=fresh.seed)
    assert [r.to_dict() for r in fresh.records] == [r.to_dict() for r in again.records]


def test_the_interval_narrows_as_answers_grow() -> None:
    def width(n: int) -> float:
        rng = np.random.default_rng(n)
        truth = rng.integers(1, 6, n)
        humans = {f"h{k}": list(np.clip(truth + rng.integers(-1, 2, n), 1, 5).astype(float)) for k in range(3)}
        rec = by_comparison(ag.compute(tidy_from(humans), n_boot=400, seed=0))["human-human"]
        return rec.ci_high - rec.ci_low

    assert width(1000) < width(40) / 3


def test_breakdown_groups_equal_the_comparison_on_each_group_alone() -> None:
    rng = np.random.default_rng(7)
    humans = {f"h{k}": list(rng.integers(1, 6, 60).astype(float)) for k in range(3)}
    judges = {"j": list(rng.integers(1, 6, 60).astype(float))}
    units = pd.DataFrame({"model": ["m-a" if i % 3 else "m-b" for i in range(60)]},
                         index=[f"u{i:03d}" for i in range(60)])
    report = ag.compute(tidy_from(humans, judges, units=units), n_boot=30, seed=0, by=["model"])
    groups = {(r.group, r.comparison): r for r in report.records if r.by == "model"}
    assert {g for g, _ in groups} == {"m-a", "m-b"}
    cols = [i for i in range(60) if i % 3 == 0]
    alone = alpha(np.array([[humans[k][i] for i in cols] for k in sorted(humans)]), "ordinal", SCALE)
    assert groups[("m-b", "human-human")].alpha == pytest.approx(alone)
    assert groups[("m-b", "human-human")].n_units == 20


def test_breaking_down_by_a_field_the_scores_lack_is_a_clear_error() -> None:
    with pytest.raises(RaterError, match="add a severity column"):
        ag.compute(tidy_from({"a": [1, 2], "b": [1, 2]}), n_boot=10, by=["severity"])


def test_without_human_ratings_only_judges_are_compared_and_the_report_says_so() -> None:
    report = ag.compute(tidy_from({}, {"j1": [1, 2, 3], "j2": [1, 2, 4]}), n_boot=20, seed=0)
    assert [r.comparison for r in report.records] == ["judge-judge"]
    assert any("no human ratings" in n for n in report.notes)


def test_the_level_override_changes_the_metric() -> None:
    humans = {"a": [1, 2, 3, 4, 5, 1], "b": [1, 3, 3, 5, 5, 2]}
    ordinal = by_comparison(ag.compute(tidy_from(humans), n_boot=10, seed=0))["human-human"]
    nominal = by_comparison(ag.compute(tidy_from(humans), level="nominal", n_boot=10, seed=0))["human-human"]
    assert nominal.level == "nominal" and nominal.alpha < ordinal.alpha


def test_records_are_json_ready() -> None:
    rec = by_comparison(ag.compute(tidy_from({"a": [1, 1], "b": [1, 1]}), n_boot=10, seed=0))["human-human"]
    body = rec.to_dict()
    assert body["alpha"] is None and body["ci_low"] is None  # no variation: alpha undefined
    assert {"axis", "comparison", "level", "alpha", "ci_low", "ci_high", "n_units", "p_below_0667",
            "p_below_0800", "n_pairable", "n_excluded_units"} <= set(body)


# -- the alpha engine's helpers used here ------------------------------------------


def test_resample_weights_are_the_resamples_bootstrap_draws() -> None:
    rng = np.random.default_rng(8)
    data = rng.integers(1, 6, (3, 500)).astype(float)
    coin = Coincidences.from_reliability_data(data, SCALE)
    samples = np.concatenate([coin.alphas(w, "ordinal") for _, _, w in resample_weights(coin.n_units, 70, 5)])
    np.testing.assert_array_equal(samples, bootstrap(data, "ordinal", SCALE, n_boot=70, seed=5).samples)
    chunks = list(resample_weights(coin.n_units, 70, 5))
    assert all(w.sum(axis=1).tolist() == [500] * (b - a) for a, b, w in chunks)


def test_resample_weights_count_uniform_draws_of_units() -> None:
    for n_units in (7, 3000):  # both ways of tallying draws
        expected_rng = np.random.default_rng(12)
        for start, stop, weights in resample_weights(n_units, 5, 12):
            draws = expected_rng.integers(0, n_units, size=(stop - start, n_units))
            expected = np.array([np.bincount(row, minlength=n_units) for row in draws])
            np.testing.assert_array_equal(weights, expected)


def test_alpha_result_from_samples_leaves_out_degenerate_resamples() -> None:
    result = AlphaResult.from_samples(0.7, np.array([0.5, NAN, 0.7, 0.9]), n_units=3, n_excluded_units=0,
                                      n_pairable=6, confidence=0.5)
    assert result.n_boot == 4 and result.n_nan_boot == 1
    assert result.p_below_0667 == pytest.approx(1 / 3) and result.ci_low == pytest.approx(0.6)


# -- loading tidy scores -------------------------------------------------------------


def rate(store: Store, rater: str, response: str, scores: dict[str, float | None], visible: bool | None,
         version: int) -> None:
    store.save_rating(rater_id=store.ensure_rater(rater), response_id=response, rubric_version=version,
                      scores={a: AxisScore(s) for a, s in scores.items()}, judges_visible=visible)


def test_the_blind_phase_uses_blind_ratings_and_final_uses_revisions(with_responses: Store) -> None:
    store = with_responses
    version, rubric = store.rubric()
    axis = rubric.axis_ids[0]
    rate(store, "ana", "r1", {axis: 2}, False, version)
    rate(store, "ana", "r1", {axis: 4}, True, version)
    rate(store, "ben", "r1", {axis: 3}, None, version)  # imported: phase unknown, counts as blind
    rate(store, "cleo", "r1", {axis: 1}, None, version)  # imported, then rated blind in the app
    rate(store, "cleo", "r1", {axis: 5}, False, version)
    blind = from_store(store, "blind").scores.set_index("rater")["score"].to_dict()
    final = from_store(store, "final").scores.set_index("rater")["score"].to_dict()
    assert blind == {"ana": 2.0, "ben": 3.0, "cleo": 5.0}
    assert final == {"ana": 4.0, "ben": 3.0, "cleo": 5.0}


def test_judges_count_only_successful_judgments(with_responses: Store) -> None:
    store = with_responses
    version, rubric = store.rubric()
    axis = rubric.axis_ids[0]
    with store.write():
        for rid, status in (("r1", "ok"), ("r2", "failed")):
            jid = store.conn.execute(
                "INSERT INTO judgments (response_id, judge, rubric_version, status, created_at) "
                "VALUES (?, 'j', ?, ?, 'now')", (rid, version, status)).lastrowid
            store.conn.execute("INSERT INTO judge_scores (judgment_id, axis, score) VALUES (?, ?, 4)",
                               (jid, axis))
    scores = from_store(store).scores
    assert scores[["response_id", "source", "rater"]].values.tolist() == [["r1", "judge", "j"]]
    data = axis_data(from_store(store))[axis]
    assert data.judges == ["j"] and data.humans == []


def test_a_scores_file_with_bad_rows_names_each_line(write) -> None:
    path = write("scores.csv", "response_id,source,rater,axis,score\n"
                               "a1,human,ana,safety,3\n"
                               "a1,robot,ana,safety,3\n"
                               "a2,judge,j,safety,three\n"
                               "a2,,ana,safety,2\n"
                               "a2,human,ana,safety,4\n")
    with pytest.raises(RaterError) as caught:
        from_file(path)
    text = str(caught.value)
    assert f"{path}:3: source: 'robot' is not a source" in text
    assert f"{path}:4: score: 'three' is not a number" in text
    assert f"{path}:6: rater: human 'ana' already scored safety of 'a2' at line 5" in text


def test_a_scores_file_with_an_unknown_column_is_refused(write) -> None:
    path = write("scores.csv", "response_id,rater,axis,score,scroe\na1,ana,safety,3,\n")
    with pytest.raises(RaterError, match="unknown column"):
        from_file(path)


def test_a_scores_file_reads_sources_missing_scores_and_breakdowns(write) -> None:
    path = write("scores.jsonl", "\n".join([
        '{"response_id": "a1", "rater": "ana", "axis": "safety", "score": 3, "model": "m"}',
        '{"response_id": "a1", "source": "judge", "rater": "j", "axis": "safety", "score": "", "model": "m"}',
    ]) + "\n")
    tidy = from_file(path)
    assert tidy.scores["source"].tolist() == ["human", "judge"]
    assert math.isnan(tidy.scores["score"].iloc[1])
    assert tidy.units.loc["a1", "model"] == "m"
    assert [a.id for a in tidy.axes] == ["safety"] and tidy.axes[0].values is None


def test_a_scores_file_checked_against_a_database(with_responses: Store, write) -> None:
    path = write("scores.csv", "response_id,rater,axis,score\nr1,ana,protocol_fidelity,9\nzz,ana,crisis_safety,2\n")
    with pytest.raises(RaterError) as caught:
        from_file(path, with_responses)
    assert ":2: score:" in str(caught.value) and "off the scale" in str(caught.value)
    assert ":3: response_id: response 'zz' is not in the database" in str(caught.value)


def test_an_empty_scores_file_says_so(write) -> None:
    with pytest.raises(RaterError, match="holds no scores"):
        from_file(write("scores.csv", "response_id,rater,axis,score\n"))


def test_a_missing_scores_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(RaterError, match="file not found"):
        from_file(tmp_path / "nope.csv")


def test_a_nominal_axis_uses_the_mode_and_reports_no_bias_within_one_or_rho() -> None:
    cats = ("appropriate", "over_reaction", "under_reaction")
    humans = {"a": [1, 2, 3, 1, 2, 1], "b": [1, 2, 3, 1, 3, 1], "c": [1, 2, 3, 2, 2, 1]}
    judges = {"j": [1, 2, 3, 1, 2, 3]}
    rows = [(f"u{i:03d}", src, name, "dir", float(s)) for src, block in (("human", humans), ("judge", judges))
            for name, scores in block.items() for i, s in enumerate(scores)]
    frame = pd.DataFrame(rows, columns=["response_id", "source", "rater", "axis", "score"])
    tidy = TidyScores(frame, pd.DataFrame(), [AxisInfo("dir", "nominal", (1.0, 2.0, 3.0), "Dir", cats)], "t")
    rec = by_comparison(ag.compute(tidy, n_boot=20, seed=0, consensus="mean"))["human-judge:j"]
    assert rec.level == "nominal"
    # consensus by mode: 1, 2, 3, 1, 2, 1 (never a mean of categories); the judge misses the last one
    assert rec.exact == pytest.approx(5 / 6)
    assert rec.mean_bias is None and rec.within_one is None and rec.spearman_rho is None
    assert rec.confusion["labels"] == list(cats)


def test_a_tie_for_the_most_frequent_category_goes_to_the_gravest() -> None:
    m = np.array([[1, 1, 2, NAN], [2, 1, 3, NAN], [3, NAN, NAN, NAN]])
    np.testing.assert_array_equal(ag.combine(m, np.array([1.0, 2.0, 3.0]), "mode"), [3, 1, 3, NAN])


def test_a_scores_file_without_a_database_keeps_crisis_direction_nominal(write) -> None:
    rows = ["response_id,source,rater,axis,score"]
    for i, (h, j) in enumerate([("appropriate", "appropriate"), ("over_reaction", "over-reaction"),
                                ("under_reaction", "3"), ("appropriate", "under_reaction")]):
        rows += [f"u{i},human,h1,crisis_direction,{h}", f"u{i},human,h2,crisis_direction,{h}",
                 f"u{i},judge,j,crisis_direction,{j}"]
    tidy = from_file(write("s.csv", "\n".join(rows) + "\n"))
    assert tidy.axes[0].level == "nominal" and tidy.axes[0].categories[1] == "over_reaction"
    rec = by_comparison(ag.compute(tidy, n_boot=20, seed=0))["human-judge:j"]
    assert rec.level == "nominal" and rec.exact == 0.75 and rec.mean_bias is None
