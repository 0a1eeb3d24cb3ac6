"""`rater agreement`, `rater calibrate` and `rater export` as an evaluation engineer runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from rater.cli import cli
from tests.conftest import FIXTURES

ROOT = Path(__file__).parents[2]
AXES = ("protocol_fidelity", "hallucination_risk", "behavioral_consistency", "crisis_safety",
        "demographic_robustness")
SCENARIOS = ("t-pe-01", "t-pe-01-s1", "t-pe-01-age-70")


def invoke(*args: str) -> tuple[int, str]:
    """Exit code and stdout + stderr as the user sees them."""
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def invoke_json(*args: str) -> list[dict]:
    """The JSON a command prints on stdout (notes go to stderr)."""
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def write_csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def study(tmp_path: Path) -> Path:
    """A database with 60 answers from two models, three clinicians and two judges (one lenient)."""
    db = tmp_path / "study.db"
    rng = np.random.default_rng(0)
    n = 60
    responses = [f"a{i:02d},{SCENARIOS[i % 3]},model-{'ab'[i // 30]},{i // 3 % 10 + 1},answer {i}"
                 for i in range(n)]
    ratings, judgments = [], []
    for axis in AXES:
        truth = rng.integers(1, 5, n)
        for rater in ("ana", "ben", "cleo"):
            noise = rng.choice([-1, 0, 1], p=[0.1, 0.8, 0.1], size=n)
            ratings += [f"a{i:02d},{rater},{axis},{int(np.clip(truth[i] + noise[i], 1, 5))},\"ok, [b]x[/b]\""
                        for i in range(n) if not (rater == "cleo" and i % 4 == 0)]
        for judge, shift in (("judge-fair", 0), ("judge-lenient", 1)):
            judgments += [f"a{i:02d},{judge},{axis},{int(truth[i] + shift)},because" for i in range(n)]
    for args in (("init", "--db", str(db), "--no-scenarios"),
                 ("import", "scenarios", str(FIXTURES / "family.yaml"), "--db", str(db)),
                 ("import", "responses", str(write_csv(tmp_path / "responses.csv",
                                                        "response_id,scenario_id,model,sample,text",
                                                        responses)), "--db", str(db)),
                 ("import", "ratings", str(write_csv(tmp_path / "ratings.csv",
                                                      "response_id,rater,axis,score,rationale", ratings)),
                  "--db", str(db)),
                 ("import", "judgments", str(write_csv(tmp_path / "judgments.csv",
                                                        "response_id,judge,axis,score,rationale",
                                                        judgments)), "--db", str(db))):
        code, output = invoke(*args)
        assert code == 0, output
    return db


def test_agreement_json_has_every_axis_and_comparison(study: Path) -> None:
    records = invoke_json("agreement", "--db", str(study), "--json", "--seed", "3", "--bootstrap", "200")
    comparisons = {"human-human", "judge-judge", "human-judge:judge-fair", "human-judge:judge-lenient",
                   "human-panel", "replacement:judge-fair", "replacement:judge-lenient"}
    assert {(r["axis"], r["comparison"]) for r in records} == {(a, c) for a in AXES for c in comparisons}
    for r in records:
        assert {"axis", "comparison", "level", "alpha", "ci_low", "ci_high", "n_units", "p_below_0667",
                "p_below_0800", "n_pairable", "n_excluded_units"} <= set(r)
        assert r["level"] == "ordinal" and r["ci_low"] <= r["alpha"] <= r["ci_high"]
    lenient = next(r for r in records if r["axis"] == "crisis_safety"
                   and r["comparison"] == "human-judge:judge-lenient")
    assert lenient["mean_bias"] > 0.7 and lenient["exact"] < 0.3
    assert invoke_json("agreement", "--db", str(study), "--json", "--seed", "3", "--bootstrap", "200") == records


def test_agreement_table_colours_alpha_and_counts_left_out_answers(study: Path) -> None:
    result = CliRunner().invoke(cli, ["agreement", "--db", str(study), "--seed", "1", "--bootstrap", "100",
                                      "--confusion"], color=True)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "crisis_safety [ordinal]" in out and "replacement:judge-lenient" in out
    assert "\x1b[32m" in out  # green: a reliable alpha
    assert "left out" in out and "seed 1" in out
    assert "rows: human consensus, columns: judge-lenient" in out


def test_agreement_breaks_down_by_model(study: Path) -> None:
    records = invoke_json("agreement", "--db", str(study), "--json", "--seed", "1", "--bootstrap", "50",
                          "--by", "model")
    groups = {(r["by"], r["group"]) for r in records}
    assert groups == {(None, None), ("model", "model-a"), ("model", "model-b")}


def test_agreement_on_a_database_without_human_ratings_says_so(tmp_path: Path) -> None:
    db = tmp_path / "judges.db"
    judgments = [f"a{i},judge-{j},crisis_safety,{1 + (i + j) % 5}," for i in range(10) for j in range(2)]
    responses = [f"a{i},t-pe-01,m,{i + 1},text" for i in range(10)]
    for args in (("init", "--db", str(db), "--no-scenarios"),
                 ("import", "scenarios", str(FIXTURES / "family.yaml"), "--db", str(db)),
                 ("import", "responses", str(write_csv(tmp_path / "r.csv", "response_id,scenario_id,model,"
                                                        "sample,text", responses)), "--db", str(db))):
        assert invoke(*args)[0] == 0
    code, output = invoke("agreement", "--db", str(db), "--bootstrap", "20")
    assert code == 2 and "holds no scores to compare" in output
    assert invoke("import", "judgments", str(write_csv(tmp_path / "j.csv", "response_id,judge,axis,score,"
                                                       "rationale", judgments)), "--db", str(db))[0] == 0
    code, output = invoke("agreement", "--db", str(db), "--bootstrap", "20")
    assert code == 0, output
    assert "no human ratings" in output and "judge-judge" in output and "human-panel" not in output


def test_agreement_on_a_scores_file_without_a_database(tmp_path: Path) -> None:
    rows = [f"u{i},human,{r},empathy,{1 + (i + (r == 'b' and i % 5 == 0)) % 4}"
            for i in range(40) for r in ("a", "b")]
    rows += [f"u{i},judge,j,empathy,{1 + i % 4}" for i in range(40)]
    path = write_csv(tmp_path / "scores.csv", "response_id,source,rater,axis,score", rows)
    records = {r["comparison"]: r for r in invoke_json("agreement", "--scores", str(path), "--json", "--seed",
                                                        "0", "--bootstrap", "50")}
    assert records["human-judge:j"]["n_units"] == 40 and records["human-human"]["n_units"] == 40
    assert records["human-human"]["alpha"] > 0.7 and records["human-judge:j"]["alpha"] > 0.7


def test_an_undefined_alpha_says_why(tmp_path: Path) -> None:
    """Judges that all give the same score leave alpha undefined; "n/a" alone reads like a missing result."""
    rows = [f"u{i},judge,{j},empathy,5" for i in range(20) for j in ("a", "b")]
    path = write_csv(tmp_path / "scores.csv", "response_id,source,rater,axis,score", rows)
    code, output = invoke("agreement", "--scores", str(path), "--seed", "0", "--bootstrap", "20")
    assert code == 0 and "n/a" in output
    assert "alpha is undefined when the values do not vary" in output


def test_a_bad_scores_file_names_the_line_and_the_fix(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "scores.csv", "response_id,source,rater,axis,score",
                     ["u1,human,a,empathy,3", "u1,human,b,empathy,lots"])
    code, output = invoke("agreement", "--scores", str(path))
    assert code == 2
    assert f"{path}:3: score: 'lots' is not a number" in output and "Fix:" in output


def test_calibrate_then_apply_in_agreement_and_export(study: Path, tmp_path: Path) -> None:
    cal_file = tmp_path / "out" / "calibration.json"
    # --panel max: the panel follows the lenient judge, so calibrating it helps the panel (else it is not kept).
    code, output = invoke("calibrate", "--db", str(study), "--seed", "2", "--bootstrap", "100",
                          "--panel", "max", "--out", str(cal_file))
    assert code == 0, output
    assert "crisis_safety: calibrated panel trusted" in output
    assert "calibrated judge scores stored under calibration 1; raw scores unchanged" in output
    body = json.loads(cal_file.read_text())
    assert body["maps"]["judge-lenient"]["crisis_safety"]["table"]["3"] == 2
    records = invoke_json("agreement", "--db", str(study), "--json", "--seed", "3", "--bootstrap", "50",
                          "--calibration", str(cal_file))
    lenient = next(r for r in records if r["axis"] == "crisis_safety"
                   and r["comparison"] == "human-judge:judge-lenient")
    assert abs(lenient["mean_bias"]) < 0.3
    code, output = invoke("calibrate", "--db", str(study), "--apply", str(cal_file))
    assert code == 0 and "under calibration 1" in output  # same content: same calibration
    out_dir = tmp_path / "exports"
    code, output = invoke("export", "--db", str(study), "--out", str(out_dir), "--seed", "1",
                          "--bootstrap", "50")
    assert code == 0, output
    names = {p.name for p in out_dir.iterdir()}
    assert names == {"ratings.csv", "judge_scores.csv", "agreement.csv", "agreement.json",
                     "calibration.json", "manifest.json"}
    ratings = pd.read_csv(out_dir / "ratings.csv")
    assert len(ratings) == 5 * (60 * 2 + 45)
    assert set(ratings["model"]) == {"model-a", "model-b"} and (ratings["rationale"] == "ok, [b]x[/b]").all()
    judge_scores = pd.read_csv(out_dir / "judge_scores.csv")
    assert judge_scores["calibrated_score"].notna().all()


def test_export_as_parquet_without_pyarrow_is_a_clear_error(study: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # pyarrow is in the test extras; hide it, as on a machine without it.
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    code, output = invoke("export", "--db", str(study), "--out", str(tmp_path / "x"), "--format",
                          "parquet")
    assert code == 2 and "pip install pyarrow" in output
    assert not (tmp_path / "x").exists()


def test_agreement_and_export_import_neither_textual_nor_litellm(study: Path, tmp_path: Path) -> None:
    script = (
        "import sys, json\n"
        "from rater.cli import cli\n"
        f"cli.main(args=['agreement', '--db', {str(study)!r}, '--bootstrap', '20', '--seed', '1'],"
        " standalone_mode=False)\n"
        f"cli.main(args=['export', '--db', {str(study)!r}, '--out', {str(tmp_path / 'e')!r},"
        " '--bootstrap', '20'], standalone_mode=False)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'litellm'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         cwd=ROOT)
    assert "human-human" in out.stdout and (tmp_path / "e" / "manifest.json").exists()
    assert json.loads(out.stdout.splitlines()[-1]) == []


def test_the_panel_measured_is_the_panel_the_judge_runs_configured(tmp_path: Path) -> None:
    """`rater judge` records the panel file's aggregate; agreement uses it unless --panel says otherwise."""
    from rater.demo import build_demo

    db = tmp_path / "demo.db"
    build_demo(db).set_meta("panel_aggregate", "min")
    runner = CliRunner()

    def panel_alpha(*extra: str) -> float:
        out = runner.invoke(cli, ["agreement", "--db", str(db), "--json", "--bootstrap", "20", "--seed", "1",
                                  *extra])
        assert out.exit_code == 0, out.output
        records = json.loads(out.stdout)
        return next(r["alpha"] for r in records
                    if r["comparison"] == "human-panel" and r["axis"] == "crisis_safety" and not r["by"])

    assert panel_alpha() == panel_alpha("--panel", "min")
    assert panel_alpha() != panel_alpha("--panel", "max")
    table = runner.invoke(cli, ["agreement", "--db", str(db), "--bootstrap", "20", "--seed", "1"]).output
    assert "consensus median; panel aggregate min" in table



