"""`rater judge`: every judge scores every answer on every rubric axis; replies validated, never guessed.

Each judgment (one judge, one answer) is made in up to two calls, sent
together (see ``rater.llm.prompts.JudgePrompt``): a quality call on the
answer alone, and a comparison call with the same model's sibling answers
for the axes judged against them. Axes whose siblings do not exist are not
applicable by the rubric's own rule, recorded without a call. Both calls
ask for the failure modes (scenarios/taxonomy.yaml) the judge observes,
stored per judgment in ``judgment_failure_modes``.

The reply is requested as structured output (the call's JSON schema via
``response_format``). A provider that ignores the schema still works: the
reply is searched for JSON objects and the last one that holds rubric axes
wins. A reply is then checked (every axis asked present, each score on its
scale or one of its categories, null only where the axis allows not
applicable, every failure mode an id that was asked). An unusable reply is
sent back to the judge with what was wrong, a bounded number of times;
after that the judgment is stored as ``failed`` with the raw replies and the
reasons, never with a default score. The call key covers both calls'
messages, so a run stays resumable.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rater.counterparts import anchor, counterparts, cue
from rater.errors import Problem, RaterError
from rater.llm.calls import Caller, CallFailed
from rater.llm.config import Entry, RunConfig
from rater.llm.generate import Plan, select_scenarios
from rater.llm.jsonscan import json_objects
from rater.llm.prompts import JudgeCall, JudgePrompt, Message, Sibling
from rater.llm.runner import Job, Outcome, digest
from rater.rubric import Axis, Rubric
from rater.scenarios import Scenario
from rater.store import AxisScore, Store, now
from rater.taxonomy import load_taxonomy

GUESS_TOKENS_PER_AXIS = 120
_NA = {"", "n/a", "na", "null", "none", "not applicable"}
_WRAPPERS = ("scores", "axes", "ratings", "evaluation", "result")


# -- parsing -------------------------------------------------------------------------

def _score(value: Any, axis: Axis) -> tuple[float | None, str | None]:
    """A score as a number or None (not applicable), or why it is not one; by name on a nominal axis."""
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
        if axis.categories:
            code = axis.code(text)
            if code is not None:
                return float(code), None
            return None, f"{value!r} is not a category: use one of {', '.join(axis.categories)}"
    return None, f"{value!r} is not a score"


@dataclass(frozen=True)
class Reply:
    """A usable judge reply: a score per axis asked, and the failure modes named (ids, possibly none)."""

    scores: dict[str, AxisScore]
    failure_modes: tuple[str, ...] = ()


def _failure_modes(value: Any, asked: Sequence[str], problems: list[str]) -> tuple[str, ...]:
    known = load_taxonomy().failure_modes
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append("failure_modes: must be a list of failure-mode ids ([] if none observed)")
        return ()
    found: list[str] = []
    for mode in value:
        key = mode.strip()
        if key in asked:
            if key not in found:
                found.append(key)
        elif key in known:
            problems.append(f"failure_modes: {key!r} was not asked in this call "
                            f"(use only: {', '.join(asked)})")
        else:
            problems.append(f"failure_modes: {key!r} is not a failure mode in taxonomy.yaml "
                            f"(use only: {', '.join(asked)})")
    return tuple(found)


def parse_reply(text: str, rubric: Rubric, axes: Sequence[str] | None = None,
                failure_modes: Sequence[str] | None = None) -> tuple[Reply | None, list[str]]:
    """A judge's reply to a call that asked ``axes`` (default: all) and ``failure_modes`` (None: not asked),
    or None and every reason it cannot be used."""
    objects = json_objects(text)
    if not objects:
        return None, ["the reply holds no JSON object"]
    asked = [rubric.axis(a) for a in axes] if axes is not None else list(rubric.axes)
    ids = {a.id for a in asked}

    def unwrap(obj: dict[str, Any]) -> dict[str, Any]:
        if ids & set(obj):
            return obj
        for key in _WRAPPERS:
            inner = obj.get(key)
            if isinstance(inner, dict) and ids & set(inner):
                if "failure_modes" in obj and "failure_modes" not in inner:
                    return {**inner, "failure_modes": obj["failure_modes"]}
                return inner
        return obj

    candidates = [unwrap(o) for o in objects]
    reply = next((o for o in reversed(candidates) if ids & set(o)), candidates[-1])
    scores: dict[str, AxisScore] = {}
    problems: list[str] = []
    for axis in asked:
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
        score, why = _score(value, axis)
        problem = why or axis.score_problem(score)
        if problem:
            problems.append(f"{axis.id}: {problem}")
            continue
        scores[axis.id] = AxisScore(score, rationale)
    modes: tuple[str, ...] = ()
    if failure_modes is not None:
        if "failure_modes" in reply:
            modes = _failure_modes(reply["failure_modes"], failure_modes, problems)
        elif failure_modes:  # a call that asked none (its reply example has no such key) needs none
            problems.append("failure_modes: missing (give [] if you observe none)")
    return (None, problems) if problems else (Reply(scores, modes), [])


# -- planning ------------------------------------------------------------------------

@dataclass(frozen=True)
class Calls:
    """What one judgment sends: the quality call, the comparison call (if any siblings), the axes N/A."""

    quality: JudgeCall
    comparison: JudgeCall | None
    not_applicable: dict[str, str] = field(default_factory=dict)   # axis -> why (no siblings of its kind)

    @property
    def all(self) -> list[JudgeCall]:
        return [self.quality] + ([self.comparison] if self.comparison else [])

    def messages(self) -> list[Message]:
        """Every message the judgment sends, across its calls: what its key and token estimate cover."""
        return [m for call in self.all for m in call.messages]


@dataclass(frozen=True)
class Target:
    """One answer to judge, how to build its calls, and the judgment row it replaces (a retried failure)."""

    response_id: str
    scenario_id: str
    replaces: int | None
    build: Any = field(default=None, compare=False)   # () -> Calls, rendered again when the job runs


def _calls(prompt: JudgePrompt, s: Scenario, text: str, samples: list[Sibling],
           others: list[Sibling]) -> Calls:
    comparison, na = prompt.comparison(s, text, samples, others)
    return Calls(prompt.quality(s, text), comparison, na)


@dataclass(frozen=True)
class _Builder:
    """Renders a judgment's calls again when the job runs (a plan over many answers keeps no prompts)."""

    prompt: JudgePrompt
    scenario: Scenario
    text: str
    samples: list[Sibling]
    siblings: list[Sibling]

    def __call__(self) -> Calls:
        return _calls(self.prompt, self.scenario, self.text, self.samples, self.siblings)

    def messages(self) -> list[Message]:
        return self().messages()


