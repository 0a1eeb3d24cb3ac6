"""Files that appear only once complete, readable by their owner only unless asked.

A crash mid-write never leaves half an export. What rater writes holds
clinical material and clinicians' names, so files are created 0600 (owner
read and write) whatever the umask; a caller passes another ``mode`` when
the user asks to share them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

PRIVATE = 0o600


def create_private(path: Path, mode: int = PRIVATE) -> None:
    """Create (or truncate) ``path`` empty with exactly ``mode``, before anything is written to it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0), mode)
    try:
        os.fchmod(fd, mode)  # the umask may have removed bits the caller asked for
    finally:
        os.close(fd)


@contextmanager
def replacing(path: Path, newline: str | None = None, mode: int = PRIVATE) -> Iterator[IO[str]]:
    """Write to ``path.part`` (created with ``mode``), then rename over ``path`` only if writing finished."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    try:
        create_private(tmp, mode)
        with tmp.open("w", encoding="utf-8", newline=newline) as fh:
            yield fh
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
