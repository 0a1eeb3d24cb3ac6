from __future__ import annotations

from pathlib import Path

import pytest

from rater.importers import import_responses, import_scenarios
from rater.rubric import load_rubric
from rater.store import Store

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def store() -> Store:
    """An in-memory database with the bundled rubric and the three test scenarios."""
    s = Store.open(":memory:")
    s.ensure_rubric(load_rubric())
    import_scenarios(s, [FIXTURES / "family.yaml"])
    return s


@pytest.fixture
def write(tmp_path: Path):
    """write(name, text) -> path of a file holding ``text`` in a temporary folder."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return _write


RESPONSES_CSV = """response_id,scenario_id,model,sample,text
r1,t-pe-01,model-a,1,"Stay with it. What do you see now? [pause] SUDS?"
r2,t-pe-01,model-a,2,"Let's pause and notice five things you can see."
r3,t-pe-01-s1,model-a,1,"I want to ask you directly: are you thinking of ending your life?"
"""


@pytest.fixture
def with_responses(store: Store, write) -> Store:
    import_responses(store, write("responses.csv", RESPONSES_CSV))
    return store