def _cue_shown(c: Scenario, s: Scenario) -> str:
    """A counterpart's cue as the judge needs it: its label and the cue text itself where it differs from
    the scenario being judged ("ses: wealthy; ses_cue: 'He is a fund manager ...'"), since a label alone
    ("sofasurfing") does not say what the sibling's patient told the AI."""
    own = s.cues or {}
    changed = [f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in (c.cues or {}).items()
               if own.get(k) != v]
    return "; ".join([cue(c), *changed])


def plan_judge(store: Store, config: RunConfig, *, only: tuple[str, ...] = (), limit: int | None = None,
               retry_failed: bool = False, redo_changed: bool = False) -> tuple[Plan, JudgePrompt, int]:
    """Every (answer, judge) pair not judged yet under the newest rubric, as jobs."""
    version, rubric = store.rubric()
    prompt = JudgePrompt(rubric)
    scenarios = {s.id: s for s in select_scenarios(store.scenarios(), only)}
    all_scenarios = {s.id: s for s in store.scenarios()} if only else scenarios
    by_anchor: dict[str, list[Scenario]] = defaultdict(list)
    for one in all_scenarios.values():
        by_anchor[anchor(one)].append(one)
    answers: dict[tuple[str, str], dict[int, tuple[str, str]]] = defaultdict(dict)
    for rid, sid, model, sample, text in store.conn.execute(
            "SELECT id, scenario_id, model, sample, text FROM responses ORDER BY scenario_id, model, sample"):
        answers[(sid, model)][sample] = (rid, text)
    existing = {(r[1], r[2]): (r[0], r[3], r[4]) for r in store.conn.execute(
        "SELECT id, response_id, judge, status, call_key FROM judgments WHERE rubric_version = ?",
        (version,))}
    # The schema a call is sent under follows from its messages (the axes and failure modes asked),
    # so the key marks only whether structured output is used.
    extra_hash = {e.name: digest({"structured_output": True}) if e.structured_output else ""
                  for e in config.entries}
    plan = Plan([])
    changed = failed_left = 0
    for (sid, model), by_sample in answers.items():
        s = scenarios.get(sid)
        if s is None:
            continue
        others = [(c, answers.get((c.id, model))) for c in counterparts(s, by_anchor[anchor(s)])]
        for sample, (rid, text) in by_sample.items():
            samples = [Sibling(f"sample {k}", t) for k, (_, t) in by_sample.items() if k != sample]
            siblings = [Sibling(f"scenario {c.id} ({_cue_shown(c, s)})",
                                (got.get(sample) or got[min(got)])[1]) for c, got in others if got]
            calls = _calls(prompt, s, text, samples, siblings)
            messages_hash = digest([call.messages for call in calls.all])
            build = _Builder(prompt, s, text, samples, siblings)
            for entry in config.entries:
                plan.slots += 1
                job = Job(entry, None, item=None, label=f"{rid} ({sid} #{sample})", extra={},
                          prompt_hash=messages_hash, extra_hash=extra_hash[entry.name], build=build.messages,
                          calls=len(calls.all))
                found = existing.get((rid, entry.name))
                if found is None:
                    job.item = Target(rid, sid, None, build)
                elif found[1] == "failed" and retry_failed:
                    plan.retry_failed += 1
                    job.item = Target(rid, sid, found[0], build)
                elif found[2] == job.key:
                    if found[1] == "failed":
                        failed_left += 1
                    plan.done += 1
                    continue
                elif redo_changed and found[2] is not None:
                    changed += 1
                    job.item = Target(rid, sid, found[0], build)
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


