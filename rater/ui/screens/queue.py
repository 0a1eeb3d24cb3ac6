"""The queue: the rater's answers in their order, filtered, one page at a time.

Only one page (100 rows) is ever read and drawn, whatever the size of the
database; filters narrow the session's queue at once, and choosing a row
opens that answer.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Input, Select, Static

from rater.queue import STATUSES, QueueFilter, RaterQueue, Status
from rater.ui.widgets.form import FLAG_LABELS
from rater.ui.widgets.literal import literal

PAGE = 100


class QueueScreen(ModalScreen[int | None]):
    """Returns the rowid of the answer to open, or None to go back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back", id="queue_close"),
        Binding("right_square_bracket", "page(1)", "Next page", id="queue_next_page", key_display="]"),
        Binding("left_square_bracket", "page(-1)", "Prev page", id="queue_prev_page", key_display="["),
        Binding("slash", "jump", "Go to #", id="queue_jump", key_display="/"),
    ]

    def __init__(self, queue: RaterQueue, current: int | None) -> None:
        super().__init__()
        self.queue = queue
        self.current = current
        self.status: Status = "todo"
        self.page_start = 0
        self.count = 0

    def compose(self) -> ComposeResult:
        choices = self.queue.choices()
        flt = self.queue.filter
        with Vertical(id="queue-box") as box:
            box.border_title = "Queue"
            with Horizontal(id="queue-filters"):
                yield Select([(s, s) for s in STATUSES], value=self.status, allow_blank=False,
                             id="f-status", prompt="status")
                yield Select([(m.upper(), m) for m in choices["modality"]], value=flt.modality or Select.NULL,
                             prompt="modality", id="f-modality")
                yield Select([(f"severity {s}", s) for s in choices["severity"]],
                             value=flt.severity if flt.severity is not None else Select.NULL,
                             prompt="severity", id="f-severity")
                if choices["model"]:
                    yield Select([(literal(m), m) for m in choices["model"]], value=flt.model or Select.NULL,
                                 prompt="model", id="f-model")
                yield Select([(FLAG_LABELS[f], f) for f in choices["flag"]], value=flt.flag or Select.NULL,
                             prompt="my flag", id="f-flag")
            yield Input(placeholder="go to position # in your order, Enter", id="jump", type="integer")
            yield DataTable(id="queue-table", cursor_type="row", zebra_stripes=True)
            yield Static(id="queue-info")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        # No severity column: it is the risk level, kept behind the scenario key (`e`).
        table.add_columns("#", "answer", "modality", "step", *(
            ["model"] if self.queue.show_models else []), "status", "my flags")
        self.query_one("#jump").display = False
        self._load()
        table.focus()

    def _load(self) -> None:
        rows, self.count = self.queue.page(self.page_start, PAGE, self.status)
        if self.page_start and not rows and self.count:
            self.page_start = max(0, (self.count - 1) // PAGE * PAGE)
            rows, self.count = self.queue.page(self.page_start, PAGE, self.status)
        table = self.query_one(DataTable)
        table.clear()
        cursor = 0
        for i, r in enumerate(rows):
            cells: list[Any] = [r.position, r.label, r.modality.upper(), r.step.replace("_", " ")]
            if self.queue.show_models:
                cells.append(literal(r.model or ""))
            cells += [r.status, ", ".join(FLAG_LABELS[f] for f in r.flags)]
            table.add_row(*cells, key=str(r.rowid))
            if r.rowid == self.current:
                cursor = i
        table.move_cursor(row=cursor)
        pages = max(1, -(-self.count // PAGE))
        p = self.queue.progress(self.current)
        self.query_one("#queue-info", Static).update(literal(
            f"{self.count:,} {self.status} · page {self.page_start // PAGE + 1} of {pages} · "
            f"done {p.done:,} · left {p.left:,} · Enter opens the highlighted answer"))

    @on(Select.Changed)
    def _filter(self, event: Select.Changed) -> None:
        def value(widget_id: str) -> Any:
            found = self.query(f"#{widget_id}")
            if not found:
                return None
            v = found.first(Select).value
            return None if v is Select.NULL else v

        self.status = value("f-status") or "todo"
        flt = QueueFilter(modality=value("f-modality"), severity=value("f-severity"),
                          model=value("f-model"), flag=value("f-flag"))
        if flt != self.queue.filter:
            self.queue.set_filter(flt)
        self.page_start = 0
        self._load()

    @on(DataTable.RowSelected)
    def _chosen(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.dismiss(int(event.row_key.value))

    def action_page(self, step: int) -> None:
        self.page_start = max(0, self.page_start + step * PAGE)
        self._load()

    def action_jump(self) -> None:
        jump = self.query_one("#jump", Input)
        jump.display = True
        jump.focus()

    @on(Input.Submitted, "#jump")
    def _jump(self, event: Input.Submitted) -> None:
        event.input.display = False
        self.status = "all"
        status = self.query_one("#f-status", Select)
        # Without prevent, the Changed this posts would reload page 1 after the jump.
        with status.prevent(Select.Changed):
            status.value = "all"
        if event.value.strip().isdigit():
            number = int(event.value)
            rowid = self.queue.at_number(number)
            i = self.queue.index_of(rowid) if rowid is not None else None
            if i is None:
                self.notify(f"There is no #{number} in your order" if rowid is None else
                            f"#{number} is not in this filtered queue: clear the filters to go to it.",
                            severity="warning", markup=False)
                self._load()
            else:
                self.page_start = i // PAGE * PAGE
                self._load()
                self.query_one(DataTable).move_cursor(row=i % PAGE)
        self.query_one(DataTable).focus()

    def action_close(self) -> None:
        self.dismiss(None)
