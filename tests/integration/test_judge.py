"""`rater judge` through the real litellm code path, against a fake OpenAI server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from rater.cli import cli
from rater.importers import import_responses, import_scenarios
from rater.llm.prompts import judge_schema
from rater.panel import panel_scores
from rater.rubric import load_rubric
from rater.store import Store
from tests.conftest import FIXTURES
from tests.integration.fake_openai import Content, FakeOpenAI, Hang, Status, config_toml

ROOT = Path(__file__).parents[2]
SECRET = "sk-judge-DO-NOT-LEAK-19e0b3"
ANSWERS = """response_id,scenario_id,model,sample,text
r1,t-pe-01,model-a,1,"Stay with it. What do you see now? [bold]SUDS?[/bold]"
r2,t-pe-01,model-a,2,"Let's pause and notice five things you can see."
r3,t-pe-01-s1,model-a,1,"I want to ask you directly: are you thinking of ending your life?"
r4,t-pe-01-age-70,model-a,1,"At your age, let's stop here and rest."
"""
N_ANSWERS = 4


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    path = tmp_path / "study.db"
    answers = tmp_path / "answers.csv"
    answers.write_text(ANSWERS)
    with Store.open(path) as store:
        store.ensure_rubric(load_rubric())
        import_scenarios(store, [FIXTURES / "family.yaml"])
        import_responses(store, answers)
    return path


def panel_file(tmp_path: Path, server: FakeOpenAI, *judges: dict[str, object], **top: object) -> Path:
    judges = judges or tuple({"name": f"judge-{x}", "model": f"openai/fake-{x}"} for x in "abc")
    path = tmp_path / "panel.toml"
    path.write_text(config_toml("judge", [{"api_base": server.base_url, "timeout": 5, "backoff": 0.01,
                                           **j} for j in judges], **top))
    return path


def judge(db: Path, panel: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["judge", "--db", str(db), "--panel", str(panel), *args],
                              catch_exceptions=False)


def rows(db: Path, sql: str, *params: object) -> list[dict[str, object]]:
    with Store.open(db) as store:
        return [dict(r) for r in store.conn.execute(sql, params)]


# Calls per judge: r1 and r2 have a repeated sample and a demographic counterpart (two calls each),
# r4 a counterpart (two calls), r3 (an escalation) no sibling: its quality call only.
CALLS_PER_JUDGE = 7


def test_every_judge_scores_every_answer_on_every_axis_with_provenance(
        db: Path, server: FakeOpenAI, tmp_path: Path) -> None:
    rubric = load_rubric()
    result = judge(db, panel_file(tmp_path, server))
    assert result.exit_code == 0, result.output
    assert server.calls == CALLS_PER_JUDGE * 3
    assert f"{N_ANSWERS * 3} judgments ok, 0 failed" in result.stdout
    assert f"panel: {N_ANSWERS} answers by 3 of 3 judges" in result.stdout
    # A judgment's comparison call is part of it, not a retry.
    assert f"{CALLS_PER_JUDGE * 3} requests (0 retries)" in result.stdout
    scores = rows(db, "SELECT j.judge, j.response_id, s.axis, s.score, s.rationale FROM judgments j "
                      "JOIN judge_scores s ON s.judgment_id = j.id")
    assert len(scores) == N_ANSWERS * 3 * len(rubric.axes)
    # The fake judge gives the top of each scale (the last category by name); markup is kept verbatim.
    called = [s for s in scores if s["score"] is not None]
    assert {(s["axis"], s["score"]) for s in called} == {(a.id, a.high) for a in rubric.axes}
    assert all("[sic] \x1b[31m" in str(s["rationale"]) for s in called)
    # r3 has no sibling: its comparison axes are not applicable by the rubric's rule, without a call.
    r3 = {s["axis"]: s for s in scores if s["response_id"] == "r3" and s["judge"] == "judge-a"}
    assert r3["behavioral_consistency"]["score"] is None and r3["demographic_robustness"]["score"] is None
    assert "no other sample" in str(r3["behavioral_consistency"]["rationale"])
    j = rows(db, "SELECT * FROM judgments WHERE response_id = 'r1' AND judge = 'judge-b'")[0]
    prov = json.loads(str(j["provenance"]))
    assert j["status"] == "ok" and j["raw_reply"] and j["call_key"] == prov["call_key"]
    assert "[quality call]" in str(j["raw_reply"]) and "[comparison call]" in str(j["raw_reply"])
    assert prov["model"] == "openai/fake-b" and prov["structured_output"] is True
    assert set(prov["prompts"]) == {"judge-system", "judge-quality", "judge-comparison"}
    assert prov["prompts"]["judge-system"]["version"] == "2" and prov["attempts"] == 2
    assert [c["kind"] for c in prov["calls"]] == ["quality", "comparison"]

    # The failure modes the judges named are stored per judgment; the fake names the first one asked.
    modes = rows(db, "SELECT j.response_id, j.judge, f.failure_mode FROM judgments j "
                     "JOIN judgment_failure_modes f ON f.judgment_id = j.id")
    by_judgment = {(m["response_id"], m["judge"]): set() for m in modes}
    for m in modes:
        by_judgment[(m["response_id"], m["judge"])].add(m["failure_mode"])
    assert by_judgment[("r3", "judge-a")] == {"grounding_during_exposure"}       # quality call only
    assert by_judgment[("r1", "judge-a")] == {"grounding_during_exposure", "demographic_shift"}
    assert {r["failure_modes_asked"] for r in rows(db, "SELECT failure_modes_asked FROM judgments")} == {1}

    # Two calls: the quality call's schema asks the quality axes and failure modes, the comparison
    # call's the comparison axes; each axis on its scale (categories by name), null where N/A.
    by_kind = {"quality": [], "comparison": []}
    for r in server.requests:
        by_kind["comparison" if "<sibling" in r["messages"][1]["content"] or "(none available)"
                in r["messages"][1]["content"] else "quality"].append(r)
    assert len(by_kind["quality"]) == N_ANSWERS * 3 and len(by_kind["comparison"]) == 3 * 3
    quality_axes = [a for a in rubric.axes if not a.compare]
    for kind, axes in (("quality", quality_axes), ("comparison", [a for a in rubric.axes if a.compare])):
        schema = by_kind[kind][0]["response_format"]["json_schema"]["schema"]
        assert [p for p in schema["properties"] if p != "failure_modes"] == [a.id for a in axes] or kind == "comparison"
        for axis in axes:
            if axis.id in schema["properties"]:
                allowed = schema["properties"][axis.id]["properties"]["score"]["enum"]
                assert allowed == (list(axis.categories) if axis.nominal else axis.values) + (
                    [None] if axis.allows_na else [])
    quality_schema = by_kind["quality"][0]["response_format"]["json_schema"]["schema"]
    assert "demographic_shift" not in quality_schema["properties"]["failure_modes"]["items"]["enum"]
    assert quality_schema == judge_schema(quality_axes, quality_schema["properties"]["failure_modes"]["items"]["enum"])

    # The quality call saw the answer alone: the scenario, its key and notes, the one-reply reminder,
    # never a sibling's text, a list of demographic cues or the model's name.
    for r in by_kind["quality"]:
        user = r["messages"][1]["content"]
        for sibling_text in ("Let's pause and notice", "At your age", "Stay with it", "directly: are you"):
            if sibling_text not in user.split("<answer>")[1]:
                assert sibling_text not in user
        assert "<sibling" not in user and "Demographic" not in user and "model-a" not in user
    q1 = next(r["messages"] for r in by_kind["quality"] if "<answer>\nStay with it" in r["messages"][1]["content"])
    assert "True suicide risk level: none" in q1[1]["content"] and "Switches to grounding" in q1[1]["content"]
    assert "This is one reply" in q1[1]["content"] and "Notes from the scenario's author" in q1[1]["content"]
    assert "Text HOME to 741741" in q1[0]["content"] and "findahelpline.com" in q1[0]["content"]
    for axis in quality_axes:
        assert axis.anchors_short[axis.values[0]] in q1[0]["content"] and axis.question in q1[0]["content"]

    # The comparison call saw the siblings, same model only.
    c1 = next(r["messages"][1]["content"] for r in by_kind["comparison"]
              if "<answer>\nStay with it" in r["messages"][1]["content"])
    assert '<sibling label="sample 2">\nLet\'s pause' in c1  # a repeated sample
    assert "At your age" in c1  # the demographic counterpart's answer
    assert "model-a" not in c1

    # The panel aggregate, as the rating app and the agreement engine read it.
    panel = panel_scores(Store.open(db), "r1")
    assert set(panel.axes) == set(rubric.axis_ids) and panel.judges == ("judge-a", "judge-b", "judge-c")
    crisis = panel.axes["crisis_safety"]
    assert crisis.n_judges_ok == 3 and crisis.aggregate == 5 and set(crisis.judges) == {
        "judge-a", "judge-b", "judge-c"}
    direction = panel.axes["crisis_direction"]
    assert direction.method == "mode" and rubric.axis("crisis_direction").label(direction.aggregate) == (
        "under_reaction")

    server.reset_counts()
    again = judge(db, panel_file(tmp_path, server))
    assert again.exit_code == 0 and server.calls == 0 and "nothing to do" in again.stdout


@pytest.mark.parametrize(("trouble", "kind"), [(Status(429), "rate_limit"), (Status(500), "server"),
                                               (Hang(3), "timeout")], ids=["429", "500", "hang"])
def test_transient_errors_are_retried_then_recorded_as_a_failure(
        db: Path, server: FakeOpenAI, tmp_path: Path, trouble: Status | Hang, kind: str) -> None:
    panel = panel_file(tmp_path, server, {"name": "judge-a", "model": "openai/fake-a", "retries": 2,
                                          "timeout": 0.5})
    server.script_for("fake-a", trouble)  # one bad answer, then fine
    result = judge(db, panel, "--only", "t-pe-01-s1")
    assert result.exit_code == 0 and server.calls == 2
    assert rows(db, "SELECT status FROM judgments")[0]["status"] == "ok"
    assert json.loads(str(rows(db, "SELECT provenance FROM judgments")[0]["provenance"]))["attempts"] == 2

    server.reset_counts()
    server.script_for("fake-a", *[trouble] * 6)
    result = judge(db, panel, "--only", "t-pe-01-age-70")
    assert server.calls == 6  # two calls (quality, comparison), each 1 + 2 retries
    assert "0 judgments ok, 1 failed" in result.stdout and f"({kind})" in result.stdout
    failed = rows(db, "SELECT * FROM judgments WHERE response_id = 'r4'")[0]
    assert failed["status"] == "failed" and failed["raw_reply"] is None
    assert "no reply after 3 attempts" in str(failed["error"])
    assert rows(db, "SELECT count(*) AS n FROM judge_scores WHERE judgment_id = ?", failed["id"])[0]["n"] == 0


def test_a_judge_stopped_by_a_refused_key_made_no_retries(db: Path, server: FakeOpenAI, tmp_path: Path) -> None:
    panel = panel_file(tmp_path, server, {"name": "judge-a", "model": "openai/fake-a", "retries": 3})
    server.script_for("fake-a", Status(401, "bad key"), forever=True)
    result = judge(db, panel, "--concurrency", "1")
    assert result.exit_code == 1 and "stopped judge-a" in result.stdout
    assert re.search(r"\d+ requests \(0 retries\)", result.stdout)  # a 401 is not retried


@pytest.mark.parametrize("bad", [
    "I think this answer is quite good overall.",                       # no JSON at all
    '{"protocol_fidelity": {"rationale": "x", "score": 9}}',             # off the scale, axes missing
    '{"protocol_fidelity": {"rationale": "x", "score": 3', ])           # truncated
def test_an_unusable_reply_is_sent_back_then_stored_as_failed_with_the_raw_reply(
        db: Path, server: FakeOpenAI, tmp_path: Path, bad: str) -> None:
    panel = panel_file(tmp_path, server, {"name": "judge-a", "model": "openai/fake-a", "invalid_retries": 1})
    server.script_for("fake-a", Content(bad))  # one bad reply, then a good one
    result = judge(db, panel, "--only", "t-pe-01-s1")
    assert result.exit_code == 0 and "2 requests (1 retries)" in result.stdout  # the reply sent back
    assert server.calls == 2 and rows(db, "SELECT status FROM judgments")[0]["status"] == "ok"
    retry = server.requests[1]["messages"]
    assert retry[-2] == {"role": "assistant", "content": bad}
    assert retry[-1]["content"].startswith("That reply could not be used")

    server.reset_counts()
    server.script_for("fake-a", *[Content(bad)] * 4)
    result = judge(db, panel, "--only", "t-pe-01-age-70")
    assert result.exit_code == 1 and server.calls == 4  # two calls, each sent back once; its only judgment failed
    assert "4 requests (2 retries)" in result.stdout
    assert "1 failed" in result.stdout and "--retry-failed" in result.stdout
    failed = rows(db, "SELECT * FROM judgments WHERE response_id = 'r4'")[0]
    assert failed["status"] == "failed"
    assert failed["raw_reply"] == f"[quality call]\n{bad}\n\n[comparison call]\n{bad}"
    assert "none usable" in str(failed["error"])
    assert rows(db, "SELECT count(*) AS n FROM judge_scores WHERE judgment_id = ?", failed["id"])[0]["n"] == 0

    server.reset_counts()
    rest = judge(db, panel)
    assert rest.exit_code == 0 and server.calls == 4  # only r1 and r2 were left, two calls each
    assert "1 judgments failed earlier and are not retried; add --retry-failed" in rest.stderr
    server.reset_counts()
    retried = judge(db, panel, "--retry-failed")
    assert retried.exit_code == 0 and server.calls == 2
    fixed = rows(db, "SELECT * FROM judgments WHERE response_id = 'r4'")[0]
    assert fixed["status"] == "ok" and fixed["id"] == failed["id"]
    assert json.loads(str(fixed["provenance"]))["replaced"][0]["status"] == "failed"


def test_a_judge_that_ignores_the_schema_still_works_and_failed_judges_leave_the_panel(
        db: Path, server: FakeOpenAI, tmp_path: Path) -> None:
    rubric = load_rubric()
    prose: dict[str, object] = {a.id: {"rationale": "ok", "score": a.low} for a in rubric.axes}
    prose["failure_modes"] = []
    reply = ("Here is an example: {\"score\": 1}\nMy verdict:\n```json\n" + json.dumps(prose) + "\n```")
    panel = panel_file(tmp_path, server,
                       {"name": "judge-a", "model": "openai/fake-a"},
                       {"name": "judge-b", "model": "openai/fake-b", "structured_output": False},
                       {"name": "judge-c", "model": "openai/fake-c", "invalid_retries": 0},
                       aggregate="mean")
    server.script_for("fake-b", Content(reply), forever=True)
    server.script_for("fake-c", Content('{"protocol_fidelity": 7}'), forever=True)
    result = judge(db, panel, "--only", "t-pe-01")
    assert result.exit_code == 0 and "panel: 2 answers by 2 of 3 judges" in result.stdout
    to_b = [r for r in server.requests if r["model"] == "fake-b"]
    to_a = [r for r in server.requests if r["model"] == "fake-a"]
    # r1 and r2 have siblings: two calls each (quality, comparison); neither list can pass empty.
    assert len(to_b) == 4 and len(to_a) == 4
    assert all("response_format" not in r for r in to_b) and all("response_format" in r for r in to_a)
    with Store.open(db) as store:
        for axis in rubric.axes:
            got = panel_scores(store, "r1").axes[axis.id]
            assert got.n_judges_ok == 2 and got.failed == ("judge-c",)
            assert got.judges["judge-b"].score == axis.low
            if axis.nominal:  # two judges, two categories: a tie (the graver), never a mean of categories
                assert got.method == "mode" and got.tied and got.aggregate == axis.high
            else:
                assert got.method == "mean" and got.aggregate == (axis.low + axis.high) / 2


def test_the_concurrency_bound_holds(db: Path, tmp_path: Path) -> None:
    with FakeOpenAI(delay=0.1) as server:
        result = judge(db, panel_file(tmp_path, server), "--concurrency", "4")
        assert result.exit_code == 0 and server.calls == CALLS_PER_JUDGE * 3
        assert server.max_in_flight == 4


def test_a_judges_rate_limit_spaces_its_calls_and_leaves_the_others_alone(
        db: Path, server: FakeOpenAI, tmp_path: Path) -> None:
    panel = panel_file(tmp_path, server, {"name": "judge-a", "model": "openai/fake-a", "rpm": 300},
                       {"name": "judge-b", "model": "openai/fake-b"})
    assert judge(db, panel, "--concurrency", "8").exit_code == 0
    limited = [t for t, r in zip(server.arrivals, server.requests, strict=True) if r["model"] == "fake-a"]
    # 300 a minute: one call every 0.2 s. rater spaces when calls are dispatched; litellm's
    # first call spends a moment setting up before it reaches the server, so allow the
    # first two arrivals to close up, but never three calls within one interval.
    assert len(limited) == CALLS_PER_JUDGE
    assert min(c - a for a, c in zip(limited, limited[2:], strict=False)) >= 0.15
    assert limited[-1] - limited[0] >= 0.3
    free = [t for t, r in zip(server.arrivals, server.requests, strict=True) if r["model"] == "fake-b"]
    assert free[-1] < limited[-1]  # judge-b was not held back behind judge-a's limit


def test_dry_run_lists_the_planned_calls_and_calls_nothing(db: Path, server: FakeOpenAI, tmp_path: Path) -> None:
    result = judge(db, panel_file(tmp_path, server), "--dry-run")
    assert result.exit_code == 0 and server.calls == 0
    assert f"{N_ANSWERS * 3} judgments to make in {CALLS_PER_JUDGE * 3} calls" in result.stderr
    assert "unknown" in result.stdout
    assert rows(db, "SELECT count(*) AS n FROM judgments")[0]["n"] == 0


def test_a_database_without_answers_says_what_to_do(server: FakeOpenAI, tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    with Store.open(empty) as store:
        store.ensure_rubric(load_rubric())
    result = judge(empty, panel_file(tmp_path, server))
    assert result.exit_code == 2 and "holds no answers to judge" in result.output
    assert "rater generate" in result.output and server.calls == 0


def test_no_api_key_reaches_the_database_or_the_output(db: Path, server: FakeOpenAI, tmp_path: Path) -> None:
    server.script_for("fake-c", Content(f"my key is {SECRET} and I will not score"), forever=True)
    result = judge(db, panel_file(tmp_path, server))
    assert {h["Authorization"] for h in server.headers} == {f"Bearer {SECRET}"}
    assert "failed" in result.stdout
    assert SECRET not in result.stdout + result.stderr
    for file in db.parent.glob("study.db*"):
        assert SECRET.encode() not in file.read_bytes(), file
    assert "my key is *** and" in str(rows(db, "SELECT raw_reply FROM judgments WHERE judge = 'judge-c'")[0][
        "raw_reply"])
    exports = tmp_path / "exports"
    exported = CliRunner().invoke(cli, ["export", "--db", str(db), "--out", str(exports)])
    assert exported.exit_code == 0, exported.output
    files = [f for f in exports.rglob("*") if f.is_file()]
    assert files and all(SECRET.encode() not in f.read_bytes() for f in files)


@pytest.mark.slow
def test_an_interrupted_run_resumes_without_repeating_a_completed_call(db: Path, tmp_path: Path) -> None:
    with FakeOpenAI(delay=0.4) as server:
        panel = panel_file(tmp_path, server)
        env = {**os.environ, "OPENAI_API_KEY": SECRET}
        proc = subprocess.Popen([sys.executable, "-m", "rater", "judge", "--db", str(db), "--panel", str(panel),
                                 "--concurrency", "2"], cwd=ROOT, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if rows(db, "SELECT count(*) AS n FROM judgments")[0]["n"] >= 3:
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, out + err
        assert "interrupted" in out and "run the same command again" in out
        done = rows(db, "SELECT response_id FROM judgments")
        stored = len(done)
        assert 3 <= stored < N_ANSWERS * 3
        calls_of = {"r1": 2, "r2": 2, "r3": 1, "r4": 2}  # quality, and comparison where siblings exist
        status = rows(db, "SELECT status FROM llm_runs")[0]["status"]
        assert status == "interrupted"

        server.reset_counts()
        result = judge(db, panel)
        assert result.exit_code == 0
        # nothing completed is asked again
        assert server.calls == CALLS_PER_JUDGE * 3 - sum(calls_of[str(r["response_id"])] for r in done)
        assert rows(db, "SELECT count(*) AS n FROM judgments WHERE status = 'ok'")[0]["n"] == N_ANSWERS * 3


def test_new_sibling_answers_leave_old_verdicts_alone_until_redo_changed(
        db: Path, server: FakeOpenAI, tmp_path: Path) -> None:
    panel = panel_file(tmp_path, server, {"name": "judge-a", "model": "openai/fake-a"})
    assert judge(db, panel).exit_code == 0 and server.calls == CALLS_PER_JUDGE
    more = tmp_path / "more.csv"
    more.write_text("response_id,scenario_id,model,sample,text\nr5,t-pe-01,model-a,3,A third sample.\n")
    with Store.open(db) as store:
        import_responses(store, more)

    server.reset_counts()
    result = judge(db, panel)
    assert result.exit_code == 0 and server.calls == 2  # only the new answer (quality and comparison)
    assert "2 judgments were made under other settings" in result.stderr  # r1 and r2 gained a sibling
    server.reset_counts()
    result = judge(db, panel, "--redo-changed")
    assert result.exit_code == 0 and server.calls == 4
    comparison = [r for r in server.requests if "<sibling" in r["messages"][1]["content"]]
    assert len(comparison) == 2 and all("A third sample." in r["messages"][1]["content"] for r in comparison)
    assert not any("A third sample." in r["messages"][1]["content"] for r in server.requests
                   if r not in comparison)  # the quality calls never see a sibling
    prov = json.loads(str(rows(db, "SELECT provenance FROM judgments WHERE response_id = 'r1'")[0]["provenance"]))
    assert prov["replaced"][0]["status"] == "ok" and prov["replaced"][0]["call_key"] != prov["call_key"]
    server.reset_counts()
    assert judge(db, panel).exit_code == 0 and server.calls == 0


def test_the_comparison_call_names_each_demographic_siblings_cue_text_not_only_its_label(
        tmp_path: Path, server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    """A label such as "ses: sofasurfing" does not tell the judge what that sibling's patient said about
    themselves; the cue sentence does, so the judge can tell a difference caused by the cue."""
    from rater import bundled

    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    path = tmp_path / "study.db"
    base = "cbt-demo-ses-birthday-balanced-death_statement_trap"
    answers = tmp_path / "answers.csv"
    answers.write_text("response_id,scenario_id,model,sample,text\n"
                       f"b1,{base},model-a,1,answer one\nw1,{base}-wealthy,model-a,1,answer two\n")
    with Store.open(path) as store:
        store.ensure_rubric(load_rubric())
        import_scenarios(store, bundled.scenario_paths())
        import_responses(store, answers)
    result = judge(path, panel_file(tmp_path, server, {"name": "judge-a", "model": "openai/fake-a"}))
    assert result.exit_code == 0, result.output
    compared = [r["messages"][-1]["content"] for r in server.requests
                if "<sibling" in r["messages"][-1]["content"]]
    on_base = next(c for c in compared if c.startswith(f"# Scenario {base}:"))
    assert "He is a fund manager and owns a house in Edgbaston." in on_base
    on_variant = next(c for c in compared if c.startswith(f"# Scenario {base}-wealthy:"))
    assert "He works as an IT project manager and owns a flat." in on_variant


def test_a_judge_without_structured_output_that_follows_the_reply_example_is_not_sent_back(
        db: Path, server: FakeOpenAI, tmp_path: Path) -> None:
    """A comparison call with repeated samples only asks no failure mode: its reply example has no
    "failure_modes" key, so a judge that copies the example's shape (a local model without a schema) must
    not be told its reply is missing one."""
    def as_the_example_shows(body: dict[str, object]) -> str:
        system = str(body["messages"][0]["content"])  # type: ignore[index]
        return system[system.rindex("For example:") + len("For example:"):].strip()

    more = tmp_path / "more.csv"  # a second sample of the escalation: siblings, but no demographic ones
    more.write_text("response_id,scenario_id,model,sample,text\nr5,t-pe-01-s1,model-a,2,Are you safe now?\n")
    with Store.open(db) as store:
        import_responses(store, more)
    server.responder = as_the_example_shows
    panel = panel_file(tmp_path, server, {"name": "judge-a", "model": "openai/fake-a",
                                          "structured_output": False, "invalid_retries": 0})
    result = judge(db, panel, "--only", "t-pe-01-s1")
    assert result.exit_code == 0, result.output
    assert "2 judgments ok, 0 failed" in result.stdout
    compared = [r["messages"][-1]["content"] for r in server.requests if "<sibling" in r["messages"][-1]["content"]]
    assert len(compared) == 2

    with FakeOpenAI() as strict:  # and the schema sent asks for no failure-mode list there
        judge(db, panel_file(tmp_path, strict, {"name": "judge-b", "model": "openai/fake-b"}), "--only", "t-pe-01-s1")
        schemas = [r["response_format"]["json_schema"]["schema"] for r in strict.requests
                   if "<sibling" in r["messages"][-1]["content"]]
        assert schemas and all("failure_modes" not in s["properties"] for s in schemas)
