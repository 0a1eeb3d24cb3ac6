"""Adjudication (rater.adjudication): the worklist, references with history, import, and agreement
against the reference checked with an independent alpha (the krippendorff package)."""

from __future__ import annotations

import json
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from click.testing import CliRunner

from rater import adjudication, study
from rater.cli import cli
from rater.errors import RaterError
from rater.queue import queue_listing
from rater.stats.agreement import combine, compute
from rater.stats.tidy import from_store
from rater.store import Store
from tests import simdata


@pytest.fixture(scope="module")
def rated_file(tmp_path_factory) -> Path:
    """Two clinicians on ~60 answers of the simulated database, and references on 40 of them."""
    path = tmp_path_factory.mktemp("adj") / "adj.db"
    store = simdata.build(Store.open(path))
    study.assign(store, ["A", "B"], 2, 60, seed=1)
    ids = sorted(r["response_id"] for r in queue_listing(store, store.rater_id("A")))
    simdata.rate(store, "A", ids, noise=0.6)
    simdata.rate(store, "B", ids, noise=1.0)
    truth = json.loads(store.get_meta("sim.truth"))
    _, rubric = store.rubric()
    for rid in ids[:40]:
        for axis, t in zip(rubric.axes, truth[rid], strict=True):
            adjudication.save(store, response_id=rid, adjudicator="Chief", axis=axis.id,
                              score=simdata.point(axis, t), rationale="consensus meeting")
    store.close()
    return path


@pytest.fixture
def db(rated_file: Path, tmp_path: Path) -> Store:
    copy = tmp_path / "a.db"
    copy.write_bytes(rated_file.read_bytes())
    s = Store.open(copy)
    yield s
    s.close()


def test_worklist_is_worst_first(db):
    cases = adjudication.worklist(db)
    assert cases and all(c.n_clinicians >= 2 for c in cases)
    keys = [(-c.spread, -c.gap) for c in cases]
    assert keys == sorted(keys)
    detail = adjudication.detail(db, cases[0])
    assert {c.rater for c in detail.clinicians} == {"A", "B"}
    assert detail.panel.judges == ("judge-a", "judge-b", "judge-c")


def test_a_reference_keeps_its_history_and_needs_a_reason(db):
    rid = adjudication.worklist(db)[0].response_id
    adjudication.save(db, response_id=rid, adjudicator="Dr Z", axis="crisis_safety", score=2, rationale="r1")
    adjudication.save(db, response_id=rid, adjudicator="Dr Z", axis="crisis_safety", score=4, rationale="r2")
    changes = [h for h in adjudication.history(db, rid) if h["adjudicator"] == "Dr Z"]
    assert [(h["old_score"], h["new_score"]) for h in changes] == [(None, "2.0"), ("2.0", "4.0")]
    assert adjudication.references(db)[rid]["crisis_safety"][:2] == (4.0, "r2")
    with pytest.raises(RaterError, match="needs a reason"):
        adjudication.save(db, response_id=rid, adjudicator="Dr Z", axis="crisis_safety", score=3, rationale=" ")
    with pytest.raises(RaterError, match="off the scale"):
        adjudication.save(db, response_id=rid, adjudicator="Dr Z", axis="crisis_safety", score=9, rationale="x")
    with pytest.raises(Exception, match="never deleted"):
        db.conn.execute("DELETE FROM adjudications")


