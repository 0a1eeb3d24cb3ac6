"""Reading tidy CSV and JSONL files row by row, with the line each row starts on.

Files come through ``rater.userfile`` (regular files only, UTF-8, bounded
lines), and every cell through one of three readers: ``cell_text`` for
free text, ``cell_id`` for ids and names, ``cell_score`` for scores.
"""

from __future__ import annotations

import csv
import json
import math
import re
import unicodedata
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from rater.errors import Problem, RaterError
from rater.userfile import MAX_LINE_CHARS, iter_lines, parse_failure, value_problem

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
# A score as people write it: ASCII digits, an optional minus and decimals. Not what float()
# also takes: '３' and '٣' (other scripts' digits), '0_3', '+3', '1e0', ' inf'.
_SCORE = re.compile(r"-?[0-9]{1,6}(\.[0-9]{1,6})?")


def cell_text(value: Any) -> str:
    """A cell as stripped text; a missing value (None) is empty."""
    return "" if value is None else str(value).strip()


def cell_id(value: Any) -> str | Problem:
    """An id or a name as stripped text, or why it cannot be one (a Problem without a place).

    Control characters (line breaks, tabs, escape sequences), bidi
    overrides and isolates, and byte-order marks are refused: an id must
    compare equal to what a person types and show as what it is. (Joiners
    stay: Persian names need the zero-width non-joiner.)
    """
    raw = "" if value is None else str(value)
    found = _NOT_IN_IDS.search(raw)
    if found:
        bad = found.group()
        name = _CONTROL_NAMES.get(bad) or unicodedata.name(bad, f"U+{ord(bad):04X}")
        return Problem(f"{raw!r} holds a control character ({name})",
                       fix="remove line breaks, tabs and other invisible characters from ids and names")
    return raw.strip()


# Controls (Unicode category Cc), line and paragraph separators, bidi marks, overrides and isolates, BOM.
_NOT_IN_IDS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_CONTROL_NAMES = {"\n": "LINE FEED", "\r": "CARRIAGE RETURN", "\t": "TAB", "\x1b": "ESCAPE",
                  "\x00": "NUL"}


def cell_score(value: Any) -> float | str | None:
    """A score cell as a finite number, None when empty, or why it is not one (a message)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return f"{value!r} is not a score"
    if isinstance(value, int):
        return float(value) if abs(value) < 10**6 else f"{value!r} is not a score on any scale"
    if isinstance(value, float):
        return value if math.isfinite(value) else f"{value!r} is not a finite number"
    if not isinstance(value, str):
        return f"{value!r} is not a number"
    text = value.strip()
    if text.lower() in ("nan", "inf", "-inf", "infinity", "+inf"):
        return f"{value!r} is not a finite number"
    if not _SCORE.fullmatch(text):
        return f"{value!r} is not a number"
    return float(text)


def file_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise RaterError(Problem(f"has an unknown extension {path.suffix!r}", str(path),
                                 fix="use a .csv file with a header row, or .jsonl (one JSON object a line)"))
    return fmt


def read_rows(path: Path, required: Sequence[str], optional: Sequence[str] = (), *,
              nested: bool = False) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line, row) for each record; raise RaterError for structural problems.

    ``required`` columns must be present (their values may still be empty);
    other columns than ``required`` and ``optional`` are errors, since a
    misspelt column name would otherwise be silently ignored. JSONL values
    that are lists or objects are refused unless ``nested`` (scenario files,
    whose lists are lists).
    """
    fmt = file_format(path)
    known = set(required) | set(optional)
    if not path.exists() and not path.is_symlink():
        raise RaterError(Problem("file not found", str(path), fix="check the path"))
    lines = iter_lines(path)
    if fmt == "csv":
        yield from _csv_rows(lines, path, required, known)
    else:
        yield from _jsonl_rows(lines, path, required, known, nested)


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


def _csv_rows(lines: Iterator[str], path: Path, required: Sequence[str], known: set[str]
              ) -> Iterator[tuple[int, dict[str, Any]]]:
    # A long answer is one cell: csv's default cap (131,072 characters) would refuse it.
    csv.field_size_limit(MAX_LINE_CHARS)
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        raise RaterError(Problem("is empty", str(path), fix="the first line is the header row")) from None
    except csv.Error as exc:
        raise RaterError(Problem(f"is not a CSV file ({exc})", str(path), 1,
                                 fix="the first line is the header row")) from None
    header = [h.strip() for h in header]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise RaterError(Problem(f"column(s) {', '.join(map(repr, dupes))} appear more than once",
                                 str(path), 1, fix="keep one column of each name"))
    problem = _columns_problem(path, 1, set(header), required, known)
    if problem:
        raise RaterError(problem)
    start = reader.line_num + 1
    while True:
        line = start
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise RaterError(Problem(f"is not valid CSV ({exc})", str(path), line,
                                     fix="quote fields that contain commas, quotes or line breaks")) from None
        start = reader.line_num + 1
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            raise RaterError(Problem(f"has {len(record)} fields but the header has {len(header)}",
                                     str(path), line,
                                     fix="quote fields that contain commas or line breaks"))
        yield line, dict(zip(header, record, strict=True))


def _jsonl_rows(lines: Iterator[str], path: Path, required: Sequence[str], known: set[str],
                nested: bool) -> Iterator[tuple[int, dict[str, Any]]]:
    for line, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RaterError(Problem(f"is not valid JSON ({exc.msg} at column {exc.colno})",
                                     str(path), line,
                                     fix="each line must be one complete JSON object")) from None
        except (ValueError, RecursionError) as exc:  # a number of 5,000 digits; nesting past the stack
            raise RaterError(Problem(f"is not usable JSON ({parse_failure(exc)})", str(path), line,
                                     fix="each line must be one flat JSON object")) from None
        if not isinstance(row, dict):
            raise RaterError(Problem("is not a JSON object", str(path), line,
                                     fix='write {"column": value, ...} on each line'))
        problem = _columns_problem(path, line, set(row), required, known)
        if problem:
            raise RaterError(problem)
        for key, value in row.items():
            if not nested and isinstance(value, list | dict):
                raise RaterError(Problem(f"holds a {'list' if isinstance(value, list) else 'JSON object'}",
                                         str(path), line, key,
                                         fix="write text or a number in each column"))
            why = value_problem(value)
            if why:
                raise RaterError(Problem(why, str(path), line, key, fix="check this value"))
        yield line, row
