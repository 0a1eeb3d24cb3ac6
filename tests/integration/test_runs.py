"""How a `rater judge` run ends and is recorded: oversized replies, all-failed runs, stops and kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from rater.cli import cli
from rater.llm.jsonscan import json_objects
from tests.integration.fake_openai import Content, FakeOpenAI, Hang, Status, schema_reply
from tests.integration.test_judge import ROOT, SECRET, db, judge, panel_file, rows  # noqa: F401


def test_an_oversized_reply_is_a_failure_kept_cut_to_the_cap(
        db: Path, server: FakeOpenAI, tmp_path: Path) -> None:  # noqa: F811
    padding = "x" * 5000
    server.script_for("fake-a", Content(f"{padding} sk-echoed-key-0123456789abcdef " + "{" * 3000),
                      forever=True)
    panel = panel_file(tmp_path, server, {"name": "judge-a", "model": "openai/fake-a", "max_reply_kb": 1})
    result = judge(db, panel, "--only", "t-pe-01-s1")
    assert result.exit_code == 1  # the one call failed: the run produced nothing
    failed = rows(db, "SELECT raw_reply, error, status FROM judgments")[0]
    assert failed["status"] == "failed" and failed["raw_reply"] == "x" * 1024
    assert "over max_reply_kb = 1" in str(failed["error"]) and "(oversized)" in str(failed["error"])
    assert "over max_reply_kb" in result.stdout
    assert server.calls == 1  # not retried: the same question would get the same answer


def test_a_reply_of_deeply_nested_braces_is_an_unusable_reply_not_a_crash() -> None:
    found = json_objects('{"a":' * 100_000 + "1" + "}" * 100_000)  # was a RecursionError
    assert len(found) == 1 and str(found[0]).count("{") <= 64  # only an inner, shallow object
    assert json_objects("{" * 50_000 + '{"ok": 1}') == [{"ok": 1}]


def test_a_run_where_every_call_failed_exits_non_zero(db: Path, server: FakeOpenAI, tmp_path: Path) -> None:  # noqa: F811
    server.script_for("fake-a", Content("no json at all"), forever=True)
    panel = panel_file(tmp_path, server, {"name": "judge-a", "model": "openai/fake-a", "invalid_retries": 0})
    result = judge(db, panel, "--only", "t-pe-01")
    assert result.exit_code == 1 and "0 judgments ok, 2 failed" in result.stdout
    server.script_for("fake-b", Content("no json"), Content(schema_reply_for_any()))
    other = panel_file(tmp_path, server, {"name": "judge-b", "model": "openai/fake-b", "invalid_retries": 0})
    # One of two succeeding is a partial success: exit 0, the failure listed.
    partial = judge(db, other, "--only", "t-pe-01-*")
    assert partial.exit_code == 0 and "1 judgments ok, 1 failed" in partial.stdout


def schema_reply_for_any() -> str:
    """A usable reply to either of a judgment's calls: every axis scored, no failure mode named."""
    from rater.llm.prompts import response_format
    from rater.rubric import load_rubric

    reply = schema_reply({"response_format": response_format(load_rubric().axes, [])})
    assert reply is not None and '"failure_modes": []' in reply
    return reply


def test_requests_sent_before_a_judge_is_stopped_are_counted(
        db: Path, server: FakeOpenAI, tmp_path: Path) -> None:  # noqa: F811
    server.script_for("fake-a", Content("not json"), Status(401, "bad key"))
    panel = panel_file(tmp_path, server, {"name": "judge-a", "model": "openai/fake-a"})
    result = judge(db, panel, "--only", "t-pe-01-s1")
    assert result.exit_code == 1 and "stopped judge-a" in result.stdout
    assert server.calls == 2
    assert rows(db, "SELECT calls FROM llm_runs")[0]["calls"] == 2
    assert "2 requests" in result.stdout


def test_a_run_killed_with_kill_9_shows_as_interrupted_in_status(db: Path, tmp_path: Path) -> None:  # noqa: F811
    with FakeOpenAI() as server:
        server.script(*[Hang(60)] * 20)
        panel = panel_file(tmp_path, server, {"name": "judge-a", "model": "openai/fake-a", "timeout": 60})
        env = {**os.environ, "OPENAI_API_KEY": SECRET}
        proc = subprocess.Popen([sys.executable, "-m", "rater", "judge", "--db", str(db), "--panel",
                                 str(panel)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not server.calls:
                time.sleep(0.05)
            assert server.calls, "the run never called the server"
            assert rows(db, "SELECT status FROM llm_runs")[0]["status"] == "running"
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    status = CliRunner().invoke(cli, ["status", "--db", str(db)])
    assert status.exit_code == 0, status.output
    line = next(x for x in status.output.splitlines() if x.startswith("run "))
    assert "judge" in line and "interrupted" in line
    assert rows(db, "SELECT status FROM llm_runs")[0]["status"] == "interrupted"


def test_a_huge_error_body_is_cut_and_masked_and_litellms_own_masking_pass_is_off(
        db: Path, server: FakeOpenAI, tmp_path: Path) -> None:  # noqa: F811
    # litellm masks secrets in exception text with ~40 regexes: 2.8 s of CPU per MB, inside the call.
    # rater turns that pass off and masks the (cut) message itself.
    body = "upstream exploded " + f"key={SECRET}; " * 300 + "y" * 1_000_000  # a key straddles the cut
    server.script_for("fake-a", Status(500, body), forever=True)
    panel = panel_file(tmp_path, server, {"name": "judge-a", "model": "openai/fake-a", "retries": 0})
    result = judge(db, panel, "--only", "t-pe-01-s1")
    assert result.exit_code == 1
    error = str(rows(db, "SELECT error FROM judgments")[0]["error"])
    assert "upstream exploded" in error and len(error) < 2300 and SECRET not in error
    assert "sk-judge" not in error  # not even the first half of a key cut in two
    probe = subprocess.run([sys.executable, "-c", "from rater.llm.calls import litellm; litellm(); "
                            "import litellm._logging as l; print(l._ENABLE_SECRET_REDACTION)"],
                           capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert probe.stdout.strip() == "False", probe.stderr
