"""The rating session: what one rater sees next, what the judges said, and saving.

This is the core of the rating app with no Textual in it, so it can be
tested on an in-memory database and timed without a terminal. The app's
screens call it; its widgets never do. Which answer comes next (the
rater's order, filters, progress) is ``rater.queue.RaterQueue``, which the
session composes as ``session.queue``.

Blinding. The model's name is hidden unless asked for; answers are
labelled by rowid ("Answer 4711"), which is stable across raters and
sessions, so two clinicians can talk about the same answer. By default
(blind) the judges are hidden until the rater saves (``judges_visible = 0``); the
rating shown after the reveal is saved as a second row
(``judges_visible = 1``), so anchoring can be measured. With
``blind=False`` (`rater rate --show-judges`) the judges are shown from the
start and each rating records so (see rater.phases).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from rater.counterparts import anchor, counterparts, with_siblings
from rater.errors import Problem, RaterError
from rater.panel import Panel, panel_scores
from rater.queue import RaterQueue, answer_label, queue_seed
from rater.rubric import Rubric
from rater.rules import FLAGS
from rater.scenarios import Scenario
from rater.store import AxisScore, Store

Phase = Literal["open", "blind", "revise"]


# -- the rater's form ------------------------------------------------------------------

@dataclass
class FormState:
    """A rating being made: a score or N/A (None) per axis scored so far, note and flags."""

    scores: dict[str, float | None] = field(default_factory=dict)
    note: str = ""
    flags: set[str] = field(default_factory=set)
    focus: int = 0

    def to_json(self, phase: Phase, failure_modes: frozenset[str] | None = None) -> str:
        """``failure_modes``: ticked on the checklist, not yet saved with a rating (kept with the draft)."""
        data: dict[str, Any] = {"scores": self.scores, "note": self.note, "flags": sorted(self.flags),
                                "focus": self.focus, "phase": phase}
        if failure_modes is not None:
            data["failure_modes"] = sorted(failure_modes)
        return json.dumps(data)

    @staticmethod
    def failure_modes_of(data: str) -> frozenset[str] | None:
        """The failure modes a draft keeps (None: none ticked since the last save)."""
        try:
            modes = json.loads(data).get("failure_modes")
        except (ValueError, AttributeError):
            return None
        return None if not isinstance(modes, list) else frozenset(str(m) for m in modes)

    @classmethod
    def from_json(cls, data: str) -> tuple[FormState, str | None]:
        """The form and the phase it was drafted in; a damaged draft gives an empty form."""
        try:
            raw = json.loads(data)
            scores = {str(k): (None if v is None else float(v)) for k, v in raw["scores"].items()}
            flags = {f for f in raw.get("flags", []) if f in FLAGS}
            return cls(scores, str(raw.get("note", "")), flags, int(raw.get("focus", 0))), raw.get("phase")
        except (ValueError, KeyError, TypeError, AttributeError):
            return cls(), None

    def missing(self, rubric: Rubric) -> list[str]:
        """Axes not yet scored (N/A counts as scored)."""
        return [a for a in rubric.axis_ids if a not in self.scores]

    def copy(self) -> FormState:
        return replace(self, scores=dict(self.scores), flags=set(self.flags))

    def same(self, other: FormState) -> bool:
        """Same scores, note and flags (where the cursor is does not matter)."""
        return (self.scores, self.note, self.flags) == (other.scores, other.note, other.flags)


# -- one answer, as the rating screen shows it -----------------------------------------

@dataclass(frozen=True)
class Sibling:
    """Another answer by the same model that the consistency and robustness axes compare with."""

    kind: Literal["sample", "variant"]
    title: str        # e.g. "Sample 2 (same scenario)" or "Variant: age 70"
    text: str
    rowid: int


@dataclass(frozen=True)
class AnswerView:
    rowid: int
    response_id: str
    label: str                      # neutral: "Answer 4711"
    model: str | None               # None unless the session shows models
    text: str
    scenario: Scenario
    panel: Panel
    phase: Phase
    form: FormState                 # the draft, else the saved rating, else empty
    saved: bool                     # a rating exists for the phase the form belongs to
    from_draft: bool
    n_siblings: int
    # A draft made in another phase (e.g. with the judges shown, before a --blind
    # session) cannot seed this one; the screen says so before a key replaces it.
    draft_set_aside: bool = False
    # Axes that may not be N/A for this answer, with why (its siblings exist: rater.counterparts).
    must_score: dict[str, str] = field(default_factory=dict)
    # The rating saved for this phase as it is in the database (None: not saved), so an edit
    # not yet saved can be told apart from it.
    saved_form: FormState | None = None
    # Failure modes ticked in the draft, not yet saved with a rating (None: none).
    draft_modes: frozenset[str] | None = None


class RatingSession:
    """One rater's session on one database: loading answers, drafts and saving; ``queue`` is their order."""

    def __init__(self, store: Store, rater_id: int, *, blind: bool = True,
                 show_models: bool = False) -> None:
        self.store = store
        self.rater_id = rater_id
        self.blind = blind
        self.show_models = show_models
        self.rubric_version, self.rubric = store.rubric()
        # The seed is drawn (and stored) here on a rater's first session; RaterError if no such rater.
        self.queue = RaterQueue(store, rater_id, queue_seed(store, rater_id), show_models=show_models)

    # -- who, and where they left off ---------------------------------------------------

    @property
    def rater_name(self) -> str:
        row = self.store.conn.execute("SELECT name, role, credentials FROM raters WHERE id = ?",
                                      (self.rater_id,)).fetchone()
        return ", ".join(x for x in (row["name"], row["credentials"]) if x) if row else "?"

    def start(self) -> int | None:
        """Where this rater left off: the last answer they had open, if still to do or
        drafted, else their next answer to do."""
        last = self.store.get_meta(f"rate.position.{self.rater_id}")
        if last:
            row = self.store.conn.execute("SELECT rowid FROM responses WHERE id = ?", (last,)).fetchone()
            if row is not None:
                rowid = int(row[0])
                if not self.queue.holds(rowid):
                    return self.queue.next_todo()  # no longer in their queue (e.g. a study began)
                if (rowid not in self.queue.done or self._draft(last) is not None
                        or self._awaits_revision(last)):
                    return rowid
                return self.queue.next_todo(rowid)
        return self.queue.next_todo()

    # -- one answer -------------------------------------------------------------------------

    def _draft(self, response_id: str) -> str | None:
        """The rater's draft of the answer (``FormState.to_json``), None if there is none."""
        row = self.store.conn.execute("SELECT data FROM drafts WHERE rater_id = ? AND response_id = ?",
                                      (self.rater_id, response_id)).fetchone()
        return None if row is None else str(row[0])

    def _awaits_revision(self, response_id: str) -> bool:
        if not self.blind:
            return False
        phases = self._saved_phases(response_id)
        return 0 in phases and 1 not in phases

    def _saved_phases(self, response_id: str) -> dict[int | None, int]:
        return {r[1]: int(r[0]) for r in self.store.conn.execute(
            "SELECT id, judges_visible FROM ratings WHERE rater_id = ? AND response_id = ?",
            (self.rater_id, response_id))}

    def _saved_form(self, rating_id: int) -> FormState:
        row = self.store.conn.execute("SELECT note, flags FROM ratings WHERE id = ?",
                                      (rating_id,)).fetchone()
        scores = {r[0]: r[1] for r in self.store.conn.execute(
            "SELECT axis, score FROM rating_scores WHERE rating_id = ?", (rating_id,))}
        flags = {f for f in json.loads(row["flags"] or "[]") if f in FLAGS}
        return FormState({a: s for a, s in scores.items() if self.rubric.has_axis(a)},
                         row["note"] or "", flags)

    def open(self, rowid: int, *, remember: bool = True) -> AnswerView:
        """Everything the rating screen shows for one answer; records it as the rater's place."""
        row = self.store.conn.execute(
            "SELECT r.rowid, r.id, r.model, r.text, s.content, s.source FROM responses r "
            "JOIN scenarios s ON s.id = r.scenario_id WHERE r.rowid = ?", (rowid,)).fetchone()
        if row is None:
            raise RaterError(Problem(f"no answer {rowid}", self.store.path))
        scenario = Scenario.from_content(json.loads(row["content"]), row["source"])
        response_id = row["id"]
        phases = self._saved_phases(response_id)
        if 0 in phases or (self.blind and 1 in phases):
            # A blind rating exists: with the judges shown, any change is a revision of it.
            phase: Phase = "revise"
            key: int | None = 1
        elif not self.blind:
            phase, key = "open", 1
        else:
            phase, key = "blind", 0
        rating_id = phases.get(key)
        base_id = rating_id or phases.get(0) or phases.get(1) or phases.get(None)
        saved_form = self._saved_form(rating_id) if rating_id else None
        base = saved_form if base_id == rating_id else self._saved_form(base_id) if base_id else None
        form = base.copy() if base else FormState()
        from_draft = set_aside = False
        draft_modes = None
        draft = self._draft(response_id)
        if draft is not None:
            drafted, drafted_phase = FormState.from_json(draft)
            if drafted_phase in (None, phase):
                form, from_draft = drafted, True
                draft_modes = FormState.failure_modes_of(draft)
            else:
                set_aside = True
        if remember:
            self.store.set_meta(f"rate.position.{self.rater_id}", response_id)
            self.queue.visited(rowid)
        siblings = self._siblings(row["model"], scenario, response_id)
        have = {"samples": any(x.kind == "sample" for x in siblings),
                "counterparts": any(x.kind == "variant" for x in siblings)}
        return AnswerView(
            rowid=rowid, response_id=response_id, label=answer_label(rowid),
            model=row["model"] if self.show_models else None,
            text=row["text"], scenario=scenario, panel=panel_scores(self.store, response_id),
            phase=phase, form=form, saved=rating_id is not None, from_draft=from_draft,
            n_siblings=len(siblings), draft_set_aside=set_aside,
            must_score=with_siblings(self.rubric.axes, have),
            saved_form=saved_form, draft_modes=draft_modes)

    # -- siblings ------------------------------------------------------------------------------

    def _family(self, scenario: Scenario) -> list[tuple[str, str]]:
        """(scenario id, title) of the demographic counterparts of ``scenario`` (``rater.counterparts``)."""
        base = anchor(scenario)
        candidates = [Scenario.from_content(json.loads(r[0])) for r in self.store.conn.execute(
            "SELECT content FROM scenarios WHERE id = ? OR base_id = ?", (base, base))]
        out = []
        for c in counterparts(scenario, candidates):
            cues = (", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in c.demographics.items())
                    or (c.demographic_group or "").replace("_", " "))
            out.append((c.id, f"Variant: {cues}" if c.demographic_group
                        else "Base scenario (no demographic change)"))
        return out

    def _siblings(self, model: str, scenario: Scenario, response_id: str) -> list[Sibling]:
        """``model``'s answers other than ``response_id`` to ``scenario`` (by sample), then to each
        scenario of its family (in ``_family`` order, by sample)."""
        family = self._family(scenario)
        rank = {sid: i for i, sid in enumerate([scenario.id] + [sid for sid, _ in family])}
        titles = dict(family)
        marks = ",".join("?" * len(rank))
        rows = sorted(self.store.conn.execute(
            f"SELECT rowid, scenario_id, sample, text FROM responses "
            f"WHERE model = ? AND scenario_id IN ({marks}) AND id != ?", (model, *rank, response_id)),
            key=lambda r: (rank[r["scenario_id"]], r["sample"]))
        return [Sibling("sample", f"Sample {r['sample']} (same scenario)", r["text"], int(r["rowid"]))
                if r["scenario_id"] == scenario.id else
                Sibling("variant", f"{titles[r['scenario_id']]}, sample {r['sample']}", r["text"],
                        int(r["rowid"]))
                for r in rows]

    def siblings(self, view: AnswerView) -> list[Sibling]:
        """The same model's other samples for this scenario, then its answers to the
        scenario's demographic variants and base (never another model's answers)."""
        model = self.store.conn.execute("SELECT model FROM responses WHERE rowid = ?",
                                        (view.rowid,)).fetchone()[0]
        return self._siblings(model, view.scenario, view.response_id)

    # -- drafts and saving -----------------------------------------------------------------------

    def save_draft(self, view: AnswerView, form: FormState,
                   failure_modes: frozenset[str] | None = None) -> None:
        """Keep a half-made rating (and failure modes ticked for it); called on every keystroke that
        changes the form."""
        self.store.save_draft(self.rater_id, view.response_id, form.to_json(view.phase, failure_modes))

    def check(self, form: FormState, view: AnswerView | None = None) -> list[str]:
        """Why ``form`` cannot be saved yet (empty: it can); with ``view``, also the answer's own
        rules (an axis compared with siblings is not N/A when they exist)."""
        problems = []
        missing = form.missing(self.rubric)
        if missing:
            names = ", ".join(self.rubric.axis(a).name for a in missing)
            problems.append(f"Score every axis before saving; still to score: {names}")
        for axis_id, score in form.scores.items():
            if self.rubric.has_axis(axis_id):
                problem = self.rubric.axis(axis_id).score_problem(score)
                if problem:
                    problems.append(problem)
        for axis_id, why in (view.must_score.items() if view else ()):
            if axis_id in form.scores and form.scores[axis_id] is None:
                problems.append(f"{self.rubric.axis(axis_id).name} is not N/A for this answer: {why}")
        return problems

    def save(self, view: AnswerView, form: FormState, seconds_spent: float | None = None,
             failure_modes: frozenset[str] | None = None) -> int:
        """Save the rating for the answer's phase in one committed transaction; drops its draft.

        ``failure_modes``: the checklist's ticks made before saving (None: the checklist was not
        opened), committed with the rating. Raises RaterError when the form is incomplete. Returns
        the rating id.
        """
        problems = self.check(form, view)
        if problems:
            raise RaterError([Problem(p) for p in problems])
        visible = view.phase != "blind"
        with self.store.write():
            rating_id = self.store.save_rating(
                rater_id=self.rater_id, response_id=view.response_id,
                scores={a: AxisScore(form.scores[a]) for a in self.rubric.axis_ids},
                rubric_version=self.rubric_version, judges_visible=visible, note=form.note,
                flags=sorted(form.flags), seconds_spent=seconds_spent, source="app",
                # A revision keeps what its row says (a new one is told apart by its blind rating).
                shown_from_start={"open": True, "blind": False}.get(view.phase))
            if failure_modes is not None:
                self.store.set_failure_modes(rating_id, failure_modes)
            self.store.delete_draft(self.rater_id, view.response_id)
        self.queue.mark_rated(view.rowid)
        return rating_id

    def skip(self, view: AnswerView, reason: str, note: str = "") -> None:
        """Skip the answer with a reason (rater.store.SKIP_REASONS); it counts as done, not rated."""
        self.store.save_skip(rater_id=self.rater_id, response_id=view.response_id, reason=reason, note=note)
        self.queue.mark_skipped(view.rowid)

    def skip_reason(self, view: AnswerView) -> str | None:
        """The reason this rater skipped the answer, None if they did not."""
        row = self.store.conn.execute("SELECT reason FROM skips WHERE rater_id = ? AND response_id = ?",
                                      (self.rater_id, view.response_id)).fetchone()
        return None if row is None else str(row[0])

    def median_seconds(self) -> float | None:
        """The median time this rater spent on a rating in the app (each answer once), None before any."""
        return median_seconds(self.store, self.rater_id)

    def after_blind_save(self, view: AnswerView) -> AnswerView:
        """The same answer with the judges revealed and the blind rating in the form, to revise."""
        return self.open(view.rowid, remember=False)


def median_seconds(store: Store, rater_id: int) -> float | None:
    """A rater's median seconds per answer (blind and revision of one answer added up), None if unknown."""
    times = sorted(float(r[0]) for r in store.conn.execute(
        "SELECT sum(seconds_spent) FROM ratings WHERE rater_id = ? AND seconds_spent IS NOT NULL "
        "GROUP BY response_id", (rater_id,)))
    if not times:
        return None
    mid = len(times) // 2
    return times[mid] if len(times) % 2 else (times[mid - 1] + times[mid]) / 2


def time_left(seconds: float) -> str:
    """A short estimate of time left: '~45m', '~3h10m', '~2d4h' (fits the app's top line).

    >>> time_left(59), time_left(2700), time_left(11400), time_left(190000)
    ('~1m', '~45m', '~3h10m', '~2d4h')
    """
    minutes = max(1, round(seconds / 60))
    if minutes < 60:
        return f"~{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"~{hours}h{minutes:02d}m" if minutes else f"~{hours}h"
    days, hours = divmod(hours, 24)
    return f"~{days}d{hours}h"
