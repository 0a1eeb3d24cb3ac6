"""Scenario and rubric validation: bad files get messages naming file, line, field and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from rater import bundled
from rater.errors import RaterError
from rater.rubric import load_rubric, parse_rubric
from rater.scenarios import load_scenarios

FIXTURES = Path(__file__).parents[1] / "fixtures"
GOOD = (FIXTURES / "family.yaml").read_text().split("---")[0]


def errors_for(write, text: str, name: str = "s.yaml") -> list[str]:
    path = write(name, text)
    with pytest.raises(RaterError) as info:
        load_scenarios([path])
    return [str(p) for p in info.value.problems]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_fixture_family_loads_with_its_links() -> None:
    found = {s.id: s for s in load_scenarios([FIXTURES / "family.yaml"])}
    assert found["t-pe-01-s1"].base_id == "t-pe-01"
    assert found["t-pe-01-age-70"].demographics == {"age": "70"}
    assert found["t-pe-01"].conversation[1].text == "I'm on the road."


def test_misspelt_field_is_named_with_its_line(write) -> None:
    text = GOOD.replace("contraindicated:", "contraindicted:")
    errors = errors_for(write, text)
    assert any(f"s.yaml:{line_of(text, 'contraindicted')}: contraindicted: is not a scenario field"
               in e for e in errors)
    assert any("contraindicated: is missing" in e for e in errors)


def test_unknown_step_names_the_choices(write) -> None:
    text = GOOD.replace("step: imaginal_exposure", "step: imaginal")
    (error,) = errors_for(write, text)
    assert f":{line_of(text, 'step:')}: step: 'imaginal' is not a pe protocol step" in error
    assert "imaginal_exposure" in error and "hotspots" in error


def test_bad_risk_level_and_severity_are_both_reported(write) -> None:
    text = GOOD.replace("risk_level: none", "risk_level: medium").replace("severity: 0",
                                                                          "severity: two")
    errors = errors_for(write, text)
    assert any("risk_level: 'medium' is not a risk level" in e and "imminent" in e for e in errors)
    assert any("severity: 'two' is not a severity" in e for e in errors)


def test_nested_field_points_at_its_own_line(write) -> None:
    text = GOOD.replace("  - role: patient", "  - role: client")
    (error,) = errors_for(write, text)
    assert f":{line_of(text, 'role: client')}: conversation[1].role: 'client' is not a role" in error


def test_yaml_syntax_error_names_the_line(write) -> None:
    text = GOOD.replace("task: Continue the exposure.", "task: [Continue the exposure.")
    (error,) = errors_for(write, text)
    assert "s.yaml:" in error and "is not valid YAML" in error and "Fix:" in error


def test_duplicate_key_is_caught(write) -> None:
    text = GOOD + "risk_level: high\n"
    (error,) = errors_for(write, text)
    assert f":{line_of(text, 'risk_level: high')}: risk_level: appears twice" in error


def test_escalation_without_base_and_unknown_base(write) -> None:
    text = GOOD.replace("severity: 0", "severity: 2")
    assert any("base_id: is empty, but severity > 0" in e for e in errors_for(write, text))
    text = GOOD.replace("severity: 0", "severity: 1\nbase_id: nowhere-01")
    assert any("base_id: names 'nowhere-01', which is not a known scenario" in e
               for e in errors_for(write, text))


def test_duplicate_id_across_files_names_both(write) -> None:
    a, b = write("a.yaml", GOOD), write("b.yaml", GOOD)
    with pytest.raises(RaterError) as info:
        load_scenarios([a, b])
    assert "is already used at" in str(info.value) and "a.yaml" in str(info.value)


def test_failure_mode_must_fit_the_modality(write) -> None:
    text = GOOD.replace("modality: pe", "modality: cbt").replace("step: imaginal_exposure",
                                                                 "step: evidence")
    (error,) = errors_for(write, text)
    assert "'grounding_during_exposure' does not apply to cbt scenarios" in error


def test_bundled_rubric_has_five_ordinal_axes_and_a_nominal_crisis_direction() -> None:
    rubric = load_rubric()
    assert rubric.axis_ids == ["protocol_fidelity", "hallucination_risk",
                               "behavioral_consistency", "crisis_safety", "crisis_direction",
                               "demographic_robustness"]
    for axis in rubric.axes:
        if axis.id == "crisis_direction":
            continue
        assert axis.level == "ordinal" and axis.values == [1, 2, 3, 4, 5]
        assert {1, 3, 5} <= set(axis.anchors)
    direction = rubric.axis("crisis_direction")
    assert direction.level == "nominal" and direction.values == [1, 2, 3]
    assert direction.categories == ("appropriate", "over_reaction", "under_reaction")
    assert rubric.axis("crisis_safety").allows_na is False
    assert rubric.axis("behavioral_consistency").allows_na is True


def test_rubric_problems_name_line_and_fix() -> None:
    text = """name: r
axes:
  - id: safety
    name: Safety
    definition: d
    level: ordinl
    scale: {min: 1, max: 5}
    anchors: {1: bad, 3: ok, 5: good, 7: off}
"""
    with pytest.raises(RaterError) as info:
        parse_rubric(text, "r.yaml")
    message = str(info.value)
    assert "r.yaml:6: axes[0].level: 'ordinl' is not a level of measurement" in message
    assert "nominal, ordinal, interval, ratio" in message
    assert "axes[0].anchors.7: 7 is not a point on the 1-5 scale" in message


def test_rubric_with_an_added_axis_is_data_only() -> None:
    text = bundled.rubric_path().read_text() + """
  - id: surface_acknowledgment
    name: Surface acknowledgment
    definition: Does the answer acknowledge what the patient said?
    level: interval
    scale: {min: 0, max: 4}
    anchors: {0: ignores it, 2: partly, 4: fully}
"""
    rubric = parse_rubric(text, "custom.yaml")
    assert rubric.axis_ids[-1] == "surface_acknowledgment"
    assert rubric.axis("surface_acknowledgment").values == [0, 1, 2, 3, 4]
    assert rubric.hash != load_rubric().hash


def test_a_list_where_a_word_belongs_is_a_message_not_a_crash(write) -> None:
    text = GOOD.replace("modality: pe", "modality: [pe]").replace("risk_level: none", "risk_level: {a: 1}")
    errors = errors_for(write, text)
    assert any("modality:" in e and "is not a modality" in e for e in errors)
    assert any("risk_level:" in e and "is not a risk level" in e for e in errors)


def test_a_scale_that_is_not_a_mapping_is_named() -> None:
    text = "name: r\naxes:\n  - id: a\n    name: A\n    definition: d\n    scale: 5\n    anchors: {1: x}\n"
    with pytest.raises(RaterError, match=r"r.yaml:6: axes\[0\].scale: 5 is not a scale"):
        parse_rubric(text, "r.yaml")


def test_a_ten_point_rubric_keeps_its_hash_through_the_store() -> None:
    from rater.store import Store

    text = ("name: r\naxes:\n  - id: a\n    name: A\n    definition: d\n    scale: {min: 1, max: 10}\n"
            "    anchors: {1: low, 2: two, 5: mid, 10: high}\n")
    rubric = parse_rubric(text, "r.yaml")
    store = Store.open()
    version = store.ensure_rubric(rubric)
    assert store.rubric(version)[1].hash == rubric.hash
