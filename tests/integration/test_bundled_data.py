"""The bundled scenario set and demo data meet what the study needs, and ship in the wheel."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from rater.cli import cli
from rater.demo import ILLUSTRATIVE, build_demo
from rater.scenarios import Scenario, load_scenarios
from rater.taxonomy import load_taxonomy

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def bundled() -> list[Scenario]:
    return load_scenarios()


def test_the_study_scale_is_met(bundled: list[Scenario]) -> None:
    """The study: >= 250 PE and 146 CBT at risk none, >= 29 escalated, >= 10 at each level above none."""
    none = Counter(s.modality for s in bundled if s.risk_level == "none")
    assert none["pe"] >= 250 and none["cbt"] >= 146, none
    risk = Counter(s.risk_level for s in bundled)
    assert sum(n for level, n in risk.items() if level != "none") >= 29
    for level in ("low", "moderate", "high", "imminent"):
        assert risk[level] >= 10, risk
    assert sum(s.trap for s in bundled) >= 20
    assert all(s.risk_level == "none" for s in bundled if s.trap)


def test_every_step_of_each_modality_is_covered(bundled: list[Scenario]) -> None:
    tax = load_taxonomy()
    for modality, steps in tax.steps.items():
        per_step = Counter(s.step for s in bundled if s.modality == modality)
        assert all(per_step[step] >= 20 for step in steps), (modality, per_step)


def test_severity_follows_the_risk_level(bundled: list[Scenario]) -> None:
    order = {"none": 0, "low": 1, "moderate": 2, "high": 3, "imminent": 4}
    assert list(load_taxonomy().risk_levels) == list(order)
    assert all(s.severity == order[s.risk_level] for s in bundled)


def test_every_failure_mode_is_provoked_ten_times(bundled: list[Scenario]) -> None:
    provoked = Counter(m for s in bundled for m in s.provokes)
    for mode in load_taxonomy().failure_modes:
        assert provoked[mode] >= 10, f"{mode} is provoked by {provoked[mode]} scenarios"
    assert all(1 <= len(s.provokes) <= 3 for s in bundled)


def test_every_family_shares_one_neutral_task(bundled: list[Scenario]) -> None:
    tasks: dict[str, set[str]] = defaultdict(set)
    for s in bundled:
        tasks[s.family].add(s.task)
    assert all(len(t) == 1 for t in tasks.values())
    per_step: dict[tuple[str, str], set[str]] = defaultdict(set)
    for s in bundled:
        per_step[(s.modality, s.step)].add(s.task)
    assert all(len(t) == 1 for t in per_step.values()), "one task per modality and step"


def test_demographic_variants_render_from_their_template(bundled: list[Scenario]) -> None:
    from rater.narratives import render_template

    groups = Counter(s.demographic_group for s in bundled if s.demographic_group)
    assert set(groups) == set(load_taxonomy().demographic_groups), groups
    by_id = {s.id: s for s in bundled}
    for s in bundled:
        if s.template is None:
            continue
        texts = render_template(s.template, s.cues or {})
        assert texts["patient_profile"] == s.patient_profile
        assert texts["patient_message"] == s.patient_message
        assert texts["conversation"] == [{"role": t.role, "text": t.text} for t in s.conversation]
        if s.demographic_group:
            base = by_id[s.base_id or ""]
            assert (base.family, base.step, base.risk_level, base.task, base.expected,
                    base.contraindicated) == (s.family, s.step, s.risk_level, s.task, s.expected,
                                              s.contraindicated)
    escalated = Counter(s.demographic_group for s in bundled if s.demographic_group and s.risk_level != "none")
    assert escalated, "demographic variants exist above risk none too"


def test_the_special_patients_are_covered(bundled: list[Scenario]) -> None:
    provocations = Counter(s.provocation for s in bundled)
    for needed in ("dissociation", "substance_before", "medication_question", "psychotic_features",
                   "current_ipv", "homicidal_ideation", "nssi", "self_disclosure_request",
                   "indirect_cue", "past_attempt", "recent_behaviour", "imminent_plan"):
        assert provocations[needed] >= 1, needed
    assert any(s.country is None and s.risk_level != "none" for s in bundled), "at risk, country unknown"


def test_demo_database_is_labelled_and_covers_the_study_design(tmp_path: Path) -> None:
    store = build_demo(tmp_path / "demo.db")
    assert store.is_demo
    q = store.conn.execute
    covered = {r[0]: r[1] for r in q("SELECT DISTINCT r.scenario_id, s.modality FROM responses r "
                                      "JOIN scenarios s ON s.id = r.scenario_id")}
    assert len(covered) >= 24 and set(covered.values()) == {"pe", "cbt"}
    assert q("SELECT count(DISTINCT model) FROM responses").fetchone()[0] >= 3
    assert q("SELECT count(*) FROM responses WHERE sample > 1").fetchone()[0] >= 6
    # A ladder: for each modality, one narrative answered from no risk (a trap included) up through
    # at least two risk levels above none.
    for modality in ("pe", "cbt"):
        ladders = q("SELECT s.content FROM scenarios s "
                    "WHERE s.modality = ? AND s.id IN (SELECT scenario_id FROM responses)", (modality,))
        by_narrative: dict[str, set[str]] = {}
        for (content,) in ladders:
            sc = json.loads(content)
            name = sc["id"].rsplit("-", 2)[0]
            by_narrative.setdefault(name, set()).add("trap" if sc.get("trap") else sc["risk_level"])
        assert any({"none", "trap"} <= levels and len(levels - {"none", "trap"}) >= 2
                   for levels in by_narrative.values()), by_narrative
    # One demographic family answered whole: the base rendering and every variant, control included.
    whole = [f for (f,) in q("SELECT DISTINCT family FROM scenarios WHERE demographic_group IS NOT NULL")
             if q("SELECT count(*) FROM scenarios WHERE family = ? AND id IN "
                  "(SELECT scenario_id FROM responses)", (f,)).fetchone()[0] >= 4
             and q("SELECT count(*) FROM scenarios WHERE family = ? AND id LIKE '%-control' AND id IN "
                   "(SELECT scenario_id FROM responses)", (f,)).fetchone()[0] >= 1]
    assert whole
    # The judges named failure modes (the report's prevalence rests on them), and were asked everywhere.
    assert q("SELECT count(*) FROM judgment_failure_modes").fetchone()[0] > 0
    assert q("SELECT count(*) FROM judgments WHERE failure_modes_asked IS NOT 1").fetchone()[0] == 0
    # Crisis direction is scored by the made-up judges and clinicians alike.
    assert q("SELECT count(*) FROM judge_scores WHERE axis = 'crisis_direction'").fetchone()[0] > 0
    assert q("SELECT count(*) FROM rating_scores WHERE axis = 'crisis_direction'").fetchone()[0] > 0
    judges = q("SELECT count(DISTINCT judge) FROM judgments").fetchone()[0]
    assert judges == 3
    unjudged = q("SELECT count(*) FROM responses r WHERE (SELECT count(*) FROM judgments j "
                 "WHERE j.response_id = r.id) < 3").fetchone()[0]
    assert unjudged == 0


def test_demo_command_says_the_data_is_illustrative(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", "--no-open", "--db", str(tmp_path / "d.db")])
    assert result.exit_code == 0, result.output
    assert ILLUSTRATIVE in result.output
    status = CliRunner().invoke(cli, ["status", "--db", str(tmp_path / "d.db")])
    assert "ILLUSTRATIVE DEMO DATA" in status.output


def test_demo_never_replaces_a_real_database(tmp_path: Path) -> None:
    real = tmp_path / "study.db"
    CliRunner().invoke(cli, ["init", "--db", str(real), "--no-scenarios"])
    result = CliRunner().invoke(cli, ["demo", "--no-open", "--db", str(real)])
    assert result.exit_code == 2 and "is not a demo database" in result.output


@pytest.mark.slow
def test_the_wheel_carries_the_data_and_works_away_from_the_checkout(tmp_path: Path) -> None:
    # Built offline: the build backend (hatchling, in the test extra) comes from this environment,
    # and pip is told not to look anything up, so the test never needs the network.
    pytest.importorskip("hatchling", reason="the wheel test builds offline with hatchling: "
                                            "pip install 'rater[test]' (it lists hatchling)")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                    "-q", "-w", str(tmp_path / "dist"), str(ROOT)], check=True, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("rater-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("rater/_bundled/scenarios/rubric.yaml", "rater/_bundled/scenarios/taxonomy.yaml"):
        assert needed in names
    assert any(n.startswith("rater/_bundled/scenarios/demo/") for n in names)
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    away = tmp_path / "elsewhere"
    away.mkdir()
    out = subprocess.run(
        [sys.executable, "-c", "from rater.cli import main; main()", "scenarios", "validate"],
        cwd=away, env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert f"ok: {len(load_scenarios())} scenarios" in out.stdout
