"""`rater judge`: every judge scores every answer on every rubric axis; replies validated, never guessed.

The reply is requested as structured output (the rubric's JSON schema via
``response_format``). A provider that ignores the schema still works: the
reply is searched for JSON objects and the last one that holds rubric axes
wins. A reply is then checked against the rubric (every axis present, each
score on its scale, null only where the axis allows not applicable). An
unusable reply is sent back to the judge with what was wrong, a bounded
number of times; after that the judgment is stored as ``failed`` with the
raw reply and the reasons, never with a default score.
"""

from __future__ import annotations

import functools
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from rater.errors import Problem, RaterError
from rater.llm.calls import Caller, CallFailed
from rater.llm.config import Entry, RunConfig
from rater.llm.generate import Plan, select_scenarios
from rater.llm.jsonscan import json_objects
from rater.llm.prompts import JudgePrompt, Sibling
from rater.llm.runner import Job, Outcome, digest
from rater.rubric import Rubric
from rater.scenarios import Scenario
from rater.store import AxisScore, Store, now

GUESS_TOKENS_PER_AXIS = 120
_NA = {"", "n/a", "na", "null", "none", "not applicable"}
_WRAPPERS = ("scores", "axes", "ratings", "evaluation", "result")


# -- parsing -------------------------------------------------------------------------

def _score(value: Any) -> tuple[float | None, str | None]:
    """A score as a number or None (not applicable), or why it is not one."""
    if value is None:
        return None, None
    if isinstance(value, bool):
        return None, f"{value!r} is not a score"
    if isinstance(value, int | float):
        return float(value), None
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _NA:
            return None, None
        if re.fullmatch(r"-?\d+(\.0+)?", text):
            return float(text), None
    return None, f"{value!r} is not a score"


def parse_reply(text: str, rubric: Rubric) -> tuple[dict[str, AxisScore] | None, list[str]]:
    """A judge's reply as scores per axis, or None and every reason it cannot be used."""
    objects = json_objects(text)
    if not objects:
        return None, ["the reply holds no JSON object"]
    axes = set(rubric.axis_ids)

    def unwrap(obj: dict[str, Any]) -> dict[str, Any]:
        if axes & set(obj):
            return obj
        for key in _WRAPPERS:
            inner = obj.get(key)
            if isinstance(inner, dict) and axes & set(inner):
                return inner
        return obj

    candidates = [unwrap(o) for o in objects]
    reply = next((o for o in reversed(candidates) if axes & set(o)), candidates[-1])
    scores: dict[str, AxisScore] = {}
    problems: list[str] = []
    for axis in rubric.axes:
        if axis.id not in reply:
            problems.append(f"{axis.id}: missing")
            continue
        value = reply[axis.id]
        rationale = ""
        if isinstance(value, dict):
            if "score" not in value:
                problems.append(f"{axis.id}: no 'score'")
                continue
            rationale = str(value.get("rationale") or value.get("reason") or "").strip()
            value = value["score"]
        score, why = _score(value)
        problem = why or axis.score_problem(score)
        if problem:
            problems.append(f"{axis.id}: {problem}")
            continue
        scores[axis.id] = AxisScore(score, rationale)
    return (None, problems) if problems else (scores, [])


# -- planning ------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """One answer to judge, and the judgment row it replaces (a retried failure), if any."""

    response_id: str
    scenario_id: str
    replaces: int | None


def _counterparts(s: Scenario, by_id: dict[str, Scenario], variants: dict[str, list[str]]) -> list[str]:
    """Scenario ids of the counterfactual demographic siblings of ``s`` (its base and the base's variants)."""
    if s.demographic_group and s.base_id:
        base = s.base_id
        family = [base, *variants.get(base, [])]
    elif s.is_base:
        base, family = s.id, [s.id, *variants.get(s.id, [])]
    else:
        return []
    return [sid for sid in family
            if sid != s.id and sid in by_id and (sid == base or by_id[sid].demographic_group)]


