"""Reading tidy CSV and JSONL files row by row, with the line each row starts on."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from rater.errors import Problem, RaterError

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def cell_text(value: Any) -> str:
    """A cell as stripped text; a missing value (None) is empty."""
    return "" if value is None else str(value).strip()


def cell_score(value: Any) -> float | str | None:
    """A score cell as a finite number, None when empty, or why it is not one (a message)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return f"{value!r} is not a score"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return f"{value!r} is not a number"
    return number if math.isfinite(number) else f"{value!r} is not a finite number"


def file_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise RaterError(Problem(f"has an unknown extension {path.suffix!r}", str(path),
                                 fix="use a .csv file with a header row, or .jsonl (one JSON object a line)"))
    return fmt


def read_rows(path: Path, required: Sequence[str], optional: Sequence[str] = ()
              ) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line, row) for each record; raise RaterError for structural problems.

    ``required`` columns must be present (their values may still be empty);
    other columns than ``required`` and ``optional`` are errors, since a
    misspelt column name would otherwise be silently ignored.
    """
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "file not found"
        raise RaterError(Problem(what, str(path), fix="check the path"))
    fmt = file_format(path)
    known = set(required) | set(optional)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        try:
            if fmt == "csv":
                yield from _csv_rows(fh, path, required, known)
            else:
                yield from _jsonl_rows(fh, path, required, known)
        except UnicodeDecodeError as exc:
            raise RaterError(Problem(f"is not UTF-8 text ({exc.reason})", str(path),
                                     fix="save the file as UTF-8")) from None


def _columns_problem(path: Path, line: int, present: set[str], required: Sequence[str],
                     known: set[str]) -> Problem | None:
    missing = [c for c in required if c not in present]
    extra = sorted(present - known)
    if not missing and not extra:
        return None
    parts = []
    if missing:
        parts.append(f"missing column(s) {', '.join(missing)}")
    if extra:
        parts.append(f"unknown column(s) {', '.join(extra)}")
    return Problem("; ".join(parts), str(path), line,
                   fix=f"the columns are {', '.join(required)}"
                   + (f" (optional: {', '.join(sorted(known - set(required)))})"
                      if known - set(required) else ""))


def _csv_rows(fh: Any, path: Path, required: Sequence[str], known: set[str]
              ) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.reader(fh)
    try:
        header = next(reader)
    except StopIteration:
        raise RaterError(Problem("is empty", str(path), fix="the first line is the header row")) from None
    header = [h.strip() for h in header]
    problem = _columns_problem(path, 1, set(header), required, known)
    if problem:
        raise RaterError(problem)
    start = reader.line_num + 1
    for record in reader:
        line = start
        start = reader.line_num + 1
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            raise RaterError(Problem(f"has {len(record)} fields but the header has {len(header)}",
                                     str(path), line,
                                     fix="quote fields that contain commas or line breaks"))
        yield line, dict(zip(header, record, strict=True))


def _jsonl_rows(fh: Any, path: Path, required: Sequence[str], known: set[str]
                ) -> Iterator[tuple[int, dict[str, Any]]]:
    for line, text in enumerate(fh, start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RaterError(Problem(f"is not valid JSON ({exc.msg} at column {exc.colno})",
                                     str(path), line,
                                     fix="each line must be one complete JSON object")) from None
        if not isinstance(row, dict):
            raise RaterError(Problem("is not a JSON object", str(path), line,
                                     fix='write {"column": value, ...} on each line'))
        problem = _columns_problem(path, line, set(row), required, known)
        if problem:
            raise RaterError(problem)
        yield line, row
