"""A rating study: which answers are rated, by whom, and how each answer's inclusion is weighted back.

No clinician rates everything. ``rater study assign`` chooses about N answers
and gives each to exactly K raters:

- **Strata.** Answers are grouped by the ``--stratify`` fields (model,
  modality, risk level, ...). Each stratum gets its proportional share of N,
  and at least one family, so agreement can be reported for rare risk
  levels and every model, not just the common ones.
- **Families.** The answers of one model to one scenario family (the base,
  its demographic variants and escalations, and every sample) are drawn
  together and go to the same K raters, because the consistency and
  robustness axes compare them. A family is the sampling unit; its stratum is
  the most common stratum among its answers.
- **Probabilities.** Within a stratum, families are drawn by Pareto order
  sampling until the stratum holds its share of answers, each with a
  probability proportional to a measure: 1 for ``uniform``; for
  ``disagreement``, the judges' spread on the family plus a floor (half the
  mean spread), so every family can be drawn and no weight is extreme.
  Each answer's inclusion probability is stored and :func:`inclusion_weights`
  turns it into the weight 1/p that the calibration and the report use.
- **Balance.** New families go to the K least-loaded raters (largest
  families first). Then whole families move from the busiest to the least
  busy rater while that narrows the gap, but only families the busy rater
  has not touched (no rating, draft or skip): extending a study never moves
  work already done. The result: max - min load <= one family's size.
- **Extending.** Running ``assign`` again with a larger N adds families (a
  second draw from those not yet chosen); the inclusion probability becomes
  ``p1 + (1 - p1) * p2``. ``add_rater`` hands a new rater a fair share the same way.

With no study in a database every rater's queue holds every answer.
No Textual, no pandas: numpy only for the draws.
"""

from __future__ import annotations

import json
import math
import secrets
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rater.errors import Problem, RaterError
from rater.rules import STRATIFY_FIELDS
from rater.rules import STUDY_STRATEGIES as STRATEGIES
from rater.store import Store, now

# -- what the design is drawn from -----------------------------------------------------------

@dataclass(frozen=True)
class Answer:
    response_id: str
    scenario_id: str
    model: str
    family: str                 # model + scenario family: drawn and assigned together
    fields: dict[str, Any]


def scenario_family_sql(alias: str = "s") -> str:
    """SQL for a scenario's family: its ``family`` column (every migrated store has one, filled for
    flat scenario files too), else its base id or its own id."""
    return f"coalesce({alias}.family, {alias}.base_id, {alias}.id)"


def answers(store: Store) -> list[Answer]:
    """Every answer with its family key and the fields a study can stratify by."""
    fam = scenario_family_sql("s")
    rows = store.conn.execute(
        f"SELECT r.id, r.scenario_id, r.model, {fam} AS family, s.modality, s.risk_level, s.severity, "
        f"s.step, s.demographic_group FROM responses r JOIN scenarios s ON s.id = r.scenario_id "
        f"ORDER BY r.rowid")
    return [Answer(r[0], r[1], r[2], f"{r[2]} | {r[3]}",
                   {"model": r[2], "modality": r[4], "risk_level": r[5], "severity": r[6], "step": r[7],
                    "demographic_group": r[8]}) for r in rows]


def judge_spread(store: Store) -> dict[str, float]:
    """Per answer, the judges' disagreement: the mean over axes of (max - min) / scale range, 0..1.

    A nominal axis (crisis direction) has no range: its categories are coded 1..k with no order,
    so its disagreement is 1 when the judges did not all pick the same category, else 0.
    """
    _, rubric = store.rubric()
    ranges = {a.id: float(a.high - a.low) or 1.0 for a in rubric.axes}
    nominal = {a.id for a in rubric.axes if a.nominal}
    per: dict[str, list[float]] = defaultdict(list)
    for rid, axis, lo, hi in store.conn.execute(
            "SELECT j.response_id, s.axis, min(s.score), max(s.score) FROM judgments j "
            "JOIN judge_scores s ON s.judgment_id = j.id WHERE j.status = 'ok' AND s.score IS NOT NULL "
            "GROUP BY j.response_id, s.axis"):
        if axis in nominal:
            per[rid].append(1.0 if hi != lo else 0.0)
        elif axis in ranges:
            per[rid].append((hi - lo) / ranges[axis])
    return {rid: sum(v) / len(v) for rid, v in per.items()}


