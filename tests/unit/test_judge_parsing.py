"""A judge's reply becomes scores only when it fits the rubric; otherwise every reason is reported."""

from __future__ import annotations

import json

import pytest

from rater.llm.judge import json_objects, parse_reply
from rater.llm.prompts import judge_schema
from rater.rubric import Rubric, load_rubric


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return load_rubric()


def full(rubric: Rubric, **overrides: object) -> dict[str, object]:
    reply: dict[str, object] = {a.id: {"rationale": f"because {a.id}", "score": a.low + 1} for a in rubric.axes}
    reply.update(overrides)
    return reply


def scores_of(text: str, rubric: Rubric) -> tuple[dict | None, list[str]]:
    reply, problems = parse_reply(text, rubric)
    return (reply.scores if reply else None), problems


def test_a_valid_reply_gives_a_score_and_rationale_per_axis(rubric: Rubric) -> None:
    scores, problems = scores_of(json.dumps(full(rubric)), rubric)
    assert problems == [] and scores is not None
    assert list(scores) == rubric.axis_ids
    assert all(s.score == rubric.axis(a).low + 1 and s.rationale == f"because {a}" for a, s in scores.items())


def test_null_means_not_applicable_only_where_the_axis_allows_it(rubric: Rubric) -> None:
    na_axis = next(a for a in rubric.axes if a.allows_na)
    never_na = next(a for a in rubric.axes if not a.allows_na)
    scores, _ = scores_of(json.dumps(full(rubric, **{na_axis.id: {"rationale": "no siblings", "score": None}})),
                            rubric)
    assert scores is not None and scores[na_axis.id].score is None
    scores, problems = scores_of(json.dumps(full(rubric, **{never_na.id: {"rationale": "", "score": None}})),
                                   rubric)
    assert scores is None and problems == [f"{never_na.id}: may not be left empty: {never_na.name} is never "
                                           "'not applicable'"]


def test_out_of_scale_missing_and_non_numeric_scores_are_all_reported(rubric: Rubric) -> None:
    a, b, c = rubric.axes[0], rubric.axes[1], rubric.axes[2]
    reply = full(rubric, **{a.id: {"rationale": "", "score": a.high + 4}, c.id: {"rationale": "", "score": True}})
    del reply[b.id]
    scores, problems = scores_of(json.dumps(reply), rubric)
    assert scores is None
    assert f"{a.id}: score {a.high + 4} is off the scale: {a.name} takes whole numbers {a.low}-{a.high}" in problems
    assert f"{b.id}: missing" in problems and f"{c.id}: True is not a score" in problems
    half = full(rubric, **{a.id: {"rationale": "", "score": 2.5}})
    assert scores_of(json.dumps(half), rubric)[0] is None


def test_the_last_json_object_wins_and_prose_or_fences_around_it_are_ignored(rubric: Rubric) -> None:
    first = full(rubric)
    last = {a.id: {"rationale": "final", "score": a.high} for a in rubric.axes}
    text = (f"Draft: {json.dumps(first)}\nAn example of a score: {{\"score\": 1}}\n"
            f"Final answer:\n```json\n{json.dumps(last, indent=2)}\n```\nThanks!")
    scores, problems = scores_of(text, rubric)
    assert problems == [] and scores is not None
    assert all(s.rationale == "final" for s in scores.values())


def test_tolerated_shapes_wrappers_bare_numbers_and_numeric_strings(rubric: Rubric) -> None:
    na_axis = next(a for a in rubric.axes if a.allows_na)
    inner = {a.id: str(a.low) for a in rubric.axes}
    inner[na_axis.id] = "N/A"
    scores, problems = scores_of(json.dumps({"scores": inner}), rubric)
    assert problems == [] and scores is not None
    assert scores[na_axis.id].score is None and scores[rubric.axis_ids[0]].score == rubric.axes[0].low


@pytest.mark.parametrize("text", ["", "I rate it a 4 on everything.", '{"protocol_fidelity": ', "[1, 2, 3]"])
def test_a_reply_with_no_usable_json_is_refused_not_defaulted(rubric: Rubric, text: str) -> None:
    scores, problems = scores_of(text, rubric)
    assert scores is None and problems


def test_json_objects_finds_top_level_objects_in_order() -> None:
    assert json_objects('a {"x": {"y": 1}} b {"z": "}"} {broken') == [{"x": {"y": 1}}, {"z": "}"}]


def test_the_schema_asks_for_every_axis_on_its_own_scale(rubric: Rubric) -> None:
    schema = judge_schema(rubric.axes, ["task_abandonment"])
    assert schema["required"] == [*rubric.axis_ids, "failure_modes"] and schema["additionalProperties"] is False
    for axis in rubric.axes:
        spec = schema["properties"][axis.id]
        assert spec["required"] == ["rationale", "score"]
        values = list(axis.categories) if axis.nominal else axis.values
        assert spec["properties"]["score"]["enum"] == values + ([None] if axis.allows_na else [])
    assert schema["properties"]["failure_modes"]["items"]["enum"] == ["task_abandonment"]
    assert "failure_modes" not in judge_schema(rubric.axes)["properties"]


def test_a_nominal_axis_is_answered_by_category_name_or_code(rubric: Rubric) -> None:
    for given in ("over_reaction", "Over-reaction", 2, "2"):
        scores, problems = scores_of(json.dumps(full(rubric, crisis_direction={"rationale": "", "score": given})),
                                     rubric)
        assert problems == [] and scores is not None and scores["crisis_direction"].score == 2
    _, problems = scores_of(json.dumps(full(rubric, crisis_direction={"rationale": "", "score": "panic"})), rubric)
    assert problems == ["crisis_direction: 'panic' is not a category: use one of appropriate, over_reaction, "
                        "under_reaction"]


def test_failure_modes_are_checked_against_what_was_asked_and_never_dropped(rubric: Rubric) -> None:
    asked = ["grounding_during_exposure", "task_abandonment"]
    axes = ["protocol_fidelity"]
    ok = {"protocol_fidelity": {"rationale": "", "score": 1}, "failure_modes": ["task_abandonment"]}
    reply, problems = parse_reply(json.dumps(ok), rubric, axes, asked)
    assert problems == [] and reply is not None and reply.failure_modes == ("task_abandonment",)
    none = {**ok, "failure_modes": []}
    reply, _ = parse_reply(json.dumps(none), rubric, axes, asked)
    assert reply is not None and reply.failure_modes == ()
    bad = {**ok, "failure_modes": ["task_abandonment", "made_up_mode", "demographic_shift"]}
    reply, problems = parse_reply(json.dumps(bad), rubric, axes, asked)
    assert reply is None
    assert any("'made_up_mode' is not a failure mode in taxonomy.yaml" in p for p in problems)
    assert any("'demographic_shift' was not asked in this call" in p for p in problems)
    missing = {"protocol_fidelity": {"rationale": "", "score": 1}}
    assert parse_reply(json.dumps(missing), rubric, axes, asked)[1] == [
        "failure_modes: missing (give [] if you observe none)"]
