"""Calibrating the judge panel towards the human consensus, and whether the result can be trusted.

Per judge and axis, a map from the judge's raw score to a calibrated score
is fitted on the answers that have both a judge score and a human consensus
(the consensus of :func:`rater.stats.agreement.combine`):

- ``linear`` (default): least squares ``consensus ~ intercept + slope * judge``,
  sound with a few hundred answers. A judge that always gives the same score
  gets an offset only.
- ``isotonic``: the monotone step function closest to the consensus (pool
  adjacent violators), when asked for and when there are at least
  ``MIN_ISOTONIC`` such answers and three distinct judge scores; otherwise
  linear, and the calibration says so.

A calibrated score is clipped to the scale and rounded to the nearest point
of it (halves down), so it is a score a clinician could have given and every
agreement statistic applies unchanged. Each map is stored as a table from
each scale point to its calibrated point.

Honesty: the before/after figures come from k-fold cross-validation by
answer. Answers are split into folds once per axis, and each fold's
calibrated scores come from maps fitted on the other folds only
(:func:`cross_validate`), so no figure is computed on the answers its map
was fitted on. The maps written to the calibration file are then fitted on
all answers.

Calibration can make a judge worse (a small sample, a judge already close
to the clinicians): per judge and axis, the cross-validated human-judge
alpha of the calibrated scores is compared with the raw scores' alpha on
the same answers, and the map is kept only when it is higher; otherwise
the judge keeps its raw scores (an identity map, method ``raw``, saying
why). The verdict is on what is kept: per axis, the panel is trusted when
the lower bound of the ``human-panel`` alpha interval of the kept scores
(cross-validated where calibrated) is at least 0.667; otherwise the axis
needs human ratings.

Raw judge scores are never changed: calibrated scores are stored beside them
(table ``calibrated_scores``) under the calibration's id.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from rater.atomic import replacing
from rater.errors import Problem, RaterError
from rater.hashing import content_hash
from rater.rules import DEFAULT_CONSENSUS, TENTATIVE
from rater.stats.agreement import combine, compute, json_ready, plain_number, snap
from rater.stats.tidy import TidyScores, axis_data
from rater.userfile import read_text, value_problem

if TYPE_CHECKING:
    from rater.store import Store

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
Mapper = Callable[[FloatArray], FloatArray]
METHODS = ("linear", "isotonic")
FORMAT = "rater-calibration/1"
MIN_ISOTONIC = 50
NEEDS_HUMANS = "needs human ratings"
TRUSTED = "calibrated panel trusted"
RAW_TRUSTED = "panel trusted on raw scores (calibration did not help)"
NOMINAL_TRUSTED = "panel trusted on raw scores (nominal axis, not calibrated)"


def fit_linear(x: FloatArray, y: FloatArray, w: FloatArray | None = None) -> tuple[float, float]:
    """(intercept, slope) of (weighted) least squares; slope 1 (offset only) when x does not vary.

    ``w``: a weight per pair, e.g. 1 / inclusion probability of a study answer.
    """
    if x.size == 0:
        return 0.0, 1.0
    if np.ptp(x) == 0:
        return float(np.average(y, weights=w) - x[0]), 1.0
    slope, intercept = np.polyfit(x, y, 1, w=None if w is None else np.sqrt(w))
    return float(intercept), float(slope)


def fit_isotonic(x: FloatArray, y: FloatArray, w: FloatArray | None = None) -> tuple[FloatArray, FloatArray]:
    """Pool adjacent violators: (distinct x, non-decreasing fitted y at each), pairs weighted by ``w``."""
    xs, inverse = np.unique(x, return_inverse=True)
    pair_w = np.ones(x.size) if w is None else np.asarray(w, dtype=np.float64)
    sums = np.bincount(inverse, weights=y * pair_w).tolist()
    weights = np.bincount(inverse, weights=pair_w).astype(np.float64).tolist()
    blocks: list[list[float]] = []  # [sum, weight, n_x]
    for s, wt in zip(sums, weights, strict=True):
        blocks.append([s, wt, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s2, w2, n2 = blocks.pop()
            blocks[-1] = [blocks[-1][0] + s2, blocks[-1][1] + w2, blocks[-1][2] + n2]
    fitted = np.concatenate([np.full(int(n), s / w) for s, w, n in blocks])
    return xs, fitted


@dataclass(frozen=True)
class Fit:
    """One judge's map on one axis: raw scale point -> calibrated scale point."""

    method: str
    table: dict[float, float]
    domain: tuple[float, ...]
    n: int
    intercept: float | None = None
    slope: float | None = None
    note: str | None = None

    def apply(self, values: FloatArray) -> FloatArray:
        """Calibrated scores (``nan`` stays missing); values off the table are interpolated."""
        values = np.asarray(values, dtype=np.float64)
        if self.method == "linear" and self.intercept is not None and self.slope is not None:
            raw = self.intercept + self.slope * values
        else:
            keys = np.array(sorted(self.table))
            raw = np.interp(values, keys, [self.table[k] for k in keys]) if keys.size else values
        return snap(raw, np.asarray(self.domain))

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"method": self.method, "n": self.n,
                                "table": {_key(k): plain_number(v) for k, v in sorted(self.table.items())}}
        if self.intercept is not None:
            body |= {"intercept": self.intercept, "slope": self.slope}
        if self.note:
            body["note"] = self.note
        return body

    @classmethod
    def from_json(cls, body: dict[str, Any], domain: tuple[float, ...]) -> Fit:
        return cls(body["method"], {float(k): float(v) for k, v in body["table"].items()}, domain,
                   int(body.get("n", 0)), body.get("intercept"), body.get("slope"), body.get("note"))


