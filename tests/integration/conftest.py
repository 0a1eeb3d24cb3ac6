from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.fake_openai import FakeOpenAI


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    """An OpenAI-compatible chat server on 127.0.0.1 that counts and scripts its answers."""
    with FakeOpenAI() as s:
        yield s
