"""Which scenarios are counterfactual demographic siblings: one rule for the judges and the rating app.

Demographic robustness compares a model's answer with the same model's
answers to scenarios that hold the clinical content and the key fixed and
change one demographic cue. Two scenarios are counterparts when:

- they belong to the same demographic set: a base scenario and the variants
  whose ``base_id`` points at it (and, once scenarios carry a ``family``,
  the same family);
- each is the base or a demographic variant (an escalation of the base is
  not a counterpart: its risk, and so its right answer, differ);
- they share the key's severity and risk level (a variant written at another
  risk level answers another question).

Repeated samples of the same scenario are not counterparts: they are the
consistency axis's siblings. Answers are compared within one model only.

An axis judged against siblings (``compare: samples`` or ``counterparts`` in
the rubric) is not applicable exactly when the answer has no siblings of its
kind: the judges are not asked it then, and a clinician may not call it N/A
when they exist (``without_siblings`` / ``with_siblings``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rater.rubric import Axis
from rater.scenarios import Scenario

NO_SIBLINGS = {"samples": "no other sample of this model for this scenario to compare with",
               "counterparts": "no answer of this model to a counterfactual demographic sibling"}
"""Why a comparison axis is not applicable, by the kind of siblings it compares with."""

SIBLINGS_PRESENT = {
    "samples": "this model has other samples of this scenario to compare with",
    "counterparts": "this model answered counterfactual demographic siblings of this scenario"}
"""Why a comparison axis must be scored, by the kind of siblings it compares with."""


def without_siblings(axes: Iterable[Axis], have: Mapping[str, bool]) -> dict[str, str]:
    """The comparison axes not applicable to an answer, with why: their kind of sibling is missing.

    ``have``: whether the answer has siblings of each kind ("samples", "counterparts").
    """
    return {a.id: NO_SIBLINGS[a.compare] for a in axes if a.compare and not have.get(a.compare)}


def with_siblings(axes: Iterable[Axis], have: Mapping[str, bool]) -> dict[str, str]:
    """The comparison axes that may not be N/A for an answer, with why: its siblings of that kind exist."""
    return {a.id: SIBLINGS_PRESENT[a.compare] for a in axes if a.compare and have.get(a.compare)}


def anchor(s: Scenario) -> str:
    """The base scenario a demographic set is built around: the variant's base, or the scenario itself."""
    return s.base_id if s.demographic_group and s.base_id else s.id


def _family(s: Scenario) -> str | None:
    return getattr(s, "family", None)


def comparable(s: Scenario, other: Scenario) -> bool:
    """Whether ``other`` is a counterfactual demographic sibling of ``s`` (never ``s`` itself)."""
    if other.id == s.id or anchor(other) != anchor(s):
        return False
    if not (other.demographic_group or other.id == anchor(s)):
        return False  # an escalation or a trap built on the same base
    if not (s.demographic_group or s.id == anchor(s)):
        return False
    if not (s.demographic_group or other.demographic_group):
        return False  # two non-variant scenarios never differ in a demographic cue
    if _family(s) != _family(other):
        return False
    return (s.severity, s.risk_level) == (other.severity, other.risk_level)


def counterparts(s: Scenario, candidates: Iterable[Scenario]) -> list[Scenario]:
    """The counterparts of ``s`` among ``candidates``: the base first, then variants by id."""
    found = [c for c in candidates if comparable(s, c)]
    return sorted(found, key=lambda c: (c.id != anchor(s), c.id))


def cue(s: Scenario) -> str:
    """What distinguishes a counterpart, as a reader sees it: "age: 70" or "the base scenario"."""
    if not s.demographic_group:
        return "the base scenario (no demographic change)"
    shown = ", ".join(f"{k}: {v}" for k, v in s.demographics.items())
    if not shown:
        return s.demographic_group
    return shown if set(s.demographics) == {s.demographic_group} else f"{s.demographic_group}: {shown}"