def fit(x: FloatArray, y: FloatArray, domain: FloatArray, method: str = "linear",
        w: FloatArray | None = None) -> Fit:
    """Fit a map on paired judge scores ``x`` and consensus ``y`` (no missing values), weighted by ``w``."""
    points = tuple(float(v) for v in np.sort(domain))
    note = None
    if method == "isotonic":
        if x.size >= MIN_ISOTONIC and np.unique(x).size >= 3:
            xs, ys = fit_isotonic(x, y, w)
            table = dict(zip(points, snap(np.interp(points, xs, ys), domain).tolist(), strict=True))
            return Fit("isotonic", table, points, int(x.size))
        note = (f"isotonic needs at least {MIN_ISOTONIC} answers with a judge score and a human "
                f"consensus, and 3 distinct judge scores; {x.size} here, so linear was fitted")
    intercept, slope = fit_linear(x, y, w)
    table = dict(zip(points, snap(intercept + slope * np.asarray(points), domain).tolist(), strict=True))
    return Fit("linear", table, points, int(x.size), intercept, slope, note)


def assign_folds(n_units: int, k: int, seed: int | np.random.SeedSequence | None) -> IntArray:
    """A balanced random fold (0..k-1) for each unit."""
    order = np.random.default_rng(seed).permutation(n_units)
    folds = np.empty(n_units, dtype=np.intp)
    folds[order] = np.arange(n_units) % k
    return folds


def cross_validate(x: FloatArray, y: FloatArray, folds: IntArray,
                   fitter: Callable[..., Mapper], w: FloatArray | None = None) -> FloatArray:
    """Out-of-fold predictions: each fold's ``x`` mapped by a fit on the other folds' pairs only.

    ``x`` and ``y`` are per unit (``nan`` = missing); a pair is used for
    fitting only when both exist. A fold whose training part is empty keeps
    its raw scores. ``w``: a weight per unit, passed to ``fitter`` as its third argument.
    """
    out = np.array(x, dtype=np.float64, copy=True)
    paired = ~np.isnan(x) & ~np.isnan(y)
    for fold in np.unique(folds):
        test = folds == fold
        train = paired & ~test
        if train.any():
            mapper = fitter(x[train], y[train]) if w is None else fitter(x[train], y[train], w[train])
            out[test] = mapper(x[test])
    return out


@dataclass
class Calibration:
    """Fitted maps per judge and axis, and the cross-validated evidence for them."""

    content: dict[str, Any]
    maps: dict[str, dict[str, Fit]]
    hash: str
    created_at: str = ""
    id: int | None = None
    report: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {**self.content, "hash": self.hash, "created_at": self.created_at, "id": self.id}

    def apply(self, tidy: TidyScores) -> TidyScores:
        """The same scores with every calibrated judge's scores mapped; others left as they are."""
        scores = tidy.scores.copy()
        for judge, axes in self.maps.items():
            for axis, mapping in axes.items():
                rows = ((scores["source"] == "judge") & (scores["rater"] == judge)
                        & (scores["axis"] == axis)).to_numpy()
                if rows.any():
                    scores.loc[rows, "score"] = mapping.apply(scores.loc[rows, "score"].to_numpy(float))
        out = tidy.with_scores(scores)
        out.notes.append(f"judge scores calibrated with calibration {self.hash[:12]}")
        return out


