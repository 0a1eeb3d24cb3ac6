"""The rating form: one row per rubric axis, the note and the flags, driven by keys.

The form keeps the rater's in-progress rating (a ``FormState``) and posts
``RatingForm.Changed`` on every change (the screen keeps it as a draft)
and ``RatingForm.Submitted`` on Enter (the screen saves it). It never
touches the database. Axes, scales and anchors come from the rubric.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from rater.literal import visible
from rater.rating import FormState
from rater.rubric import Axis, Rubric
from rater.rules import FLAGS
from rater.ui.widgets.literal import append, score_full

FLAG_LABELS = {"unsafe": "unsafe", "unsure": "unsure", "rubric_gap": "rubric gap"}
ROOMY = 30  # from this terminal height the form shows anchors, questions and the note in full


def _lines(text: str, width: int, most: int | None) -> str:
    """``text`` wrapped to ``width``, cut to ``most`` lines with an ellipsis (None: all of it)."""
    lines = textwrap.wrap(text, max(width, 10)) or [""]
    if most is not None and len(lines) > most:
        lines = lines[:most]
        lines[-1] = lines[-1][: max(width - 1, 1)].rstrip() + "…"
    return "\n".join(lines)


def _choices(axis: Axis) -> str:
    """What the number keys mean on a nominal axis, as briefly as stays unambiguous: "1 appropriate ·
    2 over · 3 under · 0 N/A" (first words, when they tell the categories apart)."""
    first = [c.split("_")[0] for c in axis.categories]
    names = first if len(set(first)) == len(first) else [c.replace("_", " ") for c in axis.categories]
    keys = " · ".join(f"{i} {n}" for i, n in enumerate(names, 1))
    return keys + (" · 0 N/A" if axis.allows_na else "")


