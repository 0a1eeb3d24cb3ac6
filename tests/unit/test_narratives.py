"""Narrative files: expanded into families from the provocation library; bad files get file:line:field and a fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from rater.errors import RaterError
from rater.narratives import render_template
from rater.provocations import load_library, parse_library
from rater.scenarios import Scenario, load_scenarios
from rater.store import Store
from rater.taxonomy import load_taxonomy
from rater.yamlsrc import load_documents

FIXTURES = Path(__file__).parents[1] / "fixtures"
GOOD = (FIXTURES / "narrative.yaml").read_text()


def errors_for(write, text: str, name: str = "n.yaml") -> list[str]:
    path = write(name, text)
    with pytest.raises(RaterError) as info:
        load_scenarios([path])
    return [str(p) for p in info.value.problems]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.fixture(scope="module")
def expanded() -> dict[str, Scenario]:
    return {s.id: s for s in load_scenarios([FIXTURES / "narrative.yaml"])}


def test_a_narrative_expands_into_families_with_generated_ids(expanded: dict[str, Scenario]) -> None:
    assert sorted(expanded)[:3] == ["pe-test-sam-imaginal-death_statement_trap",
                                    "pe-test-sam-imaginal-high_distress",
                                    "pe-test-sam-imaginal-passive_wish"]
    # 3 plain members + 2 demographic members x (base + 4 variants)
    assert len(expanded) == 3 + 2 * 5
    trap = expanded["pe-test-sam-imaginal-death_statement_trap"]
    assert (trap.family, trap.trap, trap.risk_level, trap.severity, trap.country) == (
        "pe-test-sam-imaginal", True, "none", 0, "US")
    wish = expanded["pe-test-sam-imaginal-passive_wish"]
    assert (wish.risk_level, wish.severity, wish.trap) == ("low", 1, False)
    assert wish.task == trap.task == load_taxonomy().tasks["pe"]["imaginal_exposure"]


def test_the_key_comes_from_the_library_plus_the_risk_level_and_the_rule(expanded: dict[str, Scenario]) -> None:
    tax = load_taxonomy()
    key = load_library("pe").keys[("imaginal_exposure", "passive_wish")]
    wish = expanded["pe-test-sam-imaginal-passive_wish"]
    assert wish.expected == key.expected and wish.provokes == key.provokes
    assert set(tax.risk_keys["low"].expected) <= set(wish.expected)
    trap = expanded["pe-test-sam-imaginal-death_statement_trap"]
    assert set(tax.safety_check["trap"].contraindicated) <= set(trap.contraindicated)
    assert trap.notes == "Memory content told in the present tense, as asked."
    assert all("{resume}" not in line for line in wish.expected + trap.expected)


def test_demographic_variants_differ_only_in_their_cues(expanded: dict[str, Scenario]) -> None:
    base = expanded["pe-test-sam-processing-self_blame"]
    muslim = expanded["pe-test-sam-processing-self_blame-muslim"]
    control = expanded["pe-test-sam-processing-self_blame-control"]
    assert base.demographic_group is None and base.variant == "base"
    assert (muslim.base_id, muslim.demographic_group, muslim.variant) == (base.id, "religion", "muslim")
    assert control.demographics == {"religion": "control"} and muslim.cues == {"cue": "On Fridays Sam prays at the mosque."}
    assert "On Fridays Sam prays at the mosque." in muslim.conversation[1].text
    for s in (base, muslim, control):
        texts = render_template(s.template or {}, s.cues or {})
        assert texts["conversation"][1]["text"] == s.conversation[1].text
        assert (s.expected, s.task, s.risk_level, s.family) == (base.expected, base.task,
                                                                base.risk_level, base.family)
        assert s.provokes[-1] == "demographic_shift" and len(s.provokes) <= 3


def test_family_fields_survive_the_store(expanded: dict[str, Scenario]) -> None:
    store = Store.open()
    store.upsert_scenarios(expanded.values())
    back = store.scenario("pe-test-sam-processing-self_blame-muslim")
    assert back is not None and back.content() == expanded[back.id].content()
    row = store.conn.execute("SELECT family, trap FROM scenarios WHERE id = ?",
                             ("pe-test-sam-imaginal-death_statement_trap",)).fetchone()
    assert tuple(row) == ("pe-test-sam-imaginal", 1)


def test_a_flat_scenario_keeps_its_stored_content(tmp_path: Path) -> None:
    (base, *_) = load_scenarios([FIXTURES / "family.yaml"])
    assert base.family == base.id and base.provokes == base.failure_modes
    assert "family" not in base.content() and "trap" not in base.content()


def test_a_provocation_the_library_has_no_key_for_is_named(write) -> None:
    text = GOOD.replace("provocation: high_distress", "provocation: burden_cognition_x")
    (error,) = errors_for(write, text)
    assert f"n.yaml:{line_of(text, 'burden_cognition_x')}: families[0].members[0].provocation:" in error
    assert "has no key at pe step imaginal_exposure" in error and "high_distress" in error


def test_a_variant_missing_a_slot_and_a_second_control(write) -> None:
    text = GOOD.replace('cues: {cue: "On Saturdays Sam goes to synagogue."}', "cues: {other: x}")
    text = text.replace("- label: catholic", "- label: catholic\n          control: true")
    errors = errors_for(write, text)
    assert any("families[1].demographic.variants[2].cues: must define exactly the base's slots; "
               "missing cue; not in base: other" in e for e in errors), errors
    assert any("has 2 control variants, needs exactly one" in e for e in errors), errors


def test_a_slot_outside_a_demographic_family_is_an_error(write) -> None:
    text = GOOD.replace("I'm on the bridge.", "I'm on the {place}.")
    (error,) = errors_for(write, text)
    assert "families[0]: uses {place} but has no demographic block" in error


def test_key_text_in_what_the_model_sees_is_refused(write) -> None:
    leaked = load_library("pe").keys[("imaginal_exposure", "high_distress")].expected[1]
    text = GOOD.replace("It's ninety. I can hear the metal folding.", leaked)
    errors = errors_for(write, text)
    assert any("families[0].members[0].patient_message: pe-test-sam-imaginal-high_distress: sends key "
               "text to the model" in e for e in errors), errors
    text = GOOD.replace("a delivery driver.", "a delivery driver. This one is a trap.")
    assert any("patient_profile:" in e and "'trap' name the key" in e for e in errors_for(write, text))


def test_two_members_with_one_provocation_and_a_bad_country(write) -> None:
    text = GOOD.replace("provocation: death_statement_trap", "provocation: high_distress")
    text = text.replace("country: US", "country: usa")
    errors = errors_for(write, text)
    assert any("families[0].members[1].provocation: high_distress is already member 0" in e for e in errors)
    assert any(f"n.yaml:{line_of(text, 'country')}: country: 'usa' is not a country code" in e for e in errors)


def test_a_library_entry_provoking_too_much_is_refused() -> None:
    text = load_library("pe").source and Path(load_library("pe").source).read_text()
    assert text
    bad = text.replace("provokes: [grounding_during_exposure, task_abandonment, false_reassurance]",
                       "provokes: [grounding_during_exposure, task_abandonment, false_reassurance, missed_risk]", 1)
    bad = bad.replace("  passive_wish:\n    risk_level: low\n", "  passive_wish:\n    risk_level: low\n    trap: true\n", 1)
    (doc,) = load_documents(bad, "lib.yaml")
    _, problems = parse_library(doc, load_taxonomy())
    messages = [str(p) for p in problems]
    assert any("provocations.high_distress.provokes:" in m and "1 to 3 failure modes" in m for m in messages)
    assert any("provocations.passive_wish.trap: a trap is true or false, and only at risk none" in m
               for m in messages)
