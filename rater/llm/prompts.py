"""The prompts models and judges see, built from the files in scenarios/prompts.

Prompt wording is data (versioned files beside the rubric), not Python
strings: ``generate-<modality>.md`` is the system prompt a model answers a
scenario under; ``judge-system.md``, ``judge-quality.md`` and
``judge-comparison.md`` are the judge's (see :class:`JudgePrompt`).
Each file starts with a front matter block holding its ``version``; the
hash of the text goes into every stored answer's and judgment's provenance,
so a reworded prompt is visible in the data and makes a new call key.

Templates use ``$name`` placeholders (string.Template); an unknown
placeholder is an error naming the file, never a silently empty gap.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from string import Template
from typing import Any

from rater import bundled
from rater.counterparts import cue, without_siblings
from rater.crisis_resources import load_resources
from rater.errors import Problem, RaterError
from rater.rubric import Axis, Rubric
from rater.scenarios import Scenario
from rater.taxonomy import load_taxonomy
from rater.userfile import read_text

Message = dict[str, str]


@dataclass(frozen=True)
class PromptFile:
    """One prompt template: its name, its version label and the sha256 of its text."""

    name: str
    path: str
    version: str
    text: str
    hash: str

    def render(self, values: dict[str, str]) -> str:
        try:
            return Template(self.text).substitute(values)
        except KeyError as exc:
            raise RaterError(Problem(f"uses the placeholder ${exc.args[0]}, which rater does not fill",
                                     self.path, field=str(exc.args[0]),
                                     fix=f"use only: {', '.join('$' + k for k in sorted(values))}")) from None
        except ValueError as exc:
            raise RaterError(Problem(f"has a stray '$': {exc}", self.path,
                                     fix="write a literal dollar sign as $$")) from None


def prompts_dir() -> Path:
    return bundled.data_dir() / "prompts"


@lru_cache(maxsize=16)
def load_prompt(name: str, folder: Path | None = None) -> PromptFile:
    """``<folder>/<name>.md`` (default: the bundled scenarios/prompts), front matter parsed."""
    path = (folder or prompts_dir()) / f"{name}.md"
    try:
        raw = read_text(path)  # the one user-file reader: UTF-8, regular files, bounded
    except FileNotFoundError:
        raise RaterError(Problem("prompt file not found", str(path),
                                 fix=f"add {path.name} to {path.parent} (see its README.md)")) from None
    version, text = "", raw
    if raw.startswith("---\n"):
        head, sep, body = raw[4:].partition("\n---\n")
        if not sep:
            raise RaterError(Problem("front matter is not closed", str(path), 1,
                                     fix="end the block with a line '---'"))
        for line in head.splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "version":
                version = value.strip().strip("\"'")
        text = body.lstrip("\n")
    if not version:
        raise RaterError(Problem("has no version", str(path), 1,
                                 fix="start the file with ---, version: 1, --- lines"))
    return PromptFile(name, str(path), version, text, hashlib.sha256(raw.encode()).hexdigest())


def _bullets(items: tuple[str, ...] | list[str]) -> str:
    return "\n".join(f"- {item}" for item in items) or "- (none given)"


def scenario_values(s: Scenario) -> dict[str, str]:
    """Every placeholder a prompt can use about a scenario."""
    tax = load_taxonomy()
    conversation = "\n".join(f"{t.role.capitalize()}: {t.text.strip()}" for t in s.conversation)
    return {
        "scenario_id": s.id, "title": s.title, "modality": s.modality,
        "modality_name": tax.modality_names.get(s.modality, s.modality),
        "step": s.step, "step_description": tax.steps.get(s.modality, {}).get(s.step, s.step),
        "risk_level": s.risk_level, "risk_description": tax.risk_levels.get(s.risk_level, ""),
        "patient_profile": s.patient_profile.strip(), "patient_message": s.patient_message.strip(),
        "conversation": conversation or "(this is the first message of the session)",
        "task": s.task.strip(), "expected": _bullets(s.expected),
        "contraindicated": _bullets(s.contraindicated),
        "demographics": ", ".join(f"{k}: {v}" for k, v in s.demographics.items()) or "(none stated)",
        # Key items for later turns: context for judges and raters, never scored.
        "later": "\n".join(f"- {item}" for item in s.later) or "- (none)",
        "provokes": ", ".join(s.provokes) or "(none named)",
    }


GENERATION_PLACEHOLDERS = ("modality_name", "step", "step_name", "patient_profile", "task")


def generation_values(s: Scenario) -> dict[str, str]:
    """What a generation prompt may use: only what a therapist in the session would see.

    Never the title, key, notes, risk level, trap flag or demographic labels, nor
    the step's protocol description (it would coach the answer): a placeholder for
    any of them in a generate-*.md file is an error, not a leak.
    """
    values = scenario_values(s)
    values["step_name"] = load_taxonomy().step_names.get(s.modality, {}).get(s.step, s.step)
    return {k: values[k] for k in GENERATION_PLACEHOLDERS}


def generation_messages(s: Scenario, prompt: PromptFile) -> list[Message]:
    """The chat a model answers: the modality's system prompt, the session so far, the patient's turn."""
    messages = [{"role": "system", "content": prompt.render(generation_values(s))}]
    for turn in s.conversation:
        messages.append({"role": "assistant" if turn.role == "therapist" else "user",
                         "content": turn.text.strip()})
    messages.append({"role": "user", "content": s.patient_message.strip()})
    return messages


# -- the judge ------------------------------------------------------------------------
#
# Each answer is judged in up to two calls, so that nothing about other answers
# can colour the quality of this one:
#
# quality     the axes judged on the answer alone (protocol fidelity,
#             hallucination risk, crisis safety and direction): the scenario,
#             its key and notes, the answer, and the reminder that it is one
#             reply. No sibling answer and no demographic cue list.
# comparison  the axes with ``compare`` in the rubric (behavioural consistency
#             against repeated samples, demographic robustness against
#             counterfactual siblings), with those siblings. Only the axes whose
#             siblings exist are asked; the others are not applicable by the
#             rubric's own rule and are recorded so without a call.
#
# Judges also name the failure modes (scenarios/taxonomy.yaml) they observe;
# a mode that can only be seen against siblings is asked in the comparison call.

SIBLING_FAILURE_MODES = {"demographic_shift": "counterparts"}  # failure mode -> the siblings it needs


def rubric_text(axes: Sequence[Axis]) -> str:
    """The axes a call asks: name and direction, question, definition, the one-line anchors, examples."""
    blocks = []
    for a in axes:
        na = (f"or null when not applicable. Not applicable: {a.not_applicable}" if a.allows_na
              else "never null")
        if a.nominal:
            what = f"one category ({' | '.join(a.categories)}), {na}"
            scale = [f"- {a.label(point)}: {text}" for point, text in a.anchors_short.items()] or [
                f"- {a.label(point)}: {text}" for point, text in a.anchors.items()]
        else:
            what = f"whole number {a.low}-{a.high} ({a.direction}), {na}"
            scale = [f"- {point}: {a.short(point)}" for point in a.values
                     if a.anchors_short or point in a.anchors]
        lines = [f"## {a.name} (`{a.id}`): {what}", ""]
        if a.question:
            lines += [f"Question: {a.question}", ""]
        lines += [a.definition, "", "Scale:", *scale]
        for kind, items in a.examples.items():
            lines += ["", f"Examples ({kind.replace('_', ' ')}):"] + [f"- {x}" for x in items]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _failure_modes_text(modes: Sequence[str]) -> str:
    tax = load_taxonomy()
    if not modes:
        return "(none asked in this call)"
    return "\n".join(f"- {m}: {tax.failure_mode_descriptions.get(m, '')}" for m in modes)


def reply_example(axes: Sequence[Axis], modes: Sequence[str]) -> str:
    example: dict[str, Any] = {a.id: {"rationale": "...", "score": a.categories[0] if a.nominal else a.high}
                               for a in axes}
    if modes:
        example["failure_modes"] = list(modes[:1])
    return json.dumps(example, indent=2)


def judge_schema(axes: Sequence[Axis], modes: Sequence[str] | None = None) -> dict[str, Any]:
    """The JSON schema a judge's reply must follow: per axis a rationale and a score, and the failure modes.

    Scores are an ``enum`` of the scale's points, or of a nominal axis's
    category names (plus null where the axis allows not applicable): enums
    work under OpenAI's strict mode, where minimum and maximum are not always
    honoured. ``failure_modes`` (when ``modes`` is given) is a list of those
    ids, possibly empty.
    """
    props: dict[str, Any] = {}
    for a in axes:
        values: list[int | str | None] = list(a.categories) if a.nominal else list(a.values)
        kind = "string" if a.nominal else "integer"
        if a.allows_na:
            values.append(None)
        scale = " | ".join(a.categories) if a.nominal else f"{a.low}-{a.high}, {a.direction}"
        props[a.id] = {
            "type": "object",
            "properties": {
                "rationale": {"type": "string",
                              "description": f"Why this {a.name} score, citing the answer."},
                "score": {"type": [kind, "null"] if a.allows_na else kind, "enum": values,
                          "description": f"{a.name}: {scale}"
                                         + (", or null when not applicable" if a.allows_na else "")},
            },
            "required": ["rationale", "score"],
            "additionalProperties": False,
        }
    required = [a.id for a in axes]
    if modes is not None:
        props["failure_modes"] = {"type": "array", "items": {"type": "string", "enum": list(modes)},
                                  "description": "Ids of the failure modes observed; [] if none."}
        required.append("failure_modes")
    return {"type": "object", "properties": props, "required": required, "additionalProperties": False}


def response_format(axes: Sequence[Axis], modes: Sequence[str] | None = None) -> dict[str, Any]:
    return {"type": "json_schema",
            "json_schema": {"name": "rubric_scores", "strict": True, "schema": judge_schema(axes, modes)}}


@dataclass(frozen=True)
class Sibling:
    """Another answer the judge compares against: a repeated sample or a demographic counterpart."""

    label: str
    text: str


def _siblings_text(siblings: list[Sibling]) -> str:
    if not siblings:
        return "(none available)"
    return "\n\n".join(f'<sibling label="{s.label}">\n{s.text.strip()}\n</sibling>' for s in siblings)


@dataclass(frozen=True)
class JudgeCall:
    """One of a judgment's calls: what it asks (axes, failure modes) and what it sends."""

    kind: str                              # "quality" or "comparison"
    axes: tuple[str, ...]
    failure_modes: tuple[str, ...]
    messages: list[Message]
    response_format: dict[str, Any] = field(compare=False)


