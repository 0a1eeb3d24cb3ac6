"""What models and judges are sent: prompt files as data, siblings found, calls keyed for resuming."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rater.errors import RaterError
from rater.importers import import_responses
from rater.llm.config import load_config
from rater.llm.generate import plan_generate, select_scenarios
from rater.llm.judge import plan_judge
from rater.llm.prompts import generation_messages, load_prompt
from rater.store import Store

PANEL = '[[judge]]\nname = "judge-a"\nmodel = "openai/fake"\ntemperature = 0.0\n'


def test_a_model_sees_the_session_as_chat_turns_and_never_the_ground_truth(store: Store) -> None:
    base = store.scenario("t-pe-01")
    assert base is not None
    messages = generation_messages(base, load_prompt("generate-pe"))
    assert [m["role"] for m in messages] == ["system", "assistant", "user", "user"]
    assert messages[-1]["content"] == base.patient_message.strip()
    assert "A test patient." in messages[0]["content"] and "Continue the exposure." in messages[0]["content"]
    assert "Switches to grounding" not in json.dumps(messages)


def test_a_prompt_with_an_unknown_placeholder_names_the_file(tmp_path: Path, store: Store) -> None:
    (tmp_path / "generate-pe.md").write_text("---\nversion: 2\n---\nHello $patient_nmae\n")
    prompt = load_prompt("generate-pe", tmp_path)
    base = store.scenario("t-pe-01")
    assert base is not None
    with pytest.raises(RaterError, match=r"generate-pe.md: patient_nmae: uses the placeholder \$patient_nmae"):
        generation_messages(base, prompt)
    (tmp_path / "judge-user.md").write_text("no front matter\n")
    with pytest.raises(RaterError, match="has no version"):
        load_prompt("judge-user", tmp_path)


def test_only_filters_by_id_pattern_and_field(store: Store) -> None:
    scenarios = store.scenarios()
    assert [s.id for s in select_scenarios(scenarios, ("t-pe-01-*",))] == ["t-pe-01-age-70", "t-pe-01-s1"]
    assert [s.id for s in select_scenarios(scenarios, ("risk_level=high",))] == ["t-pe-01-s1"]
    assert [s.id for s in select_scenarios(scenarios, ("severity=0", "demographic_group=age"))] == [
        "t-pe-01-age-70"]
    with pytest.raises(RaterError, match="no scenario matches"):
        select_scenarios(scenarios, ("nothing-*",))
    not_traps = [s.id for s in scenarios if not s.trap]
    for spelled in ("trap=false", "trap=False", "trap=no", "trap=0"):
        assert [s.id for s in select_scenarios(scenarios, (spelled,))] == not_traps


def test_judge_plan_finds_samples_and_demographic_counterparts(with_responses: Store, write) -> None:
    import_responses(with_responses, write("more.csv", "response_id,scenario_id,model,sample,text\n"
                                                       "r4,t-pe-01-age-70,model-a,1,At your age rest.\n"
                                                       "r5,t-pe-01-age-70,model-b,1,Other model.\n"))
    plan, _, _ = plan_judge(with_responses, load_config(write("panel.toml", PANEL), "judge"))
    calls = {job.item.response_id: job.item.build() for job in plan.jobs}
    assert set(calls) == {"r1", "r2", "r3", "r4", "r5"}
    compared = {rid: c.comparison.messages[1]["content"] for rid, c in calls.items() if c.comparison}
    assert "Let's pause and notice" in compared["r1"]     # its repeated sample
    assert "At your age rest." in compared["r1"]          # its demographic counterpart, same model
    assert "Other model." not in compared["r1"]           # other models are never siblings
    assert "Stay with it." in compared["r4"]              # the base, seen from the variant
    assert "Other model." not in compared["r4"]
    assert "r3" not in compared                           # an escalation has no sibling: no comparison call
    assert set(calls["r3"].not_applicable) == {"behavioral_consistency", "demographic_robustness"}
    # The quality call never holds a sibling's text.
    quality = calls["r1"].quality.messages[1]["content"]
    assert "Let's pause" not in quality and "At your age" not in quality and "<sibling" not in quality
    assert calls["r1"].quality.axes == ("protocol_fidelity", "hallucination_risk", "crisis_safety",
                                        "crisis_direction")


def test_call_keys_follow_the_model_its_parameters_and_the_prompt(store: Store, write) -> None:
    models = load_config(write("m.toml", '[[model]]\nname = "a"\nmodel = "openai/x"\n'
                                          'api_base = "http://127.0.0.1:1/v1"\n'), "model")
    keys = [j.key for j in plan_generate(store, models, samples=2).jobs]
    assert len(set(keys)) == 6
    moved = load_config(write("m.toml", '[[model]]\nname = "a"\nmodel = "openai/x"\n'
                                         'api_base = "http://127.0.0.1:2/v1"\n'), "model")
    assert [j.key for j in plan_generate(store, moved, samples=2).jobs] == keys
    warmer = load_config(write("m.toml", '[[model]]\nname = "a"\nmodel = "openai/x"\ntemperature = 1.0\n'),
                         "model")
    assert not set(j.key for j in plan_generate(store, warmer, samples=2).jobs) & set(keys)


def test_the_core_imports_no_litellm_and_no_textual() -> None:
    script = ("import sys, rater.panel, rater.llm.judge, rater.llm.generate, rater.commands.runs\n"
              "print([m for m in ('litellm', 'textual', 'pandas') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_quality_call_reads_trap_and_country_when_scenarios_have_them() -> None:
    """Scenarios gain `trap` and `country` on another branch; the judge reads them when present."""
    from dataclasses import dataclass

    from rater.llm.prompts import JudgePrompt
    from rater.rubric import load_rubric
    from rater.scenarios import Scenario
    from rater.ui.widgets.context import context_text

    @dataclass(frozen=True)
    class Later(Scenario):
        trap: bool = False
        country: str | None = None

    fields = dict(id="x", title="t", modality="pe", step="hotspots", severity=0, risk_level="none",
                  patient_profile="p", patient_message="I'm going to die", task="k", expected=("e",),
                  contraindicated=("c",), notes="A present-tense memory line.")
    prompt = JudgePrompt(load_rubric())
    trap = prompt.quality(Later(**fields, trap=True, country="UK"), "Stay with it.").messages[1]["content"]
    assert "Trap: yes" in trap and "Patient's country: UK" in trap and "A present-tense memory line." in trap
    unknown = prompt.quality(Later(**{**fields, "id": "y"}), "ok").messages[1]["content"]
    assert "Trap: no" in unknown and "Patient's country: unknown" in unknown
    if "trap" not in Scenario.__dataclass_fields__:  # scenarios written before the fields existed
        old = prompt.quality(Scenario(**{**fields, "id": "z"}), "ok").messages[1]["content"]
        assert "Trap:" not in old and "as in the patient profile" in old
    uk = context_text(Later(**fields, country="UK"), True).plain
    assert "Samaritans: 116 123 (call)" in uk and "988" not in uk
    assert "patient's country: unknown" in context_text(Later(**fields), True).plain
