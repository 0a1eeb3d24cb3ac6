"""The loop `rater generate` and `rater judge` share: planned calls, run concurrently, kept as they finish.

A run is a list of ``Job``s, each with a call key: the sha256 of the entry's
name, model string and parameters (not where the server is), and the exact messages (so the prompt
version, the scenario and the answer are all in it). Planning drops every
job whose key is already stored, which is what makes a run resumable: an
interrupted run (Ctrl+C included) loses only the calls in flight, and a
repeated run makes no call at all.

Every finished call is committed on the event-loop thread before the next
one is taken, so nothing completed waits in memory. Each run is recorded in
``llm_runs`` (settings without secrets, counts, cost, how it ended).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rater.hashing import content_hash
from rater.llm.calls import Caller, EntryStopped
from rater.llm.config import Entry, RunConfig, redact, secret_values
from rater.llm.progress import Progress
from rater.store import Store, now

BREAKER = 10  # an entry whose calls fail this many times in a row, after retries, is stopped
MAX_FAILURES_KEPT = 200


digest = content_hash


@dataclass
class Job:
    """One planned call: which entry, what it sends, and what the handler needs to store it.

    A plan over tens of thousands of answers would hold gigabytes of rendered
    prompts, so a planner may pass ``build`` (which renders the messages again
    when the call is made) with their ``prompt_hash``, and ``messages=None``.
    """

    entry: Entry
    messages: list[dict[str, str]] | None
    item: Any
    label: str                     # what a person reads in a failure list: "pe-imaginal-01 #2"
    extra: dict[str, Any] = field(default_factory=dict)
    salt: str = ""                 # e.g. the sample number: identical prompts, distinct calls
    prompt_hash: str = ""          # digest(messages); pass it when many jobs share the messages
    extra_hash: str = ""           # digest(extra), likewise
    key: str = ""
    build: Callable[[], list[dict[str, str]]] | None = None
    calls: int = 1                 # requests the job sends when all goes well (a judgment: one or two)

    def __post_init__(self) -> None:
        self.prompt_hash = self.prompt_hash or digest(self.chat())
        if self.extra and not self.extra_hash:
            self.extra_hash = digest(self.extra)
        self.key = digest([self.entry.name, self.entry.model, self.entry.key_params, self.prompt_hash,
                           self.extra_hash, self.salt])

    def chat(self) -> list[dict[str, str]]:
        """The messages this call sends."""
        if self.messages is not None:
            return self.messages
        assert self.build is not None, "a Job needs messages or a way to build them"
        return self.build()


@dataclass(frozen=True)
class Outcome:
    """What a handler reports for one job."""

    ok: bool
    calls: int
    cost: float | None = None
    error: str | None = None


Handler = Callable[[Job, Caller], Awaitable[Outcome]]


@dataclass
class RunResult:
    progress: Progress
    stopped: dict[str, str] = field(default_factory=dict)   # entry -> why
    failures: list[dict[str, str]] = field(default_factory=list)
    interrupted: bool = False
    callers: list[Caller] = field(default_factory=list)

    def count_requests(self) -> None:
        """Every request sent, from the callers: those of a job cut short by a stop or Ctrl+C too."""
        if self.callers:
            self.progress.calls = max(self.progress.calls, sum(c.sent for c in self.callers))

    @property
    def all_failed(self) -> bool:
        """Calls were made and not one succeeded: the run produced nothing."""
        p = self.progress
        return p.ok == 0 and (p.failed > 0 or bool(self.stopped))


async def run_jobs(jobs: Sequence[Job], handle: Handler, *, concurrency: int,
                   progress: Progress, result: RunResult) -> RunResult:
    """Run ``jobs`` with at most ``concurrency`` requests in flight; each entry keeps its own rate.

    Each entry gets its own workers and queue, so a judge held back by its
    rate limit never holds a slot another judge could use.
    """
    semaphore = asyncio.Semaphore(concurrency)
    own_keys = {key for job in jobs if (key := job.entry.api_key())}
    secrets = sorted(set(secret_values()) | own_keys, key=len, reverse=True)
    queues: dict[str, deque[Job]] = {}
    callers: dict[str, Caller] = {}
    for job in jobs:
        queues.setdefault(job.entry.name, deque()).append(job)
        if job.entry.name not in callers:
            callers[job.entry.name] = Caller(job.entry, semaphore, secrets)
    result.callers.extend(callers.values())
    in_a_row: dict[str, int] = dict.fromkeys(queues, 0)

    def stop(name: str, why: str, queue: deque[Job], current: int) -> None:
        result.stopped.setdefault(name, why)
        progress.skip(current + len(queue))
        queue.clear()

    async def worker(name: str) -> None:
        queue, caller = queues[name], callers[name]
        while queue and name not in result.stopped:
            job = queue.popleft()
            try:
                outcome = await handle(job, caller)
            except EntryStopped as exc:
                stop(name, exc.message, queue, 1)
                return
            progress.add(outcome.ok, outcome.cost, outcome.calls)
            if outcome.error is not None and len(result.failures) < MAX_FAILURES_KEPT:
                result.failures.append({"entry": name, "item": job.label, "error": outcome.error})
            in_a_row[name] = 0 if outcome.ok else in_a_row[name] + 1
            if in_a_row[name] >= BREAKER and name not in result.stopped:
                stop(name, f"{BREAKER} calls in a row failed after retries; last: {outcome.error}",
                     queue, 0)

    workers = [worker(name) for name, queue in queues.items() for _ in range(min(concurrency, len(queue)))]
    await asyncio.gather(*workers)
    return result


# litellm runs its success logging on background threads. Each SQLite call
# releases the GIL, and getting it back can wait a whole switch interval
# (5 ms by default) while such a thread runs, which stalls the event loop
# and every call in flight; a shorter interval keeps commits quick.
SWITCH_INTERVAL = 0.0005


def run(jobs: Sequence[Job], handle: Handler, *, concurrency: int, progress: Progress) -> RunResult:
    """Run to the end, or until Ctrl+C: then in-flight calls are cancelled and the result says so."""
    result = RunResult(progress)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, SWITCH_INTERVAL))
    try:
        asyncio.run(run_jobs(jobs, handle, concurrency=concurrency, progress=progress, result=result))
    except KeyboardInterrupt:
        result.interrupted = True
    finally:
        sys.setswitchinterval(interval)
        result.count_requests()
        progress.close()
    return result


# -- the audit record of a run -------------------------------------------------------

def start_run(store: Store, command: str, config: RunConfig, options: dict[str, Any],
              planned: int) -> int:
    from rater import __version__

    entries = [e.public() for e in config.entries]
    mark_dead_runs(store)
    return store.add_run(command=command, config_file=config.path,
                         config=json.dumps({"entries": entries, "aggregate": config.aggregate}),
                         options=json.dumps(options, default=str), planned=planned, started_at=now(),
                         rater_version=__version__, pid=os.getpid(), host=socket.gethostname())


def finish_run(store: Store, run_id: int, result: RunResult) -> None:
    p = result.progress
    status = "interrupted" if result.interrupted else ("stopped" if result.stopped else "finished")
    # Masked again on the way in: everything here came from a provider's reply or error.
    failures = [{k: redact(v) for k, v in f.items()} for f in result.failures]
    stopped = {k: redact(v) for k, v in result.stopped.items()}
    store.finish_run(run_id, ok=p.ok, failed=p.failed, skipped=p.skipped, calls=p.calls, cost=p.cost,
                     status=status, stopped=json.dumps(stopped), failures=json.dumps(failures),
                     finished_at=now())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def mark_dead_runs(store: Store) -> int:
    """Mark 'running' runs whose process on this machine is gone as interrupted; returns how many.

    A run killed with kill -9 (or by a crash or power cut) never records its
    end. Runs from another machine, or from a rater too old to record its
    process, are left as they are.
    """
    host = socket.gethostname()
    rows = store.conn.execute(
        "SELECT id, pid FROM llm_runs WHERE status = 'running' AND host = ? AND pid IS NOT NULL",
        (host,)).fetchall()
    dead = [int(r[0]) for r in rows if int(r[1]) != os.getpid() and not _alive(int(r[1]))]
    if dead:
        store.mark_runs_interrupted(dead)
    return len(dead)


# -- dry run -------------------------------------------------------------------------

@dataclass
class Estimate:
    entry: str
    model: str
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = 0.0


def estimate(jobs: Sequence[Job], completion_tokens: Callable[[Entry], int]) -> list[Estimate]:
    """Tokens (cl100k tokenizer, approximate for other models) and cost from litellm's cost map."""
    from rater.llm.calls import litellm

    lm = litellm()
    encoding = lm.encoding
    counted: dict[str, int] = {}

    def tokens(text: str) -> int:
        if text not in counted:
            counted[text] = len(encoding.encode(text, disallowed_special=())) + 4
        return counted[text]

    out: dict[str, Estimate] = {}
    for job in jobs:
        e = out.setdefault(job.entry.name, Estimate(job.entry.name, job.entry.model))
        e.calls += job.calls
        e.prompt_tokens += sum(tokens(m["content"]) for m in job.chat())
        e.completion_tokens += completion_tokens(job.entry)
    entries = {job.entry.name: job.entry for job in jobs}
    for e in out.values():
        try:
            prompt_cost, completion_cost = lm.cost_per_token(
                model=entries[e.entry].model, prompt_tokens=e.prompt_tokens,
                completion_tokens=e.completion_tokens)
            e.cost = float(prompt_cost + completion_cost)
        except Exception:
            e.cost = None
    return list(out.values())
