"""The rating rubric: axes, anchored scales and levels of measurement, read from YAML.

Every part of rater reads its axes from here, so adding an axis or changing
a scale is an edit to ``scenarios/rubric.yaml``, never to code. A rubric is
identified by the hash of its content (comments and formatting aside); the
store keeps each distinct content as a new version.

Nominal axes (``level: nominal``) list ``categories`` instead of a scale.
Scores stay numbers everywhere (the store, agreement, exports): category
``i`` (1-based, in the rubric's order) is stored as ``i``, and
``Axis.label(score)`` gives its name. Nothing may average, rank or take a
median of a nominal axis: check ``Axis.nominal``.

``question``, ``high_means`` and ``anchors_short`` are optional in the
format, so rubric versions stored before they existed still load; the
bundled rubric has them all (a test checks it, and their length).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rater import bundled
from rater.errors import Problem, RaterError
from rater.hashing import content_hash
from rater.rules import LEVELS
from rater.userfile import read_text
from rater.yamlsrc import Located, load_documents

SHORT_WORDS = 25  # the most words a question or a short anchor may have (the rating screen's one line)
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_AXIS_KEYS = {"id", "name", "key", "definition", "level", "scale", "anchors", "not_applicable",
              "examples", "question", "high_means", "anchors_short", "categories", "compare"}
COMPARE = ("samples", "counterparts")  # what a comparison axis is judged against (see rater.llm.judge)
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
    question: str = ""
    high_means: str = ""
    anchors_short: dict[int, str] = field(default_factory=dict)
    categories: tuple[str, ...] = ()   # nominal axes: category names, coded 1..k in this order
    compare: str | None = None         # "samples" or "counterparts": judged against sibling answers

    @property
    def values(self) -> list[int]:
        return list(range(self.low, self.high + 1))

    @property
    def nominal(self) -> bool:
        """Categories without order: no median, mean, bias or within-one on this axis."""
        return self.level == "nominal"

    def label(self, score: float | None) -> str:
        """How a stored score reads: the category name on a nominal axis, else the number; "" for N/A."""
        if score is None:
            return ""
        if self.categories and float(score).is_integer() and 1 <= score <= len(self.categories):
            return self.categories[int(score) - 1]
        return f"{score:g}"

    def code(self, label: str) -> int | None:
        """The stored number of a category name (nominal axes), None if it is not one."""
        wanted = label.strip().lower().replace("-", "_").replace(" ", "_")
        for i, name in enumerate(self.categories, 1):
            if name == wanted:
                return i
        return None

    @property
    def direction(self) -> str:
        """What the scale's top means, e.g. "5 = nothing invented"; nominal axes: "a category"."""
        if self.nominal:
            return "a category, no order"
        if self.high_means:
            return f"{self.high} = {self.high_means}"
        return f"higher is better ({self.high} best)"

    @property
    def title(self) -> str:
        """Name and direction, as screens show it: "Hallucination risk — 5 = nothing invented"."""
        return f"{self.name} — {self.direction}"

    def choice(self, score: int) -> str:
        """A key's meaning in one word or two: "3" or "2 over reaction"."""
        return f"{score} {self.label(score).replace('_', ' ')}" if self.categories else str(score)

    def short(self, score: float | None) -> str:
        """The one-line anchor of a score (the full anchor, when the rubric has no short one)."""
        if score is None:
            return self.not_applicable or ""
        point = int(score) if float(score).is_integer() else None
        if point is None:
            return "(between anchors)"
        return self.anchors_short.get(point) or self.anchors.get(point, "(between anchors)")

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
            if self.categories:
                codes = ", ".join(f"{i} {c}" for i, c in enumerate(self.categories, 1))
                return f"score {score:g} is not a category: {self.name} takes {codes}"
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


def _points(doc: Located, at: str, raw: Any, low: int, high: int, categories: tuple[str, ...],
            problems: list[Problem]) -> dict[int, str]:
    """Anchors keyed by scale point (or, on a nominal axis, by category name) as {point: text}."""
    out: dict[int, str] = {}
    if not isinstance(raw, dict):
        problems.append(doc.problem(at, "must map scale points to descriptions"))
        return out
    for key, text in raw.items():
        if categories:
            point = categories.index(key) + 1 if key in categories else None
            # Stored rubrics come back from JSON; a nominal axis may also be keyed by its codes.
            if point is None and str(key).isdigit() and 1 <= int(key) <= len(categories):
                point = int(key)
            if point is None:
                problems.append(doc.problem(f"{at}.{key}", f"{key!r} is not one of the categories",
                                            f"use: {', '.join(categories)}"))
                continue
        else:
            # Stored rubrics come back from JSON, where the points are strings.
            point = int(key) if isinstance(key, str) and key.isdigit() else key
            if not isinstance(point, int) or not low <= point <= high:
                problems.append(doc.problem(f"{at}.{point}",
                                            f"{point!r} is not a point on the {low}-{high} scale"))
                continue
        if not isinstance(text, str) or not text.strip():
            problems.append(doc.problem(f"{at}.{key}", "needs a description"))
        else:
            out[point] = " ".join(text.split())
    return out