def plan_judge(store: Store, config: RunConfig, *, only: tuple[str, ...] = (), limit: int | None = None,
               retry_failed: bool = False, redo_changed: bool = False) -> tuple[Plan, JudgePrompt, int]:
    """Every (answer, judge) pair not judged yet under the newest rubric, as jobs."""
    version, rubric = store.rubric()
    prompt = JudgePrompt(rubric)
    scenarios = {s.id: s for s in select_scenarios(store.scenarios(), only)}
    all_scenarios = {s.id: s for s in store.scenarios()} if only else scenarios
    variants: dict[str, list[str]] = defaultdict(list)
    for one in all_scenarios.values():
        if one.base_id and one.demographic_group:
            variants[one.base_id].append(one.id)
    answers: dict[tuple[str, str], dict[int, tuple[str, str]]] = defaultdict(dict)
    for rid, sid, model, sample, text in store.conn.execute(
            "SELECT id, scenario_id, model, sample, text FROM responses ORDER BY scenario_id, model, sample"):
        answers[(sid, model)][sample] = (rid, text)
    existing = {(r[1], r[2]): (r[0], r[3], r[4]) for r in store.conn.execute(
        "SELECT id, response_id, judge, status, call_key FROM judgments WHERE rubric_version = ?",
        (version,))}
    extra: dict[str, dict[str, Any]] = {
        e.name: {"response_format": prompt.response_format} if e.structured_output else {}
        for e in config.entries}
    extra_hash = {name: digest(x) if x else "" for name, x in extra.items()}
    plan = Plan([])
    changed = failed_left = 0
    for (sid, model), by_sample in answers.items():
        s = scenarios.get(sid)
        if s is None:
            continue
        others = [(c, answers.get((c, model))) for c in _counterparts(s, all_scenarios, variants)]
        for sample, (rid, text) in by_sample.items():
            samples = [Sibling(f"sample {k}", t) for k, (_, t) in by_sample.items() if k != sample]
            counterparts = [Sibling(f"scenario {c} ({_cue(all_scenarios[c])})",
                                    (got.get(sample) or got[min(got)])[1])
                            for c, got in others if got]
            messages_hash = digest(prompt.messages(s, text, samples, counterparts))
            build = functools.partial(prompt.messages, s, text, samples, counterparts)
            for entry in config.entries:
                plan.slots += 1
                job = Job(entry, None, item=None, label=f"{rid} ({sid} #{sample})", extra=extra[entry.name],
                          prompt_hash=messages_hash, extra_hash=extra_hash[entry.name], build=build)
                found = existing.get((rid, entry.name))
                if found is None:
                    job.item = Target(rid, sid, None)
                elif found[1] == "failed" and retry_failed:
                    plan.retry_failed += 1
                    job.item = Target(rid, sid, found[0])
                elif found[2] == job.key:
                    if found[1] == "failed":
                        failed_left += 1
                    plan.done += 1
                    continue
                elif redo_changed and found[2] is not None:
                    changed += 1
                    job.item = Target(rid, sid, found[0])
                else:
                    plan.kept += 1
                    continue
                plan.jobs.append(job)
    if not plan.slots:
        raise RaterError(Problem("holds no answers to judge" + (f" for {' and '.join(only)}" if only else ""),
                                 store.path, fix="run `rater generate` or `rater import responses` first"))
    if failed_left:
        plan.notes.append(f"{failed_left} judgments failed earlier and are not retried; "
                          "add --retry-failed to try them again.")
    if plan.kept:
        plan.notes.append(f"{plan.kept} judgments were made under other settings, another prompt or "
                          "other sibling answers, or were imported; they are kept. --redo-changed "
                          "re-judges those rater made (imported ones are never replaced).")
    if changed:
        plan.notes.append(f"{changed} judgments made under other settings will be replaced (--redo-changed).")
    if limit is not None and len(plan.jobs) > limit:
        plan.limited = len(plan.jobs) - limit
        plan.jobs = plan.jobs[:limit]
    return plan, prompt, version


def _cue(s: Scenario) -> str:
    if not s.demographic_group:
        return "the base scenario"
    cues = ", ".join(f"{k}: {v}" for k, v in s.demographics.items())
    return f"{s.demographic_group}: {cues}" if cues else s.demographic_group


def judge_tokens(rubric: Rubric) -> Any:
    def guess(entry: Entry) -> int:
        return int(entry.params.get("max_tokens") or GUESS_TOKENS_PER_AXIS * len(rubric.axes))
    return guess


# -- running -------------------------------------------------------------------------

def _retry_message(problems: list[str], rubric: Rubric) -> str:
    return ("That reply could not be used: " + "; ".join(problems) + ". Reply again with only the JSON "
            f"object: one key per axis ({', '.join(rubric.axis_ids)}), each with \"rationale\" and "
            "\"score\" (a whole number on the axis's scale, or null where the axis allows not applicable).")


