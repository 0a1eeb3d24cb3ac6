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


def _walk(node: yaml.Node, path: str, lines: dict[str, int], dupes: list[tuple[str, int]]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = f"{path}.{key}" if path else key
            if key in seen:
                dupes.append((child, key_node.start_mark.line + 1))
            seen.add(key)
            lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, lines, dupes)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, f"{path}[{i}]", lines, dupes)


def load_documents(text: str, file: str) -> list[Located]:
    """Parse every ``---``-separated document in ``text``.

    Raises RaterError naming the file and line for a syntax error or a
    duplicated key. Empty documents are skipped.
    """
    loader = yaml.SafeLoader(text)
    docs: list[Located] = []
    problems: list[Problem] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            lines: dict[str, int] = {}
            dupes: list[tuple[str, int]] = []
            _walk(node, "", lines, dupes)
            for path, line in dupes:
                problems.append(
                    Problem("appears twice in the same document", file, line, path,
                            "keep one of the two; YAML would silently use the last")
                )
            data = loader.construct_document(node)
            docs.append(Located(data, file, node.start_mark.line + 1, lines))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise RaterError(
            Problem(f"is not valid YAML: {exc.problem or exc}", file,
                    mark.line + 1 if mark else None,
                    fix="check indentation, and quote text that contains ': ' "
                        "or starts with [, {, *, &, ! or %")
        ) from None
    finally:
        loader.dispose()
    if problems:
        raise RaterError(problems)
    return docs


def load_file(path: Path) -> list[Located]:
    """Read and parse a YAML file; a missing or unreadable file is a RaterError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RaterError(Problem("file not found", str(path), fix="check the path")) from None
    except UnicodeDecodeError as exc:
        raise RaterError(Problem(f"is not UTF-8 text ({exc.reason})", str(path),
                                 fix="save the file as UTF-8")) from None
    return load_documents(text, str(path))
