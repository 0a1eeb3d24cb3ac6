"""A provider that echoes the API key back: the key reaches no table, no export and no printed line."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from rater.cli import cli
from rater.rubric import load_rubric
from tests.integration.fake_openai import Content, FakeOpenAI, Status
from tests.integration.test_judge import SECRET, db, judge, panel_file, rows  # noqa: F401  (db: fixture)


def echoing_reply(kind: str) -> str:
    """A reply that quotes the key where rater keeps text: a rationale, a score, an error.

    One reply serves both of a judgment's calls (each reads the axes it asked): with ``score``,
    the key is the score of the first axis of each call, so both calls fail on it.
    """
    rubric = load_rubric()
    reply: dict[str, object] = {a.id: {"rationale": f"your key {SECRET} looks fine", "score": a.high}
                                for a in rubric.axes}
    reply["failure_modes"] = []
    if kind == "score":
        for first in (next(a for a in rubric.axes if not a.compare), next(a for a in rubric.axes if a.compare)):
            reply[first.id] = {"rationale": f"your key {SECRET} looks fine", "score": SECRET}
    return json.dumps(reply)


def test_an_echoed_key_is_scrubbed_everywhere_rater_keeps_or_prints_text(
        db: Path, server: FakeOpenAI, tmp_path: Path) -> None:  # noqa: F811
    server.script_for("fake-a", Content(echoing_reply("rationale")), forever=True)
    server.script_for("fake-b", Content(echoing_reply("score")), forever=True)
    server.script_for("fake-c", Status(400, f"invalid request from key {SECRET}"), forever=True)
    result = judge(db, panel_file(tmp_path, server, {"name": "judge-a", "model": "openai/fake-a"},
                                  {"name": "judge-b", "model": "openai/fake-b", "invalid_retries": 0},
                                  {"name": "judge-c", "model": "openai/fake-c", "invalid_retries": 0}))
    printed = result.stdout + result.stderr
    assert "is not a score" in printed  # judge-b's failure is listed...
    assert SECRET not in printed        # ...without the key
    # Every rationale a judge wrote, from either call, is kept masked; the others are rater's own
    # notes for comparison axes without siblings (no call made).
    scores = rows(db, "SELECT axis, score, rationale FROM judge_scores")
    called = [s for s in scores if s["score"] is not None]
    assert {s["axis"] for s in called} == set(load_rubric().axis_ids)  # both calls' axes
    assert all(s["rationale"] == "your key *** looks fine" for s in called)
    assert all(str(s["rationale"]).startswith("Not applicable:") for s in scores if s["score"] is None)
    errors = [str(r["error"]) for r in rows(db, "SELECT error FROM judgments WHERE status = 'failed'")]
    assert errors and all(SECRET not in e for e in errors)
    assert any("quality call: " in e and "comparison call: " in e and e.count("'***' is not a score") == 2
               for e in errors)  # a key echoed in each call's reply is masked in each call's error
    raws = [str(r["raw_reply"]) for r in rows(db, "SELECT raw_reply FROM judgments WHERE raw_reply IS NOT NULL")]
    assert any("[quality call]" in r and "[comparison call]" in r and r.count("***") >= 2 for r in raws)
    assert all(SECRET not in r for r in raws)
    run = rows(db, "SELECT failures, stopped FROM llm_runs")[0]
    assert "is not a score" in str(run["failures"]) and SECRET not in str(run)
    for file in db.parent.glob("study.db*"):
        assert SECRET.encode() not in file.read_bytes(), file
    exports = tmp_path / "exports"
    exported = CliRunner().invoke(cli, ["export", "--db", str(db), "--out", str(exports)])
    assert exported.exit_code == 0, exported.output
    files = [f for f in exports.rglob("*") if f.is_file()]
    assert any("your key *** looks fine" in f.read_text() for f in files)
    assert all(SECRET.encode() not in f.read_bytes() for f in files)
