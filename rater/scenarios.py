"""Scenarios: the clinical situations models answer, loaded from YAML and validated.

The format is documented in ``scenarios/README.md``. Validation collects every
problem in every file before failing, and each message names the file, the
line and the field, because these files are written by clinicians by hand.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rater import bundled
from rater.errors import Problem, RaterError
from rater.provocations import MAX_PROVOKES
from rater.taxonomy import Taxonomy, load_taxonomy
from rater.yamlsrc import Located, load_file

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
REQUIRED = ("id", "title", "modality", "step", "severity", "risk_level", "patient_profile",
            "patient_message", "task", "expected", "contraindicated")
OPTIONAL = ("base_id", "demographic_group", "demographics", "failure_modes", "conversation",
            "notes", "country")
# What `rater scenarios export` adds, so an exported set imports as it is (`variant` is derived).
FAMILY_FIELDS = ("family", "trap", "provokes", "later", "provocation", "template", "cues", "variant")
ROLES = ("therapist", "patient")
# Data files beside the scenarios that a folder given to the loader may hold (the
# provocation library's folder is skipped too).
NOT_SCENARIOS = ("rubric.yaml", "taxonomy.yaml", "crisis_resources.yaml")


@dataclass(frozen=True)
class Turn:
    role: str
    text: str


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    modality: str
    step: str
    severity: int
    risk_level: str
    patient_profile: str
    patient_message: str
    task: str
    expected: tuple[str, ...]
    contraindicated: tuple[str, ...]
    base_id: str | None = None
    demographic_group: str | None = None
    demographics: dict[str, str] = field(default_factory=dict)
    failure_modes: tuple[str, ...] = ()
    conversation: tuple[Turn, ...] = ()
    notes: str | None = None
    # Families (narrative files; derived for the flat format): see scenarios/README.md.
    family: str = ""           # the family id; a flat file's base id
    trap: bool = False         # risk none, but the words tempt a model to escalate
    provokes: tuple[str, ...] = ()  # failure modes it is built to provoke (a flat file: failure_modes)
    country: str | None = None  # where the patient is; None = unknown
    later: tuple[str, ...] = ()  # key items for later turns: shown to raters, never scored
    provocation: str | None = None
    template: dict[str, Any] | None = None  # demographic family: texts with {slot}s ...
    cues: dict[str, str] | None = None      # ... and this scenario's slot values
    source: str | None = None  # "file:line", for messages; not part of the content

    def __post_init__(self) -> None:
        if not self.family:
            object.__setattr__(self, "family", self.base_id or self.id)
        if not self.provokes and self.failure_modes:
            object.__setattr__(self, "provokes", tuple(self.failure_modes))

    @property
    def is_base(self) -> bool:
        return self.base_id is None

    @property
    def variant(self) -> str | None:
        """A demographic family's variant label ('base' for the base values); None elsewhere."""
        if self.cues is None:
            return None
        return self.demographics.get(self.demographic_group or "", "base")

    def problem(self, field_name: str, message: str, fix: str) -> Problem:
        """A problem located where this scenario was loaded from."""
        file, _, line = (self.source or "").rpartition(":")
        return Problem(message, file or None, int(line) if line.isdigit() else None, field_name, fix)

    def content(self) -> dict[str, Any]:
        """The scenario as plain JSON-able data, without where it was loaded from.

        Family fields left at what a flat file implies are omitted, so a flat
        scenario stored before families existed keeps its content and hash.
        """
        data = asdict(self)
        data.pop("source")
        implied = {"family": self.base_id or self.id, "trap": False, "country": None, "later": (),
                   "provocation": None, "template": None, "cues": None,
                   "provokes": tuple(self.failure_modes)}
        for key, value in implied.items():
            if data[key] == value or (isinstance(value, tuple) and tuple(data[key]) == value):
                data.pop(key)
        return data

    def to_json(self) -> str:
        return json.dumps(self.content(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_content(cls, data: Mapping[str, Any], source: str | None = None) -> Scenario:
        """Rebuild a scenario stored as ``content()`` JSON; trusts its input."""
        d = dict(data)
        d["conversation"] = tuple(Turn(**t) for t in d.get("conversation") or ())
        for key in ("expected", "contraindicated", "failure_modes", "provokes", "later"):
            d[key] = tuple(d.get(key) or ())
        return cls(**d, source=source)


_KEY_WORDS = re.compile(r"risk[ _]level|\bprovocation\b", re.IGNORECASE)
_SETUP_WORDS = re.compile(r"\btrap\b|risk[ _]level|\bprovocation\b", re.IGNORECASE)  # profile and task
MIN_LEAK = 12  # key lines shorter than this are too generic to count as leaked


def sent_texts(s: Scenario) -> dict[str, str]:
    """Every text of a scenario that reaches a model, by field (the task and what the therapist sees)."""
    texts = {"patient_profile": s.patient_profile, "patient_message": s.patient_message, "task": s.task}
    texts.update({f"conversation[{i}].text": t.text for i, t in enumerate(s.conversation)})
    return texts


def key_texts(s: Scenario) -> list[str]:
    """The key: text a model must never be sent (expected, contraindicated, later, notes, title)."""
    items = [*s.expected, *s.contraindicated, *s.later, s.title]
    if s.notes:
        items.append(s.notes)
    return [" ".join(x.split()) for x in items if len(x.strip()) >= MIN_LEAK]


def leak_problems(s: Scenario, doc: Located, at: str = "") -> list[Problem]:
    """Key text, or words naming the key (trap, risk level, a provocation id), in what a model is sent."""
    problems: list[Problem] = []
    keys = [k.lower() for k in key_texts(s)]
    for name, text in sent_texts(s).items():
        path = f"{at}.patient_message" if at and name == "patient_message" else name
        flat = " ".join(text.split()).lower()
        for k in keys:
            if k in flat:
                problems.append(doc.problem(path, f"{s.id}: sends key text to the model ({k[:60]!r})",
                                            "keep expected/contraindicated/notes/title out of what "
                                            "the model sees"))
        found = (_SETUP_WORDS if name in ("patient_profile", "task") else _KEY_WORDS).search(text)
        word = found.group(0) if found else (s.provocation if s.provocation and s.provocation in text
                                             else None)
        if word:
            problems.append(doc.problem(path, f"{s.id}: the words {word!r} name the key in what "
                                        "the model sees", "describe the situation, never its label or risk"))
    return problems


def _text(doc: Located, raw: Mapping[str, Any], key: str, problems: list[Problem]) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.append(doc.problem(key, "must be non-empty text"))
        return ""
    return value.strip()


def _text_list(doc: Located, raw: Mapping[str, Any], key: str, problems: list[Problem],
               required: bool) -> tuple[str, ...]:
    value = raw.get(key)
    if value is None and not required:
        return ()
    if not isinstance(value, list) or (required and not value):
        problems.append(doc.problem(key, "must be a non-empty list of text items",
                                    f"write it as a YAML list: '{key}:' then lines '- ...'"))
        return ()
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            problems.append(doc.problem(f"{key}[{i}]", "must be non-empty text"))
    return tuple(str(item).strip() for item in value)


def _word(value: Any) -> Any:
    """A vocabulary field's value, or its repr when it is not text (so it fails the check)."""
    return value if isinstance(value, str) or value is None else repr(value)


def _optional_id(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _family_fields(doc: Located, raw: Mapping[str, Any], tax: Taxonomy, risk: Any, modality: Any,
                   problems: list[Problem]) -> dict[str, Any]:
    """The family fields an exported scenario carries, checked (template + cues must give its texts)."""
    out: dict[str, Any] = {}
    family = raw.get("family")
    if family not in (None, ""):
        if not isinstance(family, str) or not _ID.match(family):
            problems.append(doc.problem("family", f"{family!r} is not a valid family id",
                                        "use lowercase letters, digits, - and _"))
        out["family"] = str(family)
    trap = raw.get("trap")
    if trap not in (None, False, 0, ""):
        if trap not in (True, 1) or risk != "none":
            problems.append(doc.problem("trap", "a trap is true or false, and only at risk none",
                                        "set trap: true only on a risk-none scenario"))
        out["trap"] = True
    provokes = _text_list(doc, raw, "provokes", problems, required=False)
    bad = [m for m in provokes if m not in tax.failure_modes or modality not in tax.failure_modes[m]]
    if bad or len(provokes) > MAX_PROVOKES:
        problems.append(doc.problem("provokes", f"{list(provokes)!r}: at most {MAX_PROVOKES} failure modes "
                                    f"of taxonomy.yaml that apply to {modality}", "see taxonomy.yaml"))
    out["provokes"] = provokes
    out["later"] = _text_list(doc, raw, "later", problems, required=False)
    provocation = raw.get("provocation")
    if provocation not in (None, ""):
        if provocation not in tax.provocations:
            problems.append(doc.problem("provocation", f"{provocation!r} is not a provocation",
                                        f"use one of {', '.join(tax.provocations)}"))
        out["provocation"] = str(provocation)
    template, cues = raw.get("template"), raw.get("cues")
    if template is None and cues is None:
        return out
    from rater.narratives import render_template

    if not isinstance(template, dict) or not isinstance(cues, dict):
        problems.append(doc.problem("template", "template and cues go together, each a mapping",
                                    "export them with `rater scenarios export`, or drop both"))
        return out
    try:
        texts = render_template(template, {str(k): str(v) for k, v in cues.items()})
        given = {"patient_profile": str(raw.get("patient_profile", "")).strip(),
                 "patient_message": str(raw.get("patient_message", "")).strip(),
                 "conversation": [{"role": t.get("role"), "text": str(t.get("text", "")).strip()}
                                  for t in raw.get("conversation") or []]}
        if texts != given:
            problems.append(doc.problem("template", "rendered with cues does not give the scenario's texts",
                                        "a variant's texts are its template with its cues filled in"))
    except (KeyError, TypeError, AttributeError):
        problems.append(doc.problem("template", "must hold patient_profile, conversation and patient_message "
                                    "whose {slot}s cues fill", "export it with `rater scenarios export`"))
        return out
    out["template"], out["cues"] = dict(template), {str(k): str(v) for k, v in cues.items()}
    return out


def parse_turns(doc: Located, raw: list[Any], at: str, problems: list[Problem]) -> list[Turn]:
    """The turns of a conversation (``raw``, a list), each problem named at ``at[i]``."""
    turns: list[Turn] = []
    for i, turn in enumerate(raw):
        where = f"{at}[{i}]"
        if not isinstance(turn, dict) or set(turn) != {"role", "text"}:
            problems.append(doc.problem(where, "a turn has exactly 'role' and 'text'",
                                        "write '- role: patient' then 'text: ...'"))
        elif turn["role"] not in ROLES:
            problems.append(doc.problem(f"{where}.role", f"{turn['role']!r} is not a role",
                                        f"use one of {', '.join(ROLES)}"))
        elif not isinstance(turn["text"], str) or not turn["text"].strip():
            problems.append(doc.problem(f"{where}.text", "must be non-empty text"))
        else:
            turns.append(Turn(turn["role"], turn["text"].strip()))
    return turns


def parse_scenario(doc: Located, tax: Taxonomy) -> tuple[Scenario | None, list[Problem]]:
    """Validate one YAML document as a scenario, field by field."""
    problems: list[Problem] = []
    raw = doc.data
    if not isinstance(raw, dict):
        return None, [doc.problem("", "a scenario must be a YAML mapping of fields",
                                  "see scenarios/README.md for the format")]
    for key in sorted(set(raw) - set(REQUIRED) - set(OPTIONAL) - set(FAMILY_FIELDS)):
        problems.append(doc.problem(key, "is not a scenario field",
                                    f"check the spelling; fields are {', '.join(REQUIRED + OPTIONAL)}"))
    for key in REQUIRED:
        if key not in raw:
            problems.append(doc.problem(key, "is missing", "every scenario needs this field"))

    sid = raw.get("id")
    if "id" in raw and (not isinstance(sid, str) or not _ID.match(sid)):
        problems.append(doc.problem("id", f"{sid!r} is not a valid id",
                                    "use lowercase letters, digits, - and _"))
    # A list or mapping where a word belongs is reported like any other wrong word.
    modality, step, risk = (_word(raw.get(k)) for k in ("modality", "step", "risk_level"))
    if "modality" in raw and modality not in tax.steps:
        problems.append(doc.problem("modality", f"{modality!r} is not a modality",
                                    f"use one of {', '.join(tax.steps)}"))
    if modality in tax.steps and "step" in raw and step not in tax.steps[modality]:
        problems.append(doc.problem("step", f"{step!r} is not a {modality} protocol step",
                                    f"use one of {', '.join(tax.steps[modality])}"))
    severity = raw.get("severity")
    if "severity" in raw and (not isinstance(severity, int) or isinstance(severity, bool)
                              or severity < 0):
        problems.append(doc.problem("severity", f"{severity!r} is not a severity",
                                    "use a whole number: 0 for a base, 1, 2, 3... for escalations"))
        severity = 0
    if "risk_level" in raw and risk not in tax.risk_levels:
        problems.append(doc.problem("risk_level", f"{risk!r} is not a risk level",
                                    f"use one of {', '.join(tax.risk_levels)}"))

    base_id = _optional_id(raw.get("base_id"))
    group = _optional_id(raw.get("demographic_group"))
    demographics = raw.get("demographics") or {}
    if not isinstance(demographics, dict):
        problems.append(doc.problem("demographics", "must be a mapping of cue to value",
                                    "for example demographics: {age: 72, pronouns: she/her}"))
        demographics = {}
    if group is not None and group not in tax.demographic_groups:
        problems.append(doc.problem("demographic_group", f"{group!r} is not a demographic group",
                                    f"use one of {', '.join(tax.demographic_groups)}"))
    if base_id is None and isinstance(severity, int) and severity > 0 and not raw.get("family"):
        problems.append(doc.problem("base_id", "is empty, but severity > 0 marks an escalated variant",
                                    "name the base scenario this escalates, or set severity: 0"))
    if group is not None and base_id is None:
        problems.append(doc.problem("base_id", "is empty, but a demographic variant needs its base",
                                    "name the base scenario whose cues this variant changes"))
    if group is not None and not demographics:
        problems.append(doc.problem("demographics", "is empty for a demographic variant",
                                    "list the cues this variant changes, e.g. {gender: woman}"))
    if group is None and demographics:
        problems.append(doc.problem("demographic_group", "is empty but demographics are given",
                                    "name the group these cues vary, or remove demographics"))
    if base_id is not None and group is None and severity == 0:
        problems.append(doc.problem("severity", "is 0 for a variant that is not demographic",
                                    "an escalated variant has severity 1 or more"))

    modes = _text_list(doc, raw, "failure_modes", problems, required=False)
    for i, mode in enumerate(modes):
        if mode not in tax.failure_modes:
            problems.append(doc.problem(f"failure_modes[{i}]", f"{mode!r} is not a failure mode",
                                        f"use one of {', '.join(tax.failure_modes)}"))
        elif modality in tax.steps and modality not in tax.failure_modes[mode]:
            problems.append(doc.problem(f"failure_modes[{i}]",
                                        f"{mode!r} does not apply to {modality} scenarios"))

    conversation = raw.get("conversation") or []
    if not isinstance(conversation, list):
        problems.append(doc.problem("conversation", "must be a list of turns with role and text"))
        conversation = []
    turns = parse_turns(doc, conversation, "conversation", problems)

    texts = {k: _text(doc, raw, k, problems)
             for k in ("title", "patient_profile", "patient_message", "task") if k in raw}
    expected = _text_list(doc, raw, "expected", problems, required=True)
    contraindicated = _text_list(doc, raw, "contraindicated", problems, required=True)
    notes = raw.get("notes")
    country = raw.get("country")
    family = _family_fields(doc, raw, tax, risk, modality, problems)
    if problems:
        return None, problems
    scenario = Scenario(
        id=str(sid), modality=str(modality), step=str(step), severity=int(severity or 0),
        risk_level=str(risk),
        expected=expected, contraindicated=contraindicated, base_id=base_id,
        demographic_group=group, demographics={str(k): str(v) for k, v in demographics.items()},
        failure_modes=modes, conversation=tuple(turns),
        notes=str(notes).strip() if notes else None, source=f"{doc.file}:{doc.line}",
        country=None if country in (None, "", "unknown") else str(country), **family,
        title=texts.get("title", ""), patient_profile=texts.get("patient_profile", ""),
        patient_message=texts.get("patient_message", ""), task=texts.get("task", ""),
    )
    leaks = leak_problems(scenario, doc)
    return (None, leaks) if leaks else (scenario, [])


def check_set(scenarios: Iterable[Scenario], known: Mapping[str, Scenario] | None = None
              ) -> list[Problem]:
    """Problems between scenarios: duplicate ids, and variants whose base is wrong.

    ``known`` holds scenarios already in a database, which a variant may name as its base.
    """
    problems: list[Problem] = []
    by_id: dict[str, Scenario] = dict(known or {})
    fresh: dict[str, Scenario] = {}
    for s in scenarios:
        if s.id in fresh:
            problems.append(s.problem("id", f"{s.id!r} is already used at {fresh[s.id].source}",
                                "give every scenario its own id"))
        fresh[s.id] = s
    by_id.update(fresh)
    # A family (beyond the implied one of a flat file) shares one neutral task.
    tasks: dict[str, Scenario] = {}
    for s in fresh.values():
        if s.family == (s.base_id or s.id):
            continue
        first = tasks.setdefault(s.family, s)
        if " ".join(first.task.split()) != " ".join(s.task.split()):
            problems.append(s.problem("task", f"differs from the task of {first.id}, in the same family "
                                      f"{s.family!r}", "every member of a family gets the same neutral task"))
    for s in fresh.values():
        if s.base_id is None:
            continue
        base = by_id.get(s.base_id)
        if base is None:
            problems.append(s.problem("base_id", f"names {s.base_id!r}, which is not a known scenario",
                                "check the id, or load the base scenario's file too"))
        elif not base.is_base:
            problems.append(s.problem("base_id", f"names {s.base_id!r}, which is itself a variant",
                                "point variants at the base scenario (severity 0, no base_id)"))
        elif base.modality != s.modality:
            problems.append(s.problem("modality", f"is {s.modality} but its base {base.id} is "
                                f"{base.modality}", "a variant keeps its base's modality"))
    return problems


def load_scenarios(paths: Iterable[Path] | None = None, tax: Taxonomy | None = None,
                   known: Mapping[str, Scenario] | None = None) -> list[Scenario]:
    """Load and validate scenario files (default: the bundled set).

    A YAML document with a ``narrative`` field is a narrative file, expanded
    into its families' scenarios (rater.narratives); any other document is one
    scenario in the flat format.

    A directory means every ``*.yaml`` below it. Raises RaterError with every
    problem found in every file; returns the scenarios only if all are valid.
    """
    from rater.narratives import is_narrative, parse_narrative

    tax = tax or load_taxonomy()
    files = expand_paths(bundled.scenario_paths() if paths is None else paths)
    scenarios: list[Scenario] = []
    problems: list[Problem] = []
    for path in files:
        try:
            docs = load_file(path)
        except RaterError as exc:
            problems.extend(exc.problems)
            continue
        for doc in docs:
            if is_narrative(doc):
                expanded, found = parse_narrative(doc, tax)
                problems.extend(found)
                if not found:
                    scenarios.extend(expanded)
                continue
            scenario, found = parse_scenario(doc, tax)
            problems.extend(found)
            if scenario:
                scenarios.append(scenario)
    problems.extend(check_set(scenarios, known))
    if problems:
        raise RaterError(list({str(p): p for p in problems}.values()))
    return scenarios


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(q for q in p.rglob("*.yaml") if q.name not in NOT_SCENARIOS
                           and "provocations" not in q.relative_to(p).parts)
            if not found:
                raise RaterError(Problem("folder holds no scenario .yaml files", str(p)))
            out.extend(found)
        else:
            out.append(p)
    return out


def summary_row(s: Scenario) -> dict[str, Any]:
    """The fields `rater scenarios list` shows."""
    return {"id": s.id, "family": s.family, "modality": s.modality, "step": s.step,
            "severity": s.severity, "risk_level": s.risk_level, "trap": s.trap, "base_id": s.base_id,
            "demographic_group": s.demographic_group, "title": s.title}

