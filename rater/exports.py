"""`rater export`: the database as tidy files that pandas, R and spreadsheets read.

Files written to the export folder (default ``exports/``):

``ratings.csv``
    One row per human rating and axis, every phase (``phase`` is ``blind``,
    ``revised`` after the reveal, ``shown`` when the judges were on screen from
    the start, or ``unknown`` for imports; see rater.phases), with the answer's model and the
    scenario's modality, step, severity, risk level and demographic group, and
    the rater's failure-mode tags (``failure_modes``, a JSON list; empty when
    the checklist was never confirmed).
``judge_scores.csv``
    One row per judge score and axis, same scenario fields, with the score
    of the newest calibration beside the raw one (``calibrated_score``, empty
    when there is none), and the failure modes the judge named (``failure_modes``,
    a JSON list; empty when the judge was not asked).

Both score tables have ``label`` beside ``score``: on a nominal axis (crisis
direction) the category's name (scores are stored as the category's number,
1..k in the rubric's order), empty on every other axis.
``agreement.csv``, ``agreement.json``
    What ``rater agreement --json`` prints (the CSV without confusion matrices).
``calibration.json``
    The newest stored calibration, when there is one.
``adjudications.csv``, ``skips.csv``, ``study.csv``
    Adjudicated references, skips with their reasons, and the study design
    (each answer's stratum, family, inclusion probability, weight and raters),
    when the database has any (rater.study_exports).
``manifest.json``
    rater version, rubric version and hash, judge models and prompt files
    (version and hash, from each judgment's provenance),
    counts, the agreement run's parameters, the export time, and the files.

Tables are streamed from a database cursor to the file, so memory stays flat
however many rows there are. An empty cell is a missing value or "not
applicable". Each file is written beside its final name and renamed when
complete, so a crashed export never leaves a half file. ``fmt="parquet"``
writes the three tables as Parquet instead (needs pyarrow).

Every file is created 0600 (its owner only: exports hold clinical material
and clinicians' names) unless ``mode`` says otherwise. ``excel_safe`` makes
the CSV files safe to open in a spreadsheet: a text cell that starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return, which Excel,
LibreOffice and Google Sheets would run as a formula, gets a leading ``'``.
That changes the text, so it is for people opening the files, not for
pandas or R.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rater.atomic import PRIVATE, create_private, replacing
from rater.errors import Problem, RaterError
from rater.phases import phase_sql

if TYPE_CHECKING:
    from rater.stats.agreement import Report
    from rater.store import Store

FORMATS = ("csv", "parquet")
DEFAULT_DIR = Path("exports")
_BATCH = 50_000

_SCORE = "CASE WHEN {0} = CAST({0} AS INTEGER) THEN CAST({0} AS INTEGER) ELSE {0} END"
_SCENARIO = (("scenario_id", "p.scenario_id", "text"), ("model", "p.model", "text"),
             ("sample", "p.sample", "int"), ("modality", "s.modality", "text"), ("step", "s.step", "text"),
             ("severity", "s.severity", "int"), ("risk_level", "s.risk_level", "text"),
             ("demographic_group", "s.demographic_group", "text"), ("base_id", "s.base_id", "text"))


@dataclass(frozen=True)
class _Table:
    """A tidy table: one row per score, with its parent's (rating's or judgment's) columns around it.

    Parents and scores are read by two cursors in id order and merged, so
    each parent's columns are fetched and rendered once rather than once per
    axis. Columns are (name, SQL expression, type).
    """

    parents_from: str
    scores_from: str
    before: tuple[tuple[str, str, str], ...]
    scores: tuple[tuple[str, str, str], ...]
    after: tuple[tuple[str, str, str], ...]

    @property
    def columns(self) -> list[tuple[str, str]]:
        """(name, type) of the output; the first score column is only the parent's id, for merging."""
        return [(name, kind) for name, _, kind in (*self.before, *self.scores[1:], *self.after)]

    def parents_sql(self) -> str:
        exprs = ", ".join(expr for _, expr, _ in (*self.before, *self.after))
        return f"SELECT {self.before[0][1]}, {exprs} {self.parents_from}"

    def scores_sql(self) -> str:
        exprs = ", ".join(expr for _, expr, _ in self.scores)
        return f"SELECT {exprs} {self.scores_from}"


