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

from rich.text import Text

_TABLE: dict[int, str] = {i: chr(0x2400 + i) for i in range(32) if i not in (9, 10)}
_TABLE[0x7F] = "\u2421"
_TABLE.update({i: f"\\x{i:02x}" for i in range(0x80, 0xA0)})
# Bidirectional overrides and isolates would reorder what the rater reads ("Trojan Source").
_TABLE.update({i: f"<U+{i:04X}>" for i in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))})


def visible(text: str) -> str:
    """``text`` with control characters (other than newline and tab) made visible."""
    return text.replace("\r\n", "\n").translate(_TABLE).expandtabs(4)


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
