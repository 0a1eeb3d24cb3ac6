"""models.toml and panel.toml: which models answer, which judges score, with what settings.

One table per entry (``[[model]]`` for `rater generate`, ``[[judge]]`` for
`rater judge`). rater reads its own keys (name, model, timeout, retries,
backoff, rpm, structured_output, api_key_env) and passes every other key
(temperature, max_tokens, api_base, seed, ...) to litellm unchanged.

API keys never live in these files: a key-like setting is refused with the
fix, and a key is read from the environment at call time (the litellm way,
e.g. OPENAI_API_KEY, or the variable named by ``api_key_env``), so it never
reaches the database, the logs or an error message (see ``redact``).
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rater.errors import Problem, RaterError
from rater.rules import DEFAULT_PANEL_AGGREGATE, PANEL_AGGREGATES
from rater.userfile import parse_failure, read_text, value_problem

_OWN_KEYS = {"name", "model", "timeout", "retries", "invalid_retries", "backoff", "rpm",
             "structured_output", "api_key_env", "max_reply_kb"}
# Header-style names count too: X-API-Key, Azure's api-key, X-Auth-Token.
# (token(?!s) keeps max_tokens and friends, which are counts, not secrets.)
_SECRET_KEY = re.compile(r"(api[-_ ]?key|secret|password|passwd|auth|token(?!s)|credential"
                         r"|bearer|access[-_ ]?key)", re.IGNORECASE)
_SECRET_ENV = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL)", re.IGNORECASE)
# Where to send a call, not what is asked: left out of the call key, so moving a
# server (a new port, a proxy) does not make every stored call look new.
TRANSPORT_KEYS = frozenset({"api_base", "base_url", "extra_headers", "organization", "api_version"})
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$")


@dataclass(frozen=True)
class Entry:
    """One model or judge: a rater name, a litellm model string and its call settings."""

    name: str
    model: str
    params: dict[str, Any] = field(default_factory=dict)  # passed to litellm, part of the call key
    timeout: float = 120.0        # seconds per attempt; litellm's own default is 6000
    retries: int = 4              # extra attempts after a 429, a 5xx, a timeout or a dropped connection
    invalid_retries: int = 2      # judges: extra attempts after an unusable reply
    backoff: float = 1.0          # first backoff in seconds; doubles each retry, with jitter
    rpm: float | None = None      # requests per minute for this entry, None = no limit
    structured_output: bool = True  # judges: ask for the rubric's JSON schema via response_format
    api_key_env: str | None = None  # read the key from this variable instead of the provider's default
    max_reply_kb: float = 256.0   # a longer reply fails, kept cut to this size (1 kB = 1024 characters)

    @property
    def max_reply_chars(self) -> int:
        return int(self.max_reply_kb * 1024)

    def api_key(self) -> str | None:
        """The key from the environment, at call time; never stored."""
        return os.environ.get(self.api_key_env) if self.api_key_env else None

    @property
    def key_params(self) -> dict[str, Any]:
        """The parameters that change what the model is asked, for the call key."""
        return {k: v for k, v in self.params.items() if k not in TRANSPORT_KEYS}

    def public(self) -> dict[str, Any]:
        """What provenance records about this entry: everything but secrets (there are none)."""
        return {"name": self.name, "model": self.model, "params": self.params,
                "timeout": self.timeout, "api_key_env": self.api_key_env,
                "max_reply_kb": self.max_reply_kb}


@dataclass(frozen=True)
class RunConfig:
    """A parsed models.toml or panel.toml."""

    path: str
    entries: tuple[Entry, ...]
    aggregate: str = DEFAULT_PANEL_AGGREGATE  # panel.toml: how judges' scores combine per axis


def load_config(path: Path, kind: str) -> RunConfig:
    """Read ``[[kind]]`` entries ("model" or "judge") from a TOML file; every problem at once."""
    where = str(path)
    try:
        text = read_text(path)
        raw = tomllib.loads(text)
    except FileNotFoundError:
        raise RaterError(Problem("file not found", where, fix="check the path")) from None
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise RaterError(Problem(f"is not valid TOML: {exc}", where,
                                 int(line.group(1)) if line else None,
                                 fix="see examples/models.toml and examples/panel.toml")) from None
    except (ValueError, RecursionError) as exc:  # an integer of 5,000 digits; nesting past the stack
        raise RaterError(Problem(f"is not usable TOML ({parse_failure(exc)})", where,
                                 fix="see examples/models.toml and examples/panel.toml")) from None
    why = value_problem(raw)
    if why:
        raise RaterError(Problem(why, where, fix="see examples/models.toml and examples/panel.toml"))
    problems: list[Problem] = []
    other = "judge" if kind == "model" else "model"
    allowed_top = {kind} | ({"aggregate"} if kind == "judge" else set())
    for key in sorted(set(raw) - allowed_top):
        fix = (f"this looks like a {'panel' if other == 'judge' else 'models'} file: "
               f"pass it to `rater {'judge --panel' if other == 'judge' else 'generate --models'}`"
               if key == other else f"top-level keys are {', '.join(sorted(allowed_top))}")
        problems.append(Problem("is not a setting here", where, field=key, fix=fix))
    tables = raw.get(kind)
    if not isinstance(tables, list) or not tables:
        problems.append(Problem(f"has no [[{kind}]] entries", where, field=kind,
                                fix=f"add one table per {kind}: [[{kind}]] with name = ... and model = ..."))
        raise RaterError(_located(problems, text, kind))
    entries = [e for i, t in enumerate(tables) if (e := _entry(t, f"{kind}[{i + 1}]", where, problems))]
    seen: set[str] = set()
    for e in entries:
        if e.name in seen:
            again = [i for i, t in enumerate(tables)
                     if isinstance(t, dict) and str(t.get("name", "")).strip() == e.name][1]
            problems.append(Problem(f"name {e.name!r} is used twice", where,
                                    field=f"{kind}[{again + 1}].name", fix="give every entry its own name"))
        seen.add(e.name)
    aggregate = raw.get("aggregate", DEFAULT_PANEL_AGGREGATE)
    if aggregate not in PANEL_AGGREGATES:
        problems.append(Problem(f"{aggregate!r} is not an aggregate", where, field="aggregate",
                                fix=f"use one of {', '.join(PANEL_AGGREGATES)}"))
    if problems:
        raise RaterError(_located(problems, text, kind))
    return RunConfig(where, tuple(entries), str(aggregate))


def _located(problems: list[Problem], text: str, kind: str) -> list[Problem]:
    """Each problem with the line it is on: "judge[2].timeout" is the timeout line of the second [[judge]]."""
    lines = text.splitlines()
    headers = [n for n, line in enumerate(lines) if re.match(rf"\s*\[\[\s*{kind}\s*\]\]", line)]
    tables = [n for n, line in enumerate(lines) if re.match(r"\s*\[", line)]

    def key_line(key: str, start: int, end: int) -> int | None:
        pattern = re.compile(rf"\s*[\"']?{re.escape(key)}[\"']?\s*[=.]")
        return next((n for n in range(start, end) if pattern.match(lines[n])), None)

    def line_of(name: str | None) -> int | None:
        if not name:
            return None
        entry = re.fullmatch(rf"{kind}\[(\d+)\](?:\.([^.]+).*)?", name)
        if entry:
            i = int(entry.group(1)) - 1
            if i >= len(headers):
                return None
            start = headers[i]
            end = next((n for n in tables if n > start), len(lines))
            found = key_line(entry.group(2), start + 1, end) if entry.group(2) else None
            return found if found is not None else start
        top = key_line(name, 0, tables[0] if tables else len(lines))
        if top is not None:
            return top
        return next((n for n in tables if re.match(rf"\s*\[\[?\s*{re.escape(name)}\s*\]", lines[n])), None)

    out = []
    for p in problems:
        n = p.line or line_of(p.field)
        out.append(p if n is None or p.line else replace(p, line=n + 1))
    return out


def _entry(t: Any, at: str, where: str, problems: list[Problem]) -> Entry | None:
    if not isinstance(t, dict):
        problems.append(Problem("must be a table", where, field=at))
        return None
    before = len(problems)
    for key in ("name", "model"):
        if not isinstance(t.get(key), str) or not t[key].strip():
            problems.append(Problem(f"needs '{key}' as text", where, field=at,
                                    fix=f'e.g. name = "{at.split("[")[0]}-a", model = "openai/gpt-4.1-mini"'))
    name = str(t.get("name", "")).strip()
    if name and not _NAME.match(name):
        problems.append(Problem(f"name {name!r} has spaces or unusual characters", where,
                                field=f"{at}.name", fix="use letters, digits and - _ . : / @ +"))
    for key in _secret_keys(t):
        problems.append(Problem("looks like a secret; keys never go in rater's files", where,
                                field=f"{at}.{key}",
                                fix="remove it and set the provider's variable (e.g. OPENAI_API_KEY) "
                                    "in the environment, or name your own with api_key_env = \"VAR\""))
    numbers = {"timeout": (float, 0.001, 86_400), "backoff": (float, 0.0, 3_600),
               "rpm": (float, 0.001, 1e9), "retries": (int, 0, 100), "invalid_retries": (int, 0, 100),
               "max_reply_kb": (float, 1, 1024 * 1024)}
    for key, (kind, low, high) in numbers.items():
        value = t.get(key)
        if value is None:
            continue
        # nan compares false with everything, so `value < low` alone would let it through
        # (rpm = nan then hangs the rate limiter); inf likewise has no meaning here.
        if isinstance(value, bool) or not isinstance(value, int | float) or (
                kind is int and not isinstance(value, int)) or not math.isfinite(value) or (
                not low <= value <= high):
            problems.append(Problem(f"{value!r} is not a valid {key}", where, field=f"{at}.{key}",
                                    fix=f"use a {'whole ' if kind is int else ''}number from {low:g} "
                                        f"to {high:g}"))
    if "structured_output" in t and not isinstance(t["structured_output"], bool):
        problems.append(Problem("must be true or false", where, field=f"{at}.structured_output"))
    env = t.get("api_key_env")
    if env is not None and (not isinstance(env, str) or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", env)):
        problems.append(Problem(f"{env!r} is not an environment variable name", where,
                                field=f"{at}.api_key_env", fix='e.g. api_key_env = "MY_PROXY_KEY"'))
    if len(problems) > before:
        return None
    params = {k: v for k, v in t.items() if k not in _OWN_KEYS}
    return Entry(name=name, model=t["model"].strip(), params=params,
                 timeout=float(t.get("timeout", 120.0)), retries=int(t.get("retries", 4)),
                 invalid_retries=int(t.get("invalid_retries", 2)),
                 backoff=float(t.get("backoff", 1.0)),
                 rpm=float(t["rpm"]) if t.get("rpm") is not None else None,
                 structured_output=bool(t.get("structured_output", True)), api_key_env=env,
                 max_reply_kb=float(t.get("max_reply_kb", Entry.max_reply_kb)))


def _secret_keys(value: Any, prefix: str = "") -> list[str]:
    """Dotted paths of every key-like setting, however deeply nested (extra_headers...)."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, inner in value.items():
            path = f"{prefix}{key}"
            if key != "api_key_env" and _SECRET_KEY.search(str(key)):
                found.append(path)
            found.extend(_secret_keys(inner, path + "."))
    return found


def secret_values() -> list[str]:
    """Values of environment variables that look like credentials, longest first."""
    values = {v for k, v in os.environ.items() if _SECRET_ENV.search(k) and len(v) >= 8}
    return sorted(values, key=len, reverse=True)


# Key-shaped strings masked even when no variable holds them (a proxy's own key, a key the
# provider echoes from elsewhere). Each pattern is linear: no nested or overlapping repeats.
_KEY_SHAPED = re.compile(r"\b(?:sk-[A-Za-z0-9_-]{16,}|AIza[0-9A-Za-z_-]{35}|(?:AKIA|ASIA)[0-9A-Z]{16})"
                         r"|(?<=Bearer )[A-Za-z0-9._~+/=-]{10,}")


def redact(text: str, secrets: list[str] | None = None) -> str:
    """``text`` with every credential from the environment, and key-shaped strings, as ``***``.

    Applied to everything rater stores or prints that came from a provider:
    error messages and replies can echo a key back. Linear in ``text``.
    """
    for value in secret_values() if secrets is None else secrets:
        if value in text:
            text = text.replace(value, "***")
    return _KEY_SHAPED.sub("***", text)