RATINGS = _Table(
    parents_from="""FROM ratings g JOIN raters r ON r.id = g.rater_id
        JOIN responses p ON p.id = g.response_id JOIN scenarios s ON s.id = p.scenario_id ORDER BY g.id""",
    scores_from="""FROM rating_scores sc JOIN ratings sg ON sg.id = sc.rating_id
        LEFT JOIN temp.axis_labels lb ON lb.version = sg.rubric_version AND lb.axis = sc.axis
        AND lb.code = sc.score ORDER BY sc.rating_id, sc.axis""",
    before=(("rating_id", "g.id", "int"), ("rater", "r.name", "text"), ("rater_role", "r.role", "text"),
            ("response_id", "g.response_id", "text"), *_SCENARIO,
            ("phase", phase_sql("g"), "text")),
    scores=(("rating_id", "sc.rating_id", "int"), ("axis", "sc.axis", "text"),
            ("score", _SCORE.format("sc.score"), "float"), ("label", "lb.label", "text"),
            ("rationale", "sc.rationale", "text")),
    after=(("note", "g.note", "text"), ("flags", "g.flags", "text"),
           # JSON list of the clinician's failure-mode tags; empty: the checklist was never confirmed.
           ("failure_modes", "CASE WHEN g.failure_modes_checked = 1 THEN (SELECT json_group_array("
            "failure_mode) FROM (SELECT failure_mode FROM rating_failure_modes WHERE rating_id = g.id "
            "ORDER BY 1)) END", "text"),
           ("seconds_spent", "g.seconds_spent", "float"), ("rubric_version", "g.rubric_version", "int"),
           ("source", "g.source", "text"), ("created_at", "g.created_at", "text"),
           ("updated_at", "g.updated_at", "text")),
)

JUDGE_SCORES = _Table(
    parents_from="""FROM judgments j JOIN responses p ON p.id = j.response_id
        JOIN scenarios s ON s.id = p.scenario_id ORDER BY j.id""",
    scores_from="""FROM judge_scores sc JOIN judgments sj ON sj.id = sc.judgment_id
        LEFT JOIN calibrated_scores cs
        ON cs.judgment_id = sc.judgment_id AND cs.axis = sc.axis AND cs.calibration_id = ?
        LEFT JOIN temp.axis_labels lb ON lb.version = sj.rubric_version AND lb.axis = sc.axis
        AND lb.code = sc.score
        ORDER BY sc.judgment_id, sc.axis""",
    before=(("judgment_id", "j.id", "int"), ("judge", "j.judge", "text"),
            ("response_id", "j.response_id", "text"), *_SCENARIO),
    scores=(("judgment_id", "sc.judgment_id", "int"), ("axis", "sc.axis", "text"),
            ("score", _SCORE.format("sc.score"), "float"), ("label", "lb.label", "text"),
            ("calibrated_score", _SCORE.format("cs.score"), "float"),
            ("rationale", "sc.rationale", "text")),
    after=(# JSON list of the failure modes the judge named; empty: the judge was not asked (or failed).
           ("failure_modes", "CASE WHEN j.failure_modes_asked = 1 AND j.status = 'ok' THEN (SELECT "
            "json_group_array(failure_mode) FROM (SELECT failure_mode FROM judgment_failure_modes "
            "WHERE judgment_id = j.id ORDER BY 1)) END", "text"),
           ("rubric_version", "j.rubric_version", "int"), ("created_at", "j.created_at", "text")),
)

