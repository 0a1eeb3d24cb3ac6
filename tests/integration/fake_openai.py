"""A small OpenAI-compatible chat-completions server on 127.0.0.1, for tests and benchmarks.

rater's litellm path is tested against this server, never the network. It
counts the calls it receives, measures how many are in flight at once, keeps
the request bodies (so a test can check the JSON schema a judge was sent),
and can be scripted to misbehave:

    with FakeOpenAI() as server:
        server.script(Status(429), Hang(5), Content("not json"))   # the next three calls
        server.script_for("judge-b-model", Content('{"x": 9}'))   # calls naming that model
        ... point litellm at server.base_url ...
        assert server.calls == 4

Without a script it answers at once: a judge request (one carrying
``response_format`` with a JSON schema) gets a valid reply built from that
schema, any other request a short canned answer.

Run alone (the benchmark does): ``python -m tests.integration.fake_openai
--port 0`` prints ``port N`` and serves until killed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class Status:
    """Answer with an HTTP error status (429, 500, 401...) and a JSON error body."""

    code: int
    message: str = "scripted error"


@dataclass(frozen=True)
class Hang:
    """Wait this many seconds before answering normally: past any sane client timeout."""

    seconds: float = 30.0


@dataclass(frozen=True)
class Content:
    """Answer 200 with this text as the assistant message."""

    text: str


Behaviour = Status | Hang | Content
Responder = Callable[[dict[str, Any]], str]


def schema_reply(body: dict[str, Any]) -> str | None:
    """A valid reply to a request that asked for a JSON schema, or None if it did not.

    Scores are the top of each axis's scale (the last category, by name, on
    a nominal axis), so tests can tell them apart from anything rater might
    invent; of the failure modes asked, the first is named.
    """
    fmt = body.get("response_format") or {}
    schema = (fmt.get("json_schema") or {}).get("schema") if isinstance(fmt, dict) else None
    if not schema:
        return None
    reply: dict[str, Any] = {}
    for axis, spec in schema.get("properties", {}).items():
        if spec.get("type") == "array":  # the failure modes observed: the first one asked
            reply[axis] = spec.get("items", {}).get("enum", [])[:1]
            continue
        values = [v for v in spec["properties"]["score"].get("enum", []) if v is not None]
        reply[axis] = {"rationale": f"fake rationale for {axis} [sic] \x1b[31m", "score": max(values)}
    return json.dumps(reply)


def default_responder(body: dict[str, Any]) -> str:
    found = schema_reply(body)
    if found is not None:
        return found
    last = next((m for m in reversed(body.get("messages", [])) if m.get("role") == "user"), {})
    text = str(last.get("content", ""))[:40].replace("\n", " ")
    return f"Fake answer [model {body.get('model')}] to: {text}"


class FakeOpenAI:
    """The server, run on its own event loop in a background thread."""

    def __init__(self, *, delay: float = 0.0, responder: Responder = default_responder,
                 record: bool = True, port: int = 0) -> None:
        self.delay = delay
        self.responder = responder
        self.record = record
        self.port = port
        self.calls = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.arrivals: list[float] = []  # time.monotonic() of each call, when recording
        self._queue: deque[Behaviour] = deque()
        self._by_model: dict[str, deque[Behaviour]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    # -- scripting ----------------------------------------------------------------

    def script(self, *behaviours: Behaviour) -> None:
        """The next calls (any model) behave like this, in order; then back to normal."""
        self._queue.extend(behaviours)

    def script_for(self, model: str, *behaviours: Behaviour, forever: bool = False) -> None:
        """Calls naming ``model`` behave like this, in order (``forever``: the last one repeats)."""
        queue = self._by_model.setdefault(model, deque())
        queue.extend(behaviours)
        if forever:
            self._by_model[model] = _Repeat(queue)

    def reset_counts(self) -> None:
        self.calls = 0
        self.max_in_flight = 0
        self.requests.clear()
        self.headers.clear()
        self.arrivals.clear()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # -- serving ------------------------------------------------------------------

    def _next(self, model: str) -> Behaviour | None:
        queue = self._by_model.get(model)
        if queue:
            return queue.popleft()
        if self._queue:
            return self._queue.popleft()
        return None

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        self.calls += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            body = await request.json()
            if self.record:
                self.arrivals.append(time.monotonic())
                self.requests.append(body)
                self.headers.append(dict(request.headers))
            behaviour = self._next(str(body.get("model", "")))
            if self.delay:
                await asyncio.sleep(self.delay)
            if isinstance(behaviour, Status):
                return web.json_response(
                    {"error": {"message": behaviour.message, "type": "scripted", "code": behaviour.code}},
                    status=behaviour.code)
            if isinstance(behaviour, Hang):
                await asyncio.sleep(behaviour.seconds)
            text = behaviour.text if isinstance(behaviour, Content) else self.responder(body)
            return web.json_response(_completion(body, text))
        finally:
            self.in_flight -= 1

    async def _start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/chat/completions", self._chat)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def _shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        current = asyncio.current_task()
        pending = [t for t in asyncio.all_tasks() if t is not current]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def start(self) -> FakeOpenAI:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="fake-openai")
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        self._loop = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Repeat(deque):  # type: ignore[type-arg]
    """A behaviour queue whose last item is never used up."""

    def popleft(self) -> Behaviour:
        return super().popleft() if len(self) > 1 else self[0]


def _completion(body: dict[str, Any], text: str) -> dict[str, Any]:
    prompt_chars = sum(len(str(m.get("content", ""))) for m in body.get("messages", []))
    prompt_tokens, completion_tokens = max(1, prompt_chars // 4), max(1, len(text) // 4)
    return {
        "id": f"chatcmpl-fake-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }


def config_toml(kind: str, entries: list[dict[str, Any]], **top: Any) -> str:
    """A models.toml ("model") or panel.toml ("judge") for tests: one table per entry."""

    def value(v: Any) -> str:
        return json.dumps(v) if not isinstance(v, bool) else str(v).lower()

    lines = [f"{k} = {value(v)}" for k, v in top.items()]
    for entry in entries:
        lines += ["", f"[[{kind}]]"] + [f"{k} = {value(v)}" for k, v in entry.items()]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    server = FakeOpenAI(delay=args.delay, record=False, port=args.port).start()
    print(f"port {server.port}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()