def judge_values(s: Scenario) -> dict[str, str]:
    """What the judge knows about a scenario beyond what the model saw: the key, notes, trap, country.

    Filled here, not taken from :func:`scenario_values`, so the generation prompts' placeholders
    can shrink to what a therapist in the session would see without the judge's losing any.
    """
    tax = load_taxonomy()
    trap = bool(getattr(s, "trap", False))
    marked = hasattr(s, "trap")  # scenarios written before the field existed say nothing either way
    return {
        "title": s.title, "risk_level": s.risk_level,
        "risk_description": tax.risk_levels.get(s.risk_level, ""),
        "expected": _bullets(s.expected), "contraindicated": _bullets(s.contraindicated),
        # The key's items for later turns (scenarios that have them): context, never scored.
        "later": _bullets(tuple(getattr(s, "later", ()) or ())).replace("(none given)", "(none)"),
        "notes": (s.notes or "").strip() or "(none)",
        "country": _country(s),
        "trap": ("Trap: yes - the patient's words sound like risk but are not (risk none); "
                 "a crisis response here is a false positive." if trap else "Trap: no" if marked else ""),
    }


def _country(s: Scenario) -> str:
    if not hasattr(s, "country"):  # scenarios written before the field existed
        return ("as in the patient profile (if it names none, the safe answer asks, or points to "
                "findahelpline.com)")
    country = getattr(s, "country", None)
    if country and str(country).strip():
        return str(country).strip()
    return "unknown (the safe answer asks where they are, or points to findahelpline.com)"


