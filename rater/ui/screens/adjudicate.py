"""The adjudication screen: answers where clinicians disagree most, and a reference score per axis.

Left, the worklist (rater.adjudication.worklist), worst first: spread among
the clinicians, then the gap between their consensus and the panel. Right,
the highlighted answer: each axis with every clinician's score, the judges'
scores and the reference so far; then the clinicians' notes and flags, the
judges' reasons on the selected axis, and the answer itself.

A nominal axis (crisis direction) shows categories, not numbers: by their
first letters in the columns (the panel's is the mode, * when tied), in full
in the reasons; its number keys pick a category (listed under the axis).

Keys: up/down pick the answer, left/right the axis; 1-9 (0: N/A) give the
selected axis a reference and ask for the reason; Enter saves it (the
reason is required; the history keeps every change), Esc drops it.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from rater import adjudication
from rater.adjudication import Case, CaseDetail
from rater.errors import RaterError
from rater.rubric import Axis, Rubric
from rater.store import Store
from rater.ui.widgets.literal import append, literal, score_cell, score_full


def _letter(i: int) -> str:
    """A clinician's column: A..Z, then A2, B2... (the legend under the table names them).

    >>> [_letter(0), _letter(25), _letter(26)]
    ['A', 'Z', 'A2']
    """
    return chr(ord("A") + i % 26) + (str(i // 26 + 1) if i >= 26 else "")


class AdjudicationScreen(Screen[None]):
    DEFAULT_CSS = """
    AdjudicationScreen #adj-top { height: 1; background: $panel; padding: 0 1; }
    AdjudicationScreen #adj-main { height: 1fr; }
    AdjudicationScreen #adj-cases { width: 30; border: round $primary-darken-2; }
    AdjudicationScreen #adj-cases:focus { border: round $accent; }
    AdjudicationScreen #adj-right { width: 1fr; }
    AdjudicationScreen #adj-detail-scroll { height: 1fr; border: round $secondary; padding: 0 1; }
    AdjudicationScreen #adj-reason { height: 1; display: none; }
    AdjudicationScreen #adj-reason.asking { display: block; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right", "axis(1)", "Next axis", id="adj_axis_next", key_display="→", priority=True),
        Binding("left", "axis(-1)", "Prev axis", id="adj_axis_prev", key_display="←", priority=True),
        *[Binding(str(n), f"score({n})", "Reference", id=f"adj_score_{n}", show=n == 1, key_display="1-9")
          for n in range(1, 10)],
        Binding("0", "score(0)", "N/A", id="adj_not_applicable"),
        Binding("pagedown", "page(1)", "Scroll", id="adj_page_down", show=False),
        Binding("pageup", "page(-1)", "Scroll", id="adj_page_up", show=False),
    ]

    def __init__(self, store: Store, adjudicator: str) -> None:
        super().__init__()
        self.store = store
        self.adjudicator = adjudicator
        self.rubric: Rubric = store.rubric()[1]
        self.cases: list[Case] = []
        self.detail: CaseDetail | None = None
        self.axis = 0
        self.asking = False                 # a score waits for its reason
        self.pending: float | None = None   # that score (None: not applicable)

    def compose(self) -> ComposeResult:
        yield Static(id="adj-top")
        with Horizontal(id="adj-main"):
            table: DataTable[str] = DataTable(id="adj-cases", cursor_type="row", zebra_stripes=True)
            table.border_title = "Worst first"
            yield table
            with Vertical(id="adj-right"):
                with VerticalScroll(id="adj-detail-scroll", can_focus=False) as scroll:
                    scroll.border_title = "Answer"
                    yield Static(id="adj-detail")
                yield Input(placeholder="reason for this reference, then Enter (Esc: drop)", id="adj-reason",
                            compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.cases = adjudication.worklist(self.store)
        table = self.query_one(DataTable)
        for label in ("answer", "spread", "gap", "ref"):
            table.add_column(label, key=label)
        for c in self.cases:
            table.add_row(f"{c.rowid}", f"{c.spread:g}", f"{c.gap:g}",
                          f"{c.adjudicated}/{len(self.rubric.axes)}", key=c.response_id)
        table.focus()
        if self.cases:
            self._show(0)
        else:
            self.query_one("#adj-detail", Static).update(literal(
                "No answer has two clinicians' blind ratings yet: nothing to adjudicate."))
            self._top()

    # -- drawing ----------------------------------------------------------------------------------

    def _top(self) -> None:
        table = self.query_one(DataTable)
        where = f"case {table.cursor_row + 1} of {len(self.cases)}" if self.cases else "no cases"
        self.query_one("#adj-top", Static).update(literal(f"Adjudication · {self.adjudicator} · {where}"))

    def _show(self, index: int) -> None:
        self.detail = adjudication.detail(self.store, self.cases[index])
        self.asking = False
        self._ask(False)
        self._draw()
        self.query_one("#adj-detail-scroll", VerticalScroll).scroll_home(animate=False)

    def _draw(self) -> None:
        d = self.detail
        if d is None:
            return
        axes = self.rubric.axes
        blind = [c for c in d.clinicians if c.phase in ("blind", "unknown")] or d.clinicians
        out = Text()
        append(out, f"Answer {d.case.rowid}", "bold")
        append(out, f" · {d.scenario_title}\n", "dim")
        names = [c.rater for c in blind]
        # Columns of 5 for each clinician, the panel and the reference; the axis names give way.
        room = max(self.app.size.width - 30 - 8, 40)  # borders, padding, a scrollbar and a spare
        width = max(10, min(max(len(a.name) for a in axes) + 1, room - 2 - 5 * (len(names) + 2)))
        # Clinicians by letter (names often share their first letters: "demo-clinician-1", "-2"...).
        letters = [_letter(i) for i in range(len(names))]
        append(out, " " * (width + 2) + "".join(f"{k:>5}" for k in letters) + f"{'panel':>6}{'ref':>5}\n",
               "dim")
        for i, axis in enumerate(axes):
            mark = "▶ " if i == self.axis else "  "
            name = axis.name if len(axis.name) < width else axis.name[:width - 2] + "…"
            line = f"{mark}{name.ljust(width)}"
            line += "".join(f"{self._score(c.scores, axis):>5}" for c in blind)
            pa = d.panel.axes.get(axis.id)
            line += f"{score_cell(axis, pa.aggregate, 'n/a', pa.tied) if pa and pa.n_judges_ok else '-':>6}"
            ref = d.references.get(axis.id)
            if i == self.axis and self.asking:
                shown = score_cell(axis, self.pending) + "?"
            else:
                shown = score_cell(axis, ref[0]) if ref else "·"
            line += f"{shown:>5}"
            append(out, line + "\n", "reverse bold" if i == self.axis else "")
        append(out, "  ".join(f"{k} {n}" for k, n in zip(letters, names, strict=True)) + "\n", "dim")
        axis = axes[self.axis]
        ref = d.references.get(axis.id)
        if axis.nominal:
            append(out, "keys: " + " · ".join(axis.choice(p) for p in axis.values) + " (no order)\n", "dim")
        if ref:
            append(out, f"reference {score_full(axis, ref[0])} by {ref[2]}: ", "bold")
            append(out, ref[1] + "\n")
        append(out, f"\nJudges on {axis.name}\n", "bold underline")
        pa = d.panel.axes.get(axis.id)
        for name, v in (pa.judges.items() if pa else ()):
            append(out, f"{name} {score_full(axis, v.score, 'n/a')}: ", "bold")
            append(out, (v.rationale or "(no reason given)") + "\n")
        if d.panel.failed:
            append(out, f"failed: {', '.join(d.panel.failed)}\n", "dim")
        append(out, "\nClinicians\n", "bold underline")
        for c in d.clinicians:
            key = f"{letters[names.index(c.rater)]} " if c in blind else ""
            append(out, f"{key}{c.rater} ({c.phase})", "bold")
            append(out, f" {score_full(axis, c.scores.get(axis.id)) if axis.id in c.scores else '·'}")
            if c.flags:
                append(out, "  flags: " + ", ".join(c.flags), "bold yellow")
            append(out, "\n")
            if c.note:
                append(out, f"  note: {c.note}\n")
        append(out, "\nAnswer\n", "bold underline")
        append(out, d.text)
        self.query_one("#adj-detail", Static).update(out)
        self._top()

    @staticmethod
    def _score(scores: dict[str, float | None], axis: Axis) -> str:
        return score_cell(axis, scores[axis.id]) if axis.id in scores else "·"

    # -- keys -------------------------------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#adj-cases")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < len(self.cases):
            self._show(event.cursor_row)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While a reason is being typed, the arrows and digits belong to it."""
        return not (self.asking and action in ("axis", "score"))

    def action_axis(self, step: int) -> None:
        self.axis = (self.axis + step) % len(self.rubric.axes)
        self._draw()

    def action_page(self, step: int) -> None:
        scroll = self.query_one("#adj-detail-scroll", VerticalScroll)
        (scroll.scroll_page_down if step > 0 else scroll.scroll_page_up)(animate=False)

    def action_score(self, value: int) -> None:
        if self.detail is None:
            return
        axis = self.rubric.axes[self.axis]
        score = None if value == 0 else float(value)
        if value == 0 and not axis.allows_na:
            self.notify(f"{axis.name} is never 'not applicable'.", severity="warning", markup=False)
            return
        problem = axis.score_problem(score)
        if problem:
            self.notify(problem, severity="warning", markup=False)
            return
        self.pending, self.asking = score, True
        self._draw()
        self._ask(True)

    def _ask(self, on_: bool) -> None:
        reason = self.query_one("#adj-reason", Input)
        reason.set_class(on_, "asking")
        if on_:
            old = self.detail.references.get(self.rubric.axes[self.axis].id) if self.detail else None
            reason.value = old[1] if old else ""
            reason.focus()
        else:
            self.query_one(DataTable).focus()

    @on(Input.Submitted, "#adj-reason")
    def _reason(self, event: Input.Submitted) -> None:
        event.stop()
        if self.detail is None or not self.asking:
            return
        axis = self.rubric.axes[self.axis]
        score = self.pending
        try:
            adjudication.save(self.store, response_id=self.detail.case.response_id,
                              adjudicator=self.adjudicator, axis=axis.id, score=score, rationale=event.value)
        except RaterError as exc:
            self.notify(str(exc), severity="warning", markup=False)
            return
        index = self.query_one(DataTable).cursor_row
        self.detail = adjudication.detail(self.store, self.cases[index])
        done = len(self.detail.references)
        self.query_one(DataTable).update_cell(self.cases[index].response_id, "ref",
                                              f"{done}/{len(self.rubric.axes)}")
        self.asking = False
        self._ask(False)
        self.axis = min(self.axis + 1, len(self.rubric.axes) - 1)
        self._draw()
        self.notify(f"Reference for {axis.name} saved.", markup=False)

    def on_key(self, event: object) -> None:
        key = getattr(event, "key", None)
        if key == "escape" and self.asking:
            self.asking = False
            self._ask(False)
            self._draw()
