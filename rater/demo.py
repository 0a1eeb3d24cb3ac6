"""The demo database: bundled scenarios plus handwritten, illustrative answers and judge scores.

The demo answers and scores were written by hand to show what rater does;
they are not model output and not measurements. Every place that shows them
says so (``Store.is_demo``).
"""

from __future__ import annotations

from pathlib import Path

from rater import bundled
from rater.errors import Problem, RaterError
from rater.importers import import_judgments, import_responses, import_scenarios
from rater.rubric import load_rubric
from rater.store import Store

ILLUSTRATIVE = ("ILLUSTRATIVE DEMO DATA: the answers and judge scores in this database were "
                "handwritten to show how rater works. They are not real model output or results.")


def build_demo(path: Path) -> Store:
    """Build a fresh demo database at ``path``, replacing an earlier demo database there.

    Refuses to replace a file that is not a demo database, so a real
    database can never be wiped by `rater demo --db`.
    """
    if path.exists():
        with Store.open(path) as old:
            if not old.is_demo:
                raise RaterError(Problem("exists and is not a demo database", str(path),
                                         fix="choose another --db for the demo"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    store = Store.open(path)
    store.set_meta("demo", "illustrative")
    store.ensure_rubric(load_rubric())
    import_scenarios(store, bundled.scenario_paths())
    demo = bundled.demo_dir()
    for file in sorted(demo.glob("*responses.jsonl")):
        import_responses(store, file, provenance={"source": "illustrative demo data, handwritten",
                                                  "file": file.name})
    for file in sorted(demo.glob("*judgments.jsonl")):
        import_judgments(store, file)
    return store
