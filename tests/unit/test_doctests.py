"""The docstring examples of the study's modules run as tests (they are the spec of those functions)."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("name", ["rater.stats.plan", "rater.study", "rater.rating"])
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0 and result.attempted > 0