def calibrate(tidy: TidyScores, *, method: str = "linear", folds: int = 5, seed: int | None = None,
              consensus: str = DEFAULT_CONSENSUS, panel: str | None = None, n_boot: int = 1000,
              confidence: float = 0.95, level: str | None = None, rubric: dict[str, Any] | None = None,
              weights: Mapping[str, float] | None = None) -> Calibration:
    """Fit maps on all answers and report cross-validated agreement before and after.

    ``weights``: per response id, the weight of its pair in the fits (a study's
    ``1 / inclusion probability``, rater.study.inclusion_weights), so answers a
    disagreement-driven draw over-sampled do not pull the map; missing: 1.
    """
    if method not in METHODS:
        raise RaterError(Problem(f"unknown method {method!r}", field="method", fix="use linear or isotonic"))
    if folds < 2:
        raise RaterError(Problem(f"needs at least 2 folds; got {folds}", field="folds"))
    if not tidy.raters("human") or not tidy.raters("judge"):
        raise RaterError(Problem("needs both human ratings and judge scores to calibrate", tidy.origin,
                                 fix="rate answers in the app or import ratings and judgments"))
    before = compute(tidy, level=level, n_boot=n_boot, seed=seed, confidence=confidence,
                     consensus=consensus, panel=panel, replacement=False, weights=weights)
    seed = before.seed
    maps: dict[str, dict[str, Fit]] = {}
    oof = tidy.scores.copy()
    skipped: dict[str, str] = {}
    for axis_id, data in axis_data(tidy).items():
        if data.axis.level == "nominal":
            # A map from one category to another has no order to fit; the raw panel is reported as is.
            skipped[axis_id] = ("nominal axis: not calibrated (categories have no order to map); "
                                "the figures are the raw panel's")
            continue
        domain = data.domain
        target = combine(data.human, domain, consensus)
        unit_folds = assign_folds(data.units.size, folds,
                                  np.random.SeedSequence([seed, _digest(axis_id)]))
        position = {u: i for i, u in enumerate(data.units)}
        unit_w = np.array([(weights or {}).get(u, 1.0) for u in data.units], dtype=np.float64)
        for i, judge in enumerate(data.judges):
            x = data.judge[i]
            paired = ~np.isnan(x) & ~np.isnan(target)
            maps.setdefault(judge, {})[axis_id] = fit(x[paired], target[paired], domain, method,
                                                      unit_w[paired])
            predicted = cross_validate(x, target, unit_folds, _fitter(domain, method), unit_w)
            rows = ((oof["source"] == "judge") & (oof["rater"] == judge) & (oof["axis"] == axis_id)
                    & oof["score"].notna()).to_numpy()
            cols = np.array([position[r] for r in oof.loc[rows, "response_id"]], dtype=np.intp)
            oof.loc[rows, "score"] = predicted[cols]
    after = compute(tidy.with_scores(oof), level=level, n_boot=n_boot, seed=seed,
                    confidence=confidence, consensus=consensus, panel=panel, replacement=False,
                    weights=weights)
    kept_scores = _keep_better(tidy, oof, maps, before.records, after.records)
    kept = compute(tidy.with_scores(kept_scores), level=level, n_boot=n_boot, seed=seed,
                   confidence=confidence, consensus=consensus, panel=panel, replacement=False,
                   weights=weights)
    raw_axes = _panel_not_better(maps, before.records, kept.records)
    report = _compare(before.records, after.records, kept.records, raw_axes)
    content = {
        "format": FORMAT, "method": method, "consensus": consensus, "phase": tidy.phase, "level": level,
        "folds": folds, "seed": seed, "bootstrap": n_boot, "confidence": confidence,
        "source": tidy.origin, "rubric": rubric,
        "maps": {j: {a: f.to_json() for a, f in sorted(axes.items())} for j, axes in sorted(maps.items())},
        "report": report, "verdicts": _verdicts(report, [a.id for a in tidy.axes], maps, skipped),
        "skipped": skipped,
    }
    if weights:
        content["weights"] = "1 / inclusion probability of the study's answers"
    return Calibration(content, maps, content_hash(content), report=report)


def _alphas(records: list[Any]) -> dict[tuple[str, str], float]:
    return {(r.axis, r.comparison): r.alpha for r in records
            if getattr(r, "by", None) is None and r.alpha is not None and math.isfinite(r.alpha)}


