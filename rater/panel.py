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

A nominal axis (crisis direction) has no order, so no median or mean: its
aggregate is always the mode, whatever the panel's method. A tie for the
most frequent category (three judges, three categories; two clinicians who
disagree) goes to the tied category listed last in the rubric, which lists
categories from the best to the gravest (appropriate, over_reaction,
under_reaction): like the lower median, a split never makes an answer look
better than part of its raters judged it. The result is marked ``tied`` so
the screen can say so. The agreement engine's consensus uses the same rule.

No litellm, no numpy, no pandas: the rating app calls this on start-up.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rater.rubric import Rubric
from rater.rules import DEFAULT_PANEL_AGGREGATE, NOMINAL_AGGREGATE, PANEL_AGGREGATES, PANEL_META_KEY
from rater.store import Store


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
    tied: bool = False                # nominal axis: categories shared the top count (the gravest taken)


def aggregate(scores: Iterable[float], method: str = DEFAULT_PANEL_AGGREGATE,
              points: Sequence[float] | None = None) -> float | None:
    """Combine judges' scores; None for no scores. Unknown methods are a ValueError.

    ``points`` is the axis's scale: with it, a mean is snapped to the nearest
    point (halves down). The median is the lower median, so always a score given.
    """
    values = sorted(scores)
    if method not in PANEL_AGGREGATES:
        raise ValueError(f"unknown aggregate {method!r}; use one of {', '.join(PANEL_AGGREGATES)}")
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


def mode(scores: Iterable[float]) -> tuple[float | None, bool]:
    """The most frequent category code and whether it was tied (a tie goes to the highest code, the
    category listed last: the gravest); (None, False) for no scores."""
    counts: dict[float, int] = {}
    for s in scores:
        counts[s] = counts.get(s, 0) + 1
    if not counts:
        return None, False
    top = max(counts.values())
    best = [v for v, n in counts.items() if n == top]
    return float(max(best)), len(best) > 1


def panel_method(store: Store) -> str:
    """The aggregate the last `rater judge` run was configured with, else the median."""
    method = store.get_meta(PANEL_META_KEY) or DEFAULT_PANEL_AGGREGATE
    return method if method in PANEL_AGGREGATES else DEFAULT_PANEL_AGGREGATE


@dataclass(frozen=True)
class Panel:
    """The panel's verdict on one answer: who judged it, who failed, and every rubric axis."""

    rubric_version: int | None        # the rubric the judgments were made under (None: unjudged)
    judges: tuple[str, ...]           # judges whose judgment succeeded, in name order
    failed: tuple[str, ...]           # judges whose judgment failed (no scores from them)
    axes: dict[str, PanelAxis]

    @property
    def empty(self) -> bool:
        return not self.judges and not self.failed


def panel_table(store: Store, response_ids: Iterable[str] | None = None, *,
                rubric_version: int | None = None, method: str | None = None) -> dict[str, Panel]:
    """response id -> Panel, for many answers in one query (all judged answers by default).

    Judgments are those made under ``rubric_version``; by default, for each
    answer, the newest rubric version it was judged under, so answers judged
    before a rubric change still show their panel. Axes come from that
    rubric; an answer no judge has looked at is absent from the result.
    """
    method = method or panel_method(store)
    sql = ("SELECT j.response_id, j.rubric_version, j.judge, j.status, s.axis, s.score, s.rationale "
           "FROM judgments j LEFT JOIN judge_scores s ON s.judgment_id = j.id WHERE 1")
    params: list[object] = []
    if rubric_version is not None:
        sql += " AND j.rubric_version = ?"
        params.append(rubric_version)
    wanted = None if response_ids is None else list(dict.fromkeys(response_ids))
    if wanted is not None:
        if not wanted:
            return {}
        sql += f" AND j.response_id IN ({', '.join('?' * len(wanted))})"
        params += wanted
    version_of: dict[str, int] = {}
    ok: dict[str, set[str]] = {}
    failed: dict[str, set[str]] = {}
    verdicts: dict[tuple[str, str], dict[str, JudgeVerdict]] = {}
    rows = store.conn.execute(sql + " ORDER BY j.response_id, j.rubric_version DESC, j.judge", params)
    for rid, version, judge, status, axis, score, rationale in rows:
        if version_of.setdefault(rid, version) != version:
            continue  # an older rubric's judgment of an answer judged again since
        if status != "ok":
            failed.setdefault(rid, set()).add(judge)
            continue
        ok.setdefault(rid, set()).add(judge)
        if axis is not None:
            verdicts.setdefault((rid, axis), {})[judge] = JudgeVerdict(judge, score, rationale or "")
    rubrics: dict[int, Rubric] = {}
    out: dict[str, Panel] = {}
    for rid, version in version_of.items():
        if version not in rubrics:
            rubrics[version] = store.rubric(version)[1]
        rubric = rubrics[version]
        n_ok, gone = len(ok.get(rid, ())), tuple(sorted(failed.get(rid, ())))
        axes = {}
        for axis in rubric.axes:
            judges = verdicts.get((rid, axis.id), {})
            scored = [v.score for v in judges.values() if v.score is not None]
            if axis.nominal:
                value, tied = mode(scored)
                axes[axis.id] = PanelAxis(axis.id, judges, value, NOMINAL_AGGREGATE, n_ok, len(scored),
                                          gone, tied)
            else:
                axes[axis.id] = PanelAxis(axis.id, judges, aggregate(scored, method, axis.values), method,
                                          n_ok, len(scored), gone)
        out[rid] = Panel(version, tuple(sorted(ok.get(rid, ()))), gone, axes)
    return out


def panel_scores(store: Store, response_id: str, *, rubric_version: int | None = None,
                 method: str | None = None) -> Panel:
    """One answer's Panel; an unjudged answer gets every axis of the rubric with no aggregate."""
    found = panel_table(store, [response_id], rubric_version=rubric_version, method=method)
    if response_id in found:
        return found[response_id]
    _, rubric = store.rubric(rubric_version)
    method = method or panel_method(store)
    return Panel(None, (), (), {
        a.id: PanelAxis(a.id, {}, None, NOMINAL_AGGREGATE if a.nominal else method, 0, 0)
        for a in rubric.axes})
