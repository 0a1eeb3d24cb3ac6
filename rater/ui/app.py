"""The rating app and the one factory that builds it, for the CLI and the tests alike."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from rater.rating import RatingSession
from rater.store import Store
from rater.ui.settings import Settings, load_settings

READY_ENV = "RATER_READY_FILE"
"""If set, the app appends the wall-clock time to this file once the first answer is on screen
and ready for keys (the start-up benchmark waits for it)."""


class RaterApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "rater"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
        Binding("f1,question_mark", "help", "Help", id="help", key_display="F1"),
    ]

    def __init__(self, store: Store, *, rater_id: int | None, blind: bool = True,
                 show_models: bool = False, settings: Settings | None = None) -> None:
        super().__init__()
        self.store = store
        self.rater_id = rater_id
        self.blind = blind
        self.show_models = show_models
        self.settings = settings or Settings()
        self.session: RatingSession | None = None
        self.timings: list[tuple[str, float]] = []
        """(what, seconds) measured inside the app, e.g. Enter to the next answer drawn."""

    def on_mount(self) -> None:
        self.set_keymap(self.settings.keymap)
        for problem in self.settings.problems:
            self.notify(problem, severity="warning", markup=False, timeout=10)
        if self.rater_id is None:
            from rater.ui.screens.raters import RaterPicker

            self.push_screen(RaterPicker(self.store.raters_with_counts(), demo=self.store.is_demo),
                             self._picked)
        else:
            self._start(self.rater_id)

    def _picked(self, who: tuple[str, str, str] | None) -> None:
        if who is None:
            self.exit()
            return
        self._start(self.store.ensure_rater(*who))

    def _start(self, rater_id: int) -> None:
        from rater.ui.screens.rating import RatingScreen

        self.rater_id = rater_id
        self.session = RatingSession(self.store, rater_id, blind=self.blind, show_models=self.show_models)
        screen = RatingScreen(self.session, demo=self.store.is_demo, keymap=self.settings.keymap)
        self.switch_screen(screen) if len(self.screen_stack) > 1 else self.push_screen(screen)

    async def action_quit(self) -> None:
        """Quit, after one warning when the rating screen holds an unsaved edit of a saved rating."""
        from rater.ui.screens.rating import RatingScreen

        screen = self.screen
        if isinstance(screen, RatingScreen) and not screen.may_leave("quit again"):
            return
        await super().action_quit()

    def action_help(self) -> None:
        from rater.ui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.settings.keymap, list(type(self).BINDINGS)))

    def action_agreement(self) -> None:
        """Open the agreement screen (its statistics modules are imported only now)."""
        from rater.ui.screens.agreement import AgreementScreen

        if not isinstance(self.screen, AgreementScreen):
            self.push_screen(AgreementScreen(self.store))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Agreement", "Krippendorff's alpha per axis: clinicians and the judge panel",
                            self.action_agreement)

    def mark_ready(self) -> None:
        path = os.environ.get(READY_ENV)
        if path:
            with open(path, "a", encoding="utf-8") as f:
                f.write(f"{time.time():.6f}\n")

    def record_timing(self, what: str, started: float) -> None:
        self.timings.append((what, time.perf_counter() - started))


def binding_ids() -> set[str]:
    """Every remappable binding id in the app (the config file is checked against these)."""
    from rater.ui.screens.help import SECTIONS, _bindings
    from rater.ui.screens.queue import QueueScreen
    from rater.ui.screens.siblings import SiblingsScreen
    from rater.ui.screens.skip import SkipScreen

    found = [b for _, path in SECTIONS for b in _bindings(path)]
    found += [*QueueScreen.BINDINGS, *SiblingsScreen.BINDINGS, *SkipScreen.BINDINGS]
    return {b.id for b in found if isinstance(b, Binding) and b.id}


def build_app(store: Store, *, rater: str | None = None, blind: bool = True,
              show_models: bool = False, config: Path | None = None) -> RaterApp:
    """The app on ``store``. ``rater``: a name, created silently if new; None asks who is rating.

    ``blind`` (the default) hides the judges until the rater has saved their own rating;
    False shows them from the start, and every rating made so records it.
    """
    rater_id = store.ensure_rater(rater) if rater else None
    settings = load_settings(config, binding_ids)
    return RaterApp(store, rater_id=rater_id, blind=blind, show_models=show_models, settings=settings)
