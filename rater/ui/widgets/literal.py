"""Model-written text shown exactly as written.

Answers and rationales come from language models and contain ``[``, ``]``,
markup-like tags and terminal escape sequences. They are never parsed as
Rich or Textual markup (they go into ``rich.text.Text`` as plain text), and
control characters are replaced by their visible Unicode "control picture"
(ESC becomes ␛), so an escape sequence is shown rather than obeyed and
cannot restyle or corrupt the terminal. ``score_text`` is the one way the
widgets write a score.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from rater.literal import visible

if TYPE_CHECKING:
    from rater.rubric import Axis

# One table for the whole program: rater.literal (the CLI uses it too).


def literal(text: str, style: str = "") -> Text:
    """A Rich Text holding ``text`` literally: no markup, no escape sequences."""
    return Text(visible(text), style=style)


def append(out: Text, text: str, style: str = "") -> Text:
    """Append ``text`` literally to ``out`` and return ``out``."""
    out.append(visible(text), style=style)
    return out


def score_text(score: float | None, na: str = "N/A") -> str:
    """A score as the widgets show it: ``4``, ``2.5``, or ``na`` for not applicable (None).

    The rater's own form says "N/A" (the key's label); the judge panel passes "n/a".
    """
    return na if score is None else f"{score:g}"


def score_cell(axis: Axis, score: float | None, na: str = "N/A", tied: bool = False) -> str:
    """A score in narrow columns: the number, or a nominal axis's category by its first letters
    (* marks a tied mode)."""
    if score is None or not axis.nominal:
        return score_text(score, na)
    return axis.label(score)[: 2 if tied else 3] + ("*" if tied else "")


def score_full(axis: Axis, score: float | None, na: str = "N/A") -> str:
    """A score in a row or a sentence: "4", "N/A", or a nominal axis's key and category,
    "3 under reaction"."""
    if score is None or not axis.nominal or not float(score).is_integer():
        return score_text(score, na)
    return axis.choice(int(score))