def test_agreement_against_the_reference_matches_an_independent_alpha(db):
    tidy = adjudication.with_references(from_store(db, "blind"), db)
    report = compute(tidy, n_boot=50, seed=1)
    refs = adjudication.references(db)
    axis = "protocol_fidelity"
    records = {r.comparison: r for r in report.records if r.axis == axis and r.by is None}
    assert {"judge-reference:judge-a", "panel-reference", "human-reference:A", "human-reference:B"} <= set(records)
    units = sorted(refs)
    ref = np.array([refs[u][axis][0] for u in units], dtype=float)
    judge = {}
    for rid, name, score in db.conn.execute(
            "SELECT j.response_id, j.judge, s.score FROM judgments j JOIN judge_scores s ON s.judgment_id = j.id "
            "WHERE s.axis = ?", (axis,)):
        judge.setdefault(name, {})[rid] = score
    domain = np.arange(1.0, 6.0)
    for name in ("judge-a", "judge-c"):
        row = np.array([judge[name][u] for u in units], dtype=float)
        expected = krippendorff.alpha(reliability_data=np.vstack([ref, row]), level_of_measurement="ordinal",
                                      value_domain=domain)
        rec = records[f"judge-reference:{name}"]
        assert rec.alpha == pytest.approx(expected, abs=1e-9)
        assert rec.n_units == len(units) and rec.ci_low <= rec.alpha <= rec.ci_high
    panel = combine(np.array([[judge[n][u] for u in units] for n in sorted(judge)], dtype=float), domain)
    expected = krippendorff.alpha(reliability_data=np.vstack([ref, panel]), level_of_measurement="ordinal",
                                  value_domain=domain)
    assert records["panel-reference"].alpha == pytest.approx(expected, abs=1e-9)
    human = {rid: s for rid, s in db.conn.execute(
        "SELECT g.response_id, s.score FROM ratings g JOIN rating_scores s ON s.rating_id = g.id "
        "JOIN raters r ON r.id = g.rater_id WHERE r.name = 'B' AND s.axis = ?", (axis,))}
    row = np.array([human.get(u, np.nan) for u in units], dtype=float)
    expected = krippendorff.alpha(reliability_data=np.vstack([ref, row]), level_of_measurement="ordinal",
                                  value_domain=domain)
    assert records["human-reference:B"].alpha == pytest.approx(expected, abs=1e-9)
    # the less noisy clinician agrees better with the reference, over the axes
    mean = {who: np.mean([r.alpha for r in report.records if r.comparison == f"human-reference:{who}"])
            for who in ("A", "B")}
    assert mean["A"] > mean["B"]


def test_import_adjudications_checks_the_whole_file_first(db, tmp_path):
    rid = adjudication.worklist(db)[-1].response_id
    good = tmp_path / "adj.csv"
    good.write_text(f"response_id,adjudicator,axis,score,rationale\n{rid},Panel 2,crisis_safety,3,agreed\n"
                    f"{rid},Panel 2,behavioral_consistency,,not applicable here\n")
    out = CliRunner().invoke(cli, ["import", "adjudications", str(good), "--db", db.path])
    assert out.exit_code == 0 and "2 read, 2 added or changed" in out.output
    again = CliRunner().invoke(cli, ["import", "adjudications", str(good), "--db", db.path])
    assert "0 added or changed, 2 unchanged" in again.output
    bad = tmp_path / "bad.csv"
    bad.write_text(f"response_id,adjudicator,axis,score,rationale\n{rid},P,crisis_safety,3,ok\n"
                   f"nope,P,crisis_safety,3,ok\n{rid},P,crisis_safety,7,ok\n")
    before = db.conn.execute("SELECT count(*) FROM adjudications").fetchone()[0]
    res = CliRunner().invoke(cli, ["import", "adjudications", str(bad), "--db", db.path])
    assert res.exit_code == 2 and "bad.csv:3: response_id" in res.output and "bad.csv:4: score" in res.output
    assert db.conn.execute("SELECT count(*) FROM adjudications").fetchone()[0] == before


def test_agreement_cli_with_the_reference_and_exports(db, tmp_path):
    runner = CliRunner()
    out = runner.invoke(cli, ["agreement", "--db", db.path, "--reference", "adjudicated", "--bootstrap", "30",
                              "--seed", "1", "--json"])
    assert out.exit_code == 0, out.output
    comparisons = {r["comparison"] for r in json.loads(out.stdout)}
    assert {"panel-reference", "human-reference:A", "judge-reference:judge-b"} <= comparisons
    res = runner.invoke(cli, ["export", "--db", db.path, "--out", str(tmp_path / "x"), "--bootstrap", "20",
                              "--seed", "1", "--reference", "adjudicated"])
    assert res.exit_code == 0, res.output
    lines = (tmp_path / "x" / "adjudications.csv").read_text().splitlines()
    axes = len(db.rubric()[1].axes)  # a reference on every axis of 40 answers
    assert lines[0].startswith("adjudication_id,response_id") and len(lines) == 1 + 40 * axes
    assert (tmp_path / "x" / "study.csv").exists()
    assert "panel-reference" in (tmp_path / "x" / "agreement.csv").read_text()


def test_without_references_the_option_says_so(tmp_path):
    store = simdata.build(Store.open(tmp_path / "n.db"))
    store.close()
    out = CliRunner().invoke(cli, ["agreement", "--db", str(tmp_path / "n.db"), "--reference", "adjudicated"])
    assert out.exit_code == 2 and "no adjudicated references" in out.output
