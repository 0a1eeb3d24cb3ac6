"""A confusion matrix as a small heat grid: human consensus (rows) against a judge (columns).

Counts are printed in each cell and the cell is shaded by its share of the
largest count, so a panel that agrees with clinicians shows a bright
diagonal and a lenient one a bright band right of it (every rubric axis is
higher-is-better). Plain Rich text: no plotting dependency, and it reads the
same in a snapshot, over SSH and in a browser.
"""

from __future__ import annotations

import math
from typing import Any

from rich.text import Text
from textual.widgets import Static

from rater.ui.widgets.literal import append, score_text

SHADES = ("#17324d", "#1d4f7a", "#2a6fa8", "#3b8fd3", "#62b1ef")
"""Background per fifth of the largest count, darkest first (0 is left unshaded)."""
CELL = 4


def shade(count: int, largest: int) -> str:
    """The background for ``count`` of a grid whose largest cell holds ``largest`` ("" for none)."""
    if count <= 0 or largest <= 0:
        return ""
    step = min(len(SHADES) - 1, math.ceil(count / largest * len(SHADES)) - 1)
    return SHADES[step]


def heat_grid(confusion: dict[str, Any], judge: str) -> Text:
    """The grid of ``confusion`` (a ``Record.confusion``: values, counts) with its axis labels.

    ``judge`` names the columns: a judge, or "panel" for the panel aggregate.
    """
    values = [score_text(v) for v in confusion["values"]]
    counts: list[list[int]] = confusion["counts"]
    largest = max((c for row in counts for c in row), default=0)
    out = Text()
    append(out, "rows: human consensus\n", "dim")
    append(out, "cols: ", "dim")
    append(out, judge + "\n", "bold")
    append(out, " " * 3)
    for v in values:
        append(out, v.rjust(CELL - 1) + " ", "bold")
    append(out, "\n")
    for i, (label, row) in enumerate(zip(values, counts, strict=True)):
        append(out, label.rjust(2) + " ", "bold")
        for j, count in enumerate(row):
            background = shade(count, largest)
            style = f"on {background}" if background else "dim"
            if background:
                style += " black" if background == SHADES[-1] else " white"
            if i == j:
                style += " bold underline"
            append(out, (str(count) if count else "·").rjust(CELL - 1) + " ", style)
        append(out, "\n")
    append(out, "underlined: same score\n", "dim")
    return out


class HeatGrid(Static):
    """Shows a :func:`heat_grid`, or a line of text when there is nothing to plot."""

    DEFAULT_CSS = "HeatGrid { height: auto; }"

    def show(self, confusion: dict[str, Any] | None, judge: str, empty: str = "") -> None:
        if confusion is None:
            self.update(Text(empty, style="dim"))
        else:
            self.update(heat_grid(confusion, judge))
