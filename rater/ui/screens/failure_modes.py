"""The failure-mode checklist: which of the taxonomy's failure modes the rater saw in this answer.

Space (or a click) ticks a mode, Enter keeps the ticks (none ticked: "none
seen", which is recorded too), Escape leaves without changing anything. The
screen returns the ticked modes, or None when left with Escape.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, SelectionList, Static
from textual.widgets.selection_list import Selection

from rater.ui.widgets.literal import append


class FailureModesScreen(ModalScreen[frozenset[str] | None]):
    DEFAULT_CSS = """
    FailureModesScreen { align: center middle; }
    #modes-box { width: 90%; max-width: 110; height: auto; max-height: 90%; border: round $accent;
                 background: $surface; padding: 0 1; }
    #modes-list { height: auto; max-height: 20; }
    #modes-hint { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "keep", "Keep ticks", id="failure_modes_keep", priority=True),
        Binding("escape", "leave", "Cancel", id="failure_modes_cancel"),
    ]

    def __init__(self, modes: list[tuple[str, str]], ticked: frozenset[str], *, answer: str) -> None:
        super().__init__()
        self.modes = modes
        self.ticked = ticked
        self.answer = answer

    def compose(self) -> ComposeResult:
        with Vertical(id="modes-box") as box:
            box.border_title = f"Failure modes seen in {self.answer}"
            yield SelectionList[str](
                *[Selection(self._prompt(mode, text), mode, mode in self.ticked, id=mode)
                  for mode, text in self.modes], id="modes-list")
            yield Static("space: tick or untick · enter: keep (none ticked = none seen) · escape: cancel",
                         id="modes-hint", markup=False)
        yield Footer()

    @staticmethod
    def _prompt(mode: str, text: str) -> Text:
        out = Text()
        append(out, mode.replace("_", " "), "bold")
        append(out, f"  {text}", "dim")
        return out

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def action_keep(self) -> None:
        self.dismiss(frozenset(self.query_one(SelectionList).selected))

    def action_leave(self) -> None:
        self.dismiss(None)