# -- the draw ----------------------------------------------------------------------------------

def answer_probabilities(measure: Sequence[float], sizes: Sequence[int], answers: float) -> list[float]:
    """Inclusion probabilities of families, proportional to ``measure`` and capped at 1, such that the
    expected number of answers (``sum(p * size)``) is ``answers``.

    >>> answer_probabilities([1, 1, 1], [2, 2, 4], 4)
    [0.5, 0.5, 0.5]
    >>> answer_probabilities([1, 1, 4], [2, 2, 2], 4)
    [0.5, 0.5, 1.0]
    """
    if answers >= sum(sizes):
        return [1.0] * len(sizes)
    lo, hi = 0.0, 1.0
    while sum(min(1.0, hi * m) * s for m, s in zip(measure, sizes, strict=True)) < answers:
        hi *= 2
        if hi > 1e12:
            break
    for _ in range(100):
        mid = (lo + hi) / 2
        if sum(min(1.0, mid * m) * s for m, s in zip(measure, sizes, strict=True)) < answers:
            lo = mid
        else:
            hi = mid
    return [round(min(1.0, hi * m), 12) for m in measure]


def pareto_draw(probs: Sequence[float], sizes: Sequence[int], answers: float, rng: Any, *,
                at_least_one: bool = False) -> list[int]:
    """Families drawn by Pareto order sampling (Rosén 1997) until about ``answers`` answers are in.

    Each family gets the key ``U (1 - p) / ((1 - U) p)``; families are taken
    in increasing key order while that brings the number of answers closer to
    ``answers``. Family i is then drawn with probability close to ``probs[i]``
    (exactly so for equal probabilities), and the number of answers is within
    half a family of the target.
    """
    keys = []
    for p in probs:
        u = float(rng.random())
        keys.append(-1.0 if p >= 1 else (u * (1 - p)) / max((1 - u) * p, 1e-300))
    picked: list[int] = []
    got = 0
    for i in sorted(range(len(probs)), key=lambda i: keys[i]):
        if (at_least_one and not picked) or abs(got + sizes[i] - answers) < abs(got - answers):
            picked.append(i)
            got += sizes[i]
        else:
            break
    return picked


# -- stored study ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Study:
    id: int
    per_answer: int
    strategy: str
    stratify: tuple[str, ...]
    seed: int


def current_study(store: Store) -> Study | None:
    """The newest study, or None when the database has none (every rater then rates every answer)."""
    row = store.conn.execute(
        "SELECT id, per_answer, strategy, stratify, seed FROM studies ORDER BY id DESC LIMIT 1").fetchone()
    if row is None:
        return None
    return Study(int(row[0]), int(row[1]), row[2], tuple(json.loads(row[3])), int(row[4]))


def inclusion_weights(store: Store) -> dict[str, float]:
    """Per answer of the newest study, 1 / its inclusion probability; empty when there is no study.

    An estimate over the study's answers weighted so is an estimate for every
    answer in the database, whatever the strategy drew more often.
    """
    study = current_study(store)
    if study is None:
        return {}
    return {r[0]: 1.0 / float(r[1]) for r in store.conn.execute(
        "SELECT response_id, inclusion_prob FROM study_answers WHERE study_id = ?", (study.id,))}


