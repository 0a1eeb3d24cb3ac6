"""Exports: tidy files that pandas reads back exactly, with a manifest that says what they are."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from rater import __version__
from rater.errors import RaterError
from rater.exports import export
from rater.stats import calibration as cal
from rater.stats.agreement import compute
from rater.stats.tidy import from_store
from rater.store import AxisScore, Store

TRICKY = 'He said "stop", then: [bold]pause[/bold],\nnew line; =SUM(A1) \\n \x1b[31m'


@pytest.fixture
def rated(with_responses: Store) -> Store:
    """Three answers rated by two clinicians (one revision), scored by two judges."""
    store = with_responses
    version, rubric = store.rubric()
    axes = rubric.axis_ids
    for name, shift in (("ana", 0), ("ben", 1)):
        rid = store.ensure_rater(name, role="psychologist")
        for i, response in enumerate(("r1", "r2", "r3")):
            scores = {a: AxisScore(float(1 + (i + k + shift) % rubric.axis(a).high), TRICKY if k == 0 else "")
                      for k, a in enumerate(axes)}
            store.save_rating(rater_id=rid, response_id=response, rubric_version=version, scores=scores,
                              judges_visible=False, note="a note, with a comma", flags=["unsure"],
                              seconds_spent=12.5)
    store.save_rating(rater_id=store.rater_id("ana") or 0, response_id="r1", rubric_version=version,
                      scores={axes[0]: AxisScore(None)}, judges_visible=True)
    provenance = json.dumps({"model": "openai/gpt-x", "prompts": {"judge-system": {"version": "3",
                                                                                  "hash": "abc"}}})
    with store.write():
        for judge in ("judge-a", "judge-b"):
            for i, response in enumerate(("r1", "r2", "r3")):
                jid = store.conn.execute(
                    "INSERT INTO judgments (response_id, judge, rubric_version, status, provenance, "
                    "created_at) VALUES (?, ?, ?, 'ok', ?, 'now')",
                    (response, judge, version, provenance)).lastrowid
                store.conn.executemany(
                    "INSERT INTO judge_scores (judgment_id, axis, score, rationale) VALUES (?, ?, ?, ?)",
                    [(jid, a, float(1 + (i + k) % rubric.axis(a).high), TRICKY) for k, a in enumerate(axes)])
        store.conn.execute("INSERT INTO judgments (response_id, judge, rubric_version, status, raw_reply, "
                           "created_at) VALUES ('r1', 'judge-c', ?, 'failed', 'garbage', 'now')", (version,))
    return store


def test_judge_scores_carry_the_failure_modes_each_judge_named(rated: Store, tmp_path: Path) -> None:
    """Clinicians' tags are in ratings.csv; the judges' must be in judge_scores.csv for the same analysis."""
    with rated.write():
        ids = [r[0] for r in rated.conn.execute("SELECT id FROM judgments WHERE judge = 'judge-a' "
                                                  "AND status = 'ok' ORDER BY id")]
        rated.conn.execute("UPDATE judgments SET failure_modes_asked = 1 WHERE judge = 'judge-a'")
        rated.conn.executemany("INSERT INTO judgment_failure_modes VALUES (?, ?)",
                               [(ids[0], "missed_risk"), (ids[0], "false_reassurance")])
    frame = pd.read_csv(run_export(rated, tmp_path)["judge_scores.csv"], keep_default_na=False, na_values=[""])
    modes = {(r.judgment_id, r.failure_modes if isinstance(r.failure_modes, str) else None)
             for r in frame.itertuples()}
    assert (ids[0], '["false_reassurance","missed_risk"]') in modes
    assert (ids[1], "[]") in modes  # asked, none observed
    assert all(m is None for j, m in modes if j not in ids)  # judge-b was never asked


def run_export(store: Store, out: Path, **kwargs) -> dict[str, Path]:
    report = compute(from_store(store), n_boot=50, seed=1)
    files = export(store, out, agreement=report, agreement_options={"bootstrap": 50}, **kwargs)
    return {f.path.name: f.path for f in files}


def test_ratings_round_trip_through_pandas(rated: Store, tmp_path: Path) -> None:
    files = run_export(rated, tmp_path)
    frame = pd.read_csv(files["ratings.csv"], keep_default_na=False, na_values=[""])
    stored = rated.conn.execute(
        "SELECT g.id, s.axis, s.score, s.rationale FROM rating_scores s JOIN ratings g ON g.id = s.rating_id "
        "ORDER BY g.id, s.axis").fetchall()
    assert len(frame) == len(stored) == 3 * 2 * len(rated.rubric()[1].axes) + 1
    assert frame[["rating_id", "axis"]].values.tolist() == [[r[0], r[1]] for r in stored]
    scores = [None if pd.isna(v) else v for v in frame["score"]]
    assert scores == [r[2] for r in stored]
    texts = frame["rationale"].fillna("").tolist()
    assert texts == [r[3] for r in stored]
    assert TRICKY in texts
    first = frame.iloc[0]
    assert (first["rater"], first["rater_role"], first["model"], first["modality"], first["severity"],
            first["risk_level"], first["phase"]) == ("ana", "psychologist", "model-a", "pe", 0, "none", "blind")
    assert set(frame["phase"]) == {"blind", "revised"}
    assert set(frame["demographic_group"].dropna()) == set()  # r1-r3 answer base and escalation scenarios
    assert json.loads(first["flags"]) == ["unsure"] and first["note"] == "a note, with a comma"


def test_judge_scores_carry_the_newest_calibration(rated: Store, tmp_path: Path) -> None:
    files = run_export(rated, tmp_path / "before")
    before = pd.read_csv(files["judge_scores.csv"])
    assert len(before) == 2 * 3 * len(rated.rubric()[1].axes) and before["calibrated_score"].isna().all()
    assert "calibration.json" not in files
    calibration = cal.calibrate(from_store(rated), n_boot=20, seed=0, folds=2)
    cal_id, _ = cal.save(rated, calibration)
    files = run_export(rated, tmp_path / "after")
    after = pd.read_csv(files["judge_scores.csv"], keep_default_na=False, na_values=[""])
    nominal = after["axis"] == "crisis_direction"  # a nominal axis is never calibrated
    assert after.loc[~nominal, "calibrated_score"].notna().all()
    assert after.loc[nominal, "calibrated_score"].isna().all() and nominal.any()
    assert "crisis_direction" in calibration.content["skipped"]
    assert after["rationale"].tolist() == [TRICKY] * len(after)
    assert after["score"].tolist() == before["score"].tolist()
    written = json.loads(files["calibration.json"].read_text())
    assert written["id"] == cal_id and written["hash"] == calibration.hash


def test_agreement_files_hold_what_agreement_prints(rated: Store, tmp_path: Path) -> None:
    files = run_export(rated, tmp_path)
    records = json.loads(files["agreement.json"].read_text())
    expected = [r.to_dict() for r in compute(from_store(rated), n_boot=50, seed=1).records]
    assert records == expected
    table = pd.read_csv(files["agreement.csv"])
    assert len(table) == len(records)
    assert table["comparison"].tolist() == [r["comparison"] for r in records]
    assert table["alpha"].tolist() == pytest.approx([float("nan") if r["alpha"] is None else r["alpha"]
                                                     for r in records], nan_ok=True)


def test_the_manifest_says_what_was_exported(rated: Store, tmp_path: Path) -> None:
    files = run_export(rated, tmp_path)
    manifest = json.loads(files["manifest.json"].read_text())
    version, rubric = rated.rubric()
    assert manifest["rater_version"] == __version__
    assert manifest["rubric"]["hash"] == rubric.hash and manifest["rubric"]["version"] == version
    assert manifest["counts"]["raters"] == 2 and manifest["counts"]["answers"] == 3
    assert manifest["counts"]["ratings"] == 7 and manifest["counts"]["rating_scores"] == 6 * len(rubric.axes) + 1
    assert manifest["judges"]["judge-a"]["models"] == ["openai/gpt-x"]
    assert manifest["judges"]["judge-a"]["prompts"] == [{"file": "judge-system", "version": "3", "hash": "abc"}]
    assert manifest["judges"]["judge-c"]["judgments_failed"] == 1
    assert manifest["agreement"]["seed"] == 1 and manifest["agreement"]["bootstrap"] == 50
    assert manifest["files"]["ratings.csv"]["rows"] == 6 * len(rubric.axes) + 1
    assert manifest["exported_at"].endswith("Z")


def test_no_partial_files_are_left_behind(rated: Store, tmp_path: Path) -> None:
    run_export(rated, tmp_path)
    assert not list(tmp_path.glob("*.part"))


def test_parquet_without_pyarrow_says_how_to_get_it(rated: Store, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(RaterError, match="pip install pyarrow"):
        export(rated, tmp_path / "pq", fmt="parquet")
    assert not (tmp_path / "pq").exists()


def test_parquet_round_trips_when_pyarrow_is_installed(rated: Store, tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    files = run_export(rated, tmp_path, fmt="parquet")
    frame = pd.read_parquet(files["ratings.parquet"])
    assert len(frame) == 6 * len(rated.rubric()[1].axes) + 1 and TRICKY in frame["rationale"].tolist()


def test_an_empty_database_exports_empty_tables(store: Store, tmp_path: Path) -> None:
    files = {f.path.name: f for f in export(store, tmp_path)}
    assert files["ratings.csv"].rows == 0
    assert pd.read_csv(files["ratings.csv"].path).columns[0] == "rating_id"
    assert "agreement.json" not in files


def test_a_nominal_axis_exports_its_category_name_beside_the_number(rated: Store, tmp_path: Path) -> None:
    files = run_export(rated, tmp_path)
    for name in ("ratings.csv", "judge_scores.csv"):
        frame = pd.read_csv(files[name], keep_default_na=False, na_values=[""])
        direction = frame[frame["axis"] == "crisis_direction"]
        names = {1: "appropriate", 2: "over_reaction", 3: "under_reaction"}
        assert len(direction) and all(names[int(s)] == lb for s, lb in zip(direction["score"], direction["label"], strict=True))
        assert frame[frame["axis"] != "crisis_direction"]["label"].isna().all()
