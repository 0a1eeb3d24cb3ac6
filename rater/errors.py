"""Errors a user can act on: each names where the problem is and how to fix it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is, what it is, and the fix."""

    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None
    fix: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "") + ": "
        elif self.line:
            where = f"line {self.line}: "
        field = f"{self.field}: " if self.field else ""
        fix = f" Fix: {self.fix}" if self.fix else ""
        return f"{where}{field}{self.message}{fix}"


class RaterError(Exception):
    """Raised for bad input; the CLI prints it without a traceback and exits 2.

    Carries every problem found, so a user fixes a file in one pass rather
    than one error per run.
    """

    def __init__(self, problems: Problem | str | Iterable[Problem]) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)

    @classmethod
    def capped(cls, problems: Iterable[Problem], *after: Problem, limit: int = 25) -> RaterError:
        """An error listing at most ``limit`` problems ("... and N more"), then ``after``."""
        problems = list(problems)
        shown = problems[:limit]
        if len(problems) > limit:
            shown.append(Problem(f"... and {len(problems) - limit} more problems"))
        return cls([*shown, *after])