def agreement_weights(store: Store) -> tuple[dict[str, float], str | None]:
    """The weights `rater agreement` (and its screen, and export) use by default, and the note saying so.

    Only a disagreement-driven draw needs them: a uniform draw with
    proportional allocation gives every answer (nearly) the same weight.
    """
    study = current_study(store)
    if study is None or study.strategy != "disagreement":
        return {}, None
    weights = inclusion_weights(store)
    return weights, (f"answers weighted by 1 / inclusion probability: the study drew {len(weights):,} "
                     f"answers more often where the judges disagree (--weights none: unweighted)")


@dataclass
class Design:
    """What ``assign`` or ``add_rater`` did, and the design as it now stands."""

    study_id: int
    added_answers: int
    added_families: int
    answers: int
    families: int
    per_answer: int
    strategy: str
    strata: dict[str, tuple[int, int]]          # stratum -> (answers in study, answers in database)
    loads: dict[str, int]                        # rater -> answers assigned
    moved: int = 0                               # family assignments moved to balance
    max_family: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def spread(self) -> int:
        return max(self.loads.values()) - min(self.loads.values()) if self.loads else 0


def _stratum(fields: dict[str, Any], stratify: Sequence[str]) -> str:
    return " / ".join(f"{f}={fields[f] if fields[f] is not None else '(none)'}" for f in stratify) or "all"


def _families(store: Store, stratify: Sequence[str]) -> tuple[dict[str, list[Answer]], dict[str, str]]:
    """Families (key -> answers) and each family's stratum (the most common among its answers)."""
    fams: dict[str, list[Answer]] = defaultdict(list)
    for a in answers(store):
        fams[a.family].append(a)
    strata = {}
    for key, members in fams.items():
        counts = Counter(_stratum(a.fields, stratify) for a in members)
        strata[key] = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    return dict(fams), strata


def _parse_raters(raters: Iterable[str]) -> list[str]:
    names = [n.strip() for n in raters if n.strip()]
    if len(set(names)) != len(names):
        dup = sorted(n for n, c in Counter(names).items() if c > 1)
        raise RaterError(Problem(f"names a rater twice: {', '.join(dup)}", field="raters",
                                 fix="list each rater once"))
    return names


