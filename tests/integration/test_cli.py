"""The command line as a user runs it: help is fast, errors are clear, data lands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from rater.cli import cli
from tests.conftest import FIXTURES, RESPONSES_CSV

ROOT = Path(__file__).parents[2]
HEAVY = ("textual", "litellm", "pandas", "sqlite_utils", "numpy", "matplotlib")


def command_paths(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            paths += command_paths(command, (*prefix, name))
        else:
            paths.append((*prefix, name))
    return paths


def test_every_help_avoids_heavy_imports() -> None:
    """`rater --help` and each subcommand's help import no Textual, litellm, pandas or numpy."""
    paths = command_paths()
    assert ("import",) in paths and ("scenarios", "validate") in paths
    script = (
        "import sys, json\n"
        "from rater.cli import cli\n"
        f"for path in {paths!r}:\n"
        "    cli.main(args=[*path, '--help'], standalone_mode=False)\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert json.loads(out.stdout.splitlines()[-1]) == []


def test_scenarios_list_json_has_the_documented_fields() -> None:
    result = CliRunner().invoke(cli, ["scenarios", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows, "the bundled set is empty"
    for key in ("id", "modality", "severity", "base_id", "demographic_group", "risk_level"):
        assert key in rows[0]


def test_validate_reports_file_line_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text((FIXTURES / "family.yaml").read_text().replace("risk_level: none",
                                                                 "risk_level: medium", 1))
    result = CliRunner().invoke(cli, ["scenarios", "validate", str(bad)])
    assert result.exit_code == 2
    line = next(i for i, t in enumerate(bad.read_text().splitlines(), 1) if "medium" in t)
    assert f"error: {bad}:{line}: risk_level: 'medium' is not a risk level" in result.output


def test_validate_a_good_folder(tmp_path: Path) -> None:
    (tmp_path / "family.yaml").write_text((FIXTURES / "family.yaml").read_text())
    result = CliRunner().invoke(cli, ["scenarios", "validate", str(tmp_path)])
    assert result.exit_code == 0 and "ok: 3 scenarios" in result.output


def test_init_import_status_and_a_rejected_file(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "study.db")
    assert runner.invoke(cli, ["init", "--db", db, "--no-scenarios"]).exit_code == 0
    result = runner.invoke(cli, ["import", "scenarios", str(FIXTURES / "family.yaml"), "--db", db])
    assert "scenarios: 3 added" in result.output
    (tmp_path / "r.csv").write_text(RESPONSES_CSV)
    result = runner.invoke(cli, ["import", "responses", str(tmp_path / "r.csv"), "--db", db])
    assert result.output.strip() == "responses: 3 added, 0 updated, 0 unchanged"
    (tmp_path / "j.csv").write_text("response_id,judge,axis,score,rationale\n"
                                    "r1,judge-a,crisis_safety,9,too high\n")
    result = runner.invoke(cli, ["import", "judgments", str(tmp_path / "j.csv"), "--db", db])
    assert result.exit_code == 2
    assert "j.csv:2: score: score 9 is off the scale" in result.output
    assert "the database is unchanged" in result.output
    status = runner.invoke(cli, ["status", "--db", db]).output
    assert "answers    model-a: 3 answers to 2 scenarios" in status
    assert "judge" not in status.split("answers")[-1]


def test_db_comes_from_the_environment(tmp_path: Path, monkeypatch) -> None:
    db = tmp_path / "env.db"
    monkeypatch.setenv("RATER_DB", str(db))
    assert CliRunner().invoke(cli, ["init", "--no-scenarios"]).exit_code == 0
    assert db.exists()


def test_a_missing_database_is_not_created_by_status(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["status", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 2 and "rater init" in result.output
    assert not (tmp_path / "none.db").exists()


def test_readme_opens_with_the_two_commands_and_ci_runs_the_second() -> None:
    readme = (ROOT / "README.md").read_text().splitlines()
    fence = readme.index("```sh")
    first, second = readme[fence + 1], readme[fence + 2]
    assert readme[fence + 3] == "```"
    assert first.endswith("rater demo")
    assert "pytest" in second
    assert second in (ROOT / ".ci" / "run").read_text().splitlines()
