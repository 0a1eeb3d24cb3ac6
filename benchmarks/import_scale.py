"""How long `rater import` takes on large files, and how much memory it holds.

Prints the figures for 100,000 responses and then 1,800,000 judge-score rows
(100,000 answers x 3 judges x 6 axes; the target was set for 1,500,000), each imported into a fresh database
in a temporary folder, then each file imported again (every row unchanged).
Targets (issue 12): responses <= 10 s, judge scores <= 60 s, memory bounded.

    python benchmarks/import_scale.py [--responses N] [--judges J]

Peak memory is the process's maximum resident set size (ru_maxrss), which
only grows: read the increase each step adds, not the absolute figure.
"""

from __future__ import annotations

import argparse
import csv
import resource
import sys
import tempfile
import time
from pathlib import Path

from rater import bundled
from rater.importers import import_judgments, import_responses, import_scenarios
from rater.rubric import load_rubric
from rater.store import Store


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, fn, *args) -> None:
    before = rss_mb()
    start = time.perf_counter()
    result = fn(*args)
    took = time.perf_counter() - start
    print(f"{label:<34} {took:7.1f} s   peak RSS {rss_mb():6.0f} MB (+{rss_mb() - before:.0f})   "
          f"{result}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--judges", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store = Store.open(folder / "bench.db")
        rubric = load_rubric()
        store.ensure_rubric(rubric)
        import_scenarios(store, [bundled.data_dir() / "pe", bundled.data_dir() / "cbt"])
        scenario_ids = sorted(store.scenario_hashes())
        models = 25
        responses = folder / "responses.csv"
        with responses.open("w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            out.writerow(["response_id", "scenario_id", "model", "sample", "text"])
            for i in range(args.responses):
                sid = scenario_ids[i % len(scenario_ids)]
                rest = i // len(scenario_ids)
                out.writerow([f"r{i}", sid, f"model-{rest % models}", rest // models,
                              f"Answer {i}: " + "Let's stay with the memory a little longer. " * 8])
        print(f"{args.responses:,} responses, {responses.stat().st_size / 1e6:.0f} MB", flush=True)
        timed("import responses", import_responses, store, responses)
        timed("import responses again", import_responses, store, responses)
        scores = folder / "judgments.csv"
        rows = 0
        with scores.open("w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            out.writerow(["response_id", "judge", "axis", "score", "rationale"])
            for i in range(args.responses):
                for j in range(args.judges):
                    for k, axis in enumerate(rubric.axes):
                        values = axis.values  # every axis on its own scale (crisis direction: 3 categories)
                        score = values[(i + j + k) % len(values)]
                        out.writerow([f"r{i}", f"judge-{j}", axis.id, score,
                                      f"The answer keeps to step {k} of the protocol."])
                        rows += 1
        print(f"{rows:,} judge-score rows, {scores.stat().st_size / 1e6:.0f} MB", flush=True)
        timed("import judgments", import_judgments, store, scores)
        timed("import judgments again", import_judgments, store, scores)
        store.close()
    print(f"python {sys.version.split()[0]}", flush=True)


if __name__ == "__main__":
    main()