def _keep_better(tidy: TidyScores, oof: Any, maps: dict[str, dict[str, Fit]], before: list[Any],
                 after: list[Any]) -> Any:
    """Scores with each judge's calibration kept only where it raised the cross-validated alpha.

    Where it did not, the judge's map becomes the identity (method ``raw``)
    with the two figures in its note, and its raw scores stand.
    """
    raw_alpha, cal_alpha = _alphas(before), _alphas(after)
    kept = tidy.scores.copy()
    for judge, axes in maps.items():
        for axis_id, fitted in list(axes.items()):
            key = (axis_id, f"human-judge:{judge}")
            a0, a1 = raw_alpha.get(key), cal_alpha.get(key)
            if a0 is not None and a1 is not None and a1 > a0:
                rows = ((kept["source"] == "judge") & (kept["rater"] == judge)
                        & (kept["axis"] == axis_id)).to_numpy()
                kept.loc[rows, "score"] = oof.loc[rows, "score"]
                continue
            why = ("calibration did not raise the cross-validated alpha "
                   f"({_num(a0)} raw, {_num(a1)} calibrated); raw scores kept")
            axes[axis_id] = Fit("raw", {p: p for p in fitted.domain}, fitted.domain, fitted.n, note=why)
    return kept


def _panel_not_better(maps: dict[str, dict[str, Fit]], before: list[Any], kept: list[Any]) -> set[str]:
    """Axes where the kept calibrations, together, did not raise the human-panel alpha: all raw there.

    Judges improved one by one can still make a worse panel (the aggregate
    of calibrated scores loses the spread that told answers apart); the
    verdict is about the panel, so the panel decides.
    """
    raw_alpha, kept_alpha = _alphas(before), _alphas(kept)
    axes = {a for judges in maps.values() for a, f in judges.items() if f.method != "raw"}
    reverted = set()
    for axis in axes:
        a0, a1 = raw_alpha.get((axis, "human-panel")), kept_alpha.get((axis, "human-panel"))
        if a1 is None or (a0 is not None and a1 <= a0):
            reverted.add(axis)
            why = (f"the calibrated panel's cross-validated alpha ({_num(a1)}) was not above the raw "
                   f"panel's ({_num(a0)}); raw scores kept")
            for judges in maps.values():
                fitted = judges.get(axis)
                if fitted is not None and fitted.method != "raw":
                    judges[axis] = Fit("raw", {p: p for p in fitted.domain}, fitted.domain, fitted.n,
                                       note=why)
    return reverted


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _fitter(domain: FloatArray, method: str) -> Callable[..., Mapper]:
    def fitter(x: FloatArray, y: FloatArray, w: FloatArray | None = None) -> Mapper:
        return fit(x, y, domain, method, w).apply

    return fitter


def _compare(before: list[Any], after: list[Any], kept: list[Any],
             raw_axes: frozenset[str] | set[str] = frozenset()) -> list[dict[str, Any]]:
    """Per axis and human-judge / human-panel comparison: raw, cross-validated calibrated, and kept.

    On ``raw_axes`` what is kept is the raw scores, so the kept figures are the raw ones.
    """
    done = {(r.axis, r.comparison): r for r in after}
    chosen = {(r.axis, r.comparison): r for r in kept}
    rows = []
    for b in before:
        if not (b.comparison.startswith("human-judge:") or b.comparison == "human-panel"):
            continue
        a = done.get((b.axis, b.comparison))
        k = b if b.axis in raw_axes else chosen.get((b.axis, b.comparison))
        row: dict[str, Any] = {"axis": b.axis, "comparison": b.comparison, "n_units": b.n_units}
        for when, rec in (("before", b), ("after", a), ("kept", k)):
            for name in ("alpha", "ci_low", "ci_high", "mean_bias", "exact", "within_one"):
                row[f"{name}_{when}"] = json_ready(getattr(rec, name, None) if rec else None)
        rows.append(row)
    return rows


