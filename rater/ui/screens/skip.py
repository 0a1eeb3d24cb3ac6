"""Skip an answer with a reason: a small modal that returns (reason, note), or None when cancelled."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from rater.store import SKIP_REASONS
from rater.ui.widgets.literal import literal

REASONS = list(SKIP_REASONS)


class SkipScreen(ModalScreen[tuple[str, str] | None]):
    """1-3 skip at once; 4 (other) asks for a note first; Escape cancels."""

    DEFAULT_CSS = """
    SkipScreen { align: center middle; }
    SkipScreen > Vertical { width: 60; height: auto; border: round $accent; padding: 0 1;
                            background: $surface; }
    SkipScreen #skip-note { margin-top: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        *[Binding(str(i + 1), f"reason({i})", SKIP_REASONS[r], id=f"skip_{r}", show=False)
          for i, r in enumerate(REASONS)],
        Binding("escape", "cancel", "Cancel", id="skip_cancel"),
    ]

    def __init__(self, label: str) -> None:
        super().__init__()
        self.label = label

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = literal(f"Skip {self.label}: why?")
            lines = "\n".join(f"{i + 1}  {SKIP_REASONS[r]}" for i, r in enumerate(REASONS))
            yield Static(lines + "\n\nA skip counts as done, not as a rating. Esc: back to the answer.",
                         markup=False)
            note = Input(placeholder="4: say why, then Enter", id="skip-note", compact=True)
            note.can_focus = False
            yield note

    def action_reason(self, index: int) -> None:
        reason = REASONS[index]
        if reason == "other":
            note = self.query_one("#skip-note", Input)
            note.can_focus = True
            note.focus()
            return
        self.dismiss((reason, ""))

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, "#skip-note")
    def _note_done(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value.strip():
            self.notify("Say why in the note, or Esc to go back.", severity="warning", markup=False)
            return
        self.dismiss(("other", event.value.strip()))