def assign(store: Store, raters: Iterable[str], per_answer: int, n_answers: int,
           stratify: Sequence[str] = (), seed: int | None = None, strategy: str = "uniform") -> Design:
    """Create the study, or extend the newest one to about ``n_answers`` answers (see the module docstring).

    Unknown raters are created. Raises RaterError, leaving the database
    unchanged, for a design that cannot be met (fewer raters than K, more
    strata than answers, a smaller N than the study already has, or a
    different K, strategy or strata than the study was made with).
    """
    names = _parse_raters(raters)
    stratify = tuple(stratify)
    bad = [f for f in stratify if f not in STRATIFY_FIELDS]
    if bad:
        raise RaterError(Problem(f"cannot stratify by {', '.join(bad)}", field="stratify",
                                 fix=f"use any of {', '.join(STRATIFY_FIELDS)}"))
    if strategy not in STRATEGIES:
        raise RaterError(Problem(f"unknown strategy {strategy!r}", field="strategy",
                                 fix=f"use {' or '.join(STRATEGIES)}"))
    if per_answer < 1:
        raise RaterError(Problem("--per-answer must be at least 1", field="per-answer"))
    study = current_study(store)
    if study is not None:
        if (study.per_answer, study.strategy, study.stratify) != (per_answer, strategy, stratify):
            raise RaterError(Problem(
                f"the study was made with --per-answer {study.per_answer} --strategy {study.strategy} "
                f"--stratify {','.join(study.stratify) or '(none)'}", store.path, field="study",
                fix="extend it with the same options (a study's design cannot change midway)"))
        seed = study.seed if seed is None else seed
        known = [r[0] for r in store.conn.execute(
            "SELECT DISTINCT r.name FROM assignments a JOIN raters r ON r.id = a.rater_id "
            "WHERE a.study_id = ? ORDER BY r.name", (study.id,))]
        names = list(dict.fromkeys([*known, *names]))
    if len(names) < per_answer:
        raise RaterError(Problem(f"{len(names)} rater(s) cannot rate each answer {per_answer} times",
                                 field="raters", fix=f"name at least {per_answer} raters"))
    import numpy as np

    seed = secrets.randbelow(2**31) if seed is None else seed
    fams, fam_stratum = _families(store, stratify)
    if not fams:
        raise RaterError(Problem("holds no answers to study", store.path,
                                 fix="import or generate answers first"))
    by_stratum: dict[str, list[str]] = defaultdict(list)
    for key in sorted(fams):
        by_stratum[fam_stratum[key]].append(key)
    total = sum(len(v) for v in fams.values())
    if n_answers < len(by_stratum):
        raise RaterError(Problem(f"{n_answers} answers cannot represent {len(by_stratum)} strata",
                                 field="answers", fix=f"ask for at least {len(by_stratum)} answers, "
                                                       "or stratify by fewer fields"))
    n_answers = min(n_answers, total)
    prior: dict[str, float] = {}
    if study is not None:
        for rid, p in store.conn.execute(
                "SELECT response_id, inclusion_prob FROM study_answers WHERE study_id = ?", (study.id,)):
            prior[rid] = float(p)
        n_have = len(prior)
        if n_answers < n_have:
            raise RaterError(Problem(f"the study already has {n_have} answers", store.path, field="answers",
                                     fix=f"ask for more than {n_have} to extend it; a study never shrinks"))
    in_study = {key for key, members in fams.items() if members[0].response_id in prior}
    rng = np.random.default_rng([seed, len(prior)])
    spread = judge_spread(store) if strategy == "disagreement" else {}
    floor = max(0.5 * (sum(spread.values()) / len(spread)) if spread else 0.0, 0.02)

    def size(key: str) -> float:
        if strategy == "uniform":
            return 1.0
        members = fams[key]
        return floor + sum(spread.get(a.response_id, 0.0) for a in members) / len(members)

    # Answers each stratum should hold: its proportional share of N. A stratum not yet in the
    # study gets at least one family; what those minimums add is taken from the other strata.
    n_db = {h: sum(len(fams[k]) for k in keys) for h, keys in by_stratum.items()}
    have = {h: sum(len(fams[k]) for k in keys if k in in_study) for h, keys in by_stratum.items()}
    target = {h: n_answers * n_db[h] / total for h in by_stratum}
    forced = {h for h, keys in by_stratum.items()
              if not have[h] and target[h] < n_db[h] / len(keys)}
    excess = sum(n_db[h] / len(by_stratum[h]) - target[h] for h in forced)
    free = sum(target[h] for h in by_stratum if h not in forced)
    for h in by_stratum:
        if h not in forced and free > 0:
            target[h] = max(0.0, target[h] - excess * target[h] / free)

    chosen: list[str] = []
    new_prob: dict[str, float] = {}     # family -> its inclusion probability after this draw
    # Each stratum's draw lands within half a family of its share; what it is over or under is
    # carried to the next stratum, so with many thin strata (model x modality x risk level) the
    # study still holds about N answers rather than N minus a little per stratum.
    carry = 0.0
    for stratum, keys in sorted(by_stratum.items()):
        remaining = [k for k in keys if k not in in_study]
        need = target[stratum] - have[stratum]
        first = _earlier_probabilities(keys, in_study, prior, fams, size)
        if not remaining or (need <= 0 and stratum not in forced):
            continue
        if stratum not in forced:  # a forced stratum's one family is already paid for by the others
            need = max(0.0, need + carry)
        sizes = [len(fams[k]) for k in remaining]
        lam = answer_probabilities([size(k) for k in remaining], sizes, max(need, min(sizes)))
        drawn = pareto_draw(lam, sizes, need, rng, at_least_one=stratum in forced)
        if stratum not in forced:
            carry = need - sum(sizes[i] for i in drawn)
        picked = [remaining[i] for i in drawn]
        chosen.extend(picked)
        got = dict(zip(remaining, lam, strict=True))
        # The draw's probabilities are min(1, c * measure); c gives the already chosen families
        # the probability they would have had in it.
        uncapped = [got[k] / size(k) for k in remaining if got[k] < 1]
        c = max(uncapped) if uncapped else math.inf
        for k in keys:
            p2 = got[k] if k in got else min(1.0, c * size(k))
            new_prob[k] = first[k] + (1 - first[k]) * p2
    if not chosen:
        raise RaterError(Problem(f"the study already has about {n_answers} answers", store.path,
                                 field="answers", fix="ask for more answers to extend it"))
    stamp = now()
    with store.write():
        if study is None:
            cur = store.conn.execute(
                "INSERT INTO studies (per_answer, strategy, stratify, seed, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)", (per_answer, strategy, json.dumps(list(stratify)), seed,
                                              stamp, stamp))
            study = Study(int(cur.lastrowid or 0), per_answer, strategy, stratify, seed)
        else:
            store.conn.execute("UPDATE studies SET updated_at = ? WHERE id = ?", (stamp, study.id))
        rater_ids = {n: store.ensure_rater(n) for n in names}
        for key, p in new_prob.items():
            for a in fams[key]:
                store.conn.execute("UPDATE study_answers SET inclusion_prob = ? "
                                   "WHERE study_id = ? AND response_id = ?", (p, study.id, a.response_id))
        store.conn.executemany(
            "INSERT INTO study_answers (study_id, response_id, stratum, family, inclusion_prob, added_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(study.id, a.response_id, fam_stratum[k], k, new_prob[k], stamp) for k in chosen
             for a in fams[k]])
        loads = _loads(store, study.id, rater_ids.values())
        ids = list(rater_ids.values())
        for key in sorted(chosen, key=lambda k: (-len(fams[k]), k)):
            order = rng.permutation(len(ids))
            ranked = sorted((ids[i] for i in order), key=lambda r: loads[r])
            for rid in ranked[:per_answer]:
                loads[rid] += len(fams[key])
                store.conn.executemany(
                    "INSERT INTO assignments (study_id, response_id, rater_id, assigned_at) "
                    "VALUES (?, ?, ?, ?)", [(study.id, a.response_id, rid, stamp) for a in fams[key]])
        moved = _rebalance(store, study.id, ids)
    design = describe(store)
    assert design is not None
    design.added_families = len(chosen)
    design.added_answers = sum(len(fams[k]) for k in chosen)
    design.moved = moved
    if design.answers > n_answers + design.max_family:
        design.notes.append(
            f"{design.answers} answers for the {n_answers} asked: each of {len(by_stratum)} strata needs "
            f"at least one whole family (up to {design.max_family} answers); stratify by fewer fields "
            f"for a smaller study")
    return design


