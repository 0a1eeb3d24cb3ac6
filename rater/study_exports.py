"""The study's own export tables: adjudicated references, skips and the study design.

Written by `rater export` beside ratings.csv when the database has any (a
database without a study exports exactly what it did before). CSV fields are
written as the other tables write them; ``fmt="parquet"`` writes Parquet.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rater.atomic import replacing
from rater.exports import _SCORE

if TYPE_CHECKING:
    from rater.exports import Exported, _Files
    from rater.store import Store


TABLES: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "adjudications": (f"""
        SELECT a.id, a.response_id, p.scenario_id, p.model, r.name, a.axis, {_SCORE.format('a.score')},
               a.rationale, a.source, a.created_at, a.updated_at
        FROM adjudications a JOIN raters r ON r.id = a.adjudicator_id
        JOIN responses p ON p.id = a.response_id ORDER BY a.id""",
        (("adjudication_id", "int"), ("response_id", "text"), ("scenario_id", "text"), ("model", "text"),
         ("adjudicator", "text"), ("axis", "text"), ("score", "float"), ("rationale", "text"),
         ("source", "text"), ("created_at", "text"), ("updated_at", "text"))),
    "skips": ("""
        SELECT k.id, r.name, k.response_id, p.scenario_id, p.model, k.reason, k.note, k.created_at,
               EXISTS (SELECT 1 FROM ratings g WHERE g.rater_id = k.rater_id
                       AND g.response_id = k.response_id)
        FROM skips k JOIN raters r ON r.id = k.rater_id JOIN responses p ON p.id = k.response_id
        ORDER BY k.id""",
        (("skip_id", "int"), ("rater", "text"), ("response_id", "text"), ("scenario_id", "text"),
         ("model", "text"), ("reason", "text"), ("note", "text"), ("created_at", "text"),
         ("rated_after_all", "int"))),
    "study": ("""
        SELECT s.study_id, s.response_id, p.scenario_id, p.model, s.stratum, s.family, s.inclusion_prob,
               1.0 / s.inclusion_prob, (SELECT group_concat(r.name, ';') FROM assignments a
               JOIN raters r ON r.id = a.rater_id
               WHERE a.study_id = s.study_id AND a.response_id = s.response_id),
               s.added_at
        FROM study_answers s JOIN responses p ON p.id = s.response_id ORDER BY s.study_id, s.response_id""",
        (("study_id", "int"), ("response_id", "text"), ("scenario_id", "text"), ("model", "text"),
         ("stratum", "text"), ("family", "text"), ("inclusion_prob", "float"), ("weight", "float"),
         ("raters", "text"), ("added_at", "text"))),
}


def export_study_tables(store: Store, out: Path, fmt: str, files: _Files) -> list[Exported]:
    """Write each non-empty table of :data:`TABLES` to ``out`` as ``files`` says (permissions,
    spreadsheet-safe cells); returns what was written."""
    from rater.exports import Exported, _write_parquet

    written = []
    for name, (sql, columns) in TABLES.items():
        rows = store.conn.execute(sql).fetchall()
        if not rows:
            continue
        path = out / f"{name}.{fmt}"
        plain = [tuple(r) for r in rows]
        if fmt == "parquet":
            written.append(_write_parquet(path, columns, plain, files.mode))
            continue
        with replacing(path, newline="", mode=files.mode) as fh:
            fh.write(",".join(c for c, _ in columns) + "\n")
            for row in plain:
                fh.write(",".join(map(files.field, row)) + "\n")
        written.append(Exported(path, len(plain)))
    return written
