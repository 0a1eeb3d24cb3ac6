"""A simulated study, from design to verdict: how many human ratings, key presses and reading blocks.

    .venv/bin/python -m benchmarks.simulated_study [--answers-pilot 100] [--stratify model] [--seed 7]

Builds a 2,208-answer database (4 models x 92 bundled scenarios x 6 samples,
three judges of different noise; tests/simdata.py), assigns a stratified pilot
(K = 2 of 4 raters), lets the simulated clinicians rate it blind, runs
`rater plan`'s simulation, and prints:

- per axis, the answers rated K times (and so human ratings) each verdict
  needs, against rating everything (every rater every answer, as a queue
  without a study holds);
- key presses and reading blocks (a new scenario to read) per 100 answers,
  in scenario blocks against the old shuffled order.
"""

from __future__ import annotations

import argparse
import math

from rater import study
from rater.queue import RaterQueue, order_key_sql, queue_listing, queue_seed
from rater.stats.plan import min_units, simulate
from rater.stats.tidy import from_store
from rater.store import Store
from tests import simdata

RATERS = ["A", "B", "C", "D"]
K = 2
READ_SECONDS = 60      # reading an unfamiliar scenario: 45-90 s
KEY_SECONDS = 2        # per answer, the keys


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--answers-pilot", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--stratify", default="model")
    args = parser.parse_args()
    store = simdata.build(Store.open(":memory:"), seed=args.seed)
    total = store.conn.execute("SELECT count(*) FROM responses").fetchone()[0]
    # Reading blocks per 100 answers: a new scenario to read, in blocks vs the old shuffled order.
    rid = store.ensure_rater("solo")
    blocked = RaterQueue(store, rid, queue_seed(store, rid)).order
    shuffled = [int(r[0]) for r in store.conn.execute(
        f"SELECT rowid FROM responses ORDER BY {order_key_sql(':seed')}, rowid",
        {"seed": queue_seed(store, rid)})]
    scenario = {int(r[0]): r[1] for r in store.conn.execute("SELECT rowid, scenario_id FROM responses")}

    def reads(order: list[int]) -> float:
        switches = sum(1 for i, r in enumerate(order) if i == 0 or scenario[r] != scenario[order[i - 1]])
        return 100 * switches / len(order)

    all_reads = (reads(shuffled), reads(blocked))
    design = study.assign(store, RATERS, K, args.answers_pilot, tuple(args.stratify.split(",")),
                          seed=args.seed)
    print(f"database: {total:,} answers; pilot: {design.answers} answers in {design.families} families, "
          f"K = {K} of {len(RATERS)} raters, loads {design.loads} (max - min {design.spread})")
    for name in RATERS:
        ids = [r["response_id"] for r in queue_listing(store, store.rater_id(name))]
        simdata.rate(store, name, ids, noise=0.7, seed=args.seed, seconds=75)
    plan = simulate(from_store(store, "blind"), per_answer=K, n_boot=200, repeats=3, seed=args.seed)
    everything = total * len(RATERS)
    print(f"\nrating everything: {total:,} answers x {len(RATERS)} raters = {everything:,} human ratings "
          f"(every answer K = {K} times: {total * K:,})")
    print(f"{'axis':<24} {'comparison':<22} {'estimate':>8} {'answers':>8} {'ratings':>8} {'share':>6}")
    for c in plan.curves:
        if c.comparison != "human-panel" and not c.comparison.endswith("judge-a"):
            continue
        n = plan.pilot_answers if c.decided_now else c.needed
        if math.isinf(n) or n > total:
            shown = (f">{total:,}", "", "")  # undecidable even rating every answer K times
        else:
            n = max(math.ceil(n), plan.pilot_answers)
            shown = (f"{n:,}", f"{n * K:,}", f"{n * K / everything:.0%}")
        print(f"{c.axis:<24} {c.comparison:<22} {c.estimate:>+8.3f} "
              f"{shown[0]:>8} {shown[1]:>8} {shown[2]:>6}")
    print(f"\nBloch & Kraemer: {min_units(0.800, 0.05, 5)} answers (alpha_min .800, p .05, 5 values, "
          f"2 raters); {min_units(0.667, 0.05, 5)} for .667")
    study_reads = []
    for name in RATERS:
        rows = queue_listing(store, store.rater_id(name))
        study_reads.append(100 * sum(1 for i, r in enumerate(rows)
                                     if i == 0 or r["scenario_id"] != rows[i - 1]["scenario_id"]) / len(rows))
    keys_blind = len(store.rubric()[1].axes) + 2   # scores, Enter (blind save), Enter (keep after reveal)
    print(f"\nper 100 answers: {keys_blind * 100} key presses (blind flow: {keys_blind - 2} scores + Enter + "
          f"Enter after the reveal)")
    for label, r in (("shuffled (before)", all_reads[0]), ("scenario blocks, all answers", all_reads[1]),
                     ("scenario blocks, study queues", sum(study_reads) / len(study_reads))):
        minutes = (r * READ_SECONDS + 100 * KEY_SECONDS) / 60
        print(f"  {label:<31} {r:5.1f} scenarios to read  ~{minutes:4.0f} min at {READ_SECONDS} s a read")


if __name__ == "__main__":
    main()
