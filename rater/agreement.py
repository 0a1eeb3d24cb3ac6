"""Agreement measured on a database: load the scores, resolve the panel aggregate, compute.

`rater agreement`, `rater export` and the app's agreement screen all call
:func:`from_database`, so the three measure the same panel on the same
ratings with the same weights. The statistics themselves live in
``rater.stats.agreement``; numpy and pandas are imported only when a
function here runs, never when this module is imported (``--help`` and the
app's start-up import it).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from rater.errors import Problem, RaterError
from rater.rules import DEFAULT_CONSENSUS, PANEL_META_KEY

if TYPE_CHECKING:
    from rater.stats.agreement import Report
    from rater.stats.tidy import TidyScores
    from rater.store import Store

REFERENCES = ("none", "adjudicated")
"""``--reference``: also measure against the adjudicated reference scores, or not."""
WEIGHTS = ("auto", "inclusion", "none")
"""``--weights``: as the study's draw needs (auto), always 1 / inclusion probability, or none."""


def panel_aggregate(store: Store | None, given: str | None, consensus: str) -> str:
    """``given``, else the aggregate the judge runs were configured with (recorded by `rater judge`),
    else the consensus rule: the panel measured is the panel the rating app shows."""
    if given:
        return given
    if store is not None and store.get_meta(PANEL_META_KEY):
        from rater.panel import panel_method

        return panel_method(store)
    return consensus


def with_reference(tidy: TidyScores, store: Store | None, reference: str) -> TidyScores:
    """``tidy`` with the adjudicated reference scores added when ``reference`` is "adjudicated"."""
    if reference != "adjudicated":
        return tidy
    if store is None:
        raise RaterError(Problem("--reference adjudicated needs --db", field="reference"))
    from rater.adjudication import with_references

    return with_references(tidy, store)


def unit_weights(store: Store | None, choice: str, tidy: TidyScores) -> dict[str, float]:
    """Per answer, 1 / its study inclusion probability as ``choice`` asks; a note on ``tidy`` says so."""
    if store is None or choice == "none":
        return {}
    from rater.study import agreement_weights, inclusion_weights

    if choice == "inclusion":
        weights = inclusion_weights(store)
        if weights:
            tidy.notes.append(f"answers weighted by 1 / inclusion probability "
                              f"({len(weights):,} in the study)")
        return weights
    weights, note = agreement_weights(store)
    if note:
        tidy.notes.append(note)
    return weights


def from_database(store: Store, *, phase: str = "blind", level: str | None = None, n_boot: int = 1000,
                  seed: int | None = None, confidence: float = 0.95, consensus: str = DEFAULT_CONSENSUS,
                  panel: str | None = None, by: Iterable[str] = (), reference: str = "none",
                  weights: str = "auto", calibration: Path | None = None) -> Report:
    """Every comparison on every axis of ``store``'s scores (see ``rater.stats.agreement.compute``).

    ``phase`` picks the clinicians' blind or final rating; ``calibration`` (a
    calibration.json) is applied to the judge scores first; ``panel`` None
    uses :func:`panel_aggregate`. A RaterError when there is nothing to compare.
    """
    from rater.stats.agreement import compute
    from rater.stats.tidy import from_store

    tidy = from_store(store, phase)
    if calibration is not None:
        from rater.stats.calibration import read_file

        tidy = read_file(calibration).apply(tidy)
    tidy = with_reference(tidy, store, reference)
    return compute(tidy, level=level, n_boot=n_boot, seed=seed, confidence=confidence, consensus=consensus,
                   panel=panel_aggregate(store, panel, consensus), by=by,
                   weights=unit_weights(store, weights, tidy))
