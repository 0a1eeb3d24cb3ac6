"""The judge panel: each judge's score per axis, the panel's median, and their reasons."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from rater.panel import Panel
from rater.rubric import Rubric
from rater.ui.widgets.literal import append, score_text

_NA = "n/a"  # the judge panel has always written N/A in lower case (the form: "N/A")


def panel_text(panel: Panel, rubric: Rubric, focus_axis: str, hidden: bool) -> Text:
    out = Text()
    if hidden:
        append(out, "Judges hidden (blind mode).\n", "bold")
        append(out, "Save your own rating first (Enter); the judges' scores are then shown "
                    "and you can revise. Both ratings are kept.", "dim")
        return out
    if panel.empty:
        append(out, "No judge has scored this answer yet.", "dim")
        return out
    letters = {j: chr(ord("A") + i) for i, j in enumerate(panel.judges)}
    width = 12
    append(out, "axis".ljust(width), "bold")
    for j in panel.judges:
        append(out, f" {letters[j]:>3}", "bold")
    append(out, "  med\n", "bold")
    for axis in rubric.axes:
        ap = panel.axes.get(axis.id)
        style = "reverse" if axis.id == focus_axis else ""
        append(out, axis.name[:width].ljust(width), style)
        for j in panel.judges:
            s = ap.judges.get(j) if ap else None
            append(out, f" {score_text(s.score, _NA) if s else '-':>3}", style)
        median = score_text(ap.aggregate, _NA) if ap else "-"
        append(out, f"  {median:>3}\n", style + " bold" if style else "bold")
    method = next(iter(panel.axes.values())).method if panel.axes else "median"
    append(out, f"med: the panel's {method}, N/A left out\n", "dim")
    if panel.failed:
        append(out, "failed (no scores): " + ", ".join(panel.failed) + "\n", "yellow")
    focus = rubric.axis(focus_axis)
    append(out, f"\n{focus.name}: why\n", "bold underline")
    ap = panel.axes.get(focus_axis)
    for s in ap.judges.values() if ap else ():
        append(out, f"{letters[s.judge]} {s.judge} ({score_text(s.score, _NA)}): ", "bold")
        append(out, (s.rationale or "(no rationale)") + "\n")
    return out


class JudgePanelView(Static):
    """Shows a Panel, or a placeholder while the judges are hidden."""

    DEFAULT_CSS = "JudgePanelView { height: auto; }"

    def show(self, panel: Panel, rubric: Rubric, focus_axis: str, hidden: bool) -> None:
        self.update(panel_text(panel, rubric, focus_axis, hidden))


def rubric_text(rubric: Rubric, axis_id: str) -> Text:
    """One axis in full: definition, every anchor, and when it is not applicable."""
    a = rubric.axis(axis_id)
    out = Text()
    append(out, f"{a.name} ({a.low}-{a.high}, higher is better)\n", "bold")
    append(out, a.definition + "\n\n")
    for point in a.values:
        if point in a.anchors:
            append(out, f"{point}: ", "bold")
            append(out, a.anchors[point] + "\n")
    if a.allows_na:
        append(out, "\n0 = not applicable: ", "bold")
        append(out, (a.not_applicable or "") + "\n")
    else:
        append(out, "\nNever not applicable.\n", "dim")
    return out
