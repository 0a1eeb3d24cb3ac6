"""The panel aggregate per axis: from the judges that succeeded, saying how many did, on the scale."""

from __future__ import annotations

import pytest

from rater.importers import import_judgments
from rater.panel import aggregate, panel_scores, panel_table
from rater.store import Store, now

JUDGMENTS = """response_id,judge,axis,score,rationale
r1,judge-a,crisis_safety,5,"fine [red]x[/red]"
r1,judge-b,crisis_safety,2,pasted a hotline
r1,judge-c,crisis_safety,4,ok
r1,judge-a,behavioral_consistency,,no siblings
r1,judge-b,behavioral_consistency,,no siblings
r2,judge-a,crisis_safety,3,
"""


@pytest.fixture
def judged(with_responses: Store, write) -> Store:
    import_judgments(with_responses, write("judgments.csv", JUDGMENTS))
    version, _ = with_responses.rubric()
    with with_responses.write():
        with_responses.conn.execute(
            "INSERT INTO judgments (response_id, judge, rubric_version, status, raw_reply, error, created_at) "
            "VALUES ('r1', 'judge-d', ?, 'failed', 'not json', 'the reply holds no JSON object', ?)",
            (version, now()))
    return with_responses


def test_the_median_of_the_judges_that_succeeded(judged: Store) -> None:
    crisis = panel_scores(judged, "r1").axes["crisis_safety"]
    assert crisis.aggregate == 4 and crisis.method == "median"
    assert crisis.n_judges_ok == 3 and crisis.n_scored == 3 and crisis.failed == ("judge-d",)
    assert crisis.judges["judge-a"].rationale == "fine [red]x[/red]"
    assert crisis.judges["judge-b"].score == 2


def test_not_applicable_is_not_a_score(judged: Store) -> None:
    consistency = panel_scores(judged, "r1").axes["behavioral_consistency"]
    assert consistency.aggregate is None and consistency.n_scored == 0
    assert set(consistency.judges) == {"judge-a", "judge-b"}
    assert all(v.score is None for v in consistency.judges.values())


def test_the_method_is_configurable_and_recorded_by_judge_runs(judged: Store) -> None:
    # (5 + 2 + 4) / 3 = 3.67, snapped to the scale: the panel gives scores a judge could give.
    assert panel_scores(judged, "r1", method="mean").axes["crisis_safety"].aggregate == 4
    judged.set_meta("panel_aggregate", "min")
    assert panel_scores(judged, "r1").axes["crisis_safety"].aggregate == 2
    with pytest.raises(ValueError):
        aggregate([1.0], "mode")


def test_an_unjudged_answer_has_every_axis_and_no_panel(judged: Store) -> None:
    _, rubric = judged.rubric()
    empty = panel_scores(judged, "r3")
    assert list(empty.axes) == rubric.axis_ids and empty.empty
    assert all(p.aggregate is None and p.n_judges_ok == 0 for p in empty.axes.values())


def test_the_table_covers_many_answers_in_one_call(judged: Store) -> None:
    table = panel_table(judged)
    assert set(table) == {"r1", "r2"}
    assert table["r2"].axes["crisis_safety"].aggregate == 3
    assert table["r2"].axes["crisis_safety"].n_judges_ok == 1 and table["r2"].judges == ("judge-a",)
    assert panel_table(judged, ["r2"]).keys() == {"r2"}


def test_an_even_split_takes_the_lower_score() -> None:
    assert aggregate([2.0, 5.0]) == 2
    assert aggregate([2.0, 3.0], "mean", points=[1, 2, 3, 4, 5]) == 2  # halves go down
    assert aggregate([2.0, 3.0], "mean") == 2.5


def test_the_panel_and_the_agreement_engine_aggregate_alike() -> None:
    """The app's panel column and `rater agreement`'s human-panel use one rule."""
    import numpy as np

    from rater.stats.agreement import combine

    rng = np.random.default_rng(7)
    points = np.arange(1.0, 6.0)
    matrix = rng.integers(1, 6, size=(4, 500)).astype(float)
    matrix[rng.random(matrix.shape) < 0.3] = np.nan
    for method in ("median", "mean", "min", "max"):
        vectorised = combine(matrix, points, method)
        for unit in range(matrix.shape[1]):
            given = [v for v in matrix[:, unit] if not np.isnan(v)]
            expected = aggregate(given, method, list(points))
            assert (np.isnan(vectorised[unit]) if expected is None else vectorised[unit] == expected)


def test_a_nominal_axis_takes_the_most_frequent_category_and_a_tie_the_gravest(with_responses: Store,
                                                                               write) -> None:
    rows = "\n".join(["response_id,judge,axis,score,rationale",
                      "r1,judge-a,crisis_direction,2,hotline dump", "r1,judge-b,crisis_direction,2,",
                      "r1,judge-c,crisis_direction,1,", "r2,judge-a,crisis_direction,1,",
                      "r2,judge-b,crisis_direction,2,", "r2,judge-c,crisis_direction,3,"])
    import_judgments(with_responses, write("j.csv", rows + "\n"))
    table = panel_table(with_responses, method="mean")
    one, tie = table["r1"].axes["crisis_direction"], table["r2"].axes["crisis_direction"]
    assert (one.aggregate, one.method, one.tied) == (2, "mode", False)  # never a mean of categories
    assert tie.aggregate == 3 and tie.tied and tie.n_scored == 3  # a three-way split: the gravest


def test_the_panel_and_the_agreement_engine_take_the_same_mode() -> None:
    import numpy as np

    from rater.panel import mode
    from rater.stats.agreement import combine

    rng = np.random.default_rng(3)
    matrix = rng.integers(1, 4, size=(3, 300)).astype(float)
    matrix[rng.random(matrix.shape) < 0.3] = np.nan
    vectorised = combine(matrix, np.arange(1.0, 4.0), "mode")
    for unit in range(matrix.shape[1]):
        expected, _ = mode(v for v in matrix[:, unit] if not np.isnan(v))
        assert np.isnan(vectorised[unit]) if expected is None else vectorised[unit] == expected
    assert mode([1.0, 3.0]) == (3.0, True) and mode([2.0, 1.0, 1.0]) == (1.0, False) and mode([]) == (None, False)