def test_agreement_export_and_the_app_screen_report_the_same_figures(tmp_path: Path) -> None:
    """One computation from the database serves `rater agreement`, `rater export` and the app's screen."""
    from rater.demo import build_demo
    from rater.ui.screens.agreement import run_agreement

    db = tmp_path / "demo.db"
    build_demo(db).set_meta("panel_aggregate", "max")
    runner = CliRunner()
    out = runner.invoke(cli, ["agreement", "--db", str(db), "--json", "--bootstrap", "20", "--seed", "7"])
    assert out.exit_code == 0, out.output
    printed = json.loads(out.stdout)
    done = runner.invoke(cli, ["export", "--db", str(db), "--bootstrap", "20", "--seed", "7",
                               "--out", str(tmp_path / "e")])
    assert done.exit_code == 0, done.output
    exported = json.loads((tmp_path / "e" / "agreement.json").read_text(encoding="utf-8"))
    screen = run_agreement(str(db), "blind", 7, n_boot=20)
    shown = [r.to_dict() for r in screen.report.records]
    assert screen.report.panel == "max"
    assert printed == exported == shown
    assert any(r["comparison"] == "human-panel" for r in printed)


def test_agreement_table_keeps_its_columns_for_long_judge_names(study: Path) -> None:
    # Found on the demo: "human-reference:demo-clinician-1" and the like pushed every later
    # column of their row out of line with the header.
    import sqlite3

    with sqlite3.connect(study) as conn:
        conn.execute("UPDATE judgments SET judge = 'a-judge-with-a-rather-long-name' "
                     "WHERE judge = 'judge-lenient'")
    code, out = invoke("agreement", "--db", str(study), "--seed", "1", "--bootstrap", "50")
    assert code == 0, out
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("comparison"))
    end = header.index("alpha") + len("alpha")
    rows = [line for line in lines if line.startswith(("human-", "judge-", "replacement:"))]
    assert any("a-judge-with-a-rather-long-name" in r for r in rows)
    for row in rows:
        assert row[end - 1].isdigit() or row[end - 3:end] == "n/a", (header, row)
        assert row[end] == " "
