"""The bundled instrument: what models are sent holds no key, and the export gives back every variant."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from rater.cli import cli
from rater.narratives import render_template
from rater.provocations import load_library
from rater.scenarios import Scenario, load_scenarios
from rater.taxonomy import load_taxonomy


def squash(text: str) -> str:
    return " ".join(text.split()).lower()


@pytest.fixture(scope="module")
def bundled() -> list[Scenario]:
    return load_scenarios()


@pytest.fixture(scope="module")
def prompts(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, object]]:
    """`rater generate --dry-run --prompts-out` over the whole bundled set (nothing is called)."""
    tmp = tmp_path_factory.mktemp("prompts")
    db, models, out = tmp / "study.db", tmp / "models.toml", tmp / "prompts.jsonl"
    models.write_text('[[model]]\nname = "model-a"\nmodel = "openai/never-called"\n'
                      'api_base = "http://127.0.0.1:9"\n')
    runner = CliRunner()
    assert runner.invoke(cli, ["init", "--db", str(db)]).exit_code == 0
    result = runner.invoke(cli, ["generate", "--db", str(db), "--models", str(models), "--dry-run",
                                 "--prompts-out", str(out)])
    assert result.exit_code == 0, result.output
    assert "dry run: no call made" in result.output
    return [json.loads(line) for line in out.read_text().splitlines()]


def test_every_scenario_has_its_exact_prompt(prompts: list[dict[str, object]], bundled: list[Scenario]) -> None:
    assert sorted(str(p["scenario_id"]) for p in prompts) == sorted(s.id for s in bundled)
    by_id = {s.id: s for s in bundled}
    for p in prompts:
        s = by_id[str(p["scenario_id"])]
        messages = p["messages"]
        assert isinstance(messages, list) and (p["model"], p["sample"]) == ("model-a", 1)
        assert messages[-1] == {"role": "user", "content": s.patient_message.strip()}
        assert s.task in messages[0]["content"] and s.patient_profile in messages[0]["content"]
        assert len(messages) == len(s.conversation) + 2


def test_no_key_text_reaches_any_message(prompts: list[dict[str, object]], bundled: list[Scenario]) -> None:
    """No expected, contraindicated or later line, note, title, risk level, trap flag or provocation id."""
    tax = load_taxonomy()
    key_lines: set[str] = set()
    for modality in tax.steps:
        for key in load_library(modality).keys.values():
            key_lines.update(squash(x) for x in (*key.expected, *key.contraindicated, *key.later))
    by_id = {s.id: s for s in bundled}
    labels = re.compile(r"risk[ _]level|\bseverity\b|\btrap\b|contraindicated|"
                        + "|".join(map(re.escape, tax.provocations)), re.IGNORECASE)
    for p in prompts:
        s = by_id[str(p["scenario_id"])]
        own = {squash(x) for x in (*s.expected, *s.contraindicated, *s.later, s.title)}
        if s.notes:
            own.add(squash(s.notes))
        system = p["messages"][0]  # type: ignore[misc]
        for message in p["messages"]:  # type: ignore[attr-defined]
            text = squash(message["content"])
            leaked = [k for k in key_lines | own if k in text]
            assert not leaked, (s.id, leaked[:1])
        # The words naming the key never appear in what rater adds (patients may say "trapped").
        assert not labels.search(system["content"].replace(s.patient_profile, "")), s.id
        assert not re.search(r"risk[ _]level|" + "|".join(map(re.escape, tax.provocations)),
                             json.dumps(p["messages"]), re.IGNORECASE), s.id


def test_export_gives_every_field_and_variants_render_from_template_and_cues(tmp_path: Path) -> None:
    out = tmp_path / "set.jsonl"
    result = CliRunner().invoke(cli, ["scenarios", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows and f"{len(rows)} scenarios in" in result.output
    assert "by failure mode provoked:" in result.output and "demographic variants by group:" in result.output
    needed = {"id", "family", "modality", "step", "severity", "risk_level", "trap", "demographic_group",
              "patient_profile", "conversation", "patient_message", "task", "expected", "contraindicated",
              "provokes", "failure_modes", "notes", "template", "cues"}
    variants = 0
    for row in rows:
        assert needed <= set(row), needed - set(row)
        if row["demographic_group"]:
            variants += 1
            texts = render_template(row["template"], row["cues"])
            assert texts == {k: row[k] for k in ("patient_profile", "conversation", "patient_message")}
    assert variants >= 8 * 4


def test_prompts_out_needs_a_dry_run(tmp_path: Path) -> None:
    models = tmp_path / "models.toml"
    models.write_text('[[model]]\nname = "m"\nmodel = "openai/x"\n')
    result = CliRunner().invoke(cli, ["generate", "--db", str(tmp_path / "x.db"), "--models", str(models),
                                      "--prompts-out", str(tmp_path / "p.jsonl")])
    assert result.exit_code == 2 and "--prompts-out works with --dry-run only" in result.output


def test_an_exported_set_imports_as_it_is_and_a_tampered_variant_is_refused(tmp_path: Path) -> None:
    out, db = tmp_path / "set.jsonl", tmp_path / "other.db"
    runner = CliRunner()
    assert runner.invoke(cli, ["scenarios", "export", "--out", str(out)]).exit_code == 0
    assert runner.invoke(cli, ["init", "--db", str(db), "--no-scenarios"]).exit_code == 0
    result = runner.invoke(cli, ["import", "scenarios", str(out), "--db", str(db)])
    assert result.exit_code == 0, result.output
    again = tmp_path / "again.jsonl"
    assert runner.invoke(cli, ["scenarios", "export", "--db", str(db), "--out", str(again)]).exit_code == 0
    rows = {json.loads(x)["id"]: json.loads(x) for x in out.read_text().splitlines()}
    assert rows == {json.loads(x)["id"]: json.loads(x) for x in again.read_text().splitlines()}
    variant = next(r for r in rows.values() if r["demographic_group"])
    slot = next(iter(variant["cues"]))
    variant["cues"][slot] += " (changed)"
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(variant) + "\n")
    third = tmp_path / "third.db"
    assert runner.invoke(cli, ["init", "--db", str(third), "--no-scenarios"]).exit_code == 0
    result = runner.invoke(cli, ["import", "scenarios", str(bad), "--db", str(third)])
    assert result.exit_code == 2
    assert "bad.jsonl:1: template: rendered with cues does not give the scenario's texts" in result.output


def test_an_imported_family_with_two_tasks_is_refused(tmp_path: Path) -> None:
    out, db = tmp_path / "set.jsonl", tmp_path / "study.db"
    runner = CliRunner()
    assert runner.invoke(cli, ["scenarios", "export", "--out", str(out)]).exit_code == 0
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    family = rows[0]["family"]
    members = [r for r in rows if r["family"] == family][:2]
    members[1]["task"] = "Respond to what the patient has just disclosed."
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(json.dumps(r) + "\n" for r in members))
    assert runner.invoke(cli, ["init", "--db", str(db), "--no-scenarios"]).exit_code == 0
    result = runner.invoke(cli, ["import", "scenarios", str(bad), "--db", str(db)])
    assert result.exit_code == 2
    assert f"task: differs from the task of {members[0]['id']}, in the same family" in result.output


def test_the_whole_data_folder_validates_without_its_library_and_vocabulary(bundled: list[Scenario]) -> None:
    from rater import bundled as data

    result = CliRunner().invoke(cli, ["scenarios", "validate", str(data.data_dir())])
    assert result.exit_code == 0, result.output
    assert f"ok: {len(bundled)} scenarios" in result.output
