"""Stored and model-written strings shown literally, on every surface (the one home of the rule).

Names (raters, judges, models), notes, rationales, replies and errors can
hold terminal escape sequences, bidi overrides and markup. Printed raw, an
imported rater name can clear the screen or retitle the terminal. ``shown``
replaces each control character by its visible Unicode "control picture"
(ESC becomes ␛) and bidi controls by ``<U+202E>``, so the sequence is seen,
not obeyed. The terminal app uses the same table (``rater.ui.widgets.literal``);
``rater.exports`` has the spreadsheet counterpart (formula prefixes).

>>> shown("Dr \\x1b]0;pwned\\x07Ana")
'Dr ␛]0;pwned␇Ana'
>>> shown("two\\nlines"), shown("two\\nlines", one_line=False)
('two␊lines', 'two\\nlines')
"""

from __future__ import annotations

_TABLE: dict[int, str] = {i: chr(0x2400 + i) for i in range(32) if i not in (9, 10)}
_TABLE[0x7F] = "\u2421"
_TABLE.update({i: f"\\x{i:02x}" for i in range(0x80, 0xA0)})
# Bidirectional overrides and isolates would reorder what a person reads ("Trojan Source").
_TABLE.update({i: f"<U+{i:04X}>" for i in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))})
_ONE_LINE = {**_TABLE, 9: "\u2409", 10: "\u240a"}


def visible(text: str) -> str:
    """``text`` with control characters (other than newline and tab) made visible; tabs expanded."""
    return text.replace("\r\n", "\n").translate(_TABLE).expandtabs(4)


def shown(text: object, *, one_line: bool = True) -> str:
    """``text`` as the CLI prints it: nothing in it acts on the terminal.

    ``one_line`` (for names and table cells) shows line breaks and tabs too,
    so a name cannot start a fake line of output.
    """
    value = "" if text is None else str(text)
    return value.translate(_ONE_LINE) if one_line else visible(value)