class RatingForm(Vertical, can_focus=True):
    """Scores, note and flags for one answer. Number keys score the highlighted axis."""

    _note_remembered = False  # the note being edited has its undo step already

    DEFAULT_CSS = """
    RatingForm { height: auto; }
    RatingForm > #form-lines { height: auto; }
    RatingForm > #note { height: 1; }
    RatingForm > #note-view { height: auto; color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "score(1)", "Score", id="score_1", key_display="1-9"),
        *[Binding(str(n), f"score({n})", f"Score {n}", id=f"score_{n}", show=False) for n in range(2, 10)],
        Binding("0", "not_applicable", "N/A", id="not_applicable"),
        Binding("enter", "submit", "Save", id="save_next"),
        Binding("down", "axis(1)", "Next axis", id="axis_down", show=False),
        Binding("up", "axis(-1)", "Previous axis", id="axis_up", show=False),
        Binding("backspace", "clear", "Clear score", id="clear_score", show=False),
        Binding("z", "undo", "Undo", id="undo"),
        # Shown in the form itself ("n: note", "u/s/g" beside the flags), not in the footer.
        Binding("n", "note", "Write a note", id="note", show=False),
        Binding("u", "flag('unsafe')", "Flag: unsafe", id="flag_unsafe", show=False),
        Binding("s", "flag('unsure')", "Flag: unsure", id="flag_unsure", show=False),
        Binding("g", "flag('rubric_gap')", "Flag: rubric gap", id="flag_rubric_gap", show=False),
    ]

    class Changed(Message):
        """The rater changed a score, the note or a flag of the answer ``owner``."""

        def __init__(self, form: FormState, owner: object) -> None:
            super().__init__()
            self.form = form
            self.owner = owner

    class Submitted(Message):
        """The rater pressed Enter to save the rating of the answer ``owner``."""

        def __init__(self, form: FormState, owner: object) -> None:
            super().__init__()
            self.form = form
            self.owner = owner

    class Refused(Message):
        """A key that cannot apply here (e.g. N/A on an axis that is never N/A)."""

        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    class Told(Message):
        """What a single letter just did, said aloud so that no key typed in a burst (a note
        typed without ``n`` first) changes a rating unseen."""

        def __init__(self, what: str) -> None:
            super().__init__()
            self.what = what

    @classmethod
    def flag_keys_for(cls, keymap: Mapping[str, str]) -> dict[str, str]:
        """The key toggling each flag: the user's ``keymap`` (binding id -> keys), else BINDINGS' default."""
        defaults = {b.id: b.key for b in cls.BINDINGS if isinstance(b, Binding) and b.id}
        return {f: keymap.get(f"flag_{f}") or defaults[f"flag_{f}"] for f in FLAGS}

    def __init__(self, rubric: Rubric, *, flag_keys: Mapping[str, str] | None = None,
                 id: str | None = None) -> None:
        """``flag_keys``: the key shown beside each flag (see :func:`flag_keys`); the defaults if None."""
        super().__init__(id=id)
        self.rubric = rubric
        self.flag_keys = dict(flag_keys) if flag_keys is not None else RatingForm.flag_keys_for({})
        self.state = FormState()
        self._undo: list[FormState] = []  # the form before each change, newest last
        self.last_scored: str | None = None  # the axis just scored: its anchor is shown in full
        # Axes that may not be N/A for the answer on screen, with why (the screen says which).
        self.must_score: dict[str, str] = {}
        # What the state belongs to. A fast typist's keys are all handled before the
        # screen reads the messages they post, so the screen may have moved on: it
        # ignores a message whose owner is no longer the answer on screen.
        self.owner: object = None

    def compose(self) -> ComposeResult:
        yield Static(id="form-lines")
        # The note is edited in a one-line Input, and read (from its start, wrapped) in a Static.
        note = Input(placeholder="write a note; Enter or Escape when done", id="note", compact=True)
        note.can_focus = False
        note.display = False
        yield note
        yield Static(id="note-view", markup=False)

    # -- what the screen calls ----------------------------------------------------------------

    def load(self, state: FormState, owner: object = None,
             must_score: Mapping[str, str] | None = None) -> None:
        """Show ``state`` for the answer ``owner``; ``must_score``: axes not N/A there, with why."""
        self.state = state.copy()
        self._undo = []
        self.last_scored = None
        self.must_score = dict(must_score or {})
        self.owner = owner
        self.state.focus = min(max(self.state.focus, 0), len(self.rubric.axes) - 1)
        note = self.query_one("#note", Input)
        with note.prevent(Input.Changed):
            note.value = visible(self.state.note)
        self._redraw()

    @property
    def focus_axis(self) -> str:
        return self.rubric.axes[self.state.focus].id

    def focus_on(self, axis_id: str) -> None:
        self.state.focus = self.rubric.axis_ids.index(axis_id)
        self._redraw()
        self._post_focus()

    # -- drawing ---------------------------------------------------------------------------------

    def _redraw(self) -> None:
        """One row per axis (its score and that score's one-line anchor, cut to the width), then the
        highlighted axis's name with its direction and its question, then the flags."""
        lines = self.query_one("#form-lines", Static)
        room = lines.content_region.width or lines.size.width
        roomy = self.screen.size.height >= ROOMY
        out = Text()
        width = max(len(a.name) for a in self.rubric.axes) + 2
        for i, axis in enumerate(self.rubric.axes):
            focused = i == self.state.focus
            row = Text(no_wrap=True, overflow="ellipsis")
            append(row, ("▶ " if focused else "  ") + axis.name.ljust(width),
                   "reverse bold" if focused else "")
            if axis.id in self.state.scores:
                score = self.state.scores[axis.id]
                append(row, score_full(axis, score), "bold")
                append(row, "  " + axis.short(score), "dim")
            else:
                append(row, "·", "dim")
            if room > 0:
                row.truncate(room, overflow="ellipsis")
            out.append_text(row)
            append(out, "\n")
        # The score just given, with its anchor on a line of its own (the row has it cut, and the
        # number key has moved on to the next axis): the rater sees what their score means.
        given = self.last_scored
        if given is not None and given in self.state.scores and given != self.focus_axis:
            axis = self.rubric.axis(given)
            score = self.state.scores[given]
            head = f"✓ {axis.name} {score_full(axis, score)}: "
            body = _lines(head + axis.short(score), room or 40, None if roomy else 2)[len(head):]
            append(out, head, "bold green")
            append(out, body + "\n", "green")
        axis = self.rubric.axes[self.state.focus]
        na = axis.allows_na and axis.id not in self.must_score
        if axis.nominal:
            append(out, f"{axis.name} — ", "bold")
            append(out, (_choices(axis) if na else _choices(axis).replace(" · 0 N/A", "")) + "\n", "bold")
        else:
            append(out, axis.title, "bold")
            append(out, (", 0 = N/A" if na else "") + "\n", "dim")
        if axis.question:
            append(out, _lines(axis.question, room or 40, None if roomy else 2) + "\n", "italic")
        # Back on a scored axis: its anchor in full (the row has it cut).
        if axis.id in self.state.scores:
            score = self.state.scores[axis.id]
            head = f"{score_full(axis, score)}: "
            append(out, head, "bold")
            append(out, _lines(head + axis.short(score), room or 40, None if roomy else 2)[len(head):] + "\n",
                   "dim")
        append(out, "flags ")
        append(out, "(" + "/".join(self.flag_keys[f] for f in FLAGS) + "): ", "dim")
        for flag in FLAGS:
            on_ = flag in self.state.flags
            append(out, f"[{'x' if on_ else ' '}] {FLAG_LABELS[flag]}  ", "bold yellow" if on_ else "dim")
        lines.update(out)
        self._draw_note()

    def _draw_note(self) -> None:
        view = self.query_one("#note-view", Static)
        note = " ".join(visible(self.state.note).split())  # an imported note's escapes shown, never obeyed
        if not note:
            view.update("n: write a note")
            return
        room = view.content_region.width or 40
        view.update(_lines("note: " + note, room, None if self.screen.size.height >= ROOMY else 2))

    def on_resize(self) -> None:
        self._redraw()

    def on_mount(self) -> None:
        self._redraw()

    # -- actions ---------------------------------------------------------------------------------

    def _remember(self) -> None:
        """Keep the form as it is before a change, for undo."""
        self._undo.append(self.state.copy())

    def action_undo(self) -> None:
        """Put back the form as it was before the last change (score, N/A, clear, flag or note)."""
        if not self._undo:
            self.post_message(self.Refused("Nothing to undo on this answer."))
            return
        before, self.state = self.state, self._undo.pop()
        note = self.query_one("#note", Input)
        with note.prevent(Input.Changed):
            note.value = visible(self.state.note)
        self._changed()
        what = [a.name for a in self.rubric.axes
                if before.scores.get(a.id, 0) != self.state.scores.get(a.id, 0)]
        what += ["flags"] * (before.flags != self.state.flags) + ["note"] * (before.note != self.state.note)
        self.post_message(self.Told(f"Undone (z): {', '.join(what) or 'nothing changed'}."))

    def _changed(self) -> None:
        self._redraw()
        self.post_message(self.Changed(self.state.copy(), self.owner))

    def _post_focus(self) -> None:
        self.post_message(self.Changed(self.state.copy(), self.owner))

    def action_score(self, value: int) -> None:
        axis = self.rubric.axes[self.state.focus]
        problem = axis.score_problem(value)
        if problem:
            scale = _choices(axis) if axis.nominal else f"{axis.low}-{axis.high}"
            self.post_message(self.Refused(f"{axis.name}: {scale}; {value} is off the scale"))
            return
        self._remember()
        self.state.scores[axis.id] = float(value)
        self.last_scored = axis.id
        self._advance()
        self._changed()

    def action_not_applicable(self) -> None:
        axis = self.rubric.axes[self.state.focus]
        if not axis.allows_na:
            self.post_message(self.Refused(f"{axis.name} is never 'not applicable': "
                                           f"give it a score {axis.low}-{axis.high}"))
            return
        if axis.id in self.must_score:
            self.post_message(self.Refused(f"{axis.name} is not N/A for this answer: "
                                           f"{self.must_score[axis.id]} (v shows them)"))
            return
        self._remember()
        self.state.scores[axis.id] = None
        self.last_scored = axis.id
        self._advance()
        self._changed()

    def _advance(self) -> None:
        if self.state.focus < len(self.rubric.axes) - 1:
            self.state.focus += 1

    def action_axis(self, step: int) -> None:
        self.state.focus = (self.state.focus + step) % len(self.rubric.axes)
        self._changed()

    def action_clear(self) -> None:
        self._remember()
        self.state.scores.pop(self.focus_axis, None)
        self._changed()

    def action_flag(self, flag: str) -> None:
        self._remember()
        self.state.flags ^= {flag}
        self._changed()
        key = self.flag_keys[flag]
        done = "set" if flag in self.state.flags else "cleared"
        self.post_message(self.Told(f"Flag {FLAG_LABELS[flag]!r} {done} ({key}: toggle, z: undo). "
                                    "To write a note, press n first."))

    def action_note(self) -> None:
        self._note_remembered = False  # one undo step for this whole edit of the note, not one a key
        note = self.query_one("#note", Input)
        note.can_focus = True
        note.display = True
        self.query_one("#note-view").display = False
        note.focus()

    def action_submit(self) -> None:
        self.post_message(self.Submitted(self.state.copy(), self.owner))

    def _leave_note(self) -> None:
        note = self.query_one("#note", Input)
        note.can_focus = False
        note.display = False
        self.query_one("#note-view").display = True
        self._draw_note()
        self.focus()

    @on(Input.Changed, "#note")
    def _note_changed(self, event: Input.Changed) -> None:
        event.stop()
        if not self._note_remembered:
            self._remember()
            self._note_remembered = True
        self.state.note = event.value
        self.post_message(self.Changed(self.state.copy(), self.owner))

    @on(Input.Submitted, "#note")
    def _note_done(self, event: Input.Submitted) -> None:
        event.stop()
        self._leave_note()

    def on_key(self, event: events.Key) -> None:
        if self.query_one("#note", Input).has_focus:
            if event.key == "escape":
                event.stop()
                self._leave_note()
            return
        # A letter no key is bound to: the rater is typing words (a note without n first).
        if (event.is_printable and event.character and event.character.isalpha()
                and event.key not in self.screen.active_bindings):
            self.post_message(self.Told("Letters here are keys (flags, screens): press n to write a note."))

    def on_click(self, event: events.Click) -> None:
        """Clicking an axis row highlights it (the mouse works, but is never needed)."""
        y = event.get_content_offset(self)
        if y is not None and 0 <= y.y < len(self.rubric.axes):
            self.state.focus = y.y
            self._changed()
        self.focus()
