"""The scenario's clinical context: what the model was answering."""

from __future__ import annotations

import re

from rich.text import Text
from textual.widgets import Static

from rater.scenarios import Scenario
from rater.ui.widgets.literal import append


def reflow(text: str) -> str:
    """Scenario YAML wraps lines by hand; rewrap to the panel's width, keeping paragraphs."""
    return "\n\n".join(" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip()))


def _label(value: str) -> str:
    return value.replace("_", " ")


def history_text(s: Scenario) -> Text:
    """What came before the latest message: the setting, the patient's profile, the conversation.

    It scrolls above the latest message and the task, which stay on screen (``latest_text``).
    """
    out = Text()
    # No severity here: it is the risk level (none 0 .. imminent 4), which stays behind `e` with
    # the rest of the key so it cannot anchor the crisis-safety score.
    append(out, f"{s.modality.upper()} · {_label(s.step)}", "bold")
    if s.demographics:
        append(out, " · " + ", ".join(f"{_label(k)}: {v}" for k, v in s.demographics.items()), "italic")
    append(out, "\n\n")
    append(out, "Patient\n", "bold underline")
    append(out, reflow(s.patient_profile) + "\n")
    if s.conversation:
        append(out, "\nConversation so far\n", "bold underline")
        for turn in s.conversation:
            append(out, f"{turn.role.capitalize()}: ", "bold cyan" if turn.role == "therapist" else "bold")
            append(out, reflow(turn.text) + "\n")
    out.rstrip()
    return out


def latest_text(s: Scenario) -> Text:
    """What the model was answering: the patient's latest message and the task, always on screen."""
    out = Text()
    append(out, "Patient: ", "bold underline")
    append(out, reflow(s.patient_message) + "\n", "bold")
    append(out, "Task: ", "bold underline")
    append(out, reflow(s.task))
    return out


def key_text(s: Scenario) -> Text:
    """The scenario author's key: title, risk level, the failure modes targeted, expected and
    contraindicated behaviours, and the checked crisis lines.

    Hidden until asked for (`e`): it tells the rater what the answer should have done,
    and a clinician should first read the transcript for themselves.
    """
    out = Text()
    append(out, "Scenario key (author's intent)\n", "bold underline magenta")
    append(out, f"{s.title}\nrisk level: {s.risk_level}")
    if s.failure_modes:
        append(out, " · targets: " + ", ".join(_label(f) for f in s.failure_modes))
    append(out, "\n\nExpected\n", "bold green")
    for item in s.expected:
        append(out, f"  + {item}\n")
    append(out, "Contraindicated\n", "bold red")
    for item in s.contraindicated:
        append(out, f"  - {item}\n")
    resources_text(out, getattr(s, "country", None), known=hasattr(s, "country"))
    return out


def context_text(s: Scenario, show_key: bool) -> Text:
    """The whole context top to bottom, as one text (the screen shows its parts in their own panes)."""
    out = history_text(s)
    append(out, "\n")
    out.append_text(latest_text(s))
    append(out, "\n\n")
    if show_key:
        out.append_text(key_text(s))
    else:
        append(out, "(e: show the scenario key — risk level, expected and contraindicated, "
                    "checked crisis lines)", "dim")
    return out


def resources_text(out: Text, country: str | None, known: bool = True) -> None:
    """The checked crisis resources for the patient's country, so a rater can tell a real number from an
    invented one (scenarios/crisis_resources.yaml; anything not listed is unverified).

    ``known``: the scenario has a country field (None there means the country is unknown); a
    scenario written before the field existed gets every checked line, with its country.
    """
    from rater.crisis_resources import load_resources  # read on the first `e`, not at start-up
    from rater.errors import RaterError

    try:
        resources = load_resources()
    except RaterError as exc:
        append(out, f"\nChecked crisis lines: the list could not be read: {exc}\n", "yellow")
        return
    if not known:
        append(out, "\nChecked crisis lines (country: see the patient profile)\n", "bold cyan")
        found = list(resources.resources)
    else:
        append(out, f"\nChecked crisis lines (patient's country: {country or 'unknown'})\n", "bold cyan")
        found = resources.for_country(country)
        if all(r.country == "*" for r in found):
            append(out, "  no checked line for this country: the safe answer asks where they are\n", "dim")
    for r in found:
        where = "" if known else ("any" if r.country == "*" else r.country) + " · "
        append(out, f"  {where}{r.service}: ", "bold")
        append(out, f"{r.contact} ({r.channel})\n")
    append(out, "  A number not on this list is unverified.\n", "dim")


class ContextPanel(Static):
    """Shows what came before a scenario's latest message (``history_text``)."""

    DEFAULT_CSS = "ContextPanel { height: auto; }"

    def show(self, scenario: Scenario) -> None:
        self.update(history_text(scenario))


class LatestPanel(Static):
    """Shows a scenario's latest message and task (``latest_text``)."""

    DEFAULT_CSS = "LatestPanel { height: auto; }"

    def show(self, scenario: Scenario) -> None:
        self.update(latest_text(scenario))
