"""The adjudication app (`rater adjudicate`): one screen, built by one factory for the CLI and the tests."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from rater.store import Store
from rater.ui.screens.adjudicate import AdjudicationScreen


class AdjudicationApp(App[None]):
    TITLE = "rater adjudicate"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
    ]

    def __init__(self, store: Store, adjudicator: str) -> None:
        super().__init__()
        self.store = store
        self.adjudicator = adjudicator

    def on_mount(self) -> None:
        self.push_screen(AdjudicationScreen(self.store, self.adjudicator))


def build_adjudication_app(store: Store, adjudicator: str) -> AdjudicationApp:
    """The adjudication app on ``store``; ``adjudicator`` is created as a rater when they save."""
    return AdjudicationApp(store, adjudicator)
