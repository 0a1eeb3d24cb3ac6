"""The one reader for every file a user hands rater: CSV, JSONL, YAML, TOML, JSON and prompts.

Each loader gets the same guarantees and the same clear errors, naming the
file and, where it helps, the byte offset or line:

- only a regular file is read: a folder, a FIFO (which would block forever),
  a device or a socket is refused before it is opened for reading, and a
  symlink loop is named as one;
- the text is UTF-8, with or without a byte-order mark; anything else (a
  Latin-1 export, UTF-16) is an error giving the offset of the first byte
  that is not UTF-8, never a guess;
- a whole-file read is bounded (``MAX_DOCUMENT_BYTES``); a streamed table
  (CSV, JSONL) is read line by line with each line bounded, so memory does
  not grow with the file;
- ``check_values`` refuses what Python would otherwise carry silently into
  the database or a crash: nesting deeper than ``MAX_DEPTH``, integers out
  of SQLite's range, NUL characters.
"""

from __future__ import annotations

import codecs
import errno
import math
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rater.errors import Problem, RaterError

MAX_DOCUMENT_BYTES = 16 * 1024 * 1024    # a rubric, scenario, panel, prompt or calibration file
MAX_LINE_CHARS = 64 * 1024 * 1024        # one line (or CSV record's line) of a streamed table
MAX_DEPTH = 32                           # nesting of lists and mappings in any document
INT_RANGE = 2**63                        # SQLite's INTEGER: beyond it a value cannot be stored
CHUNK = 1 << 20

_KINDS = ((stat.S_ISDIR, "is a folder, not a file"), (stat.S_ISFIFO, "is a named pipe (FIFO), not a file"),
          (stat.S_ISCHR, "is a device, not a file"), (stat.S_ISBLK, "is a device, not a file"),
          (stat.S_ISSOCK, "is a socket, not a file"))


def _refuse(path: Path, message: str, fix: str = "check the path") -> RaterError:
    return RaterError(Problem(message, str(path), fix=fix))


def open_regular(path: Path) -> int:
    """A read-only descriptor for ``path``, which must be a regular file; RaterError otherwise.

    Opened non-blocking and checked with fstat on the descriptor itself, so a
    FIFO never blocks and a file swapped after a check is still caught. A
    missing file raises FileNotFoundError, so each caller can say which file
    it expected and where it belongs.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise _refuse(path, "is a folder, not a file") from None
    except PermissionError:
        raise _refuse(path, "cannot be read (permission denied)",
                      "check the file's permissions") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _refuse(path, "is a symbolic link that loops (it points back to itself)",
                          "point the link at a real file, or pass the file itself") from None
        raise _refuse(path, f"cannot be opened ({exc.strerror})") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        what = next((m for test, m in _KINDS if test(mode)), "is not a regular file")
        raise _refuse(path, what, "pass a regular file (export the data to a .csv, .jsonl or .yaml "
                                  "file first)")
    os.set_blocking(fd, True)
    return fd


def _not_utf8(path: Path, offset: int, byte: int, line: int | None) -> RaterError:
    where = f" (line {line})" if line else ""
    return RaterError(Problem(f"is not UTF-8 text: byte 0x{byte:02x} at offset {offset}{where}",
                              str(path), line,
                              fix="save the file as UTF-8 (in Excel: CSV UTF-8; in an editor: "
                                  "Save with encoding UTF-8)"))


def read_text(path: Path, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> str:
    """The whole text of a small user file: regular, UTF-8 (a BOM is dropped), at most ``max_bytes``."""
    fd = open_regular(path)
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _refuse(path, f"is larger than {max_bytes // (1024 * 1024)} MB, which is more than "
                            "any file of this kind needs", "check that this is the right file")
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        at = bom + exc.start
        raise _not_utf8(path, at, data[at], data.count(b"\n", 0, at) + 1) from None


def iter_lines(path: Path) -> Iterator[str]:
    """The lines of a user file, each ending with its '\\n' (the last may not), streamed.

    Lines split on '\\n' only (a '\\r' before it stays, as csv expects with
    newline=''); a UTF-8 BOM at the start is dropped; a byte that is not
    UTF-8 is a RaterError with its file offset and line.
    """
    fd = open_regular(path)
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    offset = 0          # bytes consumed before the current chunk
    line_no = 1
    pending = ""
    first = True
    with os.fdopen(fd, "rb") as fh:
        while True:
            chunk = fh.read(max(CHUNK, len(codecs.BOM_UTF8)) if first else CHUNK)
            eof = not chunk  # before a BOM is cut off: a chunk that was only the BOM is not the end
            if first:
                if chunk.startswith(codecs.BOM_UTF8):
                    chunk = chunk[len(codecs.BOM_UTF8):]
                    offset = len(codecs.BOM_UTF8)
                first = False
            try:
                text = decoder.decode(chunk, final=eof)
            except UnicodeDecodeError as exc:
                bad = exc.object[exc.start] if exc.start < len(exc.object) else 0
                # exc.start counts from the bytes the decoder held over plus this chunk.
                held = len(exc.object) - len(chunk)
                at = offset - held + exc.start
                raise _not_utf8(path, at, bad,
                                line_no + bytes(exc.object[:exc.start]).count(b"\n")) from None
            offset += len(chunk)
            parts = text.split("\n")  # only the new text: a long line is not split again and again
            if len(parts) > 1:
                parts[0] = pending + parts[0]
                pending = parts.pop()
                for part in parts:
                    line_no += 1
                    yield part + "\n"
            else:
                pending += text
            if len(pending) > MAX_LINE_CHARS:
                raise RaterError(Problem(f"has a line longer than {MAX_LINE_CHARS // (1024 * 1024)} "
                                         "million characters", str(path), line_no,
                                         fix="check that this is the right file"))
            if eof:
                break
    if pending:
        yield pending


def parse_failure(exc: BaseException) -> str:
    """Why a parser gave up, in a few words: nesting past the stack, or its own first clause
    (an integer of thousands of digits says so before its advice)."""
    return "nested too deeply" if isinstance(exc, RecursionError) else str(exc).split(";")[0]


def value_problem(value: Any, depth: int = 0) -> str | None:
    """Why a parsed value (from YAML, JSON or TOML) cannot be taken in, or None.

    Iterative, so a value nested past Python's recursion limit is reported,
    not a RecursionError.
    """
    stack: list[tuple[Any, int]] = [(value, depth)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list | tuple):
            if level >= MAX_DEPTH:
                return f"is nested more than {MAX_DEPTH} levels deep"
            children = list(item.items()) if isinstance(item, dict) else [(None, v) for v in item]
            for key, child in children:
                if key is not None:
                    stack.append((key, level + 1))
                stack.append((child, level + 1))
        elif isinstance(item, bool):
            continue
        elif isinstance(item, int):
            if not -INT_RANGE <= item < INT_RANGE:
                return "holds a whole number too large to store (more than 19 digits)"
        elif isinstance(item, float):
            if math.isnan(item):
                continue  # each field's own check says whether nan is allowed
        elif isinstance(item, str) and "\x00" in item:
            return "holds a NUL character (\\0)"
    return None