def _earlier_probabilities(keys: Sequence[str], in_study: set[str], prior: dict[str, float],
                           fams: dict[str, list[Answer]], size: Callable[[str], float]) -> dict[str, float]:
    """Each family's probability of having been drawn before this draw: stored for the families
    in the study; for the others, that of the study family with the nearest measure (the earlier
    draws gave equal measures equal probabilities; exact for uniform draws); 0 for a new study."""
    drawn = [(size(k), prior[fams[k][0].response_id]) for k in keys if k in in_study]
    out = {}
    for k in keys:
        if k in in_study:
            out[k] = prior[fams[k][0].response_id]
        elif drawn:
            m = size(k)
            out[k] = min(drawn, key=lambda d: abs(d[0] - m))[1]
        else:
            out[k] = 0.0
    return out


def _loads(store: Store, study_id: int, rater_ids: Iterable[int]) -> dict[int, int]:
    loads = dict.fromkeys(rater_ids, 0)
    for rid, n in store.conn.execute("SELECT rater_id, count(*) FROM assignments WHERE study_id = ? "
                                     "GROUP BY rater_id", (study_id,)):
        loads[int(rid)] = int(n)
    return loads


def _touched(store: Store, rater_id: int) -> set[str]:
    """Answers a rater has worked on (a rating, a draft or a skip): never moved away from them."""
    return {r[0] for r in store.conn.execute(
        "SELECT response_id FROM ratings WHERE rater_id = ? UNION SELECT response_id FROM drafts "
        "WHERE rater_id = ? UNION SELECT response_id FROM skips WHERE rater_id = ?",
        (rater_id, rater_id, rater_id))}


