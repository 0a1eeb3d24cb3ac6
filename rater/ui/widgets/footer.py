"""A footer that keeps the essential keys whatever the width: the rest give way first.

Textual's footer shows the bindings in focus order and cuts what does not
fit at the right, which at 80 columns (or with a browser session's extra
keys) loses quitting, help, siblings and agreement. This one ranks the
bindings (``essential``: binding ids, most essential first), keeps as many
as fit, and shows them in their usual order; F1 (help) lists every key.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey  # the footer's own item: drawn the same way

PALETTE = "command_palette"  # the command palette's key, on the footer's right when it fits
ESSENTIAL = ("quit", "served_quit", "help", "save_next", "score_1", "next", "siblings", "agreement",
             PALETTE, "queue", "previous", "undo", "not_applicable", "rubric", "scenario_key", "skip",
             "failure_modes")
"""The rating screen's keys, from the one a footer keeps longest to the one it drops first."""


def fit(items: Sequence[tuple[Binding, int]], room: int, essential: Sequence[str]) -> list[int]:
    """Indexes of ``items`` ((binding, width) in their usual order) to show in ``room`` columns:
    the essential ones first, in ``essential`` order, then the others in theirs.

    >>> from textual.binding import Binding
    >>> items = [(Binding(k, k, id=i), 5) for k, i in (("a", "x"), ("b", "y"), ("c", "z"))]
    >>> fit(items, 11, ("z", "x"))
    [0, 2]
    """
    rank = {name: i for i, name in enumerate(essential)}
    order = sorted(range(len(items)), key=lambda i: (rank.get(items[i][0].id or "", len(rank)), i))
    chosen, used = [], 0
    for i in order:
        if used + items[i][1] <= room:
            chosen.append(i)
            used += items[i][1]
    return sorted(chosen)


class KeyFooter(Footer):
    """The footer of the rating screen: the essential keys always fit (see ``ESSENTIAL``)."""

    def __init__(self, essential: Sequence[str] = ESSENTIAL) -> None:
        super().__init__()
        self.essential = tuple(essential)
        self._width = 0

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        active = self.screen.active_bindings
        seen: set[str] = set()
        items: list[tuple[Binding, bool, str, str]] = []
        for _node, binding, enabled, tooltip in active.values():
            if binding.show and binding.action not in seen:
                seen.add(binding.action)
                items.append((binding, enabled, tooltip, self.app.get_key_display(binding)))
        palette = None
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        # A key's width as FooterKey draws it: " key " then "desc "; the palette's has a rule before it.
        sized = [(b, len(shown) + len(b.description) + 3) for b, _, _, shown in items]
        if palette:
            sized.append((Binding(palette[1].key, palette[1].action, id=PALETTE),
                          len(self.app.get_key_display(palette[1])) + len(palette[1].description) + 5))
        chosen = fit(sized, self.size.width or self.app.size.width, self.essential)
        with_palette = bool(palette) and len(items) in chosen
        chosen = [i for i in chosen if i < len(items)]
        self.styles.grid_size_columns = len(chosen)
        for i in chosen:
            binding, enabled, tooltip, shown = items[i]
            yield FooterKey(binding.key, shown, binding.description, binding.action,
                            disabled=not enabled, tooltip=tooltip).data_bind(compact=Footer.compact)
        if palette and with_palette:
            binding = palette[1]
            yield FooterKey(binding.key, self.app.get_key_display(binding), binding.description,
                            binding.action, classes="-command-palette", disabled=not palette[2],
                            tooltip=binding.tooltip or binding.description)

    def on_resize(self) -> None:
        if self.size.width != self._width:
            self._width = self.size.width
            self.call_after_refresh(self.recompose)
