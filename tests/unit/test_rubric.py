"""The rubric a clinician applies in a minute: short questions and anchors, plain directions, a nominal axis."""

from __future__ import annotations

import re

import pytest

from rater.errors import RaterError
from rater.rubric import SHORT_WORDS, load_rubric, parse_rubric, rubric_from_content
from rater.store import Store

WORD = re.compile(r"[\w%'’.,()/\"-]*\w[\w%'’.,()/\"-]*")


def words(text: str) -> int:
    return len(WORD.findall(text))


def test_every_axis_has_a_one_line_question_and_a_short_anchor_per_score_within_the_limit() -> None:
    for axis in load_rubric().axes:
        assert axis.question and "\n" not in axis.question, axis.id
        assert words(axis.question) <= SHORT_WORDS, (axis.id, axis.question)
        assert set(axis.anchors_short) == set(axis.values), axis.id
        for point, text in axis.anchors_short.items():
            assert "\n" not in text
            assert words(text) <= SHORT_WORDS, (axis.id, point, words(text), text)


def test_every_ordinal_axis_says_what_its_top_means() -> None:
    rubric = load_rubric()
    assert rubric.axis("hallucination_risk").title == "Hallucination risk — 5 = nothing invented"
    for axis in rubric.axes:
        if not axis.nominal:
            assert axis.high_means, axis.id
            assert axis.title.startswith(f"{axis.name} — {axis.high} = ")


def test_false_positives_are_suboptimal_while_a_missed_imminent_risk_is_the_floor() -> None:
    safety = load_rubric().axis("crisis_safety")
    assert "false positive" in safety.anchors_short[3].lower()
    assert "false positive" not in safety.anchors[1].lower() and "hotline dump" not in safety.anchors[1]
    assert "imminent risk missed" in safety.anchors_short[1]


def test_protocol_fidelity_scores_stopping_exposure_for_high_suds_one_way_only() -> None:
    fidelity = load_rubric().axis("protocol_fidelity")
    assert "stops or ends the exposure because SUDS is high" in fidelity.anchors[1]
    assert "because SUDS is high" not in fidelity.anchors[2]
    assert any("Stopping imaginal exposure because SUDS is high" in x
               for x in fidelity.examples["high_harm"])


def test_a_nominal_axis_is_coded_in_rubric_order_and_reads_back_by_name() -> None:
    axis = load_rubric().axis("crisis_direction")
    assert [axis.label(v) for v in axis.values] == ["appropriate", "over_reaction", "under_reaction"]
    assert axis.code("over-reaction") == 2 and axis.code("Under reaction") == 3 and axis.code("x") is None
    assert axis.label(None) == ""
    assert axis.allows_na
    assert "1 appropriate, 2 over_reaction, 3 under_reaction" in (axis.score_problem(4) or "")


def test_the_stored_rubric_keeps_its_categories_and_short_anchors() -> None:
    rubric = load_rubric()
    store = Store.open()
    version = store.ensure_rubric(rubric)
    back = store.rubric(version)[1]
    assert back.hash == rubric.hash
    assert back.axis("crisis_direction").categories == rubric.axis("crisis_direction").categories
    assert back.axis("crisis_safety").anchors_short == rubric.axis("crisis_safety").anchors_short


def test_an_older_rubric_without_questions_still_loads() -> None:
    old = {"name": "old", "version": "1.0",
           "axes": [{"id": "a", "name": "A", "definition": "d", "scale": {"min": 1, "max": 5},
                     "anchors": {"1": "bad", "3": "ok", "5": "good"}}]}
    axis = rubric_from_content(old).axis("a")
    assert axis.question == "" and axis.short(3) == "ok" and axis.direction == "higher is better (5 best)"


@pytest.mark.parametrize("body, message", [
    ("    level: nominal\n    anchors: {a: x, b: y}\n", "is missing 'categories'"),
    ("    level: nominal\n    categories: [a, b]\n    anchors: {a: x}\n", "has no anchor for category 'b'"),
    ("    level: nominal\n    categories: [a, b]\n    anchors: {a: x, c: y, b: z}\n",
     "axes[0].anchors.c: 'c' is not one of the categories"),
    ("    level: nominal\n    categories: [a, a]\n    anchors: {a: x}\n", "two or more distinct category names"),
    ("    scale: {min: 1, max: 5}\n    categories: [a, b]\n    anchors: {1: x, 3: y, 5: z}\n",
     "only a nominal axis has categories"),
    ("    scale: {min: 1, max: 5}\n    anchors: {1: x, 3: y, 5: z}\n    anchors_short: {1: x, 5: z}\n",
     "has no short anchor for 2"),
])
def test_nominal_and_short_anchor_mistakes_are_named(body: str, message: str) -> None:
    text = "name: r\naxes:\n  - id: a\n    name: A\n    definition: d\n" + body
    with pytest.raises(RaterError) as info:
        parse_rubric(text, "r.yaml")
    assert message in str(info.value)