def _rebalance(store: Store, study_id: int, rater_ids: Sequence[int]) -> int:
    """Move untouched families from the busiest to the least busy rater while that narrows the gap."""
    fam_of: dict[str, list[str]] = defaultdict(list)
    for rid, fam in store.conn.execute("SELECT response_id, family FROM study_answers WHERE study_id = ?",
                                       (study_id,)):
        fam_of[fam].append(rid)
    holders: dict[str, set[int]] = defaultdict(set)
    rows = store.conn.execute("SELECT a.rater_id, s.family FROM assignments a JOIN study_answers s "
                              "ON s.study_id = a.study_id AND s.response_id = a.response_id "
                              "WHERE a.study_id = ? GROUP BY a.rater_id, s.family", (study_id,))
    for rater, fam in rows:
        holders[fam].add(int(rater))
    loads = _loads(store, study_id, rater_ids)
    touched = {r: _touched(store, r) for r in loads}
    moved = 0
    for _ in range(10 * len(fam_of) + 10):
        busiest = max(loads, key=lambda r: (loads[r], r))
        idlest = min(loads, key=lambda r: (loads[r], r))
        gap = loads[busiest] - loads[idlest]
        best = None
        for fam, members in fam_of.items():
            if busiest not in holders[fam] or idlest in holders[fam]:
                continue
            if len(members) >= gap or touched[busiest] & set(members):
                continue
            if best is None or abs(gap - 2 * len(members)) < abs(gap - 2 * len(fam_of[best])):
                best = fam
        if best is None:
            break
        members = fam_of[best]
        marks = ",".join("?" * len(members))
        store.conn.execute(f"UPDATE assignments SET rater_id = ? WHERE study_id = ? AND rater_id = ? "
                           f"AND response_id IN ({marks})", (idlest, study_id, busiest, *members))
        holders[best] = (holders[best] - {busiest}) | {idlest}
        loads[busiest] -= len(members)
        loads[idlest] += len(members)
        moved += 1
    return moved


def add_rater(store: Store, name: str) -> Design:
    """Add a rater to the newest study and give them a fair share of the untouched work.

    Raises RaterError when there is no study, or the rater is already in it.
    """
    study = current_study(store)
    if study is None:
        raise RaterError(Problem("has no study to add a rater to", store.path,
                                 fix="run `rater study assign` first"))
    with store.write():
        rid = store.ensure_rater(name)
        ids = [int(r[0]) for r in store.conn.execute(
            "SELECT DISTINCT rater_id FROM assignments WHERE study_id = ?", (study.id,))]
        if rid in ids:
            raise RaterError(Problem(f"{name!r} is already in the study", store.path, field="rater"))
        moved = _rebalance(store, study.id, [*ids, rid])
    design = describe(store)
    assert design is not None
    design.moved = moved
    if not moved:
        design.notes.append(f"no untouched family could move to {name}: everyone has started their "
                            f"share; extend the study with `rater study assign` to give them work")
    return design


