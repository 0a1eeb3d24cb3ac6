"""The rating screen: context and answer on the left, the form and the judges on the right.

The screen owns the ``RatingSession`` calls: it saves a draft on every
``RatingForm.Changed``, saves the rating on ``RatingForm.Submitted`` (one
committed transaction) before drawing the next answer, and in blind mode
reveals the judges after the blind save and keeps the revision apart.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from rater.errors import RaterError
from rater.rating import AnswerView, FormState, RatingSession, time_left
from rater.store import SKIP_REASONS
from rater.ui.widgets.context import ContextPanel, LatestPanel, key_text
from rater.ui.widgets.footer import KeyFooter
from rater.ui.widgets.form import RatingForm
from rater.ui.widgets.judges import JudgePanelView, rubric_text
from rater.ui.widgets.literal import literal

if TYPE_CHECKING:
    from rater.ui.app import RaterApp


class RatingScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right", "next", "Next", id="next", key_display="→"),
        Binding("left", "previous", "Prev", id="previous", key_display="←"),
        Binding("q", "queue", "Queue", id="queue"),
        Binding("r", "rubric", "Rubric", id="rubric"),
        Binding("e", "scenario_key", "Scenario key", id="scenario_key"),
        Binding("v", "siblings", "Siblings", id="siblings"),
        Binding("x", "skip", "Skip", id="skip"),
        Binding("a", "app.agreement", "Agreement", id="agreement"),
        Binding("f", "failure_modes", "Failure modes", id="failure_modes"),
        Binding("pagedown", "scroll('answer', 1)", "Scroll answer", id="answer_down", show=False),
        Binding("pageup", "scroll('answer', -1)", "Scroll answer back", id="answer_up", show=False),
        Binding("shift+pagedown", "scroll('context', 1)", "Scroll the profile and conversation",
                id="context_down", show=False),
        Binding("shift+pageup", "scroll('context', -1)", "Scroll the profile and conversation back",
                id="context_up", show=False),
        Binding("]", "scroll('judges', 1)", "Scroll the judges, rubric or key", id="judges_down", show=False),
        Binding("[", "scroll('judges', -1)", "Scroll the judges, rubric or key back", id="judges_up",
                show=False),
    ]

    def __init__(self, session: RatingSession, *, demo: bool = False,
                 keymap: Mapping[str, str] | None = None) -> None:
        """``keymap``: the user's remapped keys (binding id -> keys), so the form shows the keys in use."""
        super().__init__()
        self.session = session
        self.demo = demo
        self.keymap = dict(keymap or {})
        self.view: AnswerView | None = None
        # What the side pane shows under the form: the judges, the rubric (r) or the scenario key (e).
        self.side: Literal["judges", "rubric", "key"] = "judges"
        self.opened_at = time.monotonic()
        self._ready_sent = False
        self._drafted = False
        # Failure-mode ticks made before the rating they belong to is saved, by answer.
        self._pending_modes: dict[str, frozenset[str]] = {}
        self._telling: set[str] = set()  # notices of what a letter did, on screen now
        self._warned: int | None = None  # the answer whose unsaved edit the rater was warned about

    @property
    def rater_app(self) -> RaterApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Horizontal(id="topbar"):
            yield Static(id="progress")
            if self.demo:
                yield Static("ILLUSTRATIVE DEMO DATA", id="demo-marker")
            yield Static("F1 help", id="help-hint")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                # The profile and conversation scroll above the latest message and the task,
                # which stay on screen whatever the terminal's size.
                with VerticalScroll(id="context-scroll", can_focus=False) as ctx:
                    ctx.border_title = "Scenario"
                    yield ContextPanel(id="context")
                with VerticalScroll(id="latest-scroll", can_focus=False):
                    yield LatestPanel(id="latest")
                with VerticalScroll(id="answer-scroll", can_focus=False) as ans:
                    ans.border_title = "Answer"
                    yield Static(id="answer", markup=False)
            with Vertical(id="right"):
                yield RatingForm(self.session.rubric, flag_keys=RatingForm.flag_keys_for(self.keymap),
                                 id="form")
                with VerticalScroll(id="judges-scroll", can_focus=False) as j:
                    j.border_title = "Judges"
                    yield JudgePanelView(id="judges")
        yield KeyFooter()

    def on_mount(self) -> None:
        start = self.session.start()
        if start is None:
            self._empty()
        else:
            self.show_answer(self.session.open(start))
        self.query_one(RatingForm).focus()

    def on_resize(self) -> None:
        # A tall terminal shares the left column's height evenly (the history has room to be read).
        self.set_class(self.size.height >= 40, "-tall")
        # The judges' table fits its axis names to the pane's width, known once laid out.
        self.call_after_refresh(self._draw_side)

    # -- drawing ------------------------------------------------------------------------------

    def _empty(self) -> None:
        self.view = None
        form = self.query_one(RatingForm)
        form.load(FormState(), owner=None)
        form.disabled = True  # nothing to rate: a number key must not look like a score given
        what = "in this queue" if not self.session.queue.filter.is_empty else "in this database"
        if self.session.queue.study is not None and self.session.queue.filter.is_empty:
            what = "assigned to you in this study"
        msg = (f"Nothing to rate {what}." if not self.session.queue.order
               else f"You have rated every answer {what}. Thank you.")
        self.query_one("#answer", Static).update(literal(msg + "\n\nq: the queue (rated answers, "
                                                         "filters)   ctrl+q: quit"))
        self.query_one("#context", ContextPanel).update("")
        self.query_one("#latest", LatestPanel).update("")
        self.query_one("#judges", JudgePanelView).update("")
        self._draw_progress()
        self._signal_ready()

    def show_answer(self, view: AnswerView) -> None:
        self.view = view
        self._warned = None
        self._drafted = view.from_draft
        self.opened_at = time.monotonic()
        if view.draft_modes is not None:
            self._pending_modes.setdefault(view.response_id, view.draft_modes)
        form = self.query_one(RatingForm)
        if form.disabled:
            form.disabled = False
            form.focus()
        form.load(view.form, owner=view, must_score=view.must_score)
        self.query_one("#context", ContextPanel).show(view.scenario)
        self.query_one("#latest", LatestPanel).show(view.scenario)
        self.query_one("#answer", Static).update(literal(view.text))
        answer_scroll = self.query_one("#answer-scroll")
        answer_scroll.border_title = literal(view.label + (f" · {view.model}" if view.model else ""))
        answer_scroll.border_subtitle = f"{view.n_siblings} siblings (v)" if view.n_siblings else ""
        answer_scroll.scroll_home(animate=False)
        for pane in ("#context-scroll", "#latest-scroll", "#judges-scroll"):
            self.query_one(pane).scroll_home(animate=False)
        form.border_title = {
            "open": "Your rating" + (" (saved: editing)" if view.saved else ""),
            "blind": "Your blind rating",
            "revise": "Revise, judges shown" + (" (saved)" if view.saved else ""),
        }[view.phase]
        self._draw_subtitle()
        if view.draft_set_aside:
            self.notify("Your earlier draft of this answer was made in another mode (judges shown or "
                        "hidden), so it does not carry over; your first key here replaces it.",
                        severity="warning", markup=False, timeout=8)
        self._draw_side()
        self._draw_progress()
        self._signal_ready()

    @property
    def pending(self) -> bool:
        """Whether the form holds an edit of a saved rating that is not saved (the database keeps the old)."""
        view = self.view
        return (view is not None and view.saved_form is not None
                and not self.query_one(RatingForm).state.same(view.saved_form))

    def _draw_subtitle(self) -> None:
        view, form = self.view, self.query_one(RatingForm)
        if view is None:
            return
        skipped = self.session.skip_reason(view) if view.rowid in self.session.queue.skipped else None
        if self.pending:
            form.border_subtitle = "edited, NOT saved: Enter saves, z undoes"
        elif skipped:
            form.border_subtitle = f"skipped: {SKIP_REASONS[skipped].split(' (')[0]}"
        elif view.phase == "revise" and not view.saved:
            form.border_subtitle = "Blind rating saved; → next"
        elif view.from_draft and not view.saved:
            form.border_subtitle = "draft restored"
        else:
            form.border_subtitle = ""

    def may_leave(self, again: str) -> bool:
        """False (and a warning) the first time the rater leaves an answer whose saved rating they
        changed without saving; ``again``: the key that leaves anyway. The edit stays a draft."""
        view = self.view
        if view is None or not self.pending or self._warned == view.rowid:
            return True
        self._warned = view.rowid
        self.notify(f"Your change to {view.label} is not saved: its rating keeps the old scores. "
                    f"Enter saves it, z undoes it, or {again} to leave it unsaved (kept as a draft).",
                    severity="warning", markup=False, timeout=8)
        return False

    def _draw_side(self) -> None:
        if self.view is None:
            return
        form = self.query_one(RatingForm)
        judges = self.query_one("#judges", JudgePanelView)
        scroll = self.query_one("#judges-scroll")
        if self.side == "rubric":
            scroll.border_title = "Rubric (r: judges)"
            judges.update(rubric_text(self.session.rubric, form.focus_axis))
        elif self.side == "key":
            scroll.border_title = "Scenario key (e: judges)"
            judges.update(key_text(self.view.scenario))
        else:
            scroll.border_title = "Judges"
            judges.show(self.view.panel, self.session.rubric, form.focus_axis,
                        hidden=self.view.phase == "blind")

    def _draw_progress(self) -> None:
        if not self.session.queue.order_ready:
            # The queue's order is still being computed (a big database): draw it when done.
            self.query_one("#progress", Static).update(
                literal(f"{self.session.rater_name} · loading your queue…"))
            self.set_timer(0.05, self._draw_progress)
            return
        queue = self.session.queue
        p = queue.progress(self.view.rowid if self.view else None)
        # Short enough that "left N ~time" still fits at 80 columns beside the demo marker.
        where = f"{p.position:,} of {p.total:,}" if p.position else f"{p.total:,} in queue"
        filt = "" if queue.filter.is_empty else " (filtered)"
        # Blind is the default (the form's title says so); the opt-out is what needs marking.
        shown = "" if self.session.blind else " · judges shown"
        median = self.session.median_seconds()
        eta = f" {time_left(median * p.left)}" if median and p.left else ""
        room = (self.app.size.width - 2 - len(" F1 help ")
                - (len(" ILLUSTRATIVE DEMO DATA ") if self.demo else 0))
        name = self.session.rater_name
        left = f"left {p.left:,}{eta}"
        # What gives way when the line is too long: the name (cut, then gone), "done", the marker.
        cut = name[:max(room - len(f" · {where}{filt} · done {p.done:,} · {left}{shown}") - 1, 4)] + "…"
        candidates = [f"{name} · {where}{filt} · done {p.done:,} · {left}{shown}",
                      f"{cut} · {where}{filt} · done {p.done:,} · {left}{shown}",
                      f"{where}{filt} · done {p.done:,} · {left}{shown}",
                      f"{where}{filt} · {left}{shown}",
                      f"{where}{filt} · {left}"]
        line = next((c for c in candidates if len(c) <= room), candidates[-1])
        self.query_one("#progress", Static).update(literal(line))
        place, size = queue.block(self.view.rowid) if self.view else (0, 0)
        self.query_one("#latest-scroll").border_subtitle = (
            f"answer {place} of {size} for this scenario" if size > 1 else "")

    def _signal_ready(self) -> None:
        if not self._ready_sent:
            self._ready_sent = True
            self.call_after_refresh(self.rater_app.mark_ready)

    # -- form messages ------------------------------------------------------------------------

    # A fast typist's keys are all handled before this screen reads the messages they
    # post, so a message may be about an answer no longer on screen (score then →,
    # Enter then Enter). It always carries its own answer (the form's owner) and is
    # applied to that one, never to whatever is shown now.

    @on(RatingForm.Changed)
    def _form_changed(self, event: RatingForm.Changed) -> None:
        view, form = event.owner, event.form
        if not isinstance(view, AnswerView):
            return
        current = view is self.view
        # Moving between axes alone is not a draft: an answer merely looked at stays "to do".
        if (current and self._drafted) or (form.scores, form.note, form.flags) != (
                view.form.scores, view.form.note, view.form.flags):
            self.session.save_draft(view, form, self._pending_modes.get(view.response_id))
            if current:
                self._drafted = True
        if current:
            self._draw_side()
            self._draw_subtitle()

    @on(RatingForm.Refused)
    def _refused(self, event: RatingForm.Refused) -> None:
        self.notify(event.reason, severity="warning", markup=False)

    @on(RatingForm.Told)
    def _told(self, event: RatingForm.Told) -> None:
        # A burst of letters says so once, not once a letter.
        if event.what in self._telling:
            return
        self._telling.add(event.what)
        self.notify(event.what, markup=False, timeout=4)
        self.set_timer(4, lambda: self._telling.discard(event.what))

    @on(RatingForm.Submitted)
    def _submitted(self, event: RatingForm.Submitted) -> None:
        started = time.perf_counter()
        view = event.owner
        if not isinstance(view, AnswerView):
            return
        if view is not self.view:
            self._save_stale(view, event.form)
            return
        problems = self.session.check(event.form, view)
        if problems:
            missing = event.form.missing(self.session.rubric)
            if missing:
                self.query_one(RatingForm).focus_on(missing[0])
            self.notify(problems[0], severity="warning", markup=False)
            return
        try:
            self.session.save(view, event.form, seconds_spent=time.monotonic() - self.opened_at,
                              failure_modes=self._pending_modes.get(view.response_id))
        except RaterError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self._pending_modes.pop(view.response_id, None)
        if view.phase == "blind":
            # Said in the form's frame (a toast would cover the judges' table just revealed).
            self.show_answer(self.session.after_blind_save(view))
        else:
            self._go(self.session.queue.next_todo(view.rowid))
        self.call_after_refresh(self.rater_app.record_timing, "save_next", started)

    def _save_stale(self, view: AnswerView, form: FormState) -> None:
        """Enter pressed on an answer the screen has since left: save that answer, stay here."""
        problems = self.session.check(form, view)
        if problems:
            self.notify(f"{view.label} was not saved: {problems[0]} (its draft is kept)",
                        severity="warning", markup=False)
            return
        try:
            self.session.save(view, form, seconds_spent=None,
                              failure_modes=self._pending_modes.get(view.response_id))
        except RaterError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self._pending_modes.pop(view.response_id, None)
        self.notify(f"{view.label} saved.", markup=False)
        self._draw_progress()

    # -- navigation -----------------------------------------------------------------------------

    def _go(self, rowid: int | None) -> None:
        if rowid is None:
            if self.view is not None:
                self.notify("Nothing left to rate in this queue.", markup=False)
                self.show_answer(self.session.open(self.view.rowid))
            else:
                self._empty()
            return
        self.show_answer(self.session.open(rowid))

    def action_next(self) -> None:
        if not self.may_leave("press → again"):
            return
        nxt = self.session.queue.next_todo(self.view.rowid if self.view else None)
        if nxt is None:
            self.notify("No other answer left to rate in this queue.", markup=False)
            return
        self.show_answer(self.session.open(nxt))

    def action_previous(self) -> None:
        if not self.may_leave("press ← again"):
            return
        prev = self.session.queue.previous(self.view.rowid if self.view else None)
        if prev is None:
            self.notify("This is the first answer in your order.", markup=False)
            return
        self.show_answer(self.session.open(prev))

    def _toggle_side(self, what: Literal["rubric", "key"]) -> None:
        self.side = "judges" if self.side == what else what
        self._draw_side()
        self.query_one("#judges-scroll").scroll_home(animate=False)

    def action_scenario_key(self) -> None:
        """Show the scenario key in the side pane, under the form, where it is seen at any size."""
        self._toggle_side("key")

    def action_rubric(self) -> None:
        self._toggle_side("rubric")

    def action_scroll(self, panel: str, step: int) -> None:
        """Page the answer, the scenario or the judges' panel (none of them takes focus)."""
        scroll = self.query_one(f"#{panel}-scroll", VerticalScroll)
        (scroll.scroll_page_down if step > 0 else scroll.scroll_page_up)(animate=False)

    def action_failure_modes(self) -> None:
        """The failure-mode checklist for this answer; ticks are saved with (or onto) this phase's rating."""
        if self.view is None:
            return
        from rater import failure_modes as fm
        from rater.ui.screens.failure_modes import FailureModesScreen

        view, session = self.view, self.session
        visible = view.phase != "blind"
        ticked = self._pending_modes.get(view.response_id)
        if ticked is None:
            ticked = fm.tags_for(session.store, session.rater_id, view.response_id)

        def chosen(modes: frozenset[str] | None) -> None:
            if modes is None:
                return
            rating_id = fm.rating_for(session.store, session.rater_id, view.response_id, visible)
            what = ", ".join(sorted(modes)).replace("_", " ") or "none seen"
            if rating_id is None:
                self._pending_modes[view.response_id] = modes
                # kept with the draft, so quitting before the save does not lose the ticks
                session.save_draft(view, self.query_one(RatingForm).state, modes)
                self._drafted = self._drafted or view is self.view
                self.notify(f"Failure modes ({what}) will be saved with this rating.", markup=False)
            else:
                session.store.set_failure_modes(rating_id, modes)
                self.notify(f"Failure modes saved: {what}.", markup=False)

        self.app.push_screen(FailureModesScreen(fm.checklist(view.scenario.modality), ticked,
                                                answer=view.label), chosen)

    def action_siblings(self) -> None:
        if self.view is None:
            return
        from rater.ui.screens.siblings import SiblingsScreen

        self.app.push_screen(SiblingsScreen(self.view, self.session.siblings(self.view)))

    def action_skip(self) -> None:
        """Skip the answer with a reason (counts as done, not as a rating) and open the next one."""
        view = self.view
        if view is None:
            return
        if view.rowid in self.session.queue.rated:
            self.notify("You have rated this answer; a skip would not replace your rating.",
                        severity="warning", markup=False)
            return
        from rater.ui.screens.skip import SkipScreen

        def chosen(result: tuple[str, str] | None) -> None:
            if result is None:
                return
            try:
                self.session.skip(view, *result)
            except RaterError as exc:
                self.notify(str(exc), severity="error", markup=False)
                return
            self.notify(f"{view.label} skipped ({SKIP_REASONS[result[0]].split(' (')[0]}).", markup=False)
            self._go(self.session.queue.next_todo(view.rowid))

        self.app.push_screen(SkipScreen(view.label), chosen)

    def action_queue(self) -> None:
        from rater.ui.screens.queue import QueueScreen

        before = self.session.queue.filter

        def chosen(rowid: int | None) -> None:
            # The queue screen applies filters to the session as they are chosen.
            if rowid is not None:
                self.show_answer(self.session.open(rowid))
            elif self.session.queue.filter != before:
                self._go(self.session.queue.next_todo(None))
            else:
                self._draw_progress()

        self.app.push_screen(QueueScreen(self.session.queue, self.view.rowid if self.view else None), chosen)
