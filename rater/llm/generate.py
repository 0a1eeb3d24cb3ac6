"""`rater generate`: each model answers each selected scenario N times; each answer stored with provenance.

An answer is stored the moment it arrives, with its call key and full
provenance (model string, parameters, prompt file version and hash, time,
latency, tokens, cost). A slot (scenario, model name, sample) that already
holds an answer is never overwritten: answers get rated by clinicians. If
the model's settings or the prompt changed since, the slot is reported as
kept, and a new model name is the way to collect new answers.

A call that fails after its retries stores nothing (an error message is not
an answer); it is listed in the run's summary and the next run tries again.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rater.errors import Problem, RaterError
from rater.llm.calls import Caller, CallFailed
from rater.llm.config import Entry, RunConfig
from rater.llm.prompts import PromptFile, generation_messages, load_prompt
from rater.llm.runner import Job, Outcome
from rater.scenarios import Scenario
from rater.store import Store, now

FILTER_KEYS = ("id", "modality", "step", "risk_level", "severity", "base_id", "demographic_group",
               "family", "trap", "provocation")
GUESS_ANSWER_TOKENS = 500  # dry-run guess when an entry sets no max_tokens


def select_scenarios(scenarios: list[Scenario], only: tuple[str, ...]) -> list[Scenario]:
    """Scenarios matching every ``--only`` filter: ``key=value`` or an id pattern (globs allowed).

    ``pe-imaginal-*``, ``modality=cbt``, ``severity=0``, ``risk_level=high``.
    """
    tests: list[tuple[str, str]] = []
    for text in only:
        key, sep, value = text.partition("=")
        key, value = (key.strip(), value.strip()) if sep else ("id", text.strip())
        if key not in FILTER_KEYS:
            raise RaterError(Problem(f"{text!r}: {key!r} is not a scenario field to filter on",
                                     field="--only", fix=f"use one of {', '.join(FILTER_KEYS)} "
                                                         "as key=value, or an id pattern such as pe-*"))
        if key == "trap":  # as the YAML writes it (true), or yes/no, 1/0
            value = value.lower()
            value = {"yes": "true", "1": "true", "no": "false", "0": "false"}.get(value, value)
        tests.append((key, value))

    def value_of(s: Scenario, key: str) -> str:
        value = getattr(s, key)
        if isinstance(value, bool):
            return "true" if value else "false"  # --only trap=true
        return "" if value is None else str(value)

    chosen = [s for s in scenarios if all(fnmatch.fnmatchcase(value_of(s, k), v) for k, v in tests)]
    if only and not chosen:
        raise RaterError(Problem(f"no scenario matches {' and '.join(only)}", field="--only",
                                 fix="check with `rater scenarios list --db ...`"))
    return chosen


@dataclass
class Plan:
    """What a run will do: the calls to make, and the slots it leaves alone."""

    jobs: list[Job]
    slots: int = 0
    done: int = 0            # already answered with the same call key
    kept: int = 0            # answered under other settings, or imported: never overwritten
    limited: int = 0         # left for a later run by --limit
    retry_failed: int = 0    # judges: failed judgments being tried again
    notes: list[str] = field(default_factory=list)


def plan_generate(store: Store, config: RunConfig, *, samples: int = 1, only: tuple[str, ...] = (),
                  limit: int | None = None) -> Plan:
    scenarios = select_scenarios(store.scenarios(), only)
    if not scenarios:
        raise RaterError(Problem("holds no scenarios", store.path,
                                 fix="run `rater init --db ...` or `rater import scenarios ...` first"))
    modalities = {s.modality for s in scenarios}
    prompts: dict[str, PromptFile] = {m: load_prompt(f"generate-{m}") for m in modalities}
    existing = {(r[0], r[1], r[2]): r[3] for r in store.conn.execute(
        "SELECT scenario_id, model, sample, call_key FROM responses")}
    plan = Plan([])
    for s in scenarios:
        messages = generation_messages(s, prompts[s.modality])
        for entry in config.entries:
            for sample in range(1, samples + 1):
                plan.slots += 1
                job = Job(entry, messages, item=(s, sample, prompts[s.modality]),
                          label=f"{s.id} #{sample}", salt=f"sample {sample}")
                stored = existing.get((s.id, entry.name, sample), False)
                if stored is False:
                    plan.jobs.append(job)
                elif stored == job.key:
                    plan.done += 1
                else:
                    plan.kept += 1
    if plan.kept:
        plan.notes.append(f"{plan.kept} answers were made under other settings or imported; they are "
                          "kept (answers are never replaced). To collect new ones, give the model a "
                          "new name in the models file.")
    if limit is not None and len(plan.jobs) > limit:
        plan.limited = len(plan.jobs) - limit
        plan.jobs = plan.jobs[:limit]
    return plan


def write_prompts(plan: Plan, path: Path) -> int:
    """Write the exact messages each planned call would send, one JSON object a line; returns the count.

    Fields: ``scenario_id, model`` (the entry's name, as answers are stored), ``sample, messages``.
    Nothing is called: this is for reviewing what models are sent.
    """
    from rater.atomic import replacing

    with replacing(path) as fh:
        for job in plan.jobs:
            s, sample, _ = job.item
            fh.write(json.dumps({"scenario_id": s.id, "model": job.entry.name, "sample": sample,
                                 "messages": job.chat()}, ensure_ascii=False) + "\n")
    return len(plan.jobs)


def answer_tokens(entry: Entry) -> int:
    return int(entry.params.get("max_tokens") or entry.params.get("max_completion_tokens")
               or GUESS_ANSWER_TOKENS)


def make_handler(store: Store, run_id: int) -> Any:
    """The coroutine that makes one job's call and commits its answer."""

    async def handle(job: Job, caller: Caller) -> Outcome:
        s, sample, prompt = job.item
        try:
            reply = await caller.call(job.chat())
        except CallFailed as exc:
            return Outcome(False, exc.attempts, None, exc.message)
        entry = job.entry
        provenance = {
            "source": "rater generate", "run_id": run_id, "entry": entry.name, "model": entry.model,
            "params": entry.params, "prompt": {"name": prompt.name, "version": prompt.version,
                                               "hash": prompt.hash},
            "messages_hash": job.prompt_hash, "call_key": job.key, "time": now(),
            "latency_s": reply.latency, "attempts": reply.attempts,
            "prompt_tokens": reply.prompt_tokens, "completion_tokens": reply.completion_tokens,
            "cost_usd": reply.cost, "provider_model": reply.provider_model,
        }
        store.add_responses([("r-" + job.key[:20], s.id, entry.name, sample, reply.text,
                              json.dumps(provenance, ensure_ascii=False), provenance["time"], job.key)])
        return Outcome(True, reply.attempts, reply.cost)

    return handle
