"""Time a full `rater agreement` at study scale, and an export of 500,000 rating rows.

Agreement: a database of 20,000 answers x 4 clinicians x 3 judges on every
rubric axis (1-5 scores near a hidden truth, 10% of human ratings missing),
then `rater agreement --bootstrap 1000` as a user runs it (a fresh process:
start-up, loading, all axes, all comparisons including the leave-one-rater-out
checks, 1,000 resamples). Target: <= 20 s on a 2-core machine.

Export: a database with 500,000 rating rows (25,000 answers x 4 clinicians x
5 axes), then ratings.csv and judge_scores.csv written by rater.exports.

Run from the top of the checkout (prints figures; it is not a test)::

    .venv/bin/python -m benchmarks.agreement_full [--repeats 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from rater.exports import export
from rater.importers import import_scenarios
from rater.rubric import load_rubric
from rater.stats.agreement import compute
from rater.stats.tidy import from_store
from rater.store import Store

ROOT = Path(__file__).resolve().parents[1]
FAMILY = ROOT / "tests" / "fixtures" / "family.yaml"
SCENARIOS = ("t-pe-01", "t-pe-01-s1", "t-pe-01-age-70")
SEED = 2024


def build(path: Path, answers: int, humans: int, judges: int, missing: float = 0.10) -> Store:
    """A study database filled with direct inserts (the importers' checks are not what is timed)."""
    rng = np.random.default_rng(SEED)
    store = Store.open(path)
    version = store.ensure_rubric(load_rubric())
    _, rubric = store.rubric()
    import_scenarios(store, [FAMILY])
    ids = [f"a{i:06d}" for i in range(answers)]
    stamp = "2026-01-01T00:00:00.000Z"
    with store.write():
        c = store.conn
        c.executemany("INSERT INTO responses (id, scenario_id, model, sample, text, created_at) "
                      "VALUES (?, ?, ?, ?, 'answer', ?)",
                      [(rid, SCENARIOS[i % 3], f"model-{i % 4}", i // 12 + 1, stamp)
                       for i, rid in enumerate(ids)])
        truth = {a.id: rng.integers(a.low, a.high + 1, answers) for a in rubric.axes}
        rating_id = 0
        for h in range(humans):
            rater = store.ensure_rater(f"clinician-{h}")
            c.executemany("INSERT INTO ratings (id, rater_id, response_id, judges_visible, rubric_version, "
                          "created_at, updated_at) VALUES (?, ?, ?, 0, ?, ?, ?)",
                          [(rating_id + i + 1, rater, rid, version, stamp, stamp)
                           for i, rid in enumerate(ids)])
            rows = []
            for a in rubric.axes:
                noise = rng.choice([-1, 0, 1], p=[0.15, 0.7, 0.15], size=answers)
                scores = np.clip(truth[a.id] + noise, a.low, a.high).astype(float)
                gone = rng.random(answers) < missing
                rows += [(rating_id + i + 1, a.id, None if gone[i] else scores[i]) for i in range(answers)]
            c.executemany("INSERT INTO rating_scores (rating_id, axis, score) VALUES (?, ?, ?)", rows)
            rating_id += answers
        judgment_id = 0
        for j in range(judges):
            c.executemany("INSERT INTO judgments (id, response_id, judge, rubric_version, status, "
                          "provenance, created_at) VALUES (?, ?, ?, ?, 'ok', ?, ?)",
                          [(judgment_id + i + 1, rid, f"judge-{j}", version,
                            f'{{"model": "judge-model-{j}"}}', stamp) for i, rid in enumerate(ids)])
            rows = []
            for a in rubric.axes:
                noise = rng.choice([-1, 0, 1], p=[0.2, 0.6, 0.2], size=answers) + (j == 1)
                scores = np.clip(truth[a.id] + noise, a.low, a.high).astype(float)
                rows += [(judgment_id + i + 1, a.id, scores[i]) for i in range(answers)]
            c.executemany("INSERT INTO judge_scores (judgment_id, axis, score) VALUES (?, ?, ?)", rows)
            judgment_id += answers
    return store


def timed_cli(db: Path, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "rater", "agreement", "--db", str(db), "--bootstrap", "1000",
                        "--seed", "1", "--json"], check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="Build the databases here and keep them.")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="rater-bench-"))
    folder.mkdir(parents=True, exist_ok=True)

    db = folder / "agreement.db"
    db.unlink(missing_ok=True)
    start = time.perf_counter()
    store = build(db, answers=20_000, humans=4, judges=3)
    print(f"built 20,000 answers x 4 clinicians x 3 judges x {len(store.rubric()[1].axes)} axes "
          f"in {time.perf_counter() - start:.1f} s")

    start = time.perf_counter()
    tidy = from_store(store)
    load = time.perf_counter() - start
    start = time.perf_counter()
    report = compute(tidy, n_boot=1000, seed=1)
    stats = time.perf_counter() - start
    print(f"in process: load {load:.2f} s, alpha + 1,000 resamples for {len(report.records)} records "
          f"{stats:.2f} s")
    times = timed_cli(db, args.repeats)
    print(f"`rater agreement --bootstrap 1000` (fresh process), median of {args.repeats}: "
          f"{statistics.median(times):.2f} s (runs: {', '.join(f'{t:.2f}' for t in times)}; target <= 20 s)")
    store.close()

    db = folder / "export.db"
    db.unlink(missing_ok=True)
    start = time.perf_counter()
    store = build(db, answers=25_000, humans=4, judges=1)
    rows = store.conn.execute("SELECT count(*) FROM rating_scores").fetchone()[0]
    print(f"built {rows:,} rating rows in {time.perf_counter() - start:.1f} s")
    export_times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        files = export(store, folder / "exports")
        export_times.append(time.perf_counter() - start)
    ratings = next(f for f in files if f.path.name == "ratings.csv")
    print(f"export of {ratings.rows:,} rating rows (+ {files[1].rows:,} judge score rows, manifest), "
          f"median of {args.repeats}: {statistics.median(export_times):.2f} s "
          f"({ratings.rows / statistics.median(export_times):,.0f} rating rows/s)")
    store.close()


if __name__ == "__main__":
    main()
