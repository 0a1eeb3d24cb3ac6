"""Finding the JSON objects in a judge's reply, in time linear in the reply.

A judge that ignores the schema wraps its verdict in prose or code fences,
so every top-level ``{...}`` in the text is a candidate. Trying
``json.JSONDecoder.raw_decode`` at every ``{`` is quadratic: each failed
attempt builds an error whose line number is counted from the start of the
text (200,000 characters of ``{"`` took 5 s; 50 MB never finished), and deep
nesting raised RecursionError. Here one pass pairs the braces (skipping those
inside strings) into a tree of spans; the outermost spans are parsed, and
only where one is not JSON (prose in braces, an unclosed brace) are the
spans inside it tried. No span nested more than ``MAX_DEPTH`` deep is
parsed, so no character is parsed more than ``MAX_DEPTH`` times.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64    # braces nested deeper than this are not a judge's verdict
_TOKEN = re.compile(r'\\.|[{}"]', re.DOTALL)

# A span: [start, end, deepest nesting inside it (1 = no inner braces), the spans directly inside]
Span = list[Any]


def json_objects(text: str) -> list[dict[str, Any]]:
    """Every top-level JSON object in ``text``, in order (code fences and prose around them ignored).

    >>> json_objects('a {"x": {"y": 1}} b {"z": "}"} {broken')
    [{'x': {'y': 1}}, {'z': '}'}]
    >>> json_objects('prose {not json {"s": 2} } and {{ {"t": 3}')
    [{'s': 2}, {'t': 3}]
    """
    found: list[dict[str, Any]] = []
    work = list(reversed(_spans(text)))
    while work:
        start, end, deepest, inside = work.pop()
        if deepest <= MAX_DEPTH:
            value = _parse(text[start:end])
            if isinstance(value, dict):
                found.append(value)
                continue
        work.extend(reversed(inside))
    return found


def _spans(text: str) -> list[Span]:
    """The outermost balanced ``{...}`` spans, and those inside braces that never close, in order."""
    top: list[Span] = []
    open_: list[Span] = []   # braces not closed yet, outermost first
    in_string = False
    for match in _TOKEN.finditer(text):
        token = match.group()
        if not open_:
            if token == "{" or token == "\\{":
                open_.append([match.end() - 1, -1, 1, []])
                in_string = False
            continue
        if in_string:
            in_string = token != '"'   # an escaped quote arrives as one '\\"' token
        elif token == '"':
            in_string = True
        elif token == "{":
            open_.append([match.start(), -1, 1, []])
        elif token == "}":
            span = open_.pop()
            span[1] = match.end()
            parent = open_[-1] if open_ else None
            if parent is None:
                top.append(span)
            else:
                parent[2] = max(parent[2], span[2] + 1)
                parent[3].append(span)
    for unclosed in open_:  # outermost first: their inner spans come in text order
        top.extend(unclosed[3])
    return top


def _parse(span: str) -> Any:
    try:
        return json.loads(span)
    except (ValueError, RecursionError):
        return None