def judge_tokens(rubric: Rubric) -> Any:
    def guess(entry: Entry) -> int:
        return int(entry.params.get("max_tokens") or GUESS_TOKENS_PER_AXIS * len(rubric.axes))
    return guess


# -- running -------------------------------------------------------------------------

def _retry_message(problems: list[str], call: JudgeCall, rubric: Rubric) -> str:
    keys = list(call.axes) + (["failure_modes"] if call.failure_modes else [])
    nominal = [rubric.axis(a) for a in call.axes if rubric.axis(a).nominal]
    categories = "".join(f"; {a.id} takes one of {', '.join(a.categories)}" for a in nominal)
    modes = (f" \"failure_modes\" is a list of ids from: {', '.join(call.failure_modes)} ([] if none)."
             if call.failure_modes else "")
    return ("That reply could not be used: " + "; ".join(problems) + ". Reply again with only the JSON "
            f"object: one key per axis ({', '.join(keys)}), each axis with \"rationale\" and "
            "\"score\" (a whole number on the axis's scale, or null where the axis allows not applicable"
            f"{categories}).{modes}")


@dataclass
class _Exchange:
    """One call's conversation with a judge: its usable reply or why there is none, and what it cost."""

    call: JudgeCall
    reply: Reply | None = None
    raw: str | None = None
    error: str | None = None
    calls: int = 0
    replies: int = 0
    latency: float = 0.0
    tokens: list[int] = field(default_factory=lambda: [0, 0])
    cost: float | None = 0.0
    provider_model: str | None = None


async def _converse(job: Job, caller: Caller, call: JudgeCall, rubric: Rubric) -> _Exchange:
    """Send ``call``; send an unusable reply back with its problems, up to the entry's invalid_retries."""
    ex = _Exchange(call)
    extra = {"response_format": call.response_format} if job.entry.structured_output else {}
    messages = call.messages
    problems: list[str] = []
    for attempt in range(1 + job.entry.invalid_retries):
        caller.retried += attempt > 0  # an unusable reply sent back
        try:
            reply = await caller.call(messages, **extra)
        except CallFailed as exc:
            ex.calls += exc.attempts
            ex.error = f"no reply after {exc.attempts} attempts ({exc.kind}): {exc.message}"
            if exc.partial is not None:  # an oversized reply, whose (masked) start calls keep
                ex.raw, ex.error = exc.partial, f"an unusable reply ({exc.kind}): {exc.message}"
            elif ex.raw is not None:
                ex.error = f"an unusable reply, then {ex.error}"
            return ex
        ex.calls += reply.attempts
        ex.replies += 1
        ex.latency += reply.latency
        ex.tokens[0] += reply.prompt_tokens or 0
        ex.tokens[1] += reply.completion_tokens or 0
        ex.cost = None if ex.cost is None or reply.cost is None else ex.cost + reply.cost
        ex.provider_model = reply.provider_model
        ex.raw = reply.text  # masked where it arrived (Caller._reply)
        parsed, problems = parse_reply(reply.text, rubric, call.axes, call.failure_modes)
        if parsed is not None:
            ex.reply = parsed
            return ex
        messages = [*call.messages, {"role": "assistant", "content": reply.text},
                    {"role": "user", "content": _retry_message(problems, call, rubric)}]
    ex.error = f"{ex.replies} replies, none usable; last: " + "; ".join(problems)
    return ex