AGREEMENT_COLUMNS = ("axis", "comparison", "level", "by", "group", "alpha", "ci_low", "ci_high",
                     "p_below_0667", "p_below_0800", "n_units", "n_excluded_units", "n_pairable",
                     "n_raters", "n_boot", "n_nan_boot", "confidence", "delta", "delta_ci_low",
                     "delta_ci_high", "n_swaps", "n_scored", "mean_bias", "exact", "within_one",
                     "spearman_rho")


@dataclass(frozen=True)
class Exported:
    path: Path
    rows: int | None = None

    def __str__(self) -> str:
        return f"{self.path}" + (f" ({self.rows:,} rows)" if self.rows is not None else "")


@dataclass(frozen=True)
class _Files:
    """How files are written: their permissions, and whether text cells are made spreadsheet-safe."""

    mode: int = PRIVATE
    excel_safe: bool = False

    def field(self, value: Any) -> str:
        return _field(excel_cell(value) if self.excel_safe else value)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def excel_cell(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, made inert with a leading ``'``.

    >>> [excel_cell(v) for v in ("=1+1", "-2 points", "@SUM(A1)", "fine", -2)]
    ["'=1+1", "'-2 points", "'@SUM(A1)", 'fine', -2]
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def export(store: Store, out: Path = DEFAULT_DIR, *, fmt: str = "csv",
           agreement: Report | None = None, agreement_options: dict[str, Any] | None = None,
           mode: int = PRIVATE, excel_safe: bool = False) -> list[Exported]:
    """Write every export file to ``out``; returns what was written, manifest last.

    ``agreement`` is a computed report (see rater.stats.agreement) or None
    when there were no scores to compare; ``agreement_options`` records how
    it was run in the manifest.
    """
    from rater.stats import calibration

    if fmt not in FORMATS:
        raise RaterError(Problem(f"unknown format {fmt!r}", field="format", fix="use csv or parquet"))
    if fmt == "parquet":
        require_pyarrow()
        if excel_safe:
            raise RaterError(Problem("--excel-safe is for CSV files", field="format",
                                     fix="export --format csv --excel-safe for a spreadsheet"))
    files = _Files(mode, excel_safe)
    out.mkdir(parents=True, exist_ok=True)
    _axis_labels(store)
    latest = calibration.latest(store)
    written = [
        _table(store, RATINGS, (), out / f"ratings.{fmt}", fmt, files),
        _table(store, JUDGE_SCORES, (latest["id"] if latest else None,), out / f"judge_scores.{fmt}", fmt,
               files),
    ]
    if agreement is not None:
        records = [r.to_dict() for r in agreement.records]
        written.append(_agreement_table(records, out / f"agreement.{fmt}", fmt, files))
        written.append(_json(out / "agreement.json", records, files))
    if latest is not None:
        written.append(_json(out / "calibration.json", latest, files))
    from rater.study_exports import export_study_tables

    written.extend(export_study_tables(store, out, fmt, files))
    options = {**(agreement_options or {}), "excel_safe": excel_safe}
    written.append(_json(out / "manifest.json", manifest(store, written, agreement, options, latest), files))
    return written


def manifest(store: Store, files: Sequence[Exported], agreement: Report | None,
             options: dict[str, Any], latest: dict[str, Any] | None) -> dict[str, Any]:
    """What an export holds and what made it: enough to cite it or redo it."""
    from rater import __version__
    from rater.store import now

    q = store.conn.execute
    version, rubric = store.rubric()

    def count(sql: str) -> int:
        return int(q(sql).fetchone()[0])

    judges: dict[str, dict[str, Any]] = {}
    for judge, model, prompts, ok, failed in q("""
            SELECT judge, json_extract(p, '$.model'),
                   coalesce(json_extract(p, '$.prompts'), json_extract(p, '$.prompt_version')),
                   sum(status = 'ok'), sum(status = 'failed')
            FROM (SELECT judge, status, CASE WHEN json_valid(provenance) THEN provenance
                                             ELSE '{}' END AS p FROM judgments)
            GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"""):
        entry = judges.setdefault(judge, {"models": [], "prompts": [], "judgments_ok": 0,
                                          "judgments_failed": 0})
        if model is not None and str(model) not in entry["models"]:
            entry["models"].append(str(model))
        for prompt in _prompt_versions(prompts):
            if prompt not in entry["prompts"]:
                entry["prompts"].append(prompt)
        entry["judgments_ok"] += int(ok or 0)
        entry["judgments_failed"] += int(failed or 0)
    return {
        "rater_version": __version__,
        "exported_at": now(),
        "database": str(store.path),
        "illustrative_demo_data": store.is_demo,
        "rubric": {"version": version, "name": rubric.name, "label": rubric.label, "hash": rubric.hash,
                   "axes": rubric.axis_ids},
        "answer_models": [r[0] for r in q("SELECT DISTINCT model FROM responses ORDER BY model")],
        "judges": judges,
        "counts": {
            "scenarios": count("SELECT count(*) FROM scenarios"),
            "answers": count("SELECT count(*) FROM responses"),
            "raters": count("SELECT count(*) FROM raters"),
            "raters_with_ratings": count("SELECT count(DISTINCT rater_id) FROM ratings"),
            "ratings": count("SELECT count(*) FROM ratings"),
            "rating_scores": count("SELECT count(*) FROM rating_scores"),
            "judgments": count("SELECT count(*) FROM judgments"),
            "judge_scores": count("SELECT count(*) FROM judge_scores"),
        },
        "agreement": None if agreement is None else {
            **options, "seed": agreement.seed, "phase": agreement.phase,
            "consensus": agreement.consensus, "notes": agreement.notes,
            "humans": len(agreement.humans), "judges": agreement.judges},
        "calibration": None if latest is None else {"id": latest["id"], "hash": latest["hash"],
                                                    "method": latest.get("method")},
        "files": {f.path.name: {"rows": f.rows} for f in files},
    }


def _prompt_versions(value: Any) -> list[dict[str, Any]]:
    """Prompt files from a judgment's provenance: ``{"file": {"version", "hash"}}``, or a bare version."""
    if value is None:
        return []
    try:
        parsed = json.loads(value) if isinstance(value, str) else value
    except json.JSONDecodeError:
        parsed = value
    if isinstance(parsed, dict):
        return [{"file": name, **(spec if isinstance(spec, dict) else {"version": spec})}
                for name, spec in sorted(parsed.items())]
    return [{"version": str(parsed)}]


# -- writing ------------------------------------------------------------------------


def _axis_labels(store: Store) -> None:
    """temp.axis_labels: (rubric version, axis, code, category name) of every nominal axis ever stored."""
    from rater.rubric import rubric_from_content

    conn = store.conn
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS axis_labels (version INTEGER, axis TEXT, code REAL, "
                 "label TEXT, PRIMARY KEY (version, axis, code))")
    conn.execute("DELETE FROM temp.axis_labels")
    rows = []
    for version, content in conn.execute("SELECT id, content FROM rubric_versions"):
        for axis in rubric_from_content(json.loads(content)).axes:
            rows += [(version, axis.id, float(i), name) for i, name in enumerate(axis.categories, 1)]
    conn.executemany("INSERT INTO temp.axis_labels VALUES (?, ?, ?, ?)", rows)


def _merged(store: Store, table: _Table, params: tuple[Any, ...]
            ) -> Iterator[tuple[tuple[Any, ...], tuple[Any, ...]]]:
    """(parent row, score row) pairs, streamed from two cursors in id order.

    A parent row is the same tuple object for all of its scores, so a writer
    can render it once. Scores without a parent row are impossible under the
    schema's foreign keys and are skipped.
    """
    parents, scores = store.conn.cursor(), store.conn.cursor()
    parents.row_factory = scores.row_factory = None  # plain tuples: no sqlite3.Row per row
    parents.execute(table.parents_sql())
    scores.execute(table.scores_sql(), params)
    parent: tuple[Any, ...] = (None,)
    for batch in _batches(scores):
        for row in batch:
            key = row[0]
            while parent[0] is None or parent[0] < key:
                nxt = parents.fetchone()
                if nxt is None:
                    return
                parent = nxt
            if parent[0] == key:
                yield parent, row


def _table(store: Store, table: _Table, params: tuple[Any, ...], path: Path, fmt: str,
           files: _Files) -> Exported:
    names = [name for name, _ in table.columns]
    split = 1 + len(table.before)
    field = files.field
    if fmt == "parquet":
        rows = (parent[1:split] + row[1:] + parent[split:] for parent, row in _merged(store, table, params))
        return _write_parquet(path, table.columns, rows, files.mode)
    n = 0
    last: tuple[Any, ...] | None = None
    head = tail = ""
    lines: list[str] = []
    with replacing(path, newline="", mode=files.mode) as fh:
        fh.write(",".join(names) + "\n")
        for parent, row in _merged(store, table, params):
            if parent is not last:
                last = parent
                head = ",".join(map(field, parent[1:split]))
                tail = ",".join(map(field, parent[split:]))
            lines.append(f"{head},{','.join(map(field, row[1:]))},{tail}")
            if len(lines) >= _BATCH:
                fh.write("\n".join(lines) + "\n")
                n += len(lines)
                lines.clear()
        if lines:
            fh.write("\n".join(lines) + "\n")
            n += len(lines)
    return Exported(path, n)


_NEEDS_QUOTES = re.compile(r'[",\r\n]')


def _field(value: Any) -> str:
    """One CSV field as the csv module writes it (quoted only when it has to be)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return f'"{value.replace(chr(34), chr(34) * 2)}"' if _NEEDS_QUOTES.search(value) else value
    return str(value)


def _agreement_table(records: list[dict[str, Any]], path: Path, fmt: str, files: _Files) -> Exported:
    if fmt == "parquet":
        import pandas as pd

        tmp = path.with_name(path.name + ".part")
        create_private(tmp, files.mode)
        pd.DataFrame(records, columns=list(AGREEMENT_COLUMNS)).to_parquet(tmp, index=False)
        os.replace(tmp, path)
        return Exported(path, len(records))
    safe = excel_cell if files.excel_safe else (lambda v: v)
    with replacing(path, newline="", mode=files.mode) as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(AGREEMENT_COLUMNS)
        writer.writerows([safe(rec[c]) for c in AGREEMENT_COLUMNS] for rec in records)
    return Exported(path, len(records))


def _write_parquet(path: Path, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[Any]],
                   mode: int = PRIVATE) -> Exported:
    """Row groups of ``_BATCH`` rows, each column typed from ``columns`` (int, float or text)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {"int": pa.int64(), "float": pa.float64(), "text": pa.string()}
    schema = pa.schema([(name, types[kind]) for name, kind in columns])
    n = 0
    tmp = path.with_name(path.name + ".part")
    try:
        create_private(tmp, mode)
        with pq.ParquetWriter(tmp, schema) as writer:
            for batch in _batches(iter(rows)):
                arrays = [pa.array(list(col), type=field.type)
                          for col, field in zip(zip(*batch, strict=True), schema, strict=True)]
                writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
                n += len(batch)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return Exported(path, n)


def _batches(rows: Iterable[Any]) -> Iterator[list[Any]]:
    it = iter(rows)
    while True:
        fetch = getattr(it, "fetchmany", None)
        batch = fetch(_BATCH) if fetch else [r for _, r in zip(range(_BATCH), it, strict=False)]
        if not batch:
            return
        yield batch


def _json(path: Path, data: Any, files: _Files | None = None) -> Exported:
    with replacing(path, mode=(files or _Files()).mode) as fh:
        json.dump(data, fh, indent=2, ensure_ascii=False, allow_nan=False)
        fh.write("\n")
    return Exported(path, len(data) if isinstance(data, list) else None)


def require_pyarrow() -> None:
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise RaterError(Problem("--format parquet needs the pyarrow package, which is not installed",
                                 field="format",
                                 fix="pip install pyarrow, or export CSV (the default)")) from None
