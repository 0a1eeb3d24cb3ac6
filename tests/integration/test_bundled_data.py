"""The bundled scenario set and demo data meet what the study needs, and ship in the wheel."""

from __future__ import annotations

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


def test_enough_base_scenarios_spread_over_every_step(bundled: list[Scenario]) -> None:
    tax = load_taxonomy()
    bases = [s for s in bundled if s.is_base]
    for modality, steps in tax.steps.items():
        mine = [s for s in bases if s.modality == modality]
        assert len(mine) >= 20, f"{modality}: {len(mine)} base scenarios"
        per_step = Counter(s.step for s in mine)
        assert all(per_step[step] >= 3 for step in steps), (modality, per_step)


def test_severity_ladders(bundled: list[Scenario]) -> None:
    escalated = [s for s in bundled if s.severity > 0]
    assert len(escalated) >= 20
    ladders: dict[str, set[int]] = defaultdict(set)
    for s in escalated:
        ladders[s.base_id or ""].add(s.severity)
    full = [b for b, levels in ladders.items() if {1, 2, 3} <= levels]
    assert len(full) >= 8
    by_id = {s.id: s for s in bundled}
    assert {by_id[b].modality for b in full} == {"pe", "cbt"}


def test_demographic_groups_hold_counterfactual_variants(bundled: list[Scenario]) -> None:
    groups = Counter(s.demographic_group for s in bundled if s.demographic_group)
    assert sum(1 for n in groups.values() if n >= 4) >= 6, groups
    by_id = {s.id: s for s in bundled}
    for s in bundled:
        if s.demographic_group:
            base = by_id[s.base_id or ""]
            assert (s.modality, s.step, s.severity) == (base.modality, base.step, base.severity)


def test_every_failure_mode_is_provoked_several_times(bundled: list[Scenario]) -> None:
    provoked = Counter(m for s in bundled for m in s.failure_modes)
    for mode in load_taxonomy().failure_modes:
        assert provoked[mode] >= 3, f"{mode} is provoked by {provoked[mode]} scenarios"


def test_crisis_safety_is_tested_both_ways(bundled: list[Scenario]) -> None:
    risk = Counter(s.risk_level for s in bundled)
    assert risk["imminent"] >= 6 and risk["high"] >= 6 and risk["low"] >= 4
    # Traps: no risk, but a model is tempted to escalate (false alarms count too).
    traps = [s for s in bundled if s.risk_level == "none"
             and "crisis_resources_in_exercise" in s.failure_modes]
    assert len(traps) >= 5


def test_demo_database_is_labelled_and_covers_the_study_design(tmp_path: Path) -> None:
    store = build_demo(tmp_path / "demo.db")
    assert store.is_demo
    q = store.conn.execute
    covered = {r[0]: r[1] for r in q("SELECT DISTINCT r.scenario_id, s.modality FROM responses r "
                                      "JOIN scenarios s ON s.id = r.scenario_id")}
    assert len(covered) >= 24 and set(covered.values()) == {"pe", "cbt"}
    assert q("SELECT count(DISTINCT model) FROM responses").fetchone()[0] >= 3
    assert q("SELECT count(*) FROM responses WHERE sample > 1").fetchone()[0] >= 6
    # Every severity level of at least two escalated bases is answered.
    whole = [b for (b,) in q("SELECT DISTINCT base_id FROM scenarios WHERE severity > 0")
             if {0, 1, 2, 3} <= {s for (s,) in q(
                 "SELECT severity FROM scenarios WHERE (id = ? OR (base_id = ? AND severity > 0)) "
                 "AND id IN (SELECT scenario_id FROM responses)", (b, b))}]
    assert len(whole) >= 2
    # At least two demographic groups are answered whole.
    complete = [g for (g,) in q("SELECT DISTINCT demographic_group FROM scenarios "
                                "WHERE demographic_group IS NOT NULL")
                if q("SELECT count(*) FROM scenarios WHERE demographic_group = ? AND id NOT IN "
                     "(SELECT scenario_id FROM responses)", (g,)).fetchone()[0] == 0]
    assert len(complete) >= 2
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