def make_handler(store: Store, run_id: int, prompt: JudgePrompt, version: int) -> Any:
    """The coroutine that gets one judge's verdict on one answer and commits it, ok or failed."""
    rubric = prompt.rubric

    async def handle(job: Job, caller: Caller) -> Outcome:
        target: Target = job.item
        first = messages = job.chat()
        calls, replies, latency = 0, 0, 0.0
        tokens = [0, 0]
        cost: float | None = 0.0
        raw: str | None = None
        provider_model: str | None = None
        for _ in range(1 + job.entry.invalid_retries):
            try:
                reply = await caller.call(messages, **job.extra)
            except CallFailed as exc:
                calls += exc.attempts
                error = f"no reply after {exc.attempts} attempts ({exc.kind}): {exc.message}"
                if exc.partial is not None:  # oversized: keep its start, record why
                    raw, error = exc.partial, f"an unusable reply ({exc.kind}): {exc.message}"
                elif raw is not None:
                    error = f"an unusable reply, then {error}"
                _save(store, job, target, version, None, raw, error,
                      _provenance(job, run_id, prompt, calls, replies, latency, tokens, cost, provider_model))
                return Outcome(False, calls, cost, error)
            calls += reply.attempts
            replies += 1
            latency += reply.latency
            tokens[0] += reply.prompt_tokens or 0
            tokens[1] += reply.completion_tokens or 0
            cost = None if cost is None or reply.cost is None else cost + reply.cost
            provider_model = reply.provider_model
            raw = caller.redact(reply.text)
            scores, problems = parse_reply(reply.text, rubric)
            if scores is not None:
                _save(store, job, target, version, scores, raw, None,
                      _provenance(job, run_id, prompt, calls, replies, latency, tokens, cost, provider_model))
                return Outcome(True, calls, cost)
            messages = [*first, {"role": "assistant", "content": reply.text},
                        {"role": "user", "content": _retry_message(problems, rubric)}]
        error = f"{replies} replies, none usable; last: " + "; ".join(problems)
        _save(store, job, target, version, None, raw, error,
              _provenance(job, run_id, prompt, calls, replies, latency, tokens, cost, provider_model))
        return Outcome(False, calls, cost, error)

    return handle


def _provenance(job: Job, run_id: int, prompt: JudgePrompt, calls: int, replies: int, latency: float,
                tokens: list[int], cost: float | None, provider_model: str | None) -> dict[str, Any]:
    entry = job.entry
    return {"source": "rater judge", "run_id": run_id, "judge": entry.name, "model": entry.model,
            "params": entry.params, "prompts": prompt.provenance,
            "structured_output": bool(job.extra), "messages_hash": job.prompt_hash, "call_key": job.key,
            "time": now(), "latency_s": round(latency, 4), "attempts": calls, "replies": replies,
            "prompt_tokens": tokens[0], "completion_tokens": tokens[1], "cost_usd": cost,
            "provider_model": provider_model}


def _save(store: Store, job: Job, target: Target, version: int, scores: dict[str, AxisScore] | None,
          raw: str | None, error: str | None, provenance: dict[str, Any]) -> None:
    """Commit one judgment (and its scores): a new row, or in place of the failure it retries."""
    status = "ok" if scores is not None else "failed"
    conn = store.conn
    with store.write():
        if target.replaces is not None:
            old = conn.execute("SELECT status, error, call_key, created_at, provenance FROM judgments "
                               "WHERE id = ?", (target.replaces,)).fetchone()
            replaced = json.loads(old["provenance"] or "{}").get("replaced", [])
            replaced.append({k: old[k] for k in ("status", "error", "call_key", "created_at")})
            provenance["replaced"] = replaced
            conn.execute("UPDATE judgments SET status = ?, raw_reply = ?, error = ?, provenance = ?, "
                         "created_at = ?, call_key = ? WHERE id = ?",
                         (status, raw, error, json.dumps(provenance, ensure_ascii=False),
                          provenance["time"], job.key, target.replaces))
            conn.execute("DELETE FROM judge_scores WHERE judgment_id = ?", (target.replaces,))
            # Calibrated values of the replaced verdict would sit beside new raw scores.
            conn.execute("DELETE FROM calibrated_scores WHERE judgment_id = ?", (target.replaces,))
            judgment_id = target.replaces
        else:
            cur = conn.execute(
                "INSERT INTO judgments (response_id, judge, rubric_version, status, raw_reply, error, "
                "provenance, created_at, call_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (target.response_id, job.entry.name, version, status, raw, error,
                 json.dumps(provenance, ensure_ascii=False), provenance["time"], job.key))
            if not cur.rowcount:
                return
            judgment_id = int(cur.lastrowid or 0)
        if scores:
            conn.executemany("INSERT INTO judge_scores (judgment_id, axis, score, rationale) "
                             "VALUES (?, ?, ?, ?)",
                             [(judgment_id, axis, s.score, s.rationale) for axis, s in scores.items()])
