"""The agreement screen: how far the judge panel agrees with clinicians, axis by axis.

The table holds what `rater agreement` prints, for the whole database:
Krippendorff's alpha with its bootstrap interval per rubric axis and
comparison, coloured by Krippendorff's thresholds. The side panel details
the highlighted row and plots judge against human consensus as a heat grid.

The numbers come from ``rater.agreement.from_database`` on a worker thread
with its own database connection (sqlite connections belong to one thread),
so the app never freezes; numpy and pandas are imported only then, never on
the app's start-up path.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import get_current_worker

from rater.errors import RaterError
from rater.rules import RELIABLE, TENTATIVE
from rater.store import Store
from rater.ui.widgets.heatgrid import HeatGrid
from rater.ui.widgets.literal import append, literal

if TYPE_CHECKING:
    from rater.stats.agreement import Record, Report
    from rater.stats.tidy import TidyScores

N_BOOT = 500
"""Bootstrap resamples: enough for a stable 95% interval at a glance, quick on a laptop."""
VERDICTS = {"reliable": "bold green", "tentative": "bold yellow", "unreliable": "bold red", "n/a": "dim"}
_R, _T = (format(t, ".3f").removeprefix("0") for t in (RELIABLE, TENTATIVE))
LEGEND = f"alpha ≥ {_R} reliable (green) · ≥ {_T} tentative only (yellow) · < {_T} unreliable (red)"
COLUMNS = ("comparison", "alpha", "95% CI", "units", "bias / Δ")


def verdict(alpha: float | None) -> str:
    """Krippendorff's reading of an alpha: reliable, tentative, unreliable (or n/a)."""
    if alpha is None or math.isnan(alpha):
        return "n/a"
    return "reliable" if alpha >= RELIABLE else "tentative" if alpha >= TENTATIVE else "unreliable"


def _num(value: float | None, spec: str) -> str:
    return "" if value is None or math.isnan(value) else format(value, spec)


@dataclass(frozen=True)
class Result:
    """One finished computation, as the screen shows it."""

    report: Report
    axes: list[tuple[str, str]]
    """(axis id, name) in rubric order."""
    n_boot: int


def run_agreement(path: str, phase: str, seed: int, n_boot: int = N_BOOT,
                  tidy: TidyScores | None = None) -> Result:
    """Agreement on the database at ``path`` (read here, on a connection of its own) as
    `rater agreement` measures it, or on ``tidy``."""
    if tidy is not None:
        from rater.stats.agreement import compute

        return Result(compute(tidy, n_boot=n_boot, seed=seed), [(a.id, a.name or a.id) for a in tidy.axes],
                      n_boot)
    from rater.agreement import from_database

    with Store.open(path, create=False) as store:
        report = from_database(store, phase=phase, n_boot=n_boot, seed=seed)
        axes = [(a.id, a.name or a.id) for a in store.rubric()[1].axes]
    return Result(report, axes, n_boot)


class AgreementScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,a", "app.pop_screen", "Back", id="agreement_close"),
        Binding("n", "rerun", "New seed", id="agreement_rerun"),
        Binding("f", "phase", "Blind/final", id="agreement_phase"),
    ]

    def __init__(self, store: Store, *, seed: int | None = None, n_boot: int = N_BOOT) -> None:
        super().__init__()
        self.store = store
        self.seed = seed if seed is not None else secrets.randbelow(2**32)
        self.n_boot = n_boot
        self.phase = "blind"
        self.result: Result | None = None
        self.computing = False
        self.records: dict[str, Record] = {}

    def compose(self) -> ComposeResult:
        with Horizontal(id="topbar"):
            yield Static("Agreement: clinicians and the judge panel, per axis", id="progress")
            if self.store.is_demo:
                yield Static("ILLUSTRATIVE DEMO DATA", id="demo-marker")
            yield Static("Esc back", id="help-hint")
        yield Static(id="agreement-status")
        with Horizontal(id="agreement-main"):
            yield DataTable(id="agreement-table", cursor_type="row")
            with VerticalScroll(id="agreement-side", can_focus=False) as side:
                side.border_title = "Judge vs human"
                yield Static(id="agreement-detail")
                yield HeatGrid(id="agreement-grid")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for name in COLUMNS:
            table.add_column(name, key=name)
        table.focus()
        self.start()

    # -- computing --------------------------------------------------------------------------------

    def start(self) -> None:
        """(Re)compute with the current seed and phase; the table shows a loading state meanwhile."""
        self.computing = True
        table = self.query_one(DataTable)
        table.loading = True
        self._status(Text(f"Computing… ({self.n_boot} bootstrap resamples, seed {self.seed}, "
                          f"{self.phase} ratings)", style="bold"))
        # An in-memory database has no second connection: read it here, compute on the worker.
        tidy = None
        if self.store.path == ":memory:":
            from rater.stats.tidy import from_store

            try:
                tidy = from_store(self.store, self.phase)
            except RaterError as exc:
                self._failed(str(exc))
                return
        self._compute(self.store.path, self.phase, self.seed, self.n_boot, tidy)

    @work(thread=True, exclusive=True, group="agreement", exit_on_error=False)
    def _compute(self, path: str, phase: str, seed: int, n_boot: int, tidy: TidyScores | None) -> None:
        worker = get_current_worker()
        try:
            result = run_agreement(path, phase, seed, n_boot, tidy)
        except RaterError as exc:
            if not worker.is_cancelled:
                self.app.call_from_thread(self._failed, str(exc))
            return
        except Exception as exc:  # shown, not raised: an analysis error must not close the app
            if not worker.is_cancelled:
                self.app.call_from_thread(self._failed, f"agreement failed: {exc!r}")
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show, result)

    def _failed(self, message: str) -> None:
        if not self.is_attached:
            return
        self.computing = False
        self.query_one(DataTable).loading = False
        self._status(literal(message, "bold red"))

    # -- drawing ----------------------------------------------------------------------------------

    def _status(self, text: Text) -> None:
        self.query_one("#agreement-status", Static).update(text)

    def _show(self, result: Result) -> None:
        if not self.is_attached:
            return
        self.computing = False
        self.result = result
        report = result.report
        table = self.query_one(DataTable)
        table.loading = False
        table.clear()
        self.records = {}
        by_axis: dict[str, list[Record]] = {}
        for r in report.records:
            if r.by is None:
                by_axis.setdefault(r.axis, []).append(r)
        for axis_id, name in result.axes:
            table.add_row(literal(name, "bold underline"), "", "", "", "", key=f"axis:{axis_id}")
            for r in by_axis.get(axis_id, []):
                key = f"{axis_id}|{r.comparison}"
                self.records[key] = r
                table.add_row(*self._cells(r), key=key)
        out = Text()
        humans = len(report.humans)
        append(out, f"{humans} clinician{'s' * (humans != 1)} · {len(report.judges)} judge"
                    f"{'s' * (len(report.judges) != 1)} · {report.phase} ratings · {result.n_boot} "
                    f"resamples · seed {report.seed} · consensus {report.consensus} · panel {report.panel}\n")
        append(out, f"same numbers: rater agreement --db {Path(self.store.path).name} --phase "
                    f"{report.phase} --bootstrap {result.n_boot} --seed {report.seed}\n", "dim")
        for note in report.notes:
            append(out, f"{note}\n", "bold yellow")
        append(out, LEGEND, "dim")
        self._status(out)
        table.move_cursor(row=1 if table.row_count > 1 else 0)
        # New results open at the top, whatever the table's layout made of the cursor move.
        self.call_after_refresh(table.scroll_home, animate=False)
        self._draw_side(table.cursor_row)

    def _cells(self, r: Record) -> list[Any]:
        v = verdict(r.alpha)
        alpha = Text(_num(r.alpha, ".3f") or "n/a", style=VERDICTS[v], justify="right")
        ci = f"{_num(r.ci_low, '.3f')} – {_num(r.ci_high, '.3f')}" if not math.isnan(r.ci_low) else ""
        extra = ""
        if r.delta is not None and not math.isnan(r.delta):
            extra = f"Δ {r.delta:+.3f}"
        elif r.mean_bias is not None and not math.isnan(r.mean_bias):
            extra = f"{r.mean_bias:+.2f}"
        return [literal(r.comparison), alpha, ci, Text(str(r.n_units), justify="right"),
                Text(extra, justify="right")]

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        # The table's current row, not the event's: after quick moves the events of earlier
        # rows arrive late, and the side panel must describe the row that is highlighted now.
        self._draw_side(event.data_table.cursor_row)

    def _draw_side(self, row: int) -> None:
        if self.result is None:
            return
        table = self.query_one(DataTable)
        if not 0 <= row < table.row_count:
            return
        key = str(table.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value)
        axis_id = key.partition("axis:")[2] or key.partition("|")[0]
        name = dict(self.result.axes).get(axis_id, axis_id)
        record = self.records.get(key)
        side = self.query_one("#agreement-side")
        side.border_title = literal(name)
        self.query_one("#agreement-detail", Static).update(self._detail(record))
        grid = self.query_one(HeatGrid)
        plotted = record if record is not None and record.confusion else self.records.get(
            f"{axis_id}|human-panel")
        if plotted is None or not plotted.confusion:
            grid.show(None, "", "No human ratings on this axis yet, so there is nothing to plot the "
                                "judges against. Rate answers, or `rater import ratings`.")
            return
        judge = plotted.comparison.partition(":")[2] or f"panel ({self.result.report.panel})"
        grid.show(plotted.confusion, judge)

    def _detail(self, r: Record | None) -> Text:
        out = Text()
        if r is None:
            append(out, "Highlight a comparison for its figures. The grid shows the panel "
                        "against the human consensus.\n\n", "dim")
            return out
        append(out, r.comparison + "\n", "bold")
        v = verdict(r.alpha)
        append(out, f"α {_num(r.alpha, '.3f') or 'n/a'} {v}\n", VERDICTS[v])
        if not math.isnan(r.ci_low):
            append(out, f"{r.confidence:.0%} CI {r.ci_low:.3f} – {r.ci_high:.3f}\n")
        append(out, f"P<.667 {_num(r.p_below_0667, '.2f')} · P<.800 {_num(r.p_below_0800, '.2f')}\n")
        append(out, f"{r.n_units} answers · {r.n_pairable} scores\n")
        append(out, f"{r.n_excluded_units} left out (< 2 scores)\n", "dim")
        if r.delta is not None:
            append(out, f"Δ vs human-human {_num(r.delta, '+.3f')}\n"
                        f"  CI {_num(r.delta_ci_low, '+.3f')} – {_num(r.delta_ci_high, '+.3f')}\n")
        if r.mean_bias is not None:
            lean = "lenient" if r.mean_bias > 0 else "strict" if r.mean_bias < 0 else "no bias"
            append(out, f"bias {_num(r.mean_bias, '+.2f')} ({lean})\n"
                        f"exact {_num(r.exact, '.2f')} · ±1 {_num(r.within_one, '.2f')}\n")
        elif r.exact is not None:  # a nominal axis: no order, so no bias or ±1
            append(out, f"exact {_num(r.exact, '.2f')} (categories: no bias or ±1)\n")
        append(out, f"{r.level} alpha\n\n", "dim")
        return out

    # -- actions ----------------------------------------------------------------------------------

    def action_rerun(self) -> None:
        self.seed = secrets.randbelow(2**32)
        self.start()

    def action_phase(self) -> None:
        self.phase = "final" if self.phase == "blind" else "blind"
        self.notify(f"Using each clinician's {self.phase} rating"
                    + (" (the revision after seeing the judges, where there is one)."
                       if self.phase == "final" else " (made before seeing the judges)."), markup=False)
        self.start()
