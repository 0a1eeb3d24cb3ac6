"""YAML that remembers where each value came from.

Scenario and rubric files are written by hand, so every validation message
must name the line. PyYAML's safe loader forgets positions once it builds
Python objects; this module keeps a map from a field path such as
``conversation[1].text`` to its 1-based line number, and reports duplicate
keys, which the safe loader would silently collapse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rater.errors import Problem, RaterError
from rater.userfile import MAX_DEPTH, parse_failure, read_text, value_problem


@dataclass
class Located:
    """One YAML document: its data and where each field path starts."""

    data: Any
    file: str
    line: int
    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, path: str) -> int:
        """The line of ``path``, or of its nearest enclosing field, or of the document."""
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return self.line

    def problem(self, path: str, message: str, fix: str | None = None) -> Problem:
        return Problem(message, file=self.file, line=self.line_of(path), field=path or None, fix=fix)


_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"


def _walk(node: yaml.Node, path: str, lines: dict[str, int], dupes: list[tuple[str, int]],
          keys: list[tuple[str, int]]) -> None:
    """Record each field path's line; collect duplicated keys and keys that are not text.

    Iterative: the composer already refused nesting deeper than MAX_DEPTH,
    but nothing here should depend on Python's recursion limit.
    """
    stack: list[tuple[yaml.Node, str]] = [(node, path)]
    while stack:
        node, path = stack.pop()
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                # Text keys everywhere; whole numbers below the top (a rubric's anchors 1..5).
                allowed = (_STR,) if not path else (_STR, _INT)
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in allowed:
                    keys.append((path or "(top level)", key_node.start_mark.line + 1))
                    continue
                key = str(key_node.value)
                child = f"{path}.{key}" if path else key
                if key in seen:
                    dupes.append((child, key_node.start_mark.line + 1))
                seen.add(key)
                lines[child] = key_node.start_mark.line + 1
                stack.append((value_node, child))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                stack.append((item, f"{path}[{i}]"))


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader that refuses aliases and deep nesting while composing.

    An alias (``*name``) is refused outright rather than expanded: a few
    hundred bytes of nested aliases ("billion laughs") expand to gigabytes,
    and no rater file needs one.
    """

    def __init__(self, text: str, file: str) -> None:
        super().__init__(text)
        self.file = file
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise RaterError(Problem("uses a YAML alias (*name), which rater does not expand",
                                     self.file, mark.line + 1,
                                     fix="write the value out in full where the alias is"))
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise RaterError(Problem(f"is nested more than {MAX_DEPTH} levels deep", self.file,
                                         mark.line + 1, fix="check the indentation"))
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def load_documents(text: str, file: str) -> list[Located]:
    """Parse every ``---``-separated document in ``text``.

    Raises RaterError naming the file and line for a syntax error, a
    duplicated key, a key that is not text, an alias, deep nesting, a NUL or
    a number too large to store. Empty documents are skipped.
    """
    docs: list[Located] = []
    problems: list[Problem] = []
    try:
        loader = _Loader(text, file)  # the reader refuses NUL and other control characters here
    except yaml.YAMLError as exc:
        raise RaterError(Problem(f"is not valid YAML text: {exc}".replace("\n", " "), file,
                                 fix="remove control characters (such as NUL) from the file")) from None
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            lines: dict[str, int] = {}
            dupes: list[tuple[str, int]] = []
            keys: list[tuple[str, int]] = []
            _walk(node, "", lines, dupes, keys)
            for path, line in dupes:
                problems.append(
                    Problem("appears twice in the same document", file, line, path,
                            "keep one of the two; YAML would silently use the last")
                )
            for path, line in keys:
                problems.append(Problem("has a key that is not text (a number, a date, true/false, "
                                        "null, a list or a mapping)", file, line, path,
                                        "write each key as a word, e.g. title: ..."))
            if keys:
                continue
            line = node.start_mark.line + 1
            try:
                data = loader.construct_document(node)
            except ValueError as exc:  # an integer of thousands of digits
                raise RaterError(Problem(f"holds a value that cannot be read ({parse_failure(exc)})",
                                         file, line, fix="check the numbers in this document")) from None
            why = value_problem(data)
            if why:
                problems.append(Problem(why, file, line, fix="check this document's values"))
                continue
            docs.append(Located(data, file, line, lines))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise RaterError(
            Problem(f"is not valid YAML: {exc.problem or exc}", file,
                    mark.line + 1 if mark else None,
                    fix="check indentation, and quote text that contains ': ' "
                        "or starts with [, {, *, &, ! or %")
        ) from None
    except yaml.YAMLError as exc:  # the reader: a NUL or another character YAML does not allow
        raise RaterError(Problem(f"is not valid YAML text: {exc}".replace("\n", " "), file,
                                 fix="remove control characters (such as NUL) from the file")) from None
    finally:
        loader.dispose()
    if problems:
        raise RaterError(problems)
    return docs


def load_file(path: Path) -> list[Located]:
    """Read and parse a YAML file through the one user-file reader (see ``rater.userfile``)."""
    try:
        text = read_text(path)
    except FileNotFoundError:
        raise RaterError(Problem("file not found", str(path), fix="check the path")) from None
    return load_documents(text, str(path))