def _parse_axis(doc: Located, i: int, raw: Any, problems: list[Problem]) -> Axis | None:
    at = f"axes[{i}]"
    if not isinstance(raw, dict):
        problems.append(doc.problem(at, "must be a mapping with id, name, definition, scale, anchors"))
        return None
    for key in sorted(set(raw) - _AXIS_KEYS):
        problems.append(doc.problem(f"{at}.{key}", "is not a rubric axis field",
                                    f"use only: {', '.join(sorted(_AXIS_KEYS))}"))
    level = raw.get("level", "ordinal")
    nominal = level == "nominal"
    for key in ("id", "name", "definition", "categories" if nominal else "scale", "anchors"):
        if key not in raw:
            problems.append(doc.problem(at, f"is missing '{key}'"))
    axis_id = raw.get("id")
    if axis_id is not None and (not isinstance(axis_id, str) or not _ID.match(axis_id)):
        problems.append(doc.problem(f"{at}.id", f"{axis_id!r} is not a valid axis id",
                                    "use lowercase letters, digits and _, starting with a letter"))
    if level not in LEVELS:
        problems.append(doc.problem(f"{at}.level", f"{level!r} is not a level of measurement",
                                    f"use one of {', '.join(LEVELS)}"))
    categories: tuple[str, ...] = ()
    if nominal:
        raw_cats = raw.get("categories")
        if (not isinstance(raw_cats, list) or len(raw_cats) < 2
                or not all(isinstance(c, str) and _ID.match(c) for c in raw_cats)
                or len(set(raw_cats)) != len(raw_cats)):
            problems.append(doc.problem(f"{at}.categories", "must list two or more distinct category names",
                                        "e.g. categories: [appropriate, over_reaction, under_reaction]"))
            return None
        if "scale" in raw:
            problems.append(doc.problem(f"{at}.scale", "a nominal axis has categories, not a scale",
                                        "remove scale: the categories are coded 1..k in their order"))
        categories = tuple(raw_cats)
        low, high = 1, len(categories)
    else:
        if "categories" in raw:
            problems.append(doc.problem(f"{at}.categories",
                                        f"only a nominal axis has categories, not {level}",
                                        "set level: nominal, or remove categories"))
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
    anchors = _points(doc, f"{at}.anchors", raw.get("anchors") or {}, low, high, categories, problems)
    required = set(range(low, high + 1)) if nominal else {low, (low + high) // 2, high}
    if isinstance(raw.get("anchors"), dict):
        for point in sorted(required - set(anchors)):
            what = f"category {categories[point - 1]!r}" if nominal else str(point)
            problems.append(doc.problem(f"{at}.anchors", f"has no anchor for {what}",
                                        "anchor every category" if nominal
                                        else "anchor at least the bottom, middle and top of the scale"))
    short: dict[int, str] = {}
    if raw.get("anchors_short") is not None:
        short = _points(doc, f"{at}.anchors_short", raw["anchors_short"], low, high, categories, problems)
        for point in sorted(set(range(low, high + 1)) - set(short)):
            what = categories[point - 1] if nominal else str(point)
            problems.append(doc.problem(f"{at}.anchors_short", f"has no short anchor for {what}",
                                        "give every point one line, or leave anchors_short out"))
    texts = {"question": raw.get("question"), "high_means": raw.get("high_means")}
    for key, value in texts.items():
        if value is not None and (not isinstance(value, str) or "\n" in value.strip()):
            problems.append(doc.problem(f"{at}.{key}", "must be one line of text"))
    if nominal and raw.get("high_means"):
        problems.append(doc.problem(f"{at}.high_means", "a nominal axis has no top of the scale",
                                    "remove high_means"))
    na = raw.get("not_applicable")
    compare = raw.get("compare")
    if compare is not None and compare not in COMPARE:
        problems.append(doc.problem(f"{at}.compare", f"{compare!r} is not what an axis compares with",
                                    f"use one of {', '.join(COMPARE)}, or leave it out"))
    elif compare is not None and not na:
        problems.append(doc.problem(f"{at}.compare",
                                    "an axis judged against siblings must allow not applicable",
                                    "add not_applicable: when there are no sibling answers to compare"))
    return Axis(
        id=str(axis_id), name=str(raw.get("name", axis_id)),
        definition=str(raw.get("definition", "")).strip(), level=str(level),
        low=low, high=high, anchors=dict(sorted(anchors.items())),
        not_applicable=str(na).strip() if na else None,
        key=raw.get("key"), examples=raw.get("examples") or {},
        question=str(texts["question"] or "").strip(), high_means=str(texts["high_means"] or "").strip(),
        anchors_short=dict(sorted(short.items())), categories=categories,
        compare=compare if compare in COMPARE else None,
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