def _verdicts(report: list[dict[str, Any]], axes: list[str],
              maps: dict[str, dict[str, Fit]], skipped: dict[str, str] | None = None
              ) -> dict[str, dict[str, Any]]:
    """Per axis, on the scores kept (calibrated where that helped, raw elsewhere).

    A ``skipped`` axis (nominal) was never calibrated: its verdict is on its raw panel,
    and says so rather than that calibration did not help.
    """
    skipped = skipped or {}
    out = {}
    for axis in axes:
        panel = next((r for r in report if r["axis"] == axis and r["comparison"] == "human-panel"), None)
        low = panel["ci_low_kept"] if panel else None
        calibrated = sorted(j for j, a in maps.items() if axis in a and a[axis].method != "raw")
        trusted = low is not None and low >= TENTATIVE
        if axis in skipped:
            scores, raw_verdict = "raw (not calibrated)", NOMINAL_TRUSTED
        else:
            scores = (f"calibrated for {', '.join(calibrated)}, raw for the others" if calibrated
                      else "raw (calibration did not raise the cross-validated alpha; see the maps' notes)")
            raw_verdict = RAW_TRUSTED
        if low is None:
            reason = (f"no {'' if axis in skipped else 'cross-validated '}human-panel interval "
                      "(too few answers with human ratings)")
        else:
            reason = (f"scores kept: {scores}; lower bound of the human-panel alpha interval is "
                      f"{low:.3f}, {'at least' if trusted else 'below'} {TENTATIVE}")
        if axis in skipped:
            reason = f"{skipped[axis]}; {reason}"
        verdict = (TRUSTED if calibrated else raw_verdict) if trusted else NEEDS_HUMANS
        out[axis] = {"trusted": trusted, "verdict": verdict, "ci_low_kept": low,
                     "calibrated_judges": calibrated, "reason": reason}
    return out


# -- files and the database ---------------------------------------------------------


def write_file(calibration: Calibration, path: Path) -> Path:
    with replacing(path) as fh:
        fh.write(json.dumps(calibration.to_json(), indent=2, ensure_ascii=False) + "\n")
    return path


def read_file(path: Path) -> Calibration:
    """A calibration file written by `rater calibrate`, checked enough to apply safely."""
    def bad(message: str) -> RaterError:
        return RaterError(Problem(message, str(path), fix="pass a calibration.json written by "
                                  "`rater calibrate`"))

    try:
        body = json.loads(read_text(path))
    except FileNotFoundError:
        raise RaterError(Problem("file not found", str(path), fix="check the path")) from None
    except json.JSONDecodeError as exc:
        raise bad(f"is not JSON ({exc.msg}, line {exc.lineno})") from None
    except (ValueError, RecursionError):
        raise bad("is not usable JSON (a number too large, or nesting too deep)") from None
    if value_problem(body):
        raise bad(f"is not a rater calibration ({value_problem(body)})")
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise bad(f"is not a rater calibration (no \"format\": \"{FORMAT}\")")
    content = {k: v for k, v in body.items() if k not in ("hash", "created_at", "id")}
    maps: dict[str, dict[str, Fit]] = {}
    try:
        for judge, axes in content["maps"].items():
            for axis, spec in axes.items():
                domain = tuple(sorted(float(k) for k in spec["table"]))
                maps.setdefault(judge, {})[axis] = Fit.from_json(spec, domain)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise bad(f"has a malformed map ({exc})") from None
    return Calibration(content, maps, content_hash(content), str(body.get("created_at", "")),
                       report=list(content.get("report", [])))


def save(store: Store, calibration: Calibration) -> tuple[int, int]:
    """Store the calibration (once per content) and the calibrated score of every matching judge score.

    Returns (calibration id, calibrated scores written). Every successful
    judgment of a calibrated judge is mapped, whatever rubric version it was
    made under (the map is per judge and axis); raw scores are untouched.
    """
    from rater.store import now

    with store.write():
        cal_id, calibration.created_at = store.ensure_calibration(
            calibration.hash, calibration.content.get("method", ""),
            json.dumps(calibration.content, sort_keys=True, ensure_ascii=False),
            calibration.created_at or now())
        calibration.id = cal_id
        written = 0
        for judge, axes in calibration.maps.items():
            for axis, mapping in axes.items():
                rows = store.conn.execute(
                    "SELECT s.judgment_id, s.score FROM judge_scores s JOIN judgments j "
                    "ON j.id = s.judgment_id WHERE j.status = 'ok' AND j.judge = ? AND s.axis = ?",
                    (judge, axis)).fetchall()
                if not rows:
                    continue
                raw = np.array([np.nan if r[1] is None else r[1] for r in rows], dtype=np.float64)
                mapped = mapping.apply(raw)
                store.set_calibrated_scores((r[0], axis, cal_id, None if math.isnan(v) else float(v))
                                            for r, v in zip(rows, mapped.tolist(), strict=True))
                written += len(rows)
    return cal_id, written


def latest(store: Store) -> dict[str, Any] | None:
    """The newest stored calibration as its file content, or None."""
    row = store.conn.execute("SELECT id, hash, content, created_at FROM calibrations "
                             "ORDER BY id DESC LIMIT 1").fetchone()
    if row is None:
        return None
    return {**json.loads(row["content"]), "hash": row["hash"], "created_at": row["created_at"],
            "id": row["id"]}


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")


def _key(value: float) -> str:
    return f"{value:g}"
