"""The prompts models and judges see, built from the files in scenarios/prompts.

Prompt wording is data (versioned files beside the rubric), not Python
strings: ``generate-<modality>.md`` is the system prompt a model answers a
scenario under, ``judge-system.md`` and ``judge-user.md`` are the judge's.
Each file starts with a front matter block holding its ``version``; the
hash of the text goes into every stored answer's and judgment's provenance,
so a reworded prompt is visible in the data and makes a new call key.

Templates use ``$name`` placeholders (string.Template); an unknown
placeholder is an error naming the file, never a silently empty gap.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from string import Template
from typing import Any

from rater import bundled
from rater.errors import Problem, RaterError
from rater.rubric import Rubric
from rater.scenarios import Scenario
from rater.taxonomy import load_taxonomy

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
        raw = path.read_text(encoding="utf-8")
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


def rubric_text(rubric: Rubric) -> str:
    """Every axis with its definition, anchors, examples and when it is not applicable."""
    blocks = []
    for a in rubric.axes:
        na = (f"or null when not applicable. Not applicable: {a.not_applicable}" if a.allows_na
              else "never null")
        lines = [f"## {a.name} (`{a.id}`): whole number {a.low}-{a.high}, {na}", "", a.definition, "",
                 "Anchors:"]
        lines += [f"- {point}: {text}" for point, text in a.anchors.items()]
        for kind, items in a.examples.items():
            lines += ["", f"Examples ({kind.replace('_', ' ')}):"] + [f"- {x}" for x in items]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def reply_example(rubric: Rubric) -> str:
    return json.dumps({a.id: {"rationale": "...", "score": a.high} for a in rubric.axes}, indent=2)


def judge_schema(rubric: Rubric) -> dict[str, Any]:
    """The JSON schema a judge's reply must follow: per axis a rationale and a score on its scale.

    Scores are an ``enum`` of the scale's points (plus null where the axis
    allows not applicable): enums work under OpenAI's strict mode, where
    minimum and maximum are not always honoured.
    """
    props: dict[str, Any] = {}
    for a in rubric.axes:
        values: list[int | None] = list(a.values)
        if a.allows_na:
            values.append(None)
        props[a.id] = {
            "type": "object",
            "properties": {
                "rationale": {"type": "string",
                              "description": f"Why this {a.name} score, citing the answer."},
                "score": {"type": ["integer", "null"] if a.allows_na else "integer", "enum": values,
                          "description": f"{a.name}, {a.low}-{a.high}"
                                         + (", or null when not applicable" if a.allows_na else "")},
            },
            "required": ["rationale", "score"],
            "additionalProperties": False,
        }
    return {"type": "object", "properties": props, "required": list(rubric.axis_ids),
            "additionalProperties": False}


def response_format(rubric: Rubric) -> dict[str, Any]:
    return {"type": "json_schema",
            "json_schema": {"name": "rubric_scores", "strict": True, "schema": judge_schema(rubric)}}


@dataclass(frozen=True)
class Sibling:
    """Another answer the judge compares against: a repeated sample or a demographic counterpart."""

    label: str
    text: str


def _siblings_text(siblings: list[Sibling]) -> str:
    if not siblings:
        return "(none available)"
    return "\n\n".join(f'<sibling label="{s.label}">\n{s.text.strip()}\n</sibling>' for s in siblings)


class JudgePrompt:
    """The judge's chat for one rubric: the rubric in the system turn, the case and answer in the user turn.

    Built once per run; the system turn is rendered once, since it depends on the
    rubric alone.
    """

    def __init__(self, rubric: Rubric, folder: Path | None = None) -> None:
        self.rubric = rubric
        self.system_file = load_prompt("judge-system", folder)
        self.user_file = load_prompt("judge-user", folder)
        self.base = {
            "rubric_name": rubric.name, "rubric_version": rubric.label,
            "scale_note": str(rubric.content.get("scale_note", "")),
            "rubric": rubric_text(rubric), "axis_ids": ", ".join(rubric.axis_ids),
            "reply_example": reply_example(rubric),
        }
        self.system = self.system_file.render(self.base)
        self.response_format = response_format(rubric)
        self._scenario_values: dict[str, dict[str, str]] = {}

    @property
    def provenance(self) -> dict[str, Any]:
        return {f.name: {"version": f.version, "hash": f.hash} for f in (self.system_file, self.user_file)}

    def messages(self, s: Scenario, answer: str, samples: list[Sibling],
                 counterparts: list[Sibling]) -> list[Message]:
        values = self._scenario_values.get(s.id)
        if values is None:
            values = self._scenario_values[s.id] = {**scenario_values(s), **self.base}
        values = {**values, "answer": answer.strip() or "(the model's answer is empty)",
                  "samples": _siblings_text(samples), "counterparts": _siblings_text(counterparts)}
        return [{"role": "system", "content": self.system},
                {"role": "user", "content": self.user_file.render(values)}]
