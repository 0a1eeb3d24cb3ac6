"""The examples in docstrings run, so they cannot drift from the code (stats, the study, literal, the JSON scan, exports)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import rater

# The terminal app's modules import Textual; their behaviour is tested through Pilot instead.
MODULES = sorted(m.name for m in pkgutil.walk_packages(rater.__path__, "rater.")
                 if not m.name.startswith("rater.ui") and m.name != "rater.__main__")


def test_the_doctests_cover_the_statistics() -> None:
    with_examples = [name for name in MODULES if _examples(name)]
    assert {"rater.stats.alpha", "rater.stats.plan", "rater.stats.ppi", "rater.study", "rater.literal",
            "rater.llm.jsonscan", "rater.exports"} <= set(with_examples)


def _examples(name: str) -> int:
    module = importlib.import_module(name)
    return sum(len(t.examples) for t in doctest.DocTestFinder().find(module))


@pytest.mark.parametrize("name", [n for n in MODULES if n.startswith(("rater.stats", "rater.literal",
                                                                      "rater.llm.jsonscan", "rater.exports",
                                                                      "rater.tabular", "rater.userfile",
                                                                      "rater.study", "rater.rating"))])
def test_doctests(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} doctest examples failed in {name}"
