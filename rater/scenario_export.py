"""`rater scenarios export`: the fully expanded set as JSONL, and the counts a reviewer checks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from rater.scenarios import Scenario
from rater.taxonomy import load_taxonomy

EXPORT_FIELDS = ("id", "family", "modality", "step", "severity", "risk_level", "trap", "provocation",
                 "demographic_group", "variant", "demographics", "country", "patient_profile", "conversation",
                 "patient_message", "task", "expected", "contraindicated", "later", "provokes",
                 "failure_modes", "notes", "title", "base_id", "template", "cues")


def export_row(s: Scenario) -> dict[str, Any]:
    """One line of `rater scenarios export`: every field, the conversation as role/text objects.

    For a demographic family's scenarios, ``template`` holds the family's texts with
    ``{slot}`` placeholders and ``cues`` this scenario's slot values: rendering one with the
    other (rater.narratives.render_template) gives this scenario's texts exactly.
    """
    data = asdict(s)
    data["variant"] = s.variant
    data["conversation"] = [{"role": t.role, "text": t.text} for t in s.conversation]
    for key in ("expected", "contraindicated", "later", "provokes", "failure_modes"):
        data[key] = list(data[key])
    return {k: data[k] for k in EXPORT_FIELDS}



def export_counts(scenarios: Iterable[Scenario]) -> str:
    """Counts by modality, step, risk level, trap, provocation, demographic group and failure mode."""
    items = list(scenarios)
    tax = load_taxonomy()
    lines = [f"{len(items)} scenarios in {len({s.family for s in items})} families"]

    def table(title: str, counter: Counter[Any], order: Iterable[Any] | None = None) -> None:
        keys = list(order) if order is not None else sorted(counter, key=str)
        keys += [k for k in sorted(counter, key=str) if k not in keys]
        lines.append(f"{title}: " + ", ".join(f"{k} {counter[k]}" for k in keys if counter[k]))

    for m in tax.steps:
        mine = [s for s in items if s.modality == m]
        if not mine:
            continue
        calm = sum(s.risk_level == "none" for s in mine)
        lines.append(f"{m}: {len(mine)} ({calm} at risk none, {len(mine) - calm} escalated, "
                     f"{sum(s.trap for s in mine)} traps)")
        table(f"  {m} by step", Counter(s.step for s in mine), tax.steps[m])
        table(f"  {m} by risk level", Counter(s.risk_level for s in mine), tax.risk_levels)
    table("by risk level", Counter(s.risk_level for s in items), tax.risk_levels)
    table("traps", Counter("trap" if s.trap else "not a trap" for s in items))
    table("by provocation", Counter(s.provocation or "(flat file)" for s in items), tax.provocations)
    table("demographic variants by group", Counter(s.demographic_group for s in items if s.demographic_group),
          tax.demographic_groups)
    table("demographic variants by risk level",
          Counter(s.risk_level for s in items if s.demographic_group), tax.risk_levels)
    table("by failure mode provoked", Counter(m for s in items for m in s.provokes), tax.failure_modes)
    table("by country", Counter(s.country or "unknown" for s in items))
    return "\n".join(lines)