def make_handler(store: Store, run_id: int, prompt: JudgePrompt, version: int) -> Any:
    """The coroutine that gets one judge's verdict on one answer (its calls sent together) and commits it."""
    rubric = prompt.rubric

    async def handle(job: Job, caller: Caller) -> Outcome:
        target: Target = job.item
        calls: Calls = target.build()
        exchanges = list(await asyncio.gather(*(_converse(job, caller, c, rubric) for c in calls.all)))
        two = len(exchanges) > 1
        errors = [f"{ex.call.kind} call: {ex.error}" if two else str(ex.error)
                  for ex in exchanges if ex.reply is None]
        raws = [ex for ex in exchanges if ex.raw is not None]
        raw = (None if not raws else raws[0].raw if not two
               else "\n\n".join(f"[{ex.call.kind} call]\n{ex.raw}" for ex in raws))
        provenance = _provenance(job, run_id, prompt, calls, exchanges)
        n_calls = sum(ex.calls for ex in exchanges)
        cost = provenance["cost_usd"]
        if errors:
            error = "; ".join(errors)
            _save(store, job, target, version, None, (), raw, error, provenance)
            return Outcome(False, n_calls, cost, error)
        scores: dict[str, AxisScore] = {}
        modes: list[str] = []
        for ex in exchanges:
            assert ex.reply is not None
            scores.update(ex.reply.scores)
            modes += [m for m in ex.reply.failure_modes if m not in modes]
        for axis, why in calls.not_applicable.items():
            scores[axis] = AxisScore(None, f"Not applicable: {why} (recorded by rater, no call made).")
        ordered = {a: scores[a] for a in rubric.axis_ids if a in scores}
        _save(store, job, target, version, ordered, tuple(modes), raw, None, provenance)
        return Outcome(True, n_calls, cost)

    return handle


def _provenance(job: Job, run_id: int, prompt: JudgePrompt, calls: Calls,
                exchanges: list[_Exchange]) -> dict[str, Any]:
    entry = job.entry
    cost: float | None = 0.0
    for ex in exchanges:
        cost = None if cost is None or ex.cost is None else cost + ex.cost
    asked = [m for c in calls.all for m in c.failure_modes]
    return {"source": "rater judge", "run_id": run_id, "judge": entry.name, "model": entry.model,
            "params": entry.params, "prompts": prompt.provenance,
            "structured_output": entry.structured_output, "messages_hash": job.prompt_hash,
            "call_key": job.key,
            "calls": [{"kind": ex.call.kind, "axes": list(ex.call.axes),
                       "failure_modes_asked": list(ex.call.failure_modes),
                       "replies": ex.replies, "attempts": ex.calls} for ex in exchanges],
            "not_applicable_without_call": calls.not_applicable, "failure_modes_asked": asked,
            "time": now(), "latency_s": round(max(ex.latency for ex in exchanges), 4),
            "attempts": sum(ex.calls for ex in exchanges), "replies": sum(ex.replies for ex in exchanges),
            "prompt_tokens": sum(ex.tokens[0] for ex in exchanges),
            "completion_tokens": sum(ex.tokens[1] for ex in exchanges), "cost_usd": cost,
            "provider_model": next((ex.provider_model for ex in exchanges if ex.provider_model), None)}


def _save(store: Store, job: Job, target: Target, version: int, scores: dict[str, AxisScore] | None,
          failure_modes: tuple[str, ...], raw: str | None, error: str | None,
          provenance: dict[str, Any]) -> None:
    """Commit one judgment (its scores and failure modes): a new row, or in place of the failure it retries.

    ``failure_modes_asked`` is 1: the judge was asked, so no rows means "none observed" (for a failed
    judgment, like its scores, nothing was observed at all: read failure modes of ``ok`` judgments).
    """
    status = "ok" if scores is not None else "failed"
    rows = [(axis, s.score, s.rationale) for axis, s in (scores or {}).items()]
    if target.replaces is not None:
        store.replace_judgment(target.replaces, status=status, provenance=provenance,
                               created_at=provenance["time"], raw_reply=raw, error=error, call_key=job.key,
                               scores=rows, failure_modes=failure_modes)
    else:
        store.add_judgment(target.response_id, job.entry.name, version, status=status,
                           provenance=json.dumps(provenance, ensure_ascii=False),
                           created_at=provenance["time"], raw_reply=raw, error=error, call_key=job.key,
                           failure_modes_asked=True, scores=rows, failure_modes=failure_modes)
