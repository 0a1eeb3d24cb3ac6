"""One chat call through litellm: explicit timeout, bounded retries with backoff, rate limits.

What is retried: rate limits (429), server errors (5xx), timeouts and
dropped connections, with exponential backoff and jitter. What is not: a
request the provider rejects (400, a context window exceeded), which fails
the one item; and what no retry can fix (a wrong or missing key, an unknown
model, an unreachable server), which stops that model or judge for the run
(``EntryStopped``) rather than recording hundreds of identical failures.

litellm is imported on the first call, never at module level, with its
bundled cost map (no network at import) and its console chatter off.
Retries are rater's alone: litellm's and the OpenAI SDK's are turned off,
so the number of requests a provider sees is exactly what rater planned.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import math
import os
import random
import time
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from rater.llm.config import Entry, redact

MAX_BACKOFF = 60.0
MAX_ERROR_CHARS = 2000  # an error message is kept and printed up to this length
_litellm: ModuleType | None = None


def litellm() -> ModuleType:
    """The litellm module, imported once, quietly and without network access."""
    global _litellm
    if _litellm is None:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        # litellm runs ~40 regexes over every exception message to mask secrets: 2.8 s of CPU
        # for a 1 MB error body, minutes for 50 MB, inside the call where no timeout reaches.
        # rater masks what it keeps itself (the exact keys, plus key-shaped strings: see
        # config.redact) on text it has first cut to size, so litellm's pass is turned off.
        os.environ.setdefault("LITELLM_DISABLE_REDACT_SECRETS", "true")
        import litellm as module

        # litellm leaves ~400k long-lived objects (its cost map, its modules); moving
        # them out of the collector's reach saves about 1 ms of CPU per call in
        # full collections, which otherwise rescan them all.
        gc.collect()
        gc.freeze()

        module.suppress_debug_info = True
        module.set_verbose = False
        for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "litellm", "httpx"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        _litellm = module
    return _litellm


@dataclass(frozen=True)
class Reply:
    """A completed call: the text and what it cost."""

    text: str
    latency: float                 # seconds, the successful attempt
    attempts: int                  # 1 + retries used
    prompt_tokens: int | None
    completion_tokens: int | None
    cost: float | None             # USD from litellm's cost map; None when the model is not in it
    provider_model: str | None     # the model name the provider reported


class CallFailed(Exception):
    """The call did not produce a usable reply, after any retries; the message is safe to store."""

    def __init__(self, kind: str, message: str, attempts: int, partial: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind            # rate_limit | server | timeout | connection | rejected | oversized
        self.message = message
        self.attempts = attempts
        self.partial = partial      # oversized: the reply's first max_reply_kb, masked, to keep


class EntryStopped(Exception):
    """No call to this model or judge can succeed this run (key, model name, server)."""

    def __init__(self, entry: str, message: str) -> None:
        super().__init__(f"{entry}: {message}")
        self.entry = entry
        self.message = message


class RateLimiter:
    """Spaces the starts of one entry's requests to at most ``rpm`` a minute."""

    def __init__(self, rpm: float | None) -> None:
        self.interval = 60.0 / rpm if rpm else 0.0
        self._last = -math.inf

    async def wait(self) -> None:
        """Return when at least ``interval`` has passed since the last request let through.

        Measured when a waiter actually wakes, not booked in advance: after a
        stall of the event loop (a loaded machine), pre-booked slots would all
        fall due at once and go out together, a burst the provider counts.
        """
        if not self.interval:
            return
        while True:
            now = time.monotonic()
            due = self._last + self.interval
            if now >= due:
                self._last = now
                return
            await asyncio.sleep(due - now)


def classify(exc: BaseException) -> tuple[str, bool, bool]:
    """(kind, retryable, stops the entry) for an exception litellm raised."""
    lm = litellm()
    text = str(exc)
    if "Missing credentials" in text or "api_key client option must be set" in text:
        return "credentials", False, True
    if isinstance(exc, lm.Timeout | asyncio.TimeoutError):
        return "timeout", True, False
    if isinstance(exc, lm.RateLimitError):
        return "rate_limit", True, False
    if isinstance(exc, lm.AuthenticationError | lm.PermissionDeniedError | lm.NotFoundError):
        return "configuration", False, True
    if isinstance(exc, lm.ContextWindowExceededError | lm.ContentPolicyViolationError):
        return "rejected", False, False
    if isinstance(exc, lm.BadRequestError | lm.UnsupportedParamsError):
        return "configuration", False, True
    if isinstance(exc, lm.APIConnectionError):
        return "connection", True, False
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        if status in (401, 403, 404):  # litellm maps some of these to a plain APIError
            return "configuration", False, True
        if status == 429 or status >= 500:
            return ("rate_limit" if status == 429 else "server"), True, False
        return "rejected", False, False
    if isinstance(exc, lm.InternalServerError | lm.ServiceUnavailableError | lm.APIError):
        return "server", True, False
    return "error", False, False


