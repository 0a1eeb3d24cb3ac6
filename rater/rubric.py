"""The rating rubric: axes, anchored scales and levels of measurement, read from YAML.

Every part of rater reads its axes from here, so adding an axis or changing
a scale is an edit to ``scenarios/rubric.yaml``, never to code. A rubric is
identified by the hash of its content (comments and formatting aside); the
store keeps each distinct content as a new version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rater import bundled
from rater.errors import Problem, RaterError
from rater.hashing import content_hash
from rater.userfile import read_text
from rater.yamlsrc import Located, load_documents

LEVELS = ("nominal", "ordinal", "interval", "ratio")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_AXIS_KEYS = {"id", "name", "key", "definition", "level", "scale", "anchors", "not_applicable",
              "examples"}
_TOP_KEYS = {"name", "version", "scale_note", "axes"}


@dataclass(frozen=True)
class Axis:
    """One rubric axis. Scores are integers from ``low`` to ``high``; None means not applicable."""

    id: str
    name: str
    definition: str
    level: str
    low: int
    high: int
    anchors: dict[int, str]
    not_applicable: str | None = None
    key: str | None = None
    examples: dict[str, list[str]] = field(default_factory=dict)

    @property
    def values(self) -> list[int]:
        return list(range(self.low, self.high + 1))

    @property
    def allows_na(self) -> bool:
        return bool(self.not_applicable)

    def score_problem(self, score: float | None) -> str | None:
        """Why ``score`` is not valid on this axis, or None if it is."""
        if score is None:
            if self.allows_na:
                return None
            return f"may not be left empty: {self.name} is never 'not applicable'"
        if score != int(score) or not self.low <= score <= self.high:
            return f"score {score:g} is off the scale: {self.name} takes whole numbers {self.low}-{self.high}"
        return None


@dataclass(frozen=True)
class Rubric:
    name: str
    label: str
    axes: tuple[Axis, ...]
    content: dict[str, Any]
    hash: str

    @property
    def axis_ids(self) -> list[str]:
        return [a.id for a in self.axes]

    def axis(self, axis_id: str) -> Axis:
        for a in self.axes:
            if a.id == axis_id:
                return a
        raise KeyError(axis_id)

    def has_axis(self, axis_id: str) -> bool:
        return any(a.id == axis_id for a in self.axes)


def _parse_axis(doc: Located, i: int, raw: Any, problems: list[Problem]) -> Axis | None:
    at = f"axes[{i}]"
    if not isinstance(raw, dict):
        problems.append(doc.problem(at, "must be a mapping with id, name, definition, scale, anchors"))
        return None
    for key in sorted(set(raw) - _AXIS_KEYS):
        problems.append(doc.problem(f"{at}.{key}", "is not a rubric axis field",
                                    f"use only: {', '.join(sorted(_AXIS_KEYS))}"))
    for key in ("id", "name", "definition", "scale", "anchors"):
        if key not in raw:
            problems.append(doc.problem(at, f"is missing '{key}'"))
    axis_id = raw.get("id")
    if axis_id is not None and (not isinstance(axis_id, str) or not _ID.match(axis_id)):
        problems.append(doc.problem(f"{at}.id", f"{axis_id!r} is not a valid axis id",
                                    "use lowercase letters, digits and _, starting with a letter"))
    level = raw.get("level", "ordinal")
    if level not in LEVELS:
        problems.append(doc.problem(f"{at}.level", f"{level!r} is not a level of measurement",
                                    f"use one of {', '.join(LEVELS)}"))
    scale = raw.get("scale") or {}
    if not isinstance(scale, dict):
        problems.append(doc.problem(f"{at}.scale", f"{scale!r} is not a scale",
                                    "write scale: {min: 1, max: 5}"))
        return None
    low, high = scale.get("min", 1), scale.get("max", 5)
    if not (isinstance(low, int) and isinstance(high, int) and low < high):
        problems.append(doc.problem(f"{at}.scale", "needs whole numbers min < max",
                                    "for example scale: {min: 1, max: 5}"))
        return None
    anchors_raw = raw.get("anchors") or {}
    anchors: dict[int, str] = {}
    if not isinstance(anchors_raw, dict):
        problems.append(doc.problem(f"{at}.anchors", "must map scale points to descriptions"))
    else:
        for key, text in anchors_raw.items():
            # Stored rubrics come back from JSON, where the points are strings.
            point = int(key) if isinstance(key, str) and key.isdigit() else key
            if not isinstance(point, int) or not low <= point <= high:
                problems.append(doc.problem(f"{at}.anchors.{point}",
                                            f"{point!r} is not a point on the {low}-{high} scale"))
            elif not isinstance(text, str) or not text.strip():
                problems.append(doc.problem(f"{at}.anchors.{point}", "needs a description"))
            else:
                anchors[point] = text.strip()
        for point in {low, (low + high) // 2, high} - set(anchors):
            problems.append(doc.problem(f"{at}.anchors", f"has no anchor for {point}",
                                        "anchor at least the bottom, middle and top of the scale"))
    na = raw.get("not_applicable")
    return Axis(
        id=str(axis_id), name=str(raw.get("name", axis_id)),
        definition=str(raw.get("definition", "")).strip(), level=str(level),
        low=low, high=high, anchors=dict(sorted(anchors.items())),
        not_applicable=str(na).strip() if na else None,
        key=raw.get("key"), examples=raw.get("examples") or {},
    )


def parse_rubric(text: str, file: str) -> Rubric:
    """Parse and validate rubric YAML; every problem is reported with its line."""
    docs = load_documents(text, file)
    if len(docs) != 1 or not isinstance(docs[0].data, dict):
        raise RaterError(Problem("must hold exactly one YAML mapping with 'axes'", file, 1))
    return _build(docs[0])


def _build(doc: Located) -> Rubric:
    raw: dict[str, Any] = doc.data
    problems: list[Problem] = []
    for key in sorted(set(raw) - _TOP_KEYS):
        problems.append(doc.problem(key, "is not a rubric field",
                                    f"use only: {', '.join(sorted(_TOP_KEYS))}"))
    axes_raw = raw.get("axes")
    if not isinstance(axes_raw, list) or not axes_raw:
        problems.append(doc.problem("axes", "must be a non-empty list of axes"))
        raise RaterError(problems)
    axes = [a for i, r in enumerate(axes_raw) if (a := _parse_axis(doc, i, r, problems))]
    seen: set[str] = set()
    for i, a in enumerate(axes):
        if a.id in seen:
            problems.append(doc.problem(f"axes[{i}].id", f"axis {a.id!r} is defined twice"))
        seen.add(a.id)
    if problems:
        raise RaterError(problems)
    return Rubric(name=str(raw.get("name", "rubric")), label=str(raw.get("version", "")),
                  axes=tuple(axes), content=raw, hash=content_hash(raw))


def load_rubric(path: Path | None = None) -> Rubric:
    """The rubric at ``path``, or the bundled default."""
    path = path or bundled.rubric_path()
    try:
        text = read_text(path)  # the one user-file reader: UTF-8, regular files, bounded
    except FileNotFoundError:
        raise RaterError(Problem("rubric file not found", str(path), fix="check the path")) from None
    return parse_rubric(text, str(path))


def rubric_from_content(content: dict[str, Any], file: str = "<stored rubric>") -> Rubric:
    """Rebuild a Rubric from the JSON content a store kept (no YAML parse: it is on start-up)."""
    return _build(Located(content, file, 1))
