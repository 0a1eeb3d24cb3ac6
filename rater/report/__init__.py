"""`rater report`: the study's results from the calibrated panel and the clinicians, with intervals that hold.

:func:`build` reads a database and computes every table (see
:mod:`rater.report.estimates`); :func:`write` writes them into a folder:

``report.html``
    One self-contained page (inline CSS and SVG figures, nothing fetched),
    printable; the escalation trade-off is its first figure.
``results.csv``
    ``model, axis, estimator, mean, ci_low, ci_high, n_rated, n_answers``,
    estimator one of ``ppi``, ``panel``, ``human``.
``failure_modes.csv``, ``escalation.csv``, ``demographic.csv``
    The other tables, one row per cell and estimator (demographic: per family).
``results.json``
    All of the above, the trust table, the notes and the provenance (rater
    version, command, seed, rubric, judges and prompts, calibration, study).

Every number in the page and the files comes from one :class:`Report`, made
by one command with one seed, which the page prints on every section.
"""

from __future__ import annotations

import csv
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rater.atomic import replacing

if TYPE_CHECKING:
    from rater.store import Store

DEFAULT_DIR = Path("reports")
FORMAT = "rater-report/1"


@dataclass
class Report:
    provenance: dict[str, Any]
    results: list[dict[str, Any]]
    failure_modes: list[dict[str, Any]]
    escalation: list[dict[str, Any]]
    escalation_source: str | None
    demographic: list[dict[str, Any]]
    demographic_summary: list[dict[str, Any]]
    trust: list[dict[str, Any]]
    axes: list[dict[str, Any]]
    risk_levels: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def demo(self) -> bool:
        return bool(self.provenance.get("illustrative_demo_data"))

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "provenance": self.provenance, "notes": self.notes, "axes": self.axes,
                "trust": self.trust, "results": self.results, "failure_modes": self.failure_modes,
                "escalation": self.escalation, "escalation_shares_from": self.escalation_source,
                "risk_levels": self.risk_levels, "demographic": self.demographic,
                "demographic_summary": self.demographic_summary}


def build(store: Store, *, models: tuple[str, ...] = (), n_boot: int = 1000, seed: int | None = None,
          confidence: float = 0.95, command: str = "rater report") -> Report:
    """Every table of the report from ``store`` (answers of ``models``, default all)."""
    import numpy as np

    from rater.errors import Problem, RaterError
    from rater.report import data as study_data
    from rater.report import estimates as est

    seed = secrets.randbelow(2**32) if seed is None else seed
    data = study_data.load(store, models)
    if not data.ids.size:
        raise RaterError(Problem("holds no answers to report on", store.path,
                                 fix="import or generate answers, run the judges, then `rater report`"))
    trust = est.trust(data, n_boot, seed, confidence)
    escalation, source = est.escalation(data, confidence)
    demographic, summary = est.demographic(data, n_boot, seed, confidence)
    notes = list(dict.fromkeys([*data.notes, *data.tidy.notes]))
    if source is None:
        notes.append("neither a crisis-direction axis nor failure-mode tags: the escalation table has no "
                     "appropriate / over / under shares")
    if data.weights is not None:
        rated = np.zeros(data.ids.size, dtype=bool)
        for values in data.human.values():
            rated |= ~np.isnan(values)
        missing = int(np.isnan(data.weights[rated]).sum())
        if missing:
            notes.append(f"{missing:,} rated answers have no inclusion probability in the study: "
                         "cells holding them use equal weights")
        drawn = ~np.isnan(data.weights)
        unrated = int((drawn & ~rated).sum())
        if unrated:
            # The weights describe the draw; only once every drawn answer is rated is the rated set that draw.
            notes.append(f"{unrated:,} of the study's {int(drawn.sum()):,} drawn answers are not rated yet: "
                         "until they are, the rated answers are not the probability sample the weights "
                         "describe, and the PPI++ and clinicians-only intervals may not hold")
    if data.weights is None:
        notes.append("no study inclusion weights: the answers clinicians rated are treated as a simple "
                     "random sample of the answers (equal inclusion probabilities)")
    report = Report(
        provenance=provenance(store, data, command=command, seed=seed, n_boot=n_boot, confidence=confidence),
        results=est.results(data, confidence), failure_modes=est.failure_modes(data, confidence),
        escalation=escalation, escalation_source=source, demographic=demographic,
        demographic_summary=summary, trust=trust,
        axes=[{"id": a.id, "name": a.name, "level": a.level, "values": list(a.values),
               "labels": {str(k): v for k, v in a.labels.items()}} for a in data.axes],
        risk_levels=est.risk_levels(data), notes=notes)
    return report


def provenance(store: Store, data: Any, *, command: str, seed: int, n_boot: int,
               confidence: float) -> dict[str, Any]:
    """What made the numbers: enough to cite the report or make it again."""
    from rater import __version__
    from rater.exports import manifest
    from rater.store import now

    made = manifest(store, [], None, {}, data.calibration)
    cal = data.calibration
    return {
        "rater_version": __version__, "created_at": now(), "command": command, "seed": seed,
        "bootstrap": n_boot, "confidence": confidence, "database": str(store.path),
        "illustrative_demo_data": store.is_demo, "rubric": made["rubric"], "judges": made["judges"],
        "answer_models": data.models, "counts": made["counts"],
        "panel_aggregate": data.panel_method, "human_consensus": "median (lower median on a tie)",
        "human_phase": "blind",
        "calibration": None if cal is None else {"id": cal.get("id"), "hash": cal.get("hash"),
                                                 "method": cal.get("method"),
                                                 "created_at": cal.get("created_at")},
        "inclusion_weights": "study" if data.weights is not None else "equal",
        "study": data.study,
    }


def write(report: Report, out: Path = DEFAULT_DIR) -> list[Path]:
    """Write every file into ``out``; returns their paths, report.html first."""
    from rater.report import estimates as est
    from rater.report.html import render

    out.mkdir(parents=True, exist_ok=True)
    files = [out / "report.html", out / "results.csv", out / "failure_modes.csv", out / "escalation.csv",
             out / "demographic.csv", out / "results.json"]
    with replacing(files[0]) as fh:
        fh.write(render(report))
    _csv(files[1], est.RESULT_COLUMNS, report.results)
    _csv(files[2], est.MODE_COLUMNS, report.failure_modes)
    _csv(files[3], est.ESCALATION_COLUMNS, report.escalation)
    _csv(files[4], est.DEMOGRAPHIC_COLUMNS, report.demographic)
    with replacing(files[5]) as fh:
        json.dump(report.to_json(), fh, indent=2, ensure_ascii=False, allow_nan=False)
        fh.write("\n")
    return files


def _csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    with replacing(path, newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_cell(row.get(c)) for c in columns] for row in rows)


def _cell(value: Any) -> Any:
    """A spreadsheet never runs a cell (rater.exports.excel_cell); None is an empty cell."""
    from rater.exports import excel_cell

    return "" if value is None else excel_cell(value)