def _fix(kind: str, entry: Entry) -> str:
    if kind == "credentials":
        env = entry.api_key_env or "the provider's key variable (e.g. OPENAI_API_KEY)"
        return (f"set {env} in the environment; a local server that needs no key accepts any "
                "value, e.g. OPENAI_API_KEY=none")
    return "check the model string, api_base and key for this entry (a 400 can also mean a "\
           "parameter the model does not take; for judges, try structured_output = false)"


class Caller:
    """Makes one entry's calls under the run's concurrency bound and the entry's rate limit."""

    def __init__(self, entry: Entry, semaphore: asyncio.Semaphore, secrets: list[str]) -> None:
        self.entry = entry
        self.semaphore = semaphore
        self.limiter = RateLimiter(entry.rpm)
        self.secrets = secrets
        self.sent = 0  # requests handed to litellm, retries and cancelled ones included
        self.retried = 0  # of those, sent again after an error or an unusable reply
        self._kwargs: dict[str, Any] = {"model": entry.model, **entry.params,
                                        "timeout": entry.timeout, "max_retries": 0, "num_retries": 0}

    def redact(self, text: str, limit: int | None = None) -> str:
        """``text`` with every key masked; with ``limit``, cut to that many characters first.

        The cut keeps a secret's length of slack before masking, so a key that
        straddles the cut is masked whole rather than leaking its first half.
        """
        if limit is not None and len(text) > limit:
            slack = max((len(v) for v in self.secrets), default=0)
            return redact(text[:limit + slack], self.secrets)[:limit]
        return redact(text, self.secrets)

    async def call(self, messages: list[dict[str, str]], **extra: Any) -> Reply:
        """One reply, retrying what is worth retrying; raises CallFailed or EntryStopped."""
        lm = litellm()
        kwargs = {**self._kwargs, **extra, "messages": messages}
        key = self.entry.api_key()
        if self.entry.api_key_env and not key:
            # Without this, litellm would send the provider's usual key (OPENAI_API_KEY...) to this
            # entry's server, e.g. a personal key to a team's proxy.
            raise EntryStopped(self.entry.name, f"api_key_env names {self.entry.api_key_env}, which is "
                               f"not set (or empty) in the environment; no request was sent. Fix: "
                               f"export {self.entry.api_key_env}=... or remove api_key_env")
        if key:
            kwargs["api_key"] = key
        attempt = 0
        while True:
            attempt += 1
            await self.limiter.wait()
            async with self.semaphore:
                started = time.monotonic()
                self.sent += 1
                self.retried += attempt > 1
                try:
                    response = await lm.acompletion(**kwargs)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    kind, retryable, stops = classify(exc)
                    message = self.redact(f"{type(exc).__name__}: {exc}", MAX_ERROR_CHARS)
                    if stops:
                        fix = _fix(kind, self.entry)
                        raise EntryStopped(self.entry.name, f"{message} Fix: {fix}") from None
                    if not retryable or attempt > self.entry.retries:
                        raise CallFailed(kind, message, attempt) from None
                    error = exc
                else:
                    return self._reply(response, time.monotonic() - started, attempt)
            await asyncio.sleep(self._delay(attempt, error))

    def _delay(self, attempt: int, exc: BaseException) -> float:
        base = min(MAX_BACKOFF, self.entry.backoff * 2 ** (attempt - 1))
        delay = base * random.uniform(0.5, 1.5)
        after = getattr(getattr(exc, "response", None), "headers", {}) or {}
        with contextlib.suppress(TypeError, ValueError, AttributeError):
            delay = max(delay, min(MAX_BACKOFF, float(after.get("retry-after", 0))))
        return delay

    def _reply(self, response: Any, latency: float, attempts: int) -> Reply:
        """The reply, its keys masked; one over the entry's max_reply_kb is a CallFailed.

        Nothing downstream (parsing, the database, the rating app) ever sees
        more than the cap, and every string derived from a reply is masked
        because the reply is.
        """
        choice = response.choices[0] if response.choices else None
        text = (choice.message.content if choice is not None else None) or ""
        if not isinstance(text, str):
            text = str(text)
        cap = self.entry.max_reply_chars
        if len(text) > cap:
            raise CallFailed("oversized", f"the reply was {len(text):,} characters, over max_reply_kb = "
                             f"{self.entry.max_reply_kb:g} ({cap:,}); its start is kept", attempts,
                             partial=self.redact(text, cap))
        text = self.redact(text)
        usage = getattr(response, "usage", None)
        hidden = getattr(response, "_hidden_params", None) or {}
        cost = hidden.get("response_cost")
        return Reply(text=text, latency=round(latency, 4), attempts=attempts,
                     prompt_tokens=getattr(usage, "prompt_tokens", None),
                     completion_tokens=getattr(usage, "completion_tokens", None),
                     cost=float(cost) if isinstance(cost, int | float) else None,
                     provider_model=getattr(response, "model", None))
