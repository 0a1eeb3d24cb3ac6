"""`rater report`'s tables and files, as a study's authors would check them."""

from __future__ import annotations

import csv
import json
import sys
import types
import warnings
from pathlib import Path

import numpy as np
import pytest

from rater.demo import build_demo
from rater.importers import import_scenarios
from rater.report import build, write
from rater.rubric import Rubric, load_rubric, parse_rubric
from rater.store import AxisScore, Store

FIXTURES = Path(__file__).parents[1] / "fixtures"
STAMP = "2026-01-01T00:00:00.000Z"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    build_demo(path).close()
    return path


def _rubric(direction: bool) -> Rubric:
    """The bundled rubric (it has the nominal crisis-direction axis), or the same without that axis."""
    if direction:
        return load_rubric()
    import yaml

    from rater import bundled

    doc = yaml.safe_load(bundled.rubric_path().read_text(encoding="utf-8"))
    doc["axes"] = [a for a in doc["axes"] if a["id"] != "crisis_direction"]
    return parse_rubric(yaml.safe_dump(doc, sort_keys=False), "rubric.yaml")


def study(*, answers: int = 240, rated: int = 80, bias: float = 1.0, direction: bool = False,
          judge_tags: bool = False, random_panel: bool = False, models: tuple[str, ...] = ("model-a",), seed: int = 5) -> Store:
    """A study with a known truth: judges score one point high (clipped), clinicians rate a random subset."""
    rng = np.random.default_rng(seed)
    store = Store.open(":memory:")
    rubric = _rubric(direction)
    version = store.ensure_rubric(rubric)
    import_scenarios(store, [FIXTURES / "family.yaml"])
    scenarios = ("t-pe-01", "t-pe-01-s1", "t-pe-01-age-70")
    ids = [f"a{i:05d}" for i in range(answers)]
    model_of = [models[i % len(models)] for i in range(answers)]
    truth = {a.id: rng.integers(a.low, a.high + 1, answers).astype(float) for a in rubric.axes}
    if direction:
        truth["crisis_direction"] = rng.choice([1.0, 2.0, 3.0], p=[0.6, 0.3, 0.1], size=answers)
    with store.write():
        c = store.conn
        c.executemany("INSERT INTO responses (id, scenario_id, model, sample, text, created_at) "
                      "VALUES (?, ?, ?, ?, 'answer', ?)",
                      [(rid, scenarios[i % 3], model_of[i], i // 3 + 1, STAMP) for i, rid in enumerate(ids)])
        for j in range(3):
            c.executemany("INSERT INTO judgments (id, response_id, judge, rubric_version, status, provenance, "
                          "created_at) VALUES (?, ?, ?, ?, 'ok', '{}', ?)",
                          [(j * answers + i + 1, rid, f"judge-{j}", version, STAMP) for i, rid in enumerate(ids)])
            rows = []
            for a in rubric.axes:
                if a.level == "nominal":
                    rows += [(j * answers + i + 1, a.id, truth[a.id][i]) for i in range(answers)]
                    continue
                noisy = np.clip(truth[a.id] + bias + rng.choice([-1, 0, 1], p=[0.1, 0.8, 0.1], size=answers),
                                a.low, a.high)
                if random_panel:
                    noisy = rng.integers(a.low, a.high + 1, answers).astype(float)
                rows += [(j * answers + i + 1, a.id, float(noisy[i])) for i in range(answers)]
            c.executemany("INSERT INTO judge_scores (judgment_id, axis, score) VALUES (?, ?, ?)", rows)
    rater = store.ensure_rater("clinician-1")
    for i in rng.choice(answers, rated, replace=False):
        store.save_rating(rater_id=rater, response_id=ids[i], rubric_version=version, judges_visible=False,
                          scores={a.id: AxisScore(float(truth[a.id][i])) for a in rubric.axes})
    if judge_tags:
        _judge_failure_modes(store, {ids[i]: ["missed_risk"] for i in range(0, answers, 4)})
    return store


def _judge_failure_modes(store: Store, tags: dict[str, list[str]]) -> None:
    """The judges' failure-mode field (branch rubric's schema), created here when this branch lacks it."""
    with store.write():
        c = store.conn
        c.execute("CREATE TABLE IF NOT EXISTS judgment_failure_modes (judgment_id INTEGER REFERENCES "
                  "judgments(id), failure_mode TEXT, PRIMARY KEY (judgment_id, failure_mode))")
        if not any(r[1] == "failure_modes_asked" for r in c.execute("PRAGMA table_info(judgments)")):
            c.execute("ALTER TABLE judgments ADD COLUMN failure_modes_asked INTEGER")
        c.execute("UPDATE judgments SET failure_modes_asked = 1")
        for rid, modes in tags.items():
            for (jid,) in c.execute("SELECT id FROM judgments WHERE response_id = ?", (rid,)).fetchall():
                c.executemany("INSERT INTO judgment_failure_modes VALUES (?, ?)", [(jid, m) for m in modes])


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# -- the estimates -----------------------------------------------------------------------------


def test_ppi_corrects_a_biased_panel_and_the_panel_only_mean_stays_wrong() -> None:
    store = study()
    report = build(store, n_boot=50, seed=1)
    truth = np.mean([r[0] for r in store.conn.execute(
        "SELECT s.score FROM rating_scores s WHERE s.axis = 'protocol_fidelity'")])
    rows = {r["estimator"]: r for r in report.results if r["axis"] == "protocol_fidelity"}
    assert set(rows) == {"ppi", "panel", "human"}
    assert rows["ppi"]["n_rated"] == 80 and rows["ppi"]["n_answers"] == 240
    # Clinicians' sample mean and the PPI estimate agree; the panel's mean is about a point too high.
    assert rows["ppi"]["ci_low"] <= truth + 0.3 and truth - 0.3 <= rows["ppi"]["ci_high"]
    assert rows["panel"]["mean"] > rows["ppi"]["ci_high"]
    assert rows["ppi"]["ci_high"] - rows["ppi"]["ci_low"] < rows["human"]["ci_high"] - rows["human"]["ci_low"]


def test_a_rare_failure_modes_ppi_interval_covers_the_truth_and_is_never_zero_width() -> None:
    """A failure mode in 0.5% of answers (a missed risk), 200 of 2,000 answers rated: the CLT interval alone
    covered the truth in about 64% of such studies, and was [0, 0] whenever no rated answer showed it."""
    from rater.report.estimates import SHARE, estimates
    from rater.stats.ppi import wilson

    rng = np.random.default_rng(4)
    rate, n_answers, n_rated, studies = 0.005, 2_000, 200, 400
    covered = 0
    for _ in range(studies):
        truth = (rng.random(n_answers) < rate).astype(float)
        # The judges catch 60% of them and tag 0.3% of the others.
        f = np.where(truth == 1, rng.random(n_answers) < 0.6, rng.random(n_answers) < 0.003).astype(float)
        y = np.full(n_answers, np.nan)
        picks = rng.choice(n_answers, n_rated, replace=False)
        y[picks] = truth[picks]
        ppi = estimates(f, y, None, 0.95, SHARE)[0]
        covered += ppi.ci_low <= rate <= ppi.ci_high
    assert covered / studies >= 0.93
    # Seen neither by the clinicians nor by the panel: that is not certainty it never happens.
    none = estimates(np.zeros(500), np.where(np.arange(500) < 100, 0.0, np.nan), None, 0.95, SHARE)[0]
    assert none.estimator == "ppi" and none.ci_high >= wilson(0.0, 100)[1] > 0


def test_an_untrusted_axis_is_reported_with_the_clinicians_estimate_leading() -> None:
    report = build(study(random_panel=True), n_boot=50, seed=1)
    verdicts = {t["axis"]: t for t in report.trust}
    assert verdicts["protocol_fidelity"]["trusted"] is False
    assert verdicts["protocol_fidelity"]["leading"] == "human"
    assert any(r["axis"] == "protocol_fidelity" for r in report.results)


def test_study_inclusion_weights_are_used_when_the_study_module_gives_them(monkeypatch: pytest.MonkeyPatch) -> None:
    store = study()
    rated = [r[0] for r in store.conn.execute("SELECT response_id FROM ratings")]
    fake = types.ModuleType("rater.study")
    equal = {r["estimator"]: r for r in build(store, n_boot=20, seed=1).results if r["axis"] == "crisis_safety"}
    # Unequal: the answers rated with low clinician scores were drawn 4x as often as the rest.
    low = {rid for (rid,) in store.conn.execute(
        "SELECT g.response_id FROM ratings g JOIN rating_scores s ON s.rating_id = g.id "
        "WHERE s.axis = 'crisis_safety' AND s.score <= 2")}
    weights = {rid: 1.5 if rid in low else 6.0 for rid in rated}
    fake.inclusion_weights = lambda s: weights  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "rater.study", fake)
    report = build(store, n_boot=20, seed=1)
    assert report.provenance["inclusion_weights"] == "study"
    assert not any("simple random sample" in n for n in report.notes)
    weighted = {r["estimator"]: r for r in report.results if r["axis"] == "crisis_safety"}
    # The weights move the estimates that rest on clinicians (up: the low scores count less), not the panel's.
    # PPI moves least: its correction (clinicians minus panel) hardly differs between low and high scores.
    assert weighted["human"]["mean"] > equal["human"]["mean"] + 0.3
    assert weighted["ppi"]["mean"] > equal["ppi"]["mean"] + 0.01
    assert weighted["panel"] == equal["panel"]


def test_a_study_not_yet_fully_rated_is_said_to_break_the_assumption(monkeypatch: pytest.MonkeyPatch) -> None:
    """Halfway through a study the rated answers are whatever the queues served first, not the draw."""
    store = study()
    rated = {r[0] for r in store.conn.execute("SELECT response_id FROM ratings")}
    unrated = [r[0] for r in store.conn.execute("SELECT id FROM responses") if r[0] not in rated][:20]
    fake = types.ModuleType("rater.study")
    fake.inclusion_weights = lambda s: {rid: 2.0 for rid in [*rated, *unrated]}  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "rater.study", fake)
    notes = build(store, n_boot=20, seed=1).notes
    assert any("20 of the study's 100 drawn answers are not rated yet" in n for n in notes)
    fake.inclusion_weights = lambda s: {rid: 2.0 for rid in rated}  # type: ignore[attr-defined]
    assert not any("not rated yet" in n for n in build(store, n_boot=20, seed=1).notes)


def test_escalation_shares_come_from_the_crisis_direction_axis() -> None:
    report = build(study(direction=True), n_boot=20, seed=1)
    assert report.escalation_source == "crisis_direction axis"
    shares = [r for r in report.escalation if r["estimator"] == "panel" and r["risk_level"] == "high"]
    by = {r["measure"]: r["mean"] for r in shares}
    assert {"appropriate", "over_reaction", "under_reaction", "crisis_safety"} <= set(by)
    assert by["appropriate"] + by["over_reaction"] + by["under_reaction"] == pytest.approx(1.0)
    assert report.risk_levels == ["none", "high"]


def test_failure_modes_from_judges_corrected_with_clinicians_tags_and_escalation_from_tags() -> None:
    store = study(judge_tags=True)
    rating_ids = [r[0] for r in store.conn.execute("SELECT id FROM ratings ORDER BY id")]
    for k, rating_id in enumerate(rating_ids):
        store.set_failure_modes(rating_id, ["missed_risk"] if k % 2 else [])
    report = build(store, n_boot=20, seed=1)
    overall = {r["estimator"]: r for r in report.failure_modes
               if r["failure_mode"] == "missed_risk" and r["by"] == "overall"}
    assert overall["panel"]["share"] == pytest.approx(0.25)
    assert overall["human"]["share"] == pytest.approx(0.5)
    assert overall["ppi"]["n_rated"] == 80
    assert 0 <= overall["ppi"]["ci_low"] <= overall["ppi"]["share"] <= overall["ppi"]["ci_high"] <= 1
    groups = {(r["by"], r["group"]) for r in report.failure_modes}
    assert {("modality", "pe"), ("step", "imaginal_exposure"), ("risk_level", "high")} <= groups
    assert report.escalation_source == "failure-mode tags"
    assert any(r["measure"] == "under_reaction" for r in report.escalation)


def test_a_failure_mode_the_judges_were_not_asked_about_is_no_answer_not_none_observed() -> None:
    """`rater judge` asks demographic_shift only where an answer has demographic siblings (its provenance
    lists the modes asked): an escalation's answers must not count as "none observed" and dilute the share."""
    from rater.taxonomy import load_taxonomy

    store = study(judge_tags=True)
    every = list(load_taxonomy().failure_modes)
    with store.write():
        c = store.conn
        for scenario, modes in (("t-pe-01-s1", [m for m in every if m != "demographic_shift"]),
                                ("t-pe-01", every), ("t-pe-01-age-70", every)):
            c.execute("UPDATE judgments SET provenance = ? WHERE response_id IN "
                      "(SELECT id FROM responses WHERE scenario_id = ?)",
                      (json.dumps({"failure_modes_asked": modes}), scenario))
        c.execute("INSERT INTO judgment_failure_modes SELECT j.id, 'demographic_shift' FROM judgments j "
                  "JOIN responses r ON r.id = j.response_id WHERE r.scenario_id != 't-pe-01-s1'")
    report = build(store, n_boot=20, seed=1)
    overall = {r["estimator"]: r for r in report.failure_modes
               if r["failure_mode"] == "demographic_shift" and r["by"] == "overall"}
    assert overall["panel"]["share"] == pytest.approx(1.0)
    assert overall["panel"]["n_answers"] == 160
    # A mode every judgment was asked about keeps every answer.
    missed = {r["estimator"]: r for r in report.failure_modes
              if r["failure_mode"] == "missed_risk" and r["by"] == "overall"}
    assert missed["panel"]["n_answers"] == 240 and missed["panel"]["share"] == pytest.approx(0.25)


def test_demographic_families_show_spread_the_moved_variant_and_answer_ids() -> None:
    report = build(study(models=("model-a", "model-b")), n_boot=50, seed=1)
    rows = [r for r in report.demographic if r["axis"] == "protocol_fidelity"]
    assert {r["model"] for r in rows} == {"model-a", "model-b"}
    row = rows[0]
    assert row["family"] == "t-pe-01" and row["demographic_group"] == "age"
    # The escalated sibling (t-pe-01-s1) is not a demographic variant: only the base and the age variant.
    assert row["n_variants"] == 2 and row["moved_variant"] == "t-pe-01-age-70"
    assert row["low_variant"] in {"t-pe-01", "t-pe-01-age-70"}
    assert row["answer_ids"].split()[0].startswith("a")
    assert report.demographic_summary[0]["n_families"] == 1


def test_the_page_says_a_demographic_spread_is_above_zero_by_chance_alone(tmp_path: Path) -> None:
    """A max-minus-min spread of noisy means is positive with no demographic effect at all: a reader must not
    take it (or its interval, which never reaches below zero) for evidence of one."""
    write(build(study(models=("model-a", "model-b")), n_boot=20, seed=1), tmp_path)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    section = page[page.index('id="demographic"'):page.index('id="regulators"')]
    assert "noise alone makes it larger than zero" in section


def test_models_filter_and_unknown_model_error() -> None:
    from rater.errors import RaterError

    store = study(models=("model-a", "model-b"))
    report = build(store, models=("model-b",), n_boot=20, seed=1)
    assert {r["model"] for r in report.results} == {"model-b"}
    with pytest.raises(RaterError, match="no answers from model"):
        build(store, models=("nope",), n_boot=20, seed=1)


# -- the files -----------------------------------------------------------------------------------


def test_demo_report_writes_every_file_marked_illustrative(demo_db: Path, tmp_path: Path) -> None:
    with Store.open(demo_db) as store:
        report = build(store, n_boot=50, seed=3, command="rater report --seed 3")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing printed on the lead's terminal but the report itself
        files = write(report, tmp_path)
    assert [f.name for f in files] == ["report.html", "results.csv", "failure_modes.csv", "escalation.csv",
                                       "demographic.csv", "results.json"]
    results = _rows(tmp_path / "results.csv")
    assert list(results[0]) == ["model", "axis", "estimator", "mean", "ci_low", "ci_high", "n_rated",
                                "n_answers"]
    assert {r["estimator"] for r in results} == {"ppi", "panel", "human"}
    assert {r["model"] for r in results} == {"demo-faithful", "demo-hallucinating", "demo-overcautious"}
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.count("ILLUSTRATIVE DEMO DATA") >= 2 and "@top-center" in page
    assert "<script" not in page.lower() and "<link" not in page.lower() and "@import" not in page
    assert page.count("<svg") >= 3
    assert "seed 3" in page and "rater report --seed 3" in page
    assert "evidence toward, never a claim of conformity" in page.lower()
    # The regulators' table claims nothing the numbers may contradict (a panel not trusted on an axis).
    regulators = page[page.index('id="regulators"'):page.index('id="methods"')]
    assert "is validated" not in regulators and "statistically valid" not in regulators
    for law in ("Art. 9", "Art. 10", "Art. 12", "Art. 13", "Art. 14", "Art. 15", "Good Machine Learning Practice",
                "Analytical validation", "Clinical validation", "Valid clinical association"):
        assert law in page
    body = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    prov = body["provenance"]
    assert prov["seed"] == 3 and prov["illustrative_demo_data"] is True
    assert prov["rubric"]["hash"] and set(prov["judges"]) == {"demo-judge-a", "demo-judge-b", "demo-judge-c"}
    assert {"results", "failure_modes", "escalation", "demographic", "trust"} <= set(body)


def test_same_seed_same_numbers(demo_db: Path) -> None:
    with Store.open(demo_db) as store:
        a = build(store, n_boot=30, seed=9).to_json()
        b = build(store, n_boot=30, seed=9).to_json()
    a["provenance"].pop("created_at")
    b["provenance"].pop("created_at")
    assert a == b


def test_model_written_names_are_escaped_in_the_page(tmp_path: Path) -> None:
    store = study(models=("<script>alert(1)</script>", "m&b"))
    write(build(store, n_boot=20, seed=1), tmp_path)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "m&amp;b" in page


def test_the_terminal_summary_prints_model_names_literally(capsys: pytest.CaptureFixture[str]) -> None:
    from rater.commands.report import _summary

    _summary(build(study(models=("m\x1b]0;pwned\x07", "ok"), answers=60, rated=20), n_boot=20, seed=1))
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "m␛]0;pwned␇" in out


def test_model_names_with_dollar_signs_are_drawn_literally_not_as_tex(tmp_path: Path) -> None:
    """matplotlib reads $...$ as mathtext: a bad one crashed the report, a good one changed the name."""
    store = study(models=("a$\\frac$b", "$x^2$"), answers=60, rated=20)
    write(build(store, n_boot=20, seed=1), tmp_path)
    figures = (tmp_path / "report.html").read_text(encoding="utf-8").split("<svg ", 1)[1]
    assert "a$\\frac$b" in figures and "$x^2$" in figures


def test_cli_writes_the_files_and_prints_a_summary(demo_db: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from rater.cli import cli

    out = tmp_path / "reports"
    result = CliRunner().invoke(cli, ["report", "--db", str(demo_db), "--out", str(out), "--bootstrap", "30",
                                      "--seed", "4", "--models", "demo-faithful,demo-overcautious"])
    assert result.exit_code == 0, result.output
    assert "protocol_fidelity" in result.output and "demo-overcautious" in result.output
    assert "demo-hallucinating" not in result.output
    assert (out / "report.html").exists() and (out / "results.json").exists()
    prov = json.loads((out / "results.json").read_text())["provenance"]
    assert "--seed 4" in prov["command"] and "--models demo-faithful" in prov["command"]
    bad = CliRunner().invoke(cli, ["report", "--db", str(demo_db), "--out", str(out), "--models", "nope"])
    assert bad.exit_code == 2 and "no answers from model(s) nope" in bad.output
    negative = CliRunner().invoke(cli, ["report", "--db", str(demo_db), "--out", str(out), "--seed", "-1"])
    assert negative.exit_code == 2 and "--seed" in negative.output  # not numpy's traceback


def test_report_imports_neither_textual_nor_litellm(demo_db: Path, tmp_path: Path) -> None:
    import subprocess

    script = (
        "import sys, json\n"
        "from rater.cli import cli\n"
        f"cli.main(args=['report', '--db', {str(demo_db)!r}, '--out', {str(tmp_path)!r}, '--bootstrap', '20',"
        " '--seed', '1'], standalone_mode=False)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'litellm'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parents[2])
    assert json.loads(out.stdout.splitlines()[-1]) == []
    assert (tmp_path / "report.html").exists()


def test_a_stored_calibration_is_applied_and_its_cross_validated_verdict_reported() -> None:
    from rater.stats import calibration as cal
    from rater.stats.tidy import from_store

    store = study(bias=1.0)
    raw = {r["estimator"]: r for r in build(store, n_boot=20, seed=1).results
           if r["axis"] == "protocol_fidelity" and r["model"] == "model-a"}
    cal_id, _ = cal.save(store, cal.calibrate(from_store(store), n_boot=50, seed=0, folds=3))
    report = build(store, n_boot=20, seed=1)
    assert report.provenance["calibration"]["id"] == cal_id
    trust = {t["axis"]: t for t in report.trust}["protocol_fidelity"]
    assert trust["calibrated"] and trust["calibration_id"] == cal_id
    assert trust["alpha_source"] == "calibration, cross-validated"
    # The figure beside the verdict is the one the verdict rests on: what calibration kept.
    stored = cal.latest(store)
    assert stored is not None and stored["id"] == cal_id
    kept = next(r for r in stored["report"]
                if r["axis"] == "protocol_fidelity" and r["comparison"] == "human-panel")
    assert trust["human_panel_alpha"] == pytest.approx(kept["alpha_kept"], abs=1e-3)
    calibrated = {r["estimator"]: r for r in report.results
                  if r["axis"] == "protocol_fidelity" and r["model"] == "model-a"}
    # The calibrated panel is closer to the clinicians than the raw one; the clinicians' mean is unchanged.
    assert abs(calibrated["panel"]["mean"] - calibrated["human"]["mean"]) < \
        abs(raw["panel"]["mean"] - raw["human"]["mean"])
    assert calibrated["human"]["mean"] == raw["human"]["mean"]


def test_no_clinician_ratings_or_no_judgments_still_report_what_there_is(tmp_path: Path) -> None:
    report = build(study(rated=0), n_boot=20, seed=1)
    rows = {r["estimator"]: r["mean"] for r in report.results if r["axis"] == "protocol_fidelity"}
    assert rows["ppi"] is None and rows["human"] is None and rows["panel"] is not None
    assert not any(t["trusted"] for t in report.trust)
    unjudged = study(rated=30)
    with unjudged.write():
        unjudged.conn.execute("DELETE FROM judge_scores")
        unjudged.conn.execute("DELETE FROM judgments")
    report = build(unjudged, n_boot=20, seed=1)
    rows = {r["estimator"]: r["mean"] for r in report.results if r["axis"] == "protocol_fidelity"}
    assert rows["panel"] is None and rows["human"] is not None
    assert (write(report, tmp_path)[0]).exists()

