"""Who is rating: pick a known rater, or add a new one (name, role, credentials, once)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, ListItem, ListView, Static

from rater.ui.widgets.literal import literal

NEW = "__new__"


class RaterPicker(Screen[tuple[str, str, str]]):
    """Returns (name, role, credentials); the app creates the rater if the name is new."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "Back", id="picker_back")]

    def __init__(self, raters: list[tuple[str, str, str, int]], demo: bool = False) -> None:
        super().__init__()
        self.raters = raters  # (name, role, credentials, number of ratings)
        self.demo = demo

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-box") as box:
            box.border_title = "Who is rating?"
            if self.demo:
                yield Static("ILLUSTRATIVE DEMO DATA", id="demo-marker")
            items = [ListItem(Label(literal(
                f"{n}" + (f" — {r}" if r else "") + (f", {c}" if c else "") + f"  ({k} ratings)")),
                name=n) for n, r, c, k in self.raters]
            items.append(ListItem(Label("+ New rater…"), name=NEW))
            yield ListView(*items, id="picker-list")
            with Vertical(id="new-rater"):
                yield Static("New rater: recorded once, with every rating you make.")
                yield Input(placeholder="name (e.g. Dr A. Lee)", id="new-name")
                yield Input(placeholder="role (e.g. clinical psychologist)", id="new-role")
                yield Input(placeholder="credentials (e.g. PhD, PE-certified)", id="new-cred")
                yield Button("Start rating", id="new-go", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        # On the demo the listed raters are made-up clinicians: a newcomer starts with their own name,
        # and a returning rater (anyone else) is highlighted in the list.
        own = list(range(len(self.raters)))
        if self.demo:
            from rater.demo import DEMO_CLINICIAN_ROLE

            own = [i for i, (_, role, _, _) in enumerate(self.raters) if role != DEMO_CLINICIAN_ROLE]
        fresh = not own
        self.query_one("#new-rater").display = fresh
        if fresh:
            self.query_one("#new-name").focus()
        else:
            listing = self.query_one(ListView)
            listing.index = own[0]
            listing.focus()

    @on(ListView.Selected)
    def _picked(self, event: ListView.Selected) -> None:
        name = event.item.name or ""
        if name == NEW:
            self.query_one("#new-rater").display = True
            self.query_one("#new-name").focus()
            return
        role, cred = next(((r, c) for n, r, c, _ in self.raters if n == name), ("", ""))
        self.dismiss((name, role, cred))

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        order = ["new-name", "new-role", "new-cred"]
        i = order.index(event.input.id or "new-name")
        if i + 1 < len(order):
            self.query_one(f"#{order[i + 1]}").focus()
        else:
            self._create()

    @on(Button.Pressed, "#new-go")
    def _create(self) -> None:
        name = self.query_one("#new-name", Input).value.strip()
        if not name:
            self.notify("A rater needs a name.", severity="warning", markup=False)
            self.query_one("#new-name").focus()
            return
        if any(n == name for n, *_ in self.raters):
            self.notify(f"{name} is already a rater: pick them from the list.", markup=False)
            return
        self.dismiss((name, self.query_one("#new-role", Input).value.strip(),
                      self.query_one("#new-cred", Input).value.strip()))

    def action_back(self) -> None:
        if self.raters:
            self.query_one("#new-rater").display = False
            self.query_one(ListView).focus()
