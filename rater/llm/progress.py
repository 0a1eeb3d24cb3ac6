"""Progress on stderr while a run goes: counts, failures, rate, ETA and cost so far.

On a terminal it is one line redrawn in place (at most a few times a
second); otherwise, as in a log file or CI, a plain line every 10% of the
work or every 15 seconds. Nothing here is parsed by machines; the summary
at the end is what a user copies into a lab notebook.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import TextIO


def duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def money(cost: float, unknown: int) -> str:
    if unknown and not cost:
        return "unknown (not in litellm's cost map)"
    text = f"${cost:.4f}" if cost < 1 else f"${cost:,.2f}"
    return text + (f" (+{unknown} calls of unknown cost)" if unknown else "")


@dataclass
class Progress:
    """Counts one run's calls as they finish and draws the progress line."""

    label: str
    total: int
    stream: TextIO = field(default_factory=lambda: sys.stderr)
    ok: int = 0
    failed: int = 0
    skipped: int = 0          # not attempted: their model or judge was stopped
    cost: float = 0.0
    unknown_cost: int = 0
    calls: int = 0            # HTTP requests made, retries included
    started: float = field(default_factory=time.monotonic)
    _last_draw: float = 0.0
    _last_count: int = 0

    def __post_init__(self) -> None:
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    @property
    def done(self) -> int:
        return self.ok + self.failed + self.skipped

    def add(self, ok: bool, cost: float | None, calls: int) -> None:
        if ok:
            self.ok += 1
        else:
            self.failed += 1
        self.calls += calls
        if cost is None:
            self.unknown_cost += calls > 0
        else:
            self.cost += cost
        self.draw()

    def skip(self, n: int) -> None:
        self.skipped += n
        self.draw(force=True)

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        left = self.total - self.done
        eta = duration(left / rate) if rate > 0 and left else ("0s" if not left else "?")
        width = 24
        filled = int(width * self.done / self.total) if self.total else width
        bar = "#" * filled + "." * (width - filled)
        failed = f"  failed {self.failed}" if self.failed else ""
        skipped = f"  skipped {self.skipped}" if self.skipped else ""
        return (f"{self.label} [{bar}] {self.done}/{self.total}  ok {self.ok}{failed}{skipped}  "
                f"{rate:.1f}/s  ETA {eta}  cost {money(self.cost, self.unknown_cost)}")

    def draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.tty:
            if force or now - self._last_draw >= 0.2 or self.done == self.total:
                self.stream.write("\r\x1b[2K" + self.line())
                self.stream.flush()
                self._last_draw = now
            return
        step = max(1, self.total // 10)
        if force or self.done == self.total or self.done - self._last_count >= step or (
                now - self._last_draw >= 15 and self.done > self._last_count):
            self.stream.write(self.line() + "\n")
            self.stream.flush()
            self._last_draw, self._last_count = now, self.done

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()

    def elapsed(self) -> float:
        return time.monotonic() - self.started
