"""models.toml / panel.toml: entries, litellm parameters passed through, and no secrets in files."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from rater.errors import RaterError
from rater.llm.config import load_config, redact

EXAMPLES = Path(__file__).parents[2] / "examples"


def test_the_documented_examples_load() -> None:
    models = load_config(EXAMPLES / "models.toml", "model")
    panel = load_config(EXAMPLES / "panel.toml", "judge")
    assert [e.name for e in panel.entries] == ["judge-a", "judge-b", "judge-c"]
    assert panel.aggregate == "median" and panel.entries[0].rpm == 60
    assert panel.entries[2].structured_output is False
    local = models.entries[0]
    assert local.params["temperature"] == 0.7 and local.params["api_base"].startswith("http://127.0.0.1")
    assert "api_base" not in local.key_params  # moving a server does not make calls new


def problems_of(write, text: str, kind: str = "judge") -> str:
    with pytest.raises(RaterError) as err:
        load_config(write("panel.toml", text), kind)
    return str(err.value)


def test_keys_in_the_file_are_refused_with_the_fix(write) -> None:
    text = ('[[judge]]\nname = "a"\nmodel = "openai/x"\napi_key = "sk-1"\n'
            '[[judge]]\nname = "b"\nmodel = "openai/y"\nextra_headers = {Authorization = "Bearer z"}\n')
    message = problems_of(write, text)
    assert "judge[1].api_key: looks like a secret" in message
    assert "judge[2].extra_headers.Authorization: looks like a secret" in message
    assert "OPENAI_API_KEY" in message and "sk-1" not in message


def test_header_style_keys_are_refused_but_token_counts_are_not(write) -> None:
    text = ('[[judge]]\nname = "a"\nmodel = "openai/x"\nmax_tokens = 900\n'
            'extra_headers = {X-API-Key = "sk-live-1", api-key = "azure-2", X-Auth-Token = "t-3"}\n')
    message = problems_of(write, text)
    for header in ("X-API-Key", "api-key", "X-Auth-Token"):
        assert f"judge[1].extra_headers.{header}: looks like a secret" in message
    assert "max_tokens" not in message and "sk-live-1" not in message


def test_every_problem_is_named_at_once(write) -> None:
    text = ('aggregate = "mode"\n[[judge]]\nname = "a"\n'
            '[[judge]]\nname = "b"\nmodel = "m"\ntimeout = -1\nretries = 1.5\n'
            '[[judge]]\nname = "b"\nmodel = "m"\n')
    message = problems_of(write, text)
    assert "judge[1]: needs 'model' as text" in message
    assert "judge[2].timeout: -1 is not a valid timeout" in message
    assert "judge[2].retries: 1.5 is not a valid retries" in message
    assert "'mode' is not an aggregate" in message


def test_the_wrong_kind_of_file_says_which_command_takes_it(write) -> None:
    message = problems_of(write, '[[model]]\nname = "a"\nmodel = "m"\n', "judge")
    assert "this looks like a models file: pass it to `rater generate --models`" in message


def test_a_missing_name_in_a_models_file_suggests_a_model_name_not_a_judges(write) -> None:
    message = problems_of(write, '[[model]]\nmodel = "openai/x"\n', "model")
    assert "model[1]: needs 'name' as text" in message
    assert 'name = "model-a"' in message and "judge" not in message


def test_a_bad_setting_names_its_line(write) -> None:
    text = ('aggregate = "mode"\n\n[[judge]]\nname = "a"\nmodel = "m"\n\n'
            '[[judge]]\nname = "a"\nmodel = "m"\ntimeout = "fast"\n')
    message = problems_of(write, text)
    assert "panel.toml:1: aggregate: 'mode' is not an aggregate" in message
    assert "panel.toml:10: judge[2].timeout: 'fast' is not a valid timeout" in message
    twice = problems_of(write, '[[judge]]\nname = "a"\nmodel = "m"\n[[judge]]\nname = "a"\nmodel = "n"\n')
    assert "panel.toml:5: judge[2].name: name 'a' is used twice" in twice


def test_broken_toml_names_the_line(write) -> None:
    message = problems_of(write, '[[judge]]\nname = "a"\nmodel = \n')
    assert "panel.toml:3" in message and "not valid TOML" in message


def test_redact_hides_credentials_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_PROVIDER_API_KEY", "abcdef-123456")
    monkeypatch.setenv("HOME_DIR_PATH", "abcdef")
    assert redact("key abcdef-123456 at abcdef") == "key *** at abcdef"


async def test_the_rate_limiter_never_bursts_after_the_event_loop_stalls() -> None:
    """Slots booked in advance would all fall due during a stall and go out together."""
    import asyncio
    import time

    from rater.llm.calls import RateLimiter

    limiter = RateLimiter(rpm=600)  # one every 0.1 s
    passed: list[float] = []

    async def call() -> None:
        await limiter.wait()
        passed.append(time.monotonic())

    tasks = [asyncio.create_task(call()) for _ in range(4)]
    await asyncio.sleep(0)  # all four are waiting
    time.sleep(0.35)  # the loop is blocked (a loaded machine, a slow synchronous step)
    await asyncio.gather(*tasks)
    gaps = [b - a for a, b in itertools.pairwise(passed)]
    assert min(gaps) >= 0.099


@pytest.mark.parametrize("setting", ["rpm = nan", "backoff = nan", "timeout = inf", "rpm = -inf",
                                     "max_reply_kb = 0", "max_reply_kb = nan", "retries = 1000"])
def test_nan_infinite_and_absurd_numbers_are_refused(write, setting: str) -> None:
    # rpm = nan passed `value < low` and then hung the rate limiter.
    text = f'[[judge]]\nname = "j"\nmodel = "openai/x"\n{setting}\n'
    assert "is not a valid" in problems_of(write, text)


def test_max_reply_kb_sets_the_reply_cap(write) -> None:
    entry = load_config(write("p.toml", '[[judge]]\nname = "j"\nmodel = "m"\nmax_reply_kb = 8\n'),
                        "judge").entries[0]
    assert entry.max_reply_chars == 8 * 1024 and "max_reply_kb" not in entry.params
    default = load_config(write("q.toml", '[[judge]]\nname = "j"\nmodel = "m"\n'), "judge").entries[0]
    assert default.max_reply_chars == 256 * 1024


def test_key_shaped_strings_are_masked_even_when_no_variable_holds_them() -> None:
    assert redact("echo sk-proj-abcdefghijklmnop1234 and Bearer abc.def-ghi_jkl", []) == (
        "echo *** and Bearer ***")
    assert redact("max_tokens and sk-short", []) == "max_tokens and sk-short"
