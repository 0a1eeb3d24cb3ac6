"""Clinicians' failure-mode tags: which of taxonomy.yaml's failure modes a rater saw in an answer.

The rating form's checklist (key ``f``) lists the modes that apply to the
answer's modality. Tags belong to one rating (the phase being rated); made
before that rating is saved, the screen keeps them and stores them with the
save. The store owns the write (:meth:`rater.store.Store.set_failure_modes`).
"""

from __future__ import annotations

from rater.store import Store
from rater.taxonomy import load_taxonomy


def checklist(modality: str) -> list[tuple[str, str]]:
    """(mode id, description) of every failure mode that applies to ``modality``, in the taxonomy's order."""
    taxonomy = load_taxonomy()
    return [(mode, taxonomy.failure_mode_descriptions.get(mode, ""))
            for mode, modalities in taxonomy.failure_modes.items() if modality in modalities]


def rating_for(store: Store, rater_id: int, response_id: str, judges_visible: bool) -> int | None:
    """The id of the rater's rating of this answer in this phase, if it is saved."""
    row = store.conn.execute(
        "SELECT id FROM ratings WHERE rater_id = ? AND response_id = ? AND judges_visible IS ?",
        (rater_id, response_id, int(judges_visible))).fetchone()
    return int(row[0]) if row else None


def tags_for(store: Store, rater_id: int, response_id: str) -> frozenset[str]:
    """The rater's newest checked tags for this answer (any phase), to start the checklist from."""
    row = store.conn.execute(
        "SELECT id FROM ratings WHERE rater_id = ? AND response_id = ? AND failure_modes_checked = 1 "
        "ORDER BY updated_at DESC, id DESC LIMIT 1", (rater_id, response_id)).fetchone()
    return store.failure_modes(int(row[0]))[0] if row else frozenset()
