"""`rater judge` through a real LiteLLM proxy on 127.0.0.1, in front of the fake provider.

This is how a team runs judges at scale: the proxy holds the provider keys,
budgets and fallbacks, and rater holds only the proxy's key. The proxy is
the real one (``litellm --config``); it needs litellm's proxy extras
(fastapi, uvicorn, ...). Without them, or if it does not start within
``STARTUP`` seconds, the test is skipped and says why.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from rater.rubric import load_rubric
from tests.integration.fake_openai import FakeOpenAI, config_toml
from tests.integration.test_judge import CALLS_PER_JUDGE, N_ANSWERS, db, judge, rows  # noqa: F401  (db: fixture)

STARTUP = 120
PROXY_KEY = "sk-team-proxy-0123456789abcdef"
PROVIDER_KEY = "provider-key-held-by-the-proxy"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, FakeOpenAI]]:
    """(the proxy's base URL, the fake provider behind it)."""
    probe = subprocess.run([sys.executable, "-c", "import litellm.proxy.proxy_server"],
                           capture_output=True, text=True, timeout=STARTUP)
    if probe.returncode:
        pytest.skip("the LiteLLM proxy cannot start here: its extras are missing "
                    f"({probe.stderr.strip().splitlines()[-1] if probe.stderr.strip() else 'import failed'}); "
                    "pip install 'litellm[proxy]' to run this test")
    folder = tmp_path_factory.mktemp("proxy")
    with FakeOpenAI() as provider:
        config = folder / "config.yaml"
        config.write_text("model_list:\n" + "".join(
            f"  - model_name: team-judge-{x}\n    litellm_params:\n      model: openai/fake-{x}\n"
            f"      api_base: {provider.base_url}\n      api_key: {PROVIDER_KEY}\n" for x in "ab")
            + f"general_settings:\n  master_key: {PROXY_KEY}\nlitellm_settings:\n  telemetry: false\n")
        port = _free_port()
        log = (folder / "proxy.log").open("w")
        env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "DISABLE_ADMIN_UI": "True"}
        proc = subprocess.Popen([sys.executable, "-m", "litellm.proxy.proxy_cli", "--config", str(config),
                                 "--host", "127.0.0.1", "--port", str(port)],
                                env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + STARTUP
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/health/liveliness", timeout=1)
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        tail = (folder / "proxy.log").read_text()[-400:]
                        pytest.skip(f"the LiteLLM proxy did not start on 127.0.0.1: {tail}")
                    time.sleep(0.3)
            yield f"http://127.0.0.1:{port}/v1", provider
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)
            log.close()


@pytest.mark.slow
def test_rater_judge_through_a_litellm_proxy(db: Path, proxy: tuple[str, FakeOpenAI], tmp_path: Path,  # noqa: F811
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    base_url, provider = proxy
    provider.reset_counts()
    monkeypatch.setenv("TEAM_PROXY_KEY", PROXY_KEY)
    panel = tmp_path / "panel.toml"
    panel.write_text(config_toml("judge", [
        {"name": f"judge-{x}", "model": f"openai/team-judge-{x}", "api_base": base_url,
         "api_key_env": "TEAM_PROXY_KEY", "timeout": 30, "backoff": 0.05} for x in "ab"]))
    result = judge(db, panel)
    assert result.exit_code == 0, result.output
    assert f"{N_ANSWERS * 2} judgments ok, 0 failed" in result.stdout
    # The proxy answered with the provider's key, which rater never saw; rater sent only the proxy's.
    assert provider.calls == CALLS_PER_JUDGE * 2  # a judgment is a quality call, and a comparison call if siblings
    assert {h["Authorization"] for h in provider.headers} == {f"Bearer {PROVIDER_KEY}"}
    assert {r["model"] for r in provider.requests} == {"fake-a", "fake-b"}
    assert all(r.get("response_format", {}).get("type") == "json_schema" for r in provider.requests)
    rubric = load_rubric()
    scores = rows(db, "SELECT s.axis, s.score FROM judge_scores s")
    assert len(scores) == N_ANSWERS * 2 * len(rubric.axes)
    for file in db.parent.glob("study.db*"):
        assert PROXY_KEY.encode() not in file.read_bytes()
