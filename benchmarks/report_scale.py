"""Time `rater report` on a simulated study: 20,000 answers x 3 judges, clinicians on a 10% sample.

The database holds the bundled scenarios (both modalities, every risk level,
the demographic families), 4 models x 5,000 answers, 3 judges on every axis
(biased by +0.5 on average, with noise), the judges' failure-mode tags, and 2
clinicians who rated a random 10% of the answers and ticked the failure-mode
checklist. Then `rater report --bootstrap 1000` runs as a user runs it (a
fresh process: start-up, loading, agreement for the trust table, every table,
the figures and the files). Target: < 30 s on a 2-core machine.

Run from the top of the checkout (prints its figures; it is not a test)::

    .venv/bin/python -m benchmarks.report_scale [--answers 20000] [--repeats 1] [--keep DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from rater import bundled
from rater.importers import import_scenarios
from rater.rubric import load_rubric
from rater.store import Store
from rater.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parents[1]
SEED = 2026
STAMP = "2026-01-01T00:00:00.000Z"


def build(path: Path, answers: int, judges: int = 3, humans: int = 2, rated: float = 0.10,
          models: int = 4) -> Store:
    """A study database filled with direct inserts (the importers' checks are not what is timed)."""
    rng = np.random.default_rng(SEED)
    store = Store.open(path)
    version = store.ensure_rubric(load_rubric())
    _, rubric = store.rubric()
    import_scenarios(store, bundled.scenario_paths())
    scenarios = [r[0] for r in store.conn.execute("SELECT id FROM scenarios ORDER BY id")]
    modes = list(load_taxonomy().failure_modes)
    ids = [f"a{i:06d}" for i in range(answers)]
    truth = {a.id: rng.integers(a.low, a.high + 1, answers).astype(float) for a in rubric.axes}
    with store.write():
        c = store.conn
        c.execute("CREATE TABLE IF NOT EXISTS judgment_failure_modes (judgment_id INTEGER REFERENCES "
                  "judgments(id), failure_mode TEXT, PRIMARY KEY (judgment_id, failure_mode))")
        if not any(r[1] == "failure_modes_asked" for r in c.execute("PRAGMA table_info(judgments)")):
            c.execute("ALTER TABLE judgments ADD COLUMN failure_modes_asked INTEGER")
        c.executemany("INSERT INTO responses (id, scenario_id, model, sample, text, created_at) "
                      "VALUES (?, ?, ?, ?, 'answer', ?)",
                      [(rid, scenarios[i % len(scenarios)], f"model-{i % models}", i // len(scenarios) + 1,
                        STAMP) for i, rid in enumerate(ids)])
        shown = rng.random((len(modes), answers)) < 0.08
        for j in range(judges):
            base = j * answers
            provenance = f'{{"model": "judge-model-{j}"}}'
            c.executemany("INSERT INTO judgments (id, response_id, judge, rubric_version, status, "
                          "provenance, created_at, failure_modes_asked) VALUES (?, ?, ?, ?, 'ok', ?, ?, 1)",
                          [(base + i + 1, rid, f"judge-{j}", version, provenance, STAMP)
                           for i, rid in enumerate(ids)])
            rows = []
            for a in rubric.axes:
                noise = rng.choice([-1, 0, 1], p=[0.15, 0.6, 0.25], size=answers)
                scores = np.clip(truth[a.id] + noise, a.low, a.high)
                rows += list(zip((base + np.arange(answers) + 1).tolist(), [a.id] * answers, scores.tolist(),
                                 strict=True))
            c.executemany("INSERT INTO judge_scores (judgment_id, axis, score) VALUES (?, ?, ?)", rows)
            tagged = shown ^ (rng.random(shown.shape) < 0.03)
            c.executemany("INSERT INTO judgment_failure_modes (judgment_id, failure_mode) VALUES (?, ?)",
                          [(base + int(i) + 1, modes[int(k)])
                           for k, i in zip(*np.nonzero(tagged), strict=True)])
        sample = np.flatnonzero(rng.random(answers) < rated)
        rating_id = 0
        for h in range(humans):
            rater = store.ensure_rater(f"clinician-{h}")
            c.executemany("INSERT INTO ratings (id, rater_id, response_id, judges_visible, rubric_version, "
                          "created_at, updated_at, failure_modes_checked) VALUES (?, ?, ?, 0, ?, ?, ?, 1)",
                          [(rating_id + k + 1, rater, ids[int(i)], version, STAMP, STAMP)
                           for k, i in enumerate(sample)])
            rows = []
            for a in rubric.axes:
                noise = rng.choice([-1, 0, 1], p=[0.1, 0.8, 0.1], size=sample.size)
                scores = np.clip(truth[a.id][sample] + noise, a.low, a.high)
                rows += [(rating_id + k + 1, a.id, float(scores[k])) for k in range(sample.size)]
            c.executemany("INSERT INTO rating_scores (rating_id, axis, score) VALUES (?, ?, ?)", rows)
            c.executemany("INSERT INTO rating_failure_modes (rating_id, failure_mode) VALUES (?, ?)",
                          [(rating_id + k + 1, modes[m]) for k, i in enumerate(sample)
                           for m in range(len(modes)) if shown[m, i]])
            rating_id += sample.size
    return store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--keep", type=Path, default=None, help="Build the database here and keep it.")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="rater-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "report.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    start = time.perf_counter()
    store = build(db, args.answers)
    counts = store.counts()
    store.close()
    print(f"built {counts['responses']:,} answers, {counts['judgments']:,} judgments, "
          f"{counts['ratings']:,} ratings in {time.perf_counter() - start:.1f} s")
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "rater", "report", "--db", str(db), "--out",
                        str(folder / "reports"), "--bootstrap", "1000", "--seed", "1"],
                       check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        times.append(time.perf_counter() - start)
    size = (folder / "reports" / "report.html").stat().st_size
    print(f"rater report --bootstrap 1000: {min(times):.1f} s (best of {len(times)}; target < 30 s); "
          f"report.html {size / 1e6:.2f} MB; files in {folder / 'reports'}")


if __name__ == "__main__":
    main()
