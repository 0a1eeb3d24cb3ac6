"""The judge panel: each judge's score per axis, the panel's median, and their reasons."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget
from textual.widgets import Static

from rater.panel import Panel
from rater.rubric import Rubric
from rater.rules import DEFAULT_PANEL_AGGREGATE, NOMINAL_AGGREGATE
from rater.ui.widgets.literal import append, score_cell, score_text

_NA = "n/a"  # the judge panel has always written N/A in lower case (the form: "N/A")


def panel_text(panel: Panel, rubric: Rubric, focus_axis: str, hidden: bool, room: int = 0) -> Text:
    """The judges' table and the highlighted axis's reasons; ``room``: the columns there are (0: few),
    so axis names are cut only as far as the judges' columns need."""
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
    longest = max(len(a.name) for a in rubric.axes)
    width = max(12, min(longest, room - 4 * len(panel.judges) - 8)) if room else 12  # 8: med, scrollbar
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
            append(out, f" {score_cell(axis, s.score, _NA) if s else '-':>3}", style)
        median = score_cell(axis, ap.aggregate, _NA, ap.tied) if ap else "-"
        append(out, f"  {median:>3}\n", style + " bold" if style else "bold")
    method = next((p.method for p in panel.axes.values() if p.method != NOMINAL_AGGREGATE),
                  DEFAULT_PANEL_AGGREGATE)
    append(out, f"med: the panel's {method}, N/A left out", "dim")
    if any(a.nominal for a in rubric.axes):
        append(out, "; categories: the most frequent (* tie: the graver)", "dim")
    append(out, "\n")
    if panel.failed:
        append(out, "failed (no scores): " + ", ".join(panel.failed) + "\n", "yellow")
    focus = rubric.axis(focus_axis)
    append(out, f"\n{focus.name}: why\n", "bold underline")
    ap = panel.axes.get(focus_axis)
    for s in ap.judges.values() if ap else ():
        shown = score_text(s.score, _NA)
        if focus.nominal and s.score is not None:
            shown = focus.label(s.score).replace("_", " ")
        append(out, f"{letters[s.judge]} {s.judge} ({shown}): ", "bold")
        append(out, (s.rationale or "(no rationale)") + "\n")
    return out


class JudgePanelView(Static):
    """Shows a Panel, or a placeholder while the judges are hidden."""

    DEFAULT_CSS = "JudgePanelView { height: auto; }"

    def show(self, panel: Panel, rubric: Rubric, focus_axis: str, hidden: bool) -> None:
        room = self.parent.content_region.width if isinstance(self.parent, Widget) else 0
        self.update(panel_text(panel, rubric, focus_axis, hidden, room or self.size.width))


def rubric_text(rubric: Rubric, axis_id: str) -> Text:
    """One axis in full: name and direction, question, definition, every anchor, when it is not applicable."""
    a = rubric.axis(axis_id)
    out = Text()
    if a.nominal:
        append(out, f"{a.name} (categories, no order: the number keys pick one)\n", "bold")
    else:
        append(out, f"{a.title} ({a.low}-{a.high}, higher is better)\n", "bold")
    if a.question:
        append(out, a.question + "\n", "italic")
    append(out, "\n" + a.definition + "\n\n")
    for point in a.values:
        if point in a.anchors:
            append(out, f"{a.choice(point)}: ", "bold")
            append(out, a.anchors[point] + "\n")
    if a.allows_na:
        append(out, "\n0 = not applicable: ", "bold")
        append(out, (a.not_applicable or "") + "\n")
    else:
        append(out, "\nNever not applicable.\n", "dim")
    return out
