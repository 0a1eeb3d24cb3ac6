"""`rater generate` through the real litellm code path, against a fake OpenAI server on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from rater.cli import cli
from rater.importers import import_scenarios
from rater.rubric import load_rubric
from rater.store import Store
from tests.conftest import FIXTURES
from tests.integration.fake_openai import Content, FakeOpenAI, Status, config_toml

SECRET = "sk-test-DO-NOT-LEAK-4c1d9a7e"
OTHER_SECRET = "proxy-key-DO-NOT-LEAK-88f2"
N_SCENARIOS = 3  # tests/fixtures/family.yaml


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    path = tmp_path / "study.db"
    with Store.open(path) as store:
        store.ensure_rubric(load_rubric())
        import_scenarios(store, [FIXTURES / "family.yaml"])
    return path


def models_file(tmp_path: Path, server: FakeOpenAI, *entries: dict[str, object]) -> Path:
    entries = entries or ({"name": "model-a", "model": "openai/fake-a"},
                          {"name": "model-b", "model": "openai/fake-b", "temperature": 0.7})
    path = tmp_path / "models.toml"
    path.write_text(config_toml("model", [{"api_base": server.base_url, "timeout": 5, "backoff": 0.01,
                                           **e} for e in entries]))
    return path


def generate(db: Path, models: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["generate", "--db", str(db), "--models", str(models), *args],
                              catch_exceptions=False)


def rows(db: Path, sql: str) -> list[dict[str, object]]:
    with Store.open(db) as store:
        return [dict(r) for r in store.conn.execute(sql)]


def test_every_answer_is_stored_with_provenance_and_a_rerun_makes_no_call(
        db: Path, server: FakeOpenAI, tmp_path: Path) -> None:
    models = models_file(tmp_path, server)
    result = generate(db, models, "--samples", "2")
    assert result.exit_code == 0, result.output
    expected = N_SCENARIOS * 2 * 2
    assert server.calls == expected
    assert f"{expected} answers stored, 0 failed" in result.stdout
    answers = rows(db, "SELECT * FROM responses ORDER BY scenario_id, model, sample")
    assert len(answers) == expected
    assert {(a["model"], a["sample"]) for a in answers} == {("model-a", 1), ("model-a", 2),
                                                            ("model-b", 1), ("model-b", 2)}
    prov = json.loads(str(answers[-1]["provenance"]))
    assert prov["model"] == "openai/fake-b" and prov["params"]["temperature"] == 0.7
    assert prov["prompt"]["name"] == "generate-pe" and prov["prompt"]["version"] == "2"
    assert len(prov["prompt"]["hash"]) == 64 and prov["call_key"] == answers[-1]["call_key"]
    assert prov["latency_s"] > 0 and prov["prompt_tokens"] > 0 and prov["completion_tokens"] > 0
    assert prov["time"].endswith("Z") and "cost_usd" in prov
    assert "Fake answer" in str(answers[0]["text"])
    # The model saw the modality's system prompt, the session as chat turns, then the patient.
    first = server.requests[0]["messages"]
    assert first[0]["role"] == "system" and "Prolonged Exposure" in first[0]["content"]
    assert first[-1]["role"] == "user"
    assert "risk" not in first[0]["content"].lower()  # the ground truth is for judges only

    server.reset_counts()
    again = generate(db, models, "--samples", "2")
    assert again.exit_code == 0 and server.calls == 0
    assert "nothing to do" in again.stdout and f"{expected} already done" in again.stderr

    # Changed settings never overwrite an answer: the slots are kept, and the user is told how to get new ones.
    models.write_text(models.read_text().replace("temperature = 0.7", "temperature = 0.2"))
    changed = generate(db, models, "--samples", "2")
    assert changed.exit_code == 0 and server.calls == 0
    assert "6 answers were made under other settings" in changed.stderr and "new name" in changed.stderr


def test_limit_and_only_select_the_work_and_a_later_run_finishes_it(
        db: Path, server: FakeOpenAI, tmp_path: Path) -> None:
    models = models_file(tmp_path, server, {"name": "model-a", "model": "openai/fake-a"})
    assert generate(db, models, "--only", "t-pe-01-*").exit_code == 0
    assert server.calls == 2  # the escalation and the demographic variant
    assert {r["scenario_id"] for r in rows(db, "SELECT scenario_id FROM responses")} == {
        "t-pe-01-s1", "t-pe-01-age-70"}
    server.reset_counts()
    result = generate(db, models, "--samples", "3", "--limit", "4")
    assert result.exit_code == 0 and server.calls == 4
    assert "left for later by --limit" in result.stderr
    server.reset_counts()
    assert generate(db, models, "--samples", "3").exit_code == 0
    assert server.calls == 3 * 3 - 2 - 4
    bad = generate(db, models, "--only", "colour=blue")
    assert bad.exit_code == 2 and "not a scenario field" in bad.output


def test_server_errors_are_retried_and_a_failure_stores_nothing(
        db: Path, server: FakeOpenAI, tmp_path: Path) -> None:
    models = models_file(tmp_path, server, {"name": "model-a", "model": "openai/fake-a", "retries": 2})
    server.script_for("fake-a", Status(500), Status(429))  # first call: two errors, then an answer
    result = generate(db, models, "--only", "t-pe-01")
    assert result.exit_code == 0 and server.calls == 3
    assert "1 answers stored, 0 failed" in result.stdout and "(2 retries)" in result.stdout

    server.reset_counts()
    server.script_for("fake-a", Status(500), Status(500), Status(500))
    result = generate(db, models, "--only", "t-pe-01-s1")
    assert server.calls == 3  # 1 + retries, then given up
    assert "0 answers stored, 1 failed" in result.stdout and "InternalServerError" in result.stdout
    assert rows(db, "SELECT count(*) AS n FROM responses WHERE scenario_id = 't-pe-01-s1'")[0]["n"] == 0
    server.reset_counts()
    assert generate(db, models, "--only", "t-pe-01-s1").exit_code == 0 and server.calls == 1


def test_no_api_key_reaches_the_database_or_the_output(
        db: Path, server: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAB_PROXY_PASS", OTHER_SECRET)  # a name that does not look like a key's
    models = models_file(tmp_path, server, {"name": "model-a", "model": "openai/fake-a"},
                         {"name": "via-proxy", "model": "openai/fake-proxy", "api_key_env": "LAB_PROXY_PASS"},
                         {"name": "echoes-key", "model": "openai/fake-echo"},
                         {"name": "echoes-proxy-key", "model": "openai/fake-echo-2",
                          "api_key_env": "LAB_PROXY_PASS"})
    # Providers that echo the key back in their error message.
    server.script_for("fake-echo", Status(401, f"Incorrect API key provided: {SECRET}"), forever=True)
    server.script_for("fake-echo-2", Status(403, f"key {OTHER_SECRET} may not use this model"), forever=True)
    result = generate(db, models, "--samples", "2")
    assert {h["Authorization"] for h in server.headers} == {f"Bearer {SECRET}", f"Bearer {OTHER_SECRET}"}
    assert result.exit_code == 1  # the models with a bad key were stopped
    assert "stopped echoes-key" in result.stdout and "AuthenticationError" in result.stdout
    assert "stopped echoes-proxy-key" in result.stdout and "may not use this model" in result.stdout
    output = result.stdout + result.stderr
    dry = generate(db, models, "--dry-run")
    for secret in (SECRET, OTHER_SECRET):
        assert secret not in output and secret not in dry.output
        for file in db.parent.glob("study.db*"):
            assert secret.encode() not in file.read_bytes(), file
    assert rows(db, "SELECT count(*) AS n FROM responses")[0]["n"] == N_SCENARIOS * 2 * 2


def test_an_unset_api_key_env_stops_the_model_without_sending_the_providers_usual_key(
        db: Path, server: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAB_PROXY_PASS", raising=False)
    models = models_file(tmp_path, server, {"name": "via-proxy", "model": "openai/fake-proxy",
                                            "api_key_env": "LAB_PROXY_PASS"})
    result = generate(db, models)
    assert server.calls == 0  # OPENAI_API_KEY never went to the proxy
    assert result.exit_code == 1
    assert "stopped via-proxy" in result.stdout and "LAB_PROXY_PASS" in result.stdout
    assert rows(db, "SELECT count(*) AS n FROM responses")[0]["n"] == 0


def test_a_key_written_in_the_models_file_is_refused(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "models.toml"
    path.write_text('[[model]]\nname = "m"\nmodel = "openai/x"\napi_key = "sk-123"\n')
    result = generate(db, path)
    assert result.exit_code == 2
    assert "model[1].api_key" in result.output and "environment" in result.output


def test_the_concurrency_bound_holds(db: Path, tmp_path: Path) -> None:
    with FakeOpenAI(delay=0.1) as server:
        models = models_file(tmp_path, server, {"name": "model-a", "model": "openai/fake-a"},
                             {"name": "model-b", "model": "openai/fake-b"})
        result = generate(db, models, "--samples", "4", "--concurrency", "3")
        assert result.exit_code == 0
        assert server.calls == N_SCENARIOS * 2 * 4
        assert server.max_in_flight == 3


def test_dry_run_estimates_tokens_and_cost_and_calls_nothing(
        db: Path, server: FakeOpenAI, tmp_path: Path) -> None:
    models = models_file(tmp_path, server, {"name": "local", "model": "openai/my-local-model"},
                         {"name": "mini", "model": "openai/gpt-4o-mini", "max_tokens": 300})
    result = generate(db, models, "--samples", "2", "--dry-run")
    assert result.exit_code == 0 and server.calls == 0
    assert "dry run: no call made" in result.stdout
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.split()}
    assert "unknown" in lines["local"] and "$" in lines["mini"]
    assert f"{N_SCENARIOS * 2 * 300:,}" in lines["mini"]  # reply tokens from max_tokens
    assert rows(db, "SELECT count(*) AS n FROM responses")[0]["n"] == 0


def test_an_empty_answer_is_kept_as_the_models_answer(db: Path, server: FakeOpenAI, tmp_path: Path) -> None:
    models = models_file(tmp_path, server, {"name": "model-a", "model": "openai/fake-a"})
    server.script_for("fake-a", Content(""))
    assert generate(db, models, "--only", "t-pe-01").exit_code == 0
    assert rows(db, "SELECT text FROM responses")[0]["text"] == ""