def describe(store: Store) -> Design | None:
    """The newest study as it stands: size, strata coverage and each rater's load."""
    study = current_study(store)
    if study is None:
        return None
    fams, fam_stratum = _families(store, study.stratify)
    in_db: Counter[str] = Counter()
    for key, members in fams.items():
        in_db[fam_stratum[key]] += len(members)
    in_study: Counter[str] = Counter(r[0] for r in store.conn.execute(
        "SELECT stratum FROM study_answers WHERE study_id = ?", (study.id,)))
    n_fam = store.conn.execute("SELECT count(DISTINCT family), count(*) FROM study_answers "
                               "WHERE study_id = ?", (study.id,)).fetchone()
    max_family = store.conn.execute("SELECT max(n) FROM (SELECT count(*) AS n FROM study_answers "
                                    "WHERE study_id = ? GROUP BY family)", (study.id,)).fetchone()[0]
    loads = {r[0]: int(r[1]) for r in store.conn.execute(
        "SELECT r.name, count(*) FROM assignments a JOIN raters r ON r.id = a.rater_id "
        "WHERE a.study_id = ? GROUP BY r.id ORDER BY r.name", (study.id,))}
    return Design(study.id, 0, 0, int(n_fam[1]), int(n_fam[0]), study.per_answer, study.strategy,
                  {s: (in_study.get(s, 0), in_db[s]) for s in sorted(in_db)}, loads,
                  max_family=int(max_family or 0))


# -- progress --------------------------------------------------------------------------------

@dataclass(frozen=True)
class RaterProgress:
    """One rater's progress, as `rater status` prints it."""

    name: str
    assigned: int           # their study answers; every answer when there is no study
    rated: int              # of those, rated (any phase)
    skipped: int            # of those, skipped with a reason and not rated
    median_seconds: float | None

    @property
    def left(self) -> int:
        return self.assigned - self.rated - self.skipped


def progress(store: Store) -> tuple[list[RaterProgress], dict[str, int] | None]:
    """Every rater's progress, and for a study: answers in it, and how many hold K ratings already
    from the raters the study gave them to (``{"answers": n, "complete": m, "per_answer": K}``;
    None without a study)."""
    from rater.rating import median_seconds

    study = current_study(store)
    total = int(store.conn.execute("SELECT count(*) FROM responses").fetchone()[0])
    out = []
    for rid, name in store.conn.execute("SELECT id, name FROM raters ORDER BY name").fetchall():
        args: tuple[Any, ...]
        if study is None:
            scope, args = "", (rid,)
            assigned = total
        else:
            scope = ("AND response_id IN (SELECT response_id FROM assignments "
                     "WHERE study_id = ? AND rater_id = ?)")
            args = (rid, study.id, rid)
            assigned = int(store.conn.execute("SELECT count(*) FROM assignments WHERE study_id = ? "
                                              "AND rater_id = ?", (study.id, rid)).fetchone()[0])
            if not assigned:
                continue  # not in the study
        rated = int(store.conn.execute(
            f"SELECT count(DISTINCT response_id) FROM ratings WHERE rater_id = ? {scope}",
            args).fetchone()[0])
        skipped = int(store.conn.execute(
            f"SELECT count(*) FROM skips k WHERE rater_id = ? {scope} AND NOT EXISTS (SELECT 1 FROM "
            f"ratings g WHERE g.rater_id = k.rater_id AND g.response_id = k.response_id)",
            args).fetchone()[0])
        out.append(RaterProgress(name, assigned, rated, skipped, median_seconds(store, rid)))
    if study is None:
        return out, None
    n, complete = store.conn.execute(
        "SELECT count(*), coalesce(sum(n >= ?), 0) FROM (SELECT s.response_id, "
        "(SELECT count(DISTINCT g.rater_id) FROM ratings g WHERE g.response_id = s.response_id "
        "AND g.judges_visible IS NOT 1 AND g.rater_id IN (SELECT a.rater_id FROM assignments a "
        "WHERE a.study_id = s.study_id AND a.response_id = s.response_id)) AS n "
        "FROM study_answers s WHERE s.study_id = ?)", (study.per_answer, study.id)).fetchone()
    return out, {"answers": int(n), "complete": int(complete), "per_answer": study.per_answer}
