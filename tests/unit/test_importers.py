"""Importers: happy paths, idempotence, and every class of bad row leaving the database as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rater.errors import RaterError
from rater.importers import (
    import_judgments,
    import_ratings,
    import_responses,
    import_scenarios,
)
from rater.store import Store
from tests.conftest import FIXTURES


def snapshot(store: Store) -> dict[str, list[tuple]]:
    """Every row of every table, to prove a rejected import changed nothing."""
    tables = [r[0] for r in store.conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    return {t: [tuple(r) for r in store.conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2")]
            for t in tables}


def rejected(store: Store, importer, path: Path) -> str:
    before = snapshot(store)
    with pytest.raises(RaterError) as info:
        importer(store, path)
    assert snapshot(store) == before
    message = str(info.value)
    assert "the database is unchanged" in message
    return message


JUDGMENTS_CSV = """response_id,judge,axis,score,rationale
r1,judge-a,protocol_fidelity,5,Stays with the memory
r1,judge-a,crisis_safety,5,No false alarm
r1,judge-a,behavioral_consistency,,No siblings shown
r2,judge-a,protocol_fidelity,1,Grounding mid-exposure
"""

RATINGS_JSONL = "\n".join(json.dumps(r) for r in [
    {"response_id": "r1", "rater": "Dr Ana", "axis": "protocol_fidelity", "score": 5,
     "rationale": "textbook"},
    {"response_id": "r1", "rater": "Dr Ana", "axis": "demographic_robustness", "score": None,
     "rationale": ""},
    {"response_id": "r2", "rater": "Dr Ben", "axis": "protocol_fidelity", "score": "2",
     "rationale": "grounding"},
]) + "\n"


def test_responses_import_and_reimport_changes_nothing(with_responses: Store, write) -> None:
    store = with_responses
    rows = store.conn.execute("SELECT id, model, sample, text FROM responses ORDER BY id").fetchall()
    assert [r[0] for r in rows] == ["r1", "r2", "r3"]
    assert rows[0][3] == "Stay with it. What do you see now? [pause] SUDS?"
    before = snapshot(store)
    from tests.conftest import RESPONSES_CSV

    result = import_responses(store, write("again.csv", RESPONSES_CSV))
    assert (result.added, result.unchanged) == (0, 3)
    assert snapshot(store) == before


def test_responses_from_jsonl(store: Store, write) -> None:
    path = write("r.jsonl", json.dumps({"response_id": "x", "scenario_id": "t-pe-01",
                                        "model": "m", "sample": 1, "text": "Hi"}) + "\n")
    assert import_responses(store, path).added == 1


@pytest.mark.parametrize(("text", "expected"), [
    ("response_id,scenario_id,model,sample,text\nq1,nope,m,1,hi\n",
     "r.csv:2: scenario_id: scenario 'nope' is not in the database"),
    ("response_id,scenario_id,model,text\nq1,t-pe-01,m,hi\n",
     "r.csv:1: missing column(s) sample"),
    ("response_id,scenario_id,model,sample,text\nq1,t-pe-01,m,-1,hi\n",
     "r.csv:2: sample: '-1' is not a sample number"),
    ("response_id,scenario_id,model,sample,text\nq1,t-pe-01,m,٣,hi\n",
     "r.csv:2: sample: '٣' is not a sample number"),
    ("response_id,scenario_id,model,sample,text\nq1,t-pe-01,m,99999999999999999999,hi\n",
     "is not a sample number"),
    ("response_id,scenario_id,model,sample,text\nq1,t-pe-01,m,1,hi\nq1,t-pe-01,m,1,other\n",
     "r.csv:3: response_id: response 'q1' appears again (first at line 2) with different content"),
    ("response_id,scenario_id,model,sample,text\nq1,t-pe-01,m,1,hi\nq2,t-pe-01,m,1,other\n",
     "r.csv:3: sample: m sample 1 for t-pe-01 is already response 'q1'"),
    ("response_id,scenario_id,model,sample,text\nr1,t-pe-01,model-a,1,changed text\n",
     "r.csv:2: response_id: response 'r1' is already stored with different content"),
    ("response_id,scenario_id,model,sample,text\nq9,t-pe-01,model-a,1,other\n",
     "r.csv:2: sample: model-a sample 1 for t-pe-01 is already response 'r1'"),
    ("response_id,scenario_id,model,sample,text\nq1,t-pe-01,m,1,ok\nq2,t-pe-01,m,2\n",
     "r.csv:3: has 4 fields but the header has 5"),
])
def test_bad_response_rows_reject_the_file(with_responses: Store, write, text: str,
                                           expected: str) -> None:
    assert expected in rejected(with_responses, import_responses, write("r.csv", text))


def test_samples_numbered_from_zero_are_accepted(with_responses: Store, write) -> None:
    text = ("response_id,scenario_id,model,sample,text\n"
            "z0,t-pe-01,zero-based,0,first\nz1,t-pe-01,zero-based,1,second\n"
            "z0,t-pe-01,zero-based,0,first\n")
    result = import_responses(with_responses, write("r.csv", text))
    assert (result.added, result.unchanged) == (2, 0)
    assert with_responses.conn.execute(
        "SELECT sample FROM responses WHERE id = 'z0'").fetchone()[0] == 0


def test_broken_json_names_the_line(with_responses: Store, write) -> None:
    good = json.dumps({"response_id": "q1", "scenario_id": "t-pe-01", "model": "m",
                       "sample": 1, "text": "fine"})
    path = write("r.jsonl", good + "\n" + '{"response_id": "q2", "text": \n')
    assert "r.jsonl:2: is not valid JSON" in rejected(with_responses, import_responses, path)


def test_judgments_import_and_reimport(with_responses: Store, write) -> None:
    store = with_responses
    path = write("j.csv", JUDGMENTS_CSV)
    assert import_judgments(store, path).added == 4
    rows = store.conn.execute(
        "SELECT j.response_id, j.judge, j.status, s.axis, s.score FROM judgments j "
        "JOIN judge_scores s ON s.judgment_id = j.id ORDER BY 1, 4").fetchall()
    assert ("r1", "judge-a", "ok", "behavioral_consistency", None) in [tuple(r) for r in rows]
    assert len({(r[0], r[1]) for r in rows}) == 2  # one judgment per response and judge
    before = snapshot(store)
    assert import_judgments(store, path).unchanged == 4
    assert snapshot(store) == before


@pytest.mark.parametrize(("row", "expected"), [
    ("zz,judge-a,protocol_fidelity,3,x", "j.csv:3: response_id: response 'zz' is not in the database"),
    ("r1,judge-a,empathy,3,x", "j.csv:3: axis: axis 'empathy' is not in the rubric"),
    ("r1,judge-a,hallucination_risk,7,x", "j.csv:3: score: score 7 is off the scale"),
    ("r1,judge-a,hallucination_risk,2.5,x", "j.csv:3: score: score 2.5 is off the scale"),
    ("r1,judge-a,hallucination_risk,high,x", "j.csv:3: score: 'high' is not a number"),
    ("r1,judge-a,hallucination_risk,nan,x", "j.csv:3: score: 'nan' is not a finite number"),
    ("r1,judge-a,crisis_safety,,x", "j.csv:3: score: may not be left empty"),
    ("r1,,crisis_safety,3,x", "j.csv:3: judge: is empty"),
])
def test_bad_judgment_rows_reject_the_file(with_responses: Store, write, row: str,
                                           expected: str) -> None:
    text = "response_id,judge,axis,score,rationale\nr3,judge-a,protocol_fidelity,4,ok\n" + row + "\n"
    assert expected in rejected(with_responses, import_judgments, write("j.csv", text))


def test_a_stored_judge_score_is_never_overwritten(with_responses: Store, write) -> None:
    import_judgments(with_responses, write("j.csv", JUDGMENTS_CSV))
    changed = write("j2.csv", JUDGMENTS_CSV.replace("Grounding mid-exposure", "changed mind"))
    message = rejected(with_responses, import_judgments, changed)
    assert "j2.csv:5: score: judge 'judge-a' already has a different protocol_fidelity" in message


def test_ratings_import_creates_raters_and_reimport_is_a_no_op(with_responses: Store,
                                                                write) -> None:
    store = with_responses
    path = write("ratings.jsonl", RATINGS_JSONL)
    assert import_ratings(store, path).added == 3
    assert [r[0] for r in store.conn.execute("SELECT name FROM raters ORDER BY name")] == [
        "Dr Ana", "Dr Ben"]
    row = store.conn.execute("SELECT judges_visible, source FROM ratings LIMIT 1").fetchone()
    assert tuple(row) == (None, "import:ratings.jsonl")
    before = snapshot(store)
    assert import_ratings(store, path).unchanged == 3
    assert snapshot(store) == before


def test_a_corrected_ratings_file_is_an_edit_with_history(with_responses: Store, write) -> None:
    store = with_responses
    import_ratings(store, write("ratings.jsonl", RATINGS_JSONL))
    fixed = write("fixed.jsonl", RATINGS_JSONL.replace('"score": "2"', '"score": 3'))
    result = import_ratings(store, fixed)
    assert (result.updated, result.unchanged) == (1, 2)
    changes = store.conn.execute(
        "SELECT old_value, new_value, via FROM rating_history WHERE old_value IS NOT NULL"
    ).fetchall()
    assert [tuple(c) for c in changes] == [("2.0", "3.0", "import:fixed.jsonl")]


def test_bad_judges_visible_value_rejects(with_responses: Store, write) -> None:
    text = ("response_id,rater,axis,score,rationale,judges_visible\n"
            "r1,Ana,protocol_fidelity,4,ok,maybe\n")
    assert "r.csv:2: judges_visible: 'maybe' is not yes or no" in rejected(
        with_responses, import_ratings, write("r.csv", text))


def test_unknown_column_is_an_error_not_ignored(with_responses: Store, write) -> None:
    text = "response_id,rater,axis,score,rationale,comment\nr1,Ana,protocol_fidelity,4,ok,hi\n"
    assert "unknown column(s) comment" in rejected(with_responses, import_ratings,
                                                    write("r.csv", text))


def test_scenario_import_from_jsonl_and_idempotent(store: Store, write) -> None:
    scenario = {"id": "t-cbt-01", "title": "CBT test", "modality": "cbt", "step": "evidence",
                "severity": 0, "risk_level": "low", "patient_profile": "p",
                "patient_message": "I'm a burden", "task": "t", "expected": ["asks directly"],
                "contraindicated": ["hotline dump"]}
    path = write("s.jsonl", json.dumps(scenario) + "\n")
    assert import_scenarios(store, [path]).added == 1
    again = import_scenarios(store, [path])
    assert (again.added, again.updated, again.unchanged) == (0, 0, 1)
    bad = write("bad.jsonl", json.dumps({**scenario, "id": "t-cbt-02", "step": "nope"}) + "\n")
    assert "bad.jsonl:1: step: 'nope' is not a cbt protocol step" in rejected(
        store, lambda s, p: import_scenarios(s, [p]), bad)


def test_changing_an_answered_scenario_is_refused(with_responses: Store, write) -> None:
    text = (FIXTURES / "family.yaml").read_text().replace("Test base", "Edited base")
    message = rejected(with_responses, lambda s, p: import_scenarios(s, [p]),
                       write("family.yaml", text))
    assert "scenario 't-pe-01' changed, but 2 stored responses answer the old text" in message


def test_a_blind_rating_and_its_revision_can_come_in_one_file(with_responses: Store, write) -> None:
    text = ("response_id,rater,axis,score,rationale,judges_visible\n"
            "r1,Ana,protocol_fidelity,2,before the judges,0\n"
            "r1,Ana,crisis_safety,4,,0\n"
            "r1,Ana,protocol_fidelity,3,after the judges,1\n")
    assert import_ratings(with_responses, write("phases.csv", text)).added == 3
    rows = with_responses.conn.execute(
        "SELECT g.judges_visible, s.axis, s.score FROM ratings g JOIN rating_scores s "
        "ON s.rating_id = g.id ORDER BY 1, 2").fetchall()
    assert [tuple(r) for r in rows] == [(0, "crisis_safety", 4.0), (0, "protocol_fidelity", 2.0),
                                        (1, "protocol_fidelity", 3.0)]


def test_scores_for_a_failed_judgment_are_refused(with_responses: Store, write) -> None:
    version, _ = with_responses.rubric()
    with with_responses.write():
        with_responses.conn.execute(
            "INSERT INTO judgments (response_id, judge, rubric_version, status, raw_reply, created_at) "
            "VALUES ('r1', 'judge-x', ?, 'failed', 'no json', '2026-01-01T00:00:00Z')", (version,))
    text = "response_id,judge,axis,score,rationale\nr1,judge-x,crisis_safety,4,ok\n"
    message = rejected(with_responses, import_judgments, write("j.csv", text))
    assert "j.csv:2: judge: judge 'judge-x' has a failed judgment of 'r1'" in message
    assert "--retry-failed" in message


def test_a_folder_given_as_the_file_is_named(with_responses: Store, tmp_path: Path) -> None:
    (tmp_path / "dir.csv").mkdir()
    assert "dir.csv: is a folder, not a file" in rejected(with_responses, import_ratings, tmp_path / "dir.csv")


def test_a_nominal_axis_can_be_imported_by_category_name(with_responses, write) -> None:
    from rater.importers import import_judgments

    import_judgments(with_responses, write("j.csv", "response_id,judge,axis,score,rationale\n"
                                                   "r1,judge-a,crisis_direction,over_reaction,hotline dump\n"))
    score = with_responses.conn.execute("SELECT score FROM judge_scores").fetchone()[0]
    assert score == 2
def test_a_file_with_many_bad_rows_says_how_many_more(with_responses: Store, write) -> None:
    text = "response_id,judge,axis,score,rationale\n" + "".join(
        f"zz{i},judge-a,crisis_safety,4,x\n" for i in range(100))
    message = rejected(with_responses, import_judgments, write("j.csv", text))
    assert message.count("is not in the database") == 25 and "... and 75 more problems" in message
