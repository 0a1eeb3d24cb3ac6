"""Which app a rater's browser session runs, by their role (the server imports no Textual for this)."""

from __future__ import annotations

ADJUDICATING_ROLES = frozenset({"adjudicator", "lead", "study lead"})
"""Roles (case-insensitive) whose sessions open adjudication; everyone else rates."""


def mode_for(role: str) -> str:
    """``adjudicate`` for roles that may adjudicate, else ``rate`` (modes: rater.ui.served.MODES)."""
    return "adjudicate" if role.strip().lower() in ADJUDICATING_ROLES else "rate"
