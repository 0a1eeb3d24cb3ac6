"""The provocation library: the key of every (modality, step, provocation), written and reviewed once.

``scenarios/provocations/<modality>.yaml`` holds, per provocation, its risk
level, trap flag, the failure modes it provokes and the expected,
contraindicated and later-turn behaviours for ONE reply, common to every step
plus what is specific to each step where writers may use it. A narrative's
scenario takes its key from here; the risk level's lines and the safety-check
rule's lines come from taxonomy.yaml, so each rule lives in one place. An
entry with ``risk_lines: false`` writes its whole crisis reply itself (harm to
another person, preparatory acts hinted at, a burden thought asked about first).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from rater import bundled
from rater.errors import Problem, RaterError
from rater.taxonomy import Taxonomy, load_taxonomy
from rater.yamlsrc import Located, load_file

MAX_PROVOKES = 3
SAFETY_CLASSES = ("ambiguous", "trap", "not_needed")
_FIELDS = {"risk_level", "trap", "safety_check", "risk_lines", "provokes", "expected",
           "contraindicated", "later", "steps", "description"}
_STEP_FIELDS = {"provokes", "expected", "contraindicated", "later"}


@dataclass(frozen=True)
class Key:
    """What a competent next reply does and avoids, for one (modality, step, provocation)."""

    risk_level: str
    severity: int
    trap: bool
    provokes: tuple[str, ...]
    expected: tuple[str, ...]
    contraindicated: tuple[str, ...]
    later: tuple[str, ...]


@dataclass(frozen=True)
class Library:
    modality: str
    keys: dict[tuple[str, str], Key]  # (step, provocation) -> key
    source: str


def library_path(modality: str) -> Path:
    return bundled.data_dir() / "provocations" / f"{modality}.yaml"


def _lines(doc: Located, raw: dict[str, Any], key: str, at: str, problems: list[Problem]
           ) -> tuple[str, ...]:
    value = raw.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(x, str) and x.strip() for x in value):
        problems.append(doc.problem(f"{at}.{key}", "must be a list of non-empty text lines",
                                    f"write '{key}:' then lines '- ...'"))
        return ()
    return tuple(" ".join(x.split()) for x in value)


def parse_library(doc: Located, tax: Taxonomy) -> tuple[Library | None, list[Problem]]:
    """Check one library file against the taxonomy and build its keys."""
    problems: list[Problem] = []
    raw = doc.data
    if not isinstance(raw, dict) or not isinstance(raw.get("provocations"), dict):
        return None, [doc.problem("provocations", "a provocation library maps 'provocations' to entries",
                                  "see scenarios/README.md, 'The provocation library'")]
    modality = raw.get("modality")
    if modality not in tax.steps:
        return None, [doc.problem("modality", f"{modality!r} is not a modality",
                                  f"use one of {', '.join(tax.steps)}")]
    resume_raw = raw.get("resume") or {}
    resume = {str(k): " ".join(str(v).split()) for k, v in resume_raw.items()} \
        if isinstance(resume_raw, dict) else {}
    for step in tax.steps[modality]:
        if step not in resume:
            problems.append(doc.problem("resume", f"has no line for step {step!r}",
                                        "say what going on with the exercise means at that step"))
    keys: dict[tuple[str, str], Key] = {}
    for pid, entry in raw["provocations"].items():
        at = f"provocations.{pid}"
        if pid not in tax.provocations:
            problems.append(doc.problem(at, f"{pid!r} is not a provocation in taxonomy.yaml",
                                        f"use one of {', '.join(tax.provocations)}"))
            continue
        if not isinstance(entry, dict):
            problems.append(doc.problem(at, "must be a mapping of fields"))
            continue
        for extra in sorted(set(entry) - _FIELDS):
            problems.append(doc.problem(f"{at}.{extra}", "is not a library field",
                                        f"fields are {', '.join(sorted(_FIELDS))}"))
        risk = entry.get("risk_level")
        if risk not in tax.risk_levels:
            problems.append(doc.problem(f"{at}.risk_level", f"{risk!r} is not a risk level",
                                        f"use one of {', '.join(tax.risk_levels)}"))
            continue
        trap = entry.get("trap", False)
        if not isinstance(trap, bool) or (trap and risk != "none"):
            problems.append(doc.problem(f"{at}.trap", "a trap is true or false, and only at risk none",
                                        "set trap: true only on a risk-none provocation"))
        check = entry.get("safety_check")
        if risk == "none" and check not in SAFETY_CLASSES:
            problems.append(doc.problem(f"{at}.safety_check",
                                        f"{check!r} is not a class of the safety-check rule",
                                        f"a risk-none provocation names one of {', '.join(SAFETY_CLASSES)}"))
        if risk == "none" and trap and check != "trap":
            problems.append(doc.problem(f"{at}.safety_check", "a trap uses the 'trap' class",
                                        "write safety_check: trap"))
        if risk != "none" and check is not None:
            problems.append(doc.problem(f"{at}.safety_check", "applies to risk none only",
                                        "remove it; the risk level's lines apply"))
        common = {k: _lines(doc, entry, k, at, problems) for k in ("expected", "contraindicated", "later")}
        steps = entry.get("steps")
        if not isinstance(steps, dict) or not steps:
            problems.append(doc.problem(f"{at}.steps", "must map the steps it may be used at to their lines",
                                        "write 'steps:' then one line per step, e.g. "
                                        "'  imaginal_exposure: {}' for the common lines only"))
            continue
        for step, sraw in steps.items():
            sat = f"{at}.steps.{step}"
            sraw = sraw or {}
            if step not in tax.steps[modality]:
                problems.append(doc.problem(sat, f"{step!r} is not a {modality} step",
                                            f"use one of {', '.join(tax.steps[modality])}"))
                continue
            if not isinstance(sraw, dict) or set(sraw) - _STEP_FIELDS:
                problems.append(doc.problem(sat, "holds only provokes, expected, contraindicated, later"))
                continue
            provokes = sraw.get("provokes", entry.get("provokes"))
            modes = ", ".join(m for m, ms in tax.failure_modes.items() if modality in ms)
            if (not isinstance(provokes, list) or not 1 <= len(provokes) <= MAX_PROVOKES
                    or any(p not in tax.failure_modes or modality not in tax.failure_modes[p]
                           for p in provokes)):
                problems.append(doc.problem(f"{sat}.provokes" if "provokes" in sraw else f"{at}.provokes",
                                            f"{provokes!r}: 1 to {MAX_PROVOKES} failure modes of "
                                            f"taxonomy.yaml that apply to {modality}",
                                            f"use {modes}"))
                continue
            own = {k: _lines(doc, sraw, k, sat, problems) for k in ("expected", "contraindicated", "later")}
            if risk == "none":
                rule = tax.safety_check.get(str(check) if not trap else "trap")
            else:
                rule = tax.risk_keys.get(str(risk)) if entry.get("risk_lines", True) else None
            rule_expected = rule.expected if rule else ()
            rule_contra = rule.contraindicated if rule else ()
            sub = resume.get(step, "")
            expected = tuple(x.replace("{resume}", sub)
                             for x in (*common["expected"], *own["expected"], *rule_expected))
            contra = tuple(x.replace("{resume}", sub)
                           for x in (*common["contraindicated"], *own["contraindicated"], *rule_contra))
            later = tuple(x.replace("{resume}", sub) for x in (*common["later"], *own["later"]))
            if not expected or not contra:
                problems.append(doc.problem(sat, "has no expected or no contraindicated line",
                                            "write at least one of each, for the provocation or the step"))
                continue
            keys[(str(step), str(pid))] = Key(str(risk), tax.severity(str(risk)), bool(trap),
                                              tuple(provokes), expected, contra, later)
    return Library(str(modality), keys, doc.file), problems


@lru_cache(maxsize=8)
def load_library(modality: str, path: Path | None = None) -> Library:
    """The bundled (or given) library of one modality; RaterError listing every problem."""
    path = path or library_path(modality)
    tax = load_taxonomy()
    docs = load_file(path)
    library, problems = parse_library(docs[0], tax)
    if library and library.modality != modality:
        problems.append(docs[0].problem("modality", f"is {library.modality}, expected {modality}"))
    if problems or library is None:
        raise RaterError(problems)
    return library
