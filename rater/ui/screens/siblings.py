"""The sibling view: the current answer beside the same model's other answers.

Behavioural consistency compares an answer with the same model's other
samples for the scenario; demographic robustness with its answers to the
scenario's demographic variants and base. Both sides are literal text.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from rater.queue import answer_label
from rater.rating import AnswerView, Sibling
from rater.ui.widgets.literal import append, literal


def siblings_text(siblings: list[Sibling]) -> Text:
    out = Text()
    if not siblings:
        append(out, "This model has no other answers to this scenario or its demographic "
                    "variants. Behavioral consistency and demographic robustness may be N/A "
                    "(see the rubric, r).", "dim")
        return out
    for s in siblings:
        append(out, f"── {s.title} · {answer_label(s.rowid)} ──\n", "bold cyan")
        append(out, s.text.strip() + "\n\n")
    return out


class SiblingsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,v", "app.pop_screen", "Back", id="siblings_close"),
        Binding("tab", "app.focus_next", "Switch side", id="siblings_switch", show=False),
    ]

    def __init__(self, view: AnswerView, siblings: list[Sibling]) -> None:
        super().__init__()
        self.view = view
        self.others = siblings

    def compose(self) -> ComposeResult:
        with Horizontal(id="siblings-main"):
            with VerticalScroll(id="sib-current") as cur:
                cur.border_title = f"This answer: {self.view.label}"
                yield Static(literal(self.view.text), markup=False)
            with VerticalScroll(id="sib-others") as other:
                other.border_title = f"Same model: {len(self.others)} other answer(s)"
                yield Static(siblings_text(self.others), markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#sib-others").focus()
