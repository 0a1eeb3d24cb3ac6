"""How a human rating was made, and which ratings an analysis of one phase leaves out.

Three ways to make a rating in the app, told apart by ``ratings.judges_visible``
and ``ratings.judges_shown_from_start``:

``blind``
    Made with the judges hidden (the default of `rater rate`): independent of them.
``revised``
    The rater's second look after the reveal; kept beside the blind rating.
``shown``
    Made with the judges on screen from the start (`rater rate --show-judges`):
    never independent of them, and there is no blind rating to fall back on.

Imported ratings with no phase are ``unknown`` and count as blind. A rating
with the judges visible whose way of making is not recorded (an import) is
``revised`` when the same rater has a blind rating of the answer, else ``shown``.

:func:`left_out` is the one place that says how many ratings an analysis of a
phase (``blind`` or ``final``, see rater.stats.tidy) sets aside and why; the
agreement and calibration commands, the export and the agreement screen all
print what it returns, so no rating is ever dropped silently.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rater.store import Store

PHASES = ("blind", "revised", "shown", "unknown")

_HAS_BLIND = ("EXISTS (SELECT 1 FROM ratings b WHERE b.rater_id = {g}.rater_id "
              "AND b.response_id = {g}.response_id AND b.judges_visible = 0)")


def phase_sql(alias: str = "g") -> str:
    """A SQL expression giving the phase (one of :data:`PHASES`) of the rating row ``alias``."""
    g = alias
    return (f"CASE WHEN {g}.judges_visible = 0 THEN 'blind' "
            f"WHEN {g}.judges_visible = 1 THEN CASE "
            f"WHEN {g}.judges_shown_from_start = 1 THEN 'shown' "
            f"WHEN {g}.judges_shown_from_start = 0 THEN 'revised' "
            f"WHEN {_HAS_BLIND.format(g=g)} THEN 'revised' ELSE 'shown' END "
            f"ELSE 'unknown' END")


def phase_counts(store: Store) -> dict[str, int]:
    """How many ratings of each phase the database holds (every phase present, zero if none)."""
    counts = dict.fromkeys(PHASES, 0)
    for phase, n in store.conn.execute(
            f"SELECT {phase_sql('g')} AS phase, count(*) FROM ratings g GROUP BY phase"):
        counts[str(phase)] = int(n)
    return counts


def changed_revisions(store: Store) -> int:
    """Revisions after the reveal whose scores differ from the same rater's blind rating of the
    answer (Enter after the reveal keeps the blind scores as the revision: not a change)."""
    return int(store.conn.execute("""
        SELECT count(*) FROM ratings v JOIN ratings b ON b.rater_id = v.rater_id
            AND b.response_id = v.response_id AND b.judges_visible = 0
        WHERE v.judges_visible = 1 AND EXISTS (
            SELECT axis, score FROM rating_scores WHERE rating_id = v.id
            EXCEPT SELECT axis, score FROM rating_scores WHERE rating_id = b.id)""").fetchone()[0])


def left_out(store: Store, phase: str) -> list[str]:
    """One line per kind of rating an analysis of ``phase`` leaves out, with how many and why.

    ``blind`` (the analyses' default) leaves out revisions (the blind rating of
    the same answer is used) and ratings made with the judges shown; ``final``
    uses the revision where there is one, so it leaves out the blind ratings
    that a revision replaces. Empty when nothing is left out.
    """
    counts = phase_counts(store)
    notes = []
    if phase == "blind":
        if counts["shown"]:
            notes.append(f"left out {counts['shown']:,} rating(s) made with the judges shown from the "
                         f"start (rater rate --show-judges): not independent of the judges; "
                         f"--phase final counts them")
        if counts["revised"]:
            changed = changed_revisions(store)
            notes.append(f"left out {counts['revised']:,} revision(s) made after the judges were "
                         f"revealed ({changed:,} changed a score): the blind rating of the same answer "
                         f"is used instead")
    elif phase == "final":
        replaced = int(store.conn.execute(
            "SELECT count(*) FROM ratings g WHERE g.judges_visible IS NOT 1 AND EXISTS (SELECT 1 FROM "
            "ratings v WHERE v.rater_id = g.rater_id AND v.response_id = g.response_id "
            "AND v.judges_visible = 1)").fetchone()[0])
        if replaced:
            notes.append(f"left out {replaced:,} blind rating(s) replaced by the rater's revision after "
                         f"the reveal (--phase final); --phase blind uses them")
        if counts["shown"]:
            notes.append(f"counted {counts['shown']:,} rating(s) made with the judges shown from the "
                         f"start: not independent of the judges")
    skipped = int(store.conn.execute("SELECT count(*) FROM skips k WHERE NOT EXISTS (SELECT 1 FROM "
                                     "ratings g WHERE g.rater_id = k.rater_id AND "
                                     "g.response_id = k.response_id)").fetchone()[0])
    if skipped:
        notes.append(f"{skipped:,} answer(s) skipped by a rater (with a reason) hold no rating from them")
    return notes
