"""The apps a `rater serve` browser session runs: the rating app, or adjudication for roles that allow it.

The hook: ``MODES`` maps a mode to a factory ``(store, rater_id, options) -> App``;
``rater.serve.roles.mode_for(role)`` picks the mode from the rater's role. Adjudication is built by
``rater adjudicate`` (another part of rater); its app is looked up at
``ADJUDICATION_ENTRY`` when a session starts. Where it is absent the session rates
as usual and says so on screen.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from rater.ui.app import RaterApp, binding_ids
from rater.ui.settings import load_settings
from rater.ui.widgets.footer import KeyFooter

if TYPE_CHECKING:
    from textual.app import App
    from textual.screen import Screen

    from rater.store import Store

ADJUDICATION_ENTRY = "rater.ui.adjudication:build_adjudication_app"
"""``module:function`` with ``function(store, adjudicator_name) -> App``: `rater adjudicate`'s app."""


class ServedFooter(Footer):
    """The footer with the browser's alternatives first.

    A full footer (the rating screen's) runs past the window and its end sits under
    the command palette's key: the app's own keys, listed last, are the ones lost.
    """

    FIRST = ("help", "quit")

    def compose(self) -> ComposeResult:
        keys = list(super().compose())
        first = [k for k in keys if isinstance(k, FooterKey) and k.action in self.FIRST
                 and not k.has_class("-command-palette")]
        yield from first + [k for k in keys if k not in first]


class ServedApp(RaterApp):
    """The rating app in a browser tab.

    Browsers keep F1, ctrl+q and ctrl+p for themselves on some systems, so each
    has an alternative here, shown in the footer: ? for help, ctrl+x to end the
    session, F2 for the command palette. The terminal keys still work where the
    browser lets them through.
    """

    CSS = "#help-hint { display: none; }"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", id="quit", show=False, priority=True),
        Binding("ctrl+x", "quit", "End session", id="served_quit", key_display="^x"),
        Binding("f1,question_mark", "help", "Help", id="help", key_display="?"),
        # The footer shows the palette's key on its right (COMMAND_PALETTE_BINDING): F2 here.
        Binding("f2", "command_palette", "Commands", id="served_palette", key_display="F2", show=False,
                priority=True),
        Binding("ctrl+p", "command_palette", "Commands", id="served_palette_p", show=False, priority=True),
    ]
    COMMAND_PALETTE_BINDING = "f2"

    def __init__(self, *args: Any, notice: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.notice = notice

    def on_mount(self) -> None:
        self.screen_change_signal.subscribe(self, self._served_footer)  # before the first screen
        super().on_mount()
        if self.notice:
            self.notify(self.notice, severity="warning", markup=False, timeout=12)


    def _served_footer(self, screen: Screen[Any]) -> None:
        async def swap() -> None:
            for footer in screen.query(Footer):
                # The rating screen's KeyFooter already ranks help and End session first and fits the width.
                if not isinstance(footer, ServedFooter | KeyFooter):
                    await footer.remove()
                    await screen.mount(ServedFooter())
                    screen.refresh_bindings()   # a footer draws its keys when the bindings are announced

        screen.call_after_refresh(swap)


def _rate(store: Store, rater_id: int, options: dict[str, Any], notice: str | None = None) -> App[Any]:
    return ServedApp(store, rater_id=rater_id, blind=bool(options.get("blind", True)),
                     show_models=bool(options.get("show_models", False)),
                     settings=load_settings(None, binding_ids), notice=notice)


def _adjudicate(store: Store, rater_id: int, options: dict[str, Any]) -> App[Any]:
    module, _, name = ADJUDICATION_ENTRY.partition(":")
    try:
        factory = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return _rate(store, rater_id, options,
                     notice="The adjudication screen is not in this version of rater; "
                            "you can rate answers as usual.")
    row = store.conn.execute("SELECT name FROM raters WHERE id = ?", (rater_id,)).fetchone()
    app: App[Any] = factory(store, str(row[0]))
    # The browser's alternatives to ctrl+q and ctrl+p, as in the rating app. ctrl+q stays bound but leaves
    # the footer: it shows one key per action, and it showed the one the browser keeps.
    keys = app._bindings.key_to_bindings
    keys["ctrl+q"] = [replace(b, show=False) for b in keys.get("ctrl+q", [])]
    app.bind("ctrl+x", "quit", description="End session", key_display="^x")
    app.bind("f2", "command_palette", description="Commands", key_display="F2")
    return app


MODES: dict[str, Callable[[Store, int, dict[str, Any]], App[Any]]] = {
    "rate": _rate,
    "adjudicate": _adjudicate,
}
