"""The judge panel's verdict on an answer, per axis: each judge's score and rationale, and the aggregate.

Only judgments that succeeded count; a failed judgment is listed by name and
never contributes a score. The aggregate (median by default; the panel
file's ``aggregate`` setting, which `rater judge` records in the database)
is taken over the judges that gave a score, and every result says how many
judges succeeded and how many scored, so a "median" of one judge is never
mistaken for a panel's.

The aggregate is always a point of the axis's scale, by the same rule as the
agreement engine's consensus (``rater.stats.agreement.combine``, its
vectorised twin, and a test keeps the two equal): the median of an even
number of scores whose middle two differ is the lower of the two (every axis
is higher-is-better, so a split never makes an answer look better than half
its judges said); the mean is snapped to the nearest scale point, halves down.

No litellm, no numpy, no pandas: the rating app calls this on start-up.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
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


def aggregate(scores: Iterable[float], method: str = DEFAULT_METHOD,
              points: Sequence[float] | None = None) -> float | None:
    """Combine judges' scores; None for no scores. Unknown methods are a ValueError.

    ``points`` is the axis's scale: with it, a mean is snapped to the nearest
    point (halves down). The median is the lower median, so always a score given.
    """
    values = sorted(scores)
    if method not in METHODS:
        raise ValueError(f"unknown aggregate {method!r}; use one of {', '.join(METHODS)}")
    if not values:
        return None
    if method == "median":
        return float(values[(len(values) - 1) // 2])
    if method == "mean":
        mean = statistics.fmean(values)
        if not points:
            return mean
        return float(min(sorted(points), key=lambda p: abs(p - mean)))
    return float(values[0] if method == "min" else values[-1])


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
            points = rubric.axis(axis_id).values
            out[rid][axis_id] = PanelAxis(axis_id, judges, aggregate(scored, method, points), method,
                                          n_ok, len(scored), tuple(sorted(failed.get(rid, ()))))
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
