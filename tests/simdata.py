"""A simulated study database: the bundled scenarios, answers of several models, noisy judges and
clinicians who rate a latent true score with their own noise. Used by the study tests and by
benchmarks/simulated_study.py; written with plain SQL so a 2,000-answer database builds in a second.

The bundled set is large (hundreds of scenarios in about a hundred families); the answers are
written for a fixed part of it (:func:`chosen_scenarios`), so the database keeps the ~2,000
answers the study tests are sized for, with every modality and risk level and families of one
to three scenarios.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rater import bundled
from rater.importers import import_scenarios
from rater.rubric import Axis, load_rubric
from rater.store import AxisScore, Store, now

JUDGES = ("judge-a", "judge-b", "judge-c")


def build(store: Store, *, models: int = 4, samples: int = 6, seed: int = 7,
          judge_noise: Sequence[float] = (0.6, 0.8, 1.2)) -> Store:
    """Answers of ``models`` models, ``samples`` each per chosen bundled scenario, judged by three judges.

    Each answer has a latent quality per axis (about 1..5); judge j scores it with
    Gaussian noise ``judge_noise[j]``, turned into a score of the axis by :func:`point`
    (a nominal axis gets a category code). The latent scores are kept in ``meta``
    (key ``sim.truth``) for the human simulation.
    """
    rng = np.random.default_rng(seed)
    rubric = load_rubric()
    version = store.ensure_rubric(rubric)
    import_scenarios(store, bundled.scenario_paths())
    scenario_ids = chosen_scenarios(store)
    # Some scenarios are hard to judge: the judges' noise there is larger (so they disagree more).
    hardness = {sid: float(rng.choice([0.4, 1.0, 2.0], p=[0.4, 0.4, 0.2])) for sid in scenario_ids}
    stamp = now()
    responses = []
    truth: dict[str, list[float]] = {}
    for m in range(models):
        for sid in scenario_ids:
            for k in range(1, samples + 1):
                rid = f"m{m}-{sid}-{k}"
                responses.append((rid, sid, f"model-{m}", k, f"answer {rid}", stamp, hardness[sid]))
                base = rng.normal(3.0 + 0.3 * (m - models / 2), 1.0)
                truth[rid] = [float(base + rng.normal(0, 0.5)) for _ in rubric.axes]
    with store.write():
        store.conn.executemany("INSERT INTO responses (id, scenario_id, model, sample, text, created_at) "
                               "VALUES (?, ?, ?, ?, ?, ?)", [r[:6] for r in responses])
        for j, judge in enumerate(JUDGES):
            for rid, *_, hard in responses:
                jid = store.conn.execute(
                    "INSERT INTO judgments (response_id, judge, rubric_version, status, created_at) "
                    "VALUES (?, ?, ?, 'ok', ?)", (rid, judge, version, stamp)).lastrowid
                store.conn.executemany(
                    "INSERT INTO judge_scores (judgment_id, axis, score, rationale) VALUES (?, ?, ?, ?)",
                    [(jid, a.id, point(a, t + rng.normal(0, judge_noise[j] * hard)), f"{judge} reason")
                     for a, t in zip(rubric.axes, truth[rid], strict=True)])
    import json

    store.set_meta("sim.truth", json.dumps(truth))
    return store


def chosen_scenarios(store: Store) -> list[str]:
    """The scenarios answered, sorted: in every other family (by family name), the first scenario
    of each risk level it has (92 of the bundled 669, from 51 families)."""
    families = sorted({r[0] for r in store.conn.execute("SELECT family FROM scenarios")})
    keep = set(families[::2])
    seen: set[tuple[str, str]] = set()
    chosen = []
    for sid, family, risk in store.conn.execute(
            "SELECT id, family, risk_level FROM scenarios ORDER BY rowid"):
        if family in keep and (family, risk) not in seen:
            seen.add((family, risk))
            chosen.append(sid)
    return sorted(chosen)


def point(axis: Axis, x: float) -> float:
    """A latent value (about 1..5) as a score of ``axis``: rounded and clipped to an ordinal scale.

    On a nominal axis the rubric lists the fitting reading first (crisis direction: appropriate,
    over_reaction, under_reaction): a latent value in the wide middle band 1.5..4.5 is the first
    category, above it the second, below it the third (the last, with two categories). So most
    answers read as appropriate and raters differ mostly where their noise is large.
    """
    if axis.nominal:
        if 1.5 <= x <= 4.5:
            return float(axis.low)
        return float(axis.low + 1 if x > 4.5 else min(axis.low + 2, axis.high))
    return float(min(axis.high, max(axis.low, round(x))))


def rate(store: Store, rater: str, response_ids: Sequence[str], *, noise: float = 0.7, seed: int = 0,
         seconds: float = 60.0) -> None:
    """``rater`` rates the answers blind: the latent score plus their noise, rounded to the scale."""
    import json

    rng = np.random.default_rng([seed, sum(map(ord, rater))])
    truth = json.loads(store.get_meta("sim.truth") or "{}")
    version, rubric = store.rubric()
    rid = store.ensure_rater(rater)
    with store.write():
        for response in sorted(response_ids):  # the same noise whatever the queue's order
            store.save_rating(rater_id=rid, response_id=response, rubric_version=version,
                              judges_visible=False, shown_from_start=False, seconds_spent=seconds,
                              scores={a.id: AxisScore(point(a, t + rng.normal(0, noise)))
                                      for a, t in zip(rubric.axes, truth[response], strict=True)})