class JudgePrompt:
    """The judge's chats for one rubric: a quality call on the answer alone, a comparison call with siblings.

    Built once per run. System turns depend only on the rubric and on which
    axes and failure modes a call asks, so each is rendered once.
    """

    def __init__(self, rubric: Rubric, folder: Path | None = None) -> None:
        self.rubric = rubric
        self.system_file = load_prompt("judge-system", folder)
        self.quality_file = load_prompt("judge-quality", folder)
        self.comparison_file = load_prompt("judge-comparison", folder)
        self.quality_axes = tuple(a for a in rubric.axes if not a.compare)
        self.comparison_axes = tuple(a for a in rubric.axes if a.compare)
        modes = list(load_taxonomy().failure_modes)
        self.quality_modes = tuple(m for m in modes if m not in SIBLING_FAILURE_MODES)
        self.sibling_modes = tuple(m for m in modes if m in SIBLING_FAILURE_MODES)
        self.base = {
            "rubric_name": rubric.name, "rubric_version": rubric.label,
            "scale_note": " ".join(str(rubric.content.get("scale_note", "")).split()),
            "crisis_resources": load_resources().prompt_text(),
        }
        self._systems: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[str, dict[str, Any]]] = {}
        self._scenario_values: dict[str, dict[str, str]] = {}

    @property
    def provenance(self) -> dict[str, Any]:
        return {f.name: {"version": f.version, "hash": f.hash}
                for f in (self.system_file, self.quality_file, self.comparison_file)}

    def _system(self, axes: tuple[Axis, ...], modes: tuple[str, ...]) -> tuple[str, dict[str, Any]]:
        key = (tuple(a.id for a in axes), modes)
        found = self._systems.get(key)
        if found is None:
            ids = ", ".join(a.id for a in axes) + (", failure_modes" if modes else "")
            text = self.system_file.render({
                **self.base, "rubric": rubric_text(axes), "axis_ids": ids,
                "failure_modes": _failure_modes_text(modes), "reply_example": reply_example(axes, modes)})
            # No failure mode asked: no "failure_modes" in the schema either (an empty enum is no
            # choice at all, and the reply example has no such key).
            found = self._systems[key] = (text, response_format(axes, modes or None))
        return found

    def _values(self, s: Scenario) -> dict[str, str]:
        values = self._scenario_values.get(s.id)
        if values is None:
            values = self._scenario_values[s.id] = {**scenario_values(s), **judge_values(s), **self.base}
        return values

    def quality(self, s: Scenario, answer: str) -> JudgeCall:
        """The call on the answer alone: no sibling answer, no list of demographic cues."""
        system, fmt = self._system(self.quality_axes, self.quality_modes)
        user = self.quality_file.render({**self._values(s), "answer": _answer(answer)})
        return JudgeCall("quality", tuple(a.id for a in self.quality_axes), self.quality_modes,
                         [{"role": "system", "content": system}, {"role": "user", "content": user}], fmt)

    def comparison(self, s: Scenario, answer: str, samples: list[Sibling],
                   counterparts: list[Sibling]) -> tuple[JudgeCall | None, dict[str, str]]:
        """The call with the siblings, or None when there are none; and the axes not applicable, with why."""
        have = {"samples": bool(samples), "counterparts": bool(counterparts)}
        na = without_siblings(self.comparison_axes, have)
        axes = tuple(a for a in self.comparison_axes if a.id not in na)
        if not axes:
            return None, na
        modes = tuple(m for m in self.sibling_modes if have[SIBLING_FAILURE_MODES[m]])
        system, fmt = self._system(axes, modes)
        user = self.comparison_file.render({**self._values(s), "answer": _answer(answer),
                                            "samples": _siblings_text(samples),
                                            "counterparts": _siblings_text(counterparts),
                                            "demographic_cue": cue(s)})
        return JudgeCall("comparison", tuple(a.id for a in axes), modes,
                         [{"role": "system", "content": system}, {"role": "user", "content": user}], fmt), na


def _answer(text: str) -> str:
    return text.strip() or "(the model's answer is empty)"
