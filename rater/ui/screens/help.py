"""The help screen: every key, as currently mapped (the config file can remap them)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from rater.ui.widgets.literal import append

SECTIONS: list[tuple[str, str]] = [
    ("Rating", "rater.ui.widgets.form:RatingForm"),
    ("Moving around", "rater.ui.screens.rating:RatingScreen"),
    ("Anywhere", "rater.ui.app:RaterApp"),
    ("Agreement screen (a, or ctrl+p Agreement)", "rater.ui.screens.agreement:AgreementScreen"),
]


def _bindings(path: str) -> list[BindingType]:
    import importlib

    module, _, name = path.partition(":")
    return list(getattr(importlib.import_module(module), name).BINDINGS)


_NAMES = {"pagedown": "PgDn", "pageup": "PgUp", "enter": "Enter", "escape": "Esc", "backspace": "Backspace",
          "space": "Space", "tab": "Tab", "home": "Home", "end": "End", "delete": "Del"}


def human_keys(keys: str) -> str:
    """Binding keys as a person names them: "f1,question_mark" -> "F1 or ?", "shift+pagedown" -> "Shift+PgDn".

    >>> [human_keys(k) for k in ("f1,question_mark", "shift+pagedown", "ctrl+q", "right_square_bracket")]
    ['F1 or ?', 'Shift+PgDn', 'Ctrl+Q', ']']
    """
    from textual.keys import format_key

    def one(key: str) -> str:
        *mods, name = key.strip().split("+")
        shown = _NAMES.get(name) or (name.upper() if len(name) > 1 and name[0] == "f" and name[1:].isdigit()
                                     else format_key(name))
        if mods and len(shown) == 1:
            shown = shown.upper()  # Ctrl+Q, as keyboards print it
        return "+".join([*(m.capitalize() for m in mods), shown])

    return " or ".join(one(k) for k in keys.split(",") if k.strip())


def help_text(keymap: dict[str, str], anywhere: list[BindingType] | None = None) -> Text:
    """Every key, as mapped; ``anywhere``: the running app's own bindings (a browser session has
    alternatives to F1 and Ctrl+Q), else the terminal app's."""
    out = Text()
    append(out, "Keys\n", "bold underline")
    append(out, "Number keys score the highlighted axis and move to the next one; on a category axis "
                "(crisis direction) they pick the category numbered under the rows. Enter saves "
                "(one committed save) and opens the next answer. Everything you type is kept as "
                "a draft until you save.\n\n")
    for title, path in SECTIONS:
        append(out, title + "\n", "bold")
        for b in (anywhere if anywhere is not None and title == "Anywhere" else _bindings(path)):
            if not isinstance(b, Binding) or b.system:
                continue
            if b.id and b.id.startswith("score_") and b.id != "score_1":
                continue
            keys = keymap.get(b.id or "", b.key)
            shown = "1-9" if b.id == "score_1" and b.id not in keymap else human_keys(keys)
            desc = "Score the highlighted axis" if b.id == "score_1" else b.description
            append(out, f"  {shown:<22}", "bold cyan")
            append(out, f"{desc}  ")
            append(out, f"({b.id})\n" if b.id else "\n", "dim")
        append(out, "\n")
    append(out, "Remap keys in the config file ([keys] binding-id = \"key\"); see the README.\n"
                "ctrl+p opens the command palette. The mouse works but is never needed.\n"
                "Escape closes this screen.", "dim")
    return out


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,question_mark,q", "app.pop_screen", "Close", id="help_close"),
    ]

    def __init__(self, keymap: dict[str, str], anywhere: list[BindingType] | None = None) -> None:
        super().__init__()
        self.keymap = keymap
        self.anywhere = anywhere

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box") as box:
            box.border_title = "Help"
            yield Static(help_text(self.keymap, self.anywhere), markup=False)
