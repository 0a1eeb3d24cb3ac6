"""The judge panel's verdict on an answer, per axis: each judge's score and rationale, and the aggregate.

Only judgments that succeeded count; a failed judgment is listed by name and
never contributes a score. The aggregate (median by default; the panel
file's ``aggregate`` setting, which `rater judge` records in the database)
is taken over the judges that gave a score, and every result says how many
judges succeeded and how many scored, so a "median" of one judge is never
mistaken for a panel's.

No litellm, no pandas: the rating app and the agreement engine both call this.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from rater.store import Store

METHODS = ("median", "mean", "min", "max")
DEFAULT_METHOD = "median"
META_KEY = "panel_aggregate"


@dataclass(frozen=True)
class JudgeVerdict:
    judge: str
    score: float | None          # None: the judge found the axis not applicable
    rationale: str


@dataclass(frozen=True)
class PanelAxis:
    """One axis of one answer, as the panel scored it."""

    axis: str
    judges: dict[str, JudgeVerdict]   # the judges whose judgment succeeded, by name
    aggregate: float | None           # None when no judge gave a score
    method: str
    n_judges_ok: int                  # judges whose judgment succeeded
    n_scored: int                     # of those, how many gave a score rather than N/A
    failed: tuple[str, ...] = field(default=())  # judges whose judgment failed


def aggregate(scores: Iterable[float], method: str = DEFAULT_METHOD) -> float | None:
    """Combine judges' scores; None for no scores. Unknown methods are a ValueError."""
    values = list(scores)
    if method not in METHODS:
        raise ValueError(f"unknown aggregate {method!r}; use one of {', '.join(METHODS)}")
    if not values:
        return None
    combine: dict[str, Callable[[list[float]], float]] = {
        "median": statistics.median, "mean": statistics.fmean, "min": min, "max": max}
    return float(combine[method](values))


def panel_method(store: Store) -> str:
    """The aggregate the last `rater judge` run was configured with, else the median."""
    method = store.get_meta(META_KEY) or DEFAULT_METHOD
    return method if method in METHODS else DEFAULT_METHOD


def panel_table(store: Store, response_ids: Iterable[str] | None = None, *,
                rubric_version: int | None = None, method: str | None = None
                ) -> dict[str, dict[str, PanelAxis]]:
    """response id -> axis -> PanelAxis, for many answers in one query (all judged answers by default).

    Judgments are those made under ``rubric_version`` (default: the newest
    rubric). Axes come from that rubric; an answer no judge has looked at is
    absent from the result.
    """
    version, rubric = store.rubric(rubric_version)
    method = method or panel_method(store)
    sql = ("SELECT j.response_id, j.judge, j.status, s.axis, s.score, s.rationale FROM judgments j "
           "LEFT JOIN judge_scores s ON s.judgment_id = j.id WHERE j.rubric_version = ?")
    params: list[object] = [version]
    wanted = None if response_ids is None else list(dict.fromkeys(response_ids))
    if wanted is not None:
        if not wanted:
            return {}
        sql += f" AND j.response_id IN ({', '.join('?' * len(wanted))})"
        params += wanted
    ok: dict[str, set[str]] = {}
    failed: dict[str, set[str]] = {}
    verdicts: dict[tuple[str, str], dict[str, JudgeVerdict]] = {}
    for rid, judge, status, axis, score, rationale in store.conn.execute(sql + " ORDER BY j.judge", params):
        if status != "ok":
            failed.setdefault(rid, set()).add(judge)
            continue
        ok.setdefault(rid, set()).add(judge)
        if axis is not None:
            verdicts.setdefault((rid, axis), {})[judge] = JudgeVerdict(judge, score, rationale or "")
    out: dict[str, dict[str, PanelAxis]] = {}
    for rid in sorted(set(ok) | set(failed)):
        n_ok = len(ok.get(rid, ()))
        out[rid] = {}
        for axis_id in rubric.axis_ids:
            judges = verdicts.get((rid, axis_id), {})
            scored = [v.score for v in judges.values() if v.score is not None]
            out[rid][axis_id] = PanelAxis(axis_id, judges, aggregate(scored, method), method, n_ok,
                                          len(scored), tuple(sorted(failed.get(rid, ()))))
    return out


def panel_scores(store: Store, response_id: str, *, rubric_version: int | None = None,
                 method: str | None = None) -> dict[str, PanelAxis]:
    """axis -> PanelAxis for one answer; every rubric axis is present (aggregate None if unjudged)."""
    found = panel_table(store, [response_id], rubric_version=rubric_version, method=method)
    if response_id in found:
        return found[response_id]
    _, rubric = store.rubric(rubric_version)
    method = method or panel_method(store)
    return {a: PanelAxis(a, {}, None, method, 0, 0) for a in rubric.axis_ids}
