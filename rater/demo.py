"""The demo database: the bundled scenarios plus handwritten, illustrative answers, judge scores and ratings.

The demo answers, judge scores and the ratings of three made-up clinicians
(``demo-clinician-1`` to ``-3``) were written by hand to show what rater does;
they are not model output and not measurements. Every place that shows them
says so (``Store.is_demo``).
"""

from __future__ import annotations

from pathlib import Path

from rater import bundled
from rater.errors import Problem, RaterError
from rater.importers import import_judgments, import_ratings, import_responses, import_scenarios
from rater.rubric import load_rubric
from rater.store import Store

ILLUSTRATIVE = ("ILLUSTRATIVE DEMO DATA: the answers, judge scores and clinician ratings in this "
                "database were handwritten to show how rater works. They are not real model output, "
                "real clinicians' ratings or results.")

DEMO_CLINICIANS = ("demo-clinician-1", "demo-clinician-2", "demo-clinician-3")
DEMO_CLINICIAN_ROLE = "made-up clinician (illustrative)"


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
    import_judgments(store, demo / "judgments.jsonl")
    store.set_judge_failure_modes(_failure_modes(demo / "judge_failure_modes.jsonl"))
    # Ratings by made-up clinicians, so the demo shows human-human and human-judge agreement.
    # They are other raters' work: the demo user's own queue still holds every answer.
    for name in DEMO_CLINICIANS:
        store.ensure_rater(name, DEMO_CLINICIAN_ROLE)
    import_ratings(store, demo / "ratings.jsonl")
    return store


def _failure_modes(path: Path) -> list[tuple[str, str, list[str]]]:
    """The failure modes each made-up judge named, checked against taxonomy.yaml."""
    from rater.tabular import read_rows
    from rater.taxonomy import load_taxonomy

    known = load_taxonomy().failure_modes
    rows: list[tuple[str, str, list[str]]] = []
    for line, row in read_rows(path, ("response_id", "judge", "failure_modes"), nested=True):
        modes = row["failure_modes"]
        if not isinstance(modes, list) or not all(isinstance(m, str) and m in known for m in modes):
            raise RaterError(Problem("failure_modes must be a list of taxonomy.yaml failure modes",
                                     str(path), line, "failure_modes", fix="see scenarios/taxonomy.yaml"))
        rows.append((str(row["response_id"]), str(row["judge"]), modes))
    return rows
