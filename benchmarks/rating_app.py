"""How fast the rating app is on a big database: cold start, Enter-to-next, and a save.

    .venv/bin/python benchmarks/rating_app.py [--db PATH] [--runs 7] [--answers 200]

Builds (once, then reuses) a database with 100,000 answers and 500,000 judge
scores, then prints:

- cold start: from launching `rater rate` as a new process (in a pseudo-terminal,
  as a rater would) to the first answer on screen and ready for keys; the app
  appends the time to $RATER_READY_FILE at that moment. Median of --runs.
- Enter to the next answer: measured inside the app, from the key's handler
  (including the committed save) to the refreshed screen, over --answers answers
  rated through Textual's Pilot (Pilot's own ~45 ms per key is outside it).
- a save alone: RatingSession.save, one committed transaction on the file.

Targets (issue 3): cold start median <= 1.0 s; Enter-to-next p95 <= 50 ms; save p95 <= 10 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pty
import select
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rater import bundled  # noqa: E402
from rater.importers import import_scenarios  # noqa: E402
from rater.rating import FormState, RatingSession  # noqa: E402
from rater.rubric import load_rubric  # noqa: E402
from rater.store import Store, now  # noqa: E402

N_ANSWERS = 100_000
JUDGES = ("bench-judge-a", "bench-judge-b", "bench-judge-c")
MODELS = ("model-w", "model-x", "model-y", "model-z")
TEXT = ("Stay with it. You're doing well. What are you seeing right now? [pause] What do you feel in "
        "your body? SUDS? ") * 8


def build(path: Path) -> Store:
    """The benchmark database: bundled scenarios, 100,000 answers, 500,000 judge scores."""
    if path.exists():
        store = Store.open(path)
        if store.counts()["responses"] == N_ANSWERS:
            return store
        store.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    store = Store.open(path)
    rubric = load_rubric()
    version = store.ensure_rubric(rubric)
    import_scenarios(store, bundled.scenario_paths())
    scenarios = [r[0] for r in store.conn.execute("SELECT id FROM scenarios ORDER BY id")]
    stamp = now()
    samples: dict[tuple[str, str], int] = {}
    responses = []
    for i in range(N_ANSWERS):
        key = (scenarios[i % len(scenarios)], MODELS[(i // len(scenarios)) % len(MODELS)])
        samples[key] = samples.get(key, 0) + 1
        responses.append((f"bench-{i:06d}", key[0], key[1], samples[key], f"{i}: {TEXT}", "{}", stamp))
    axes = rubric.axis_ids
    per_answer = len(JUDGES) * len(axes)
    n_judged = -(-500_000 // per_answer)  # answers with a full panel: 500,000 scores in all
    with store.write():
        store.conn.executemany("INSERT INTO responses (id, scenario_id, model, sample, text, provenance, "
                               "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", responses)
        store.conn.executemany(
            "INSERT INTO judgments (id, response_id, judge, rubric_version, status, created_at) "
            "VALUES (?, ?, ?, ?, 'ok', ?)",
            [(i * len(JUDGES) + j + 1, f"bench-{i:06d}", judge, version, stamp)
             for i in range(n_judged) for j, judge in enumerate(JUDGES)])
        store.conn.executemany(
            "INSERT INTO judge_scores (judgment_id, axis, score, rationale) VALUES (?, ?, ?, ?)",
            ((jid, axis, 1 + (jid + k) % 5, "Because the answer keeps the patient in the memory.")
             for jid in range(1, n_judged * len(JUDGES) + 1) for k, axis in enumerate(axes)))
    counts = store.counts()
    print(f"built {path}: {counts['responses']:,} answers, {counts['judge_scores']:,} judge scores "
          f"in {time.perf_counter() - started:.1f} s")
    return store


def _drain(fd: int, stop: threading.Event) -> None:
    """Read the app's terminal output so it never blocks on a full pseudo-terminal."""
    while not stop.is_set():
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                os.read(fd, 65536)
            except OSError:
                return


def cold_start(db: Path, runs: int) -> list[float]:
    """Seconds from launching `rater rate` to the first answer ready, once per run."""
    rater = ROOT / ".venv" / "bin" / "rater"
    times = []
    for i in range(runs):
        ready = db.parent / f"ready-{i}.txt"
        ready.unlink(missing_ok=True)
        master, slave = pty.openpty()
        os.set_inheritable(slave, True)
        env = {**os.environ, "RATER_READY_FILE": str(ready), "TERM": "xterm-256color",
               "COLUMNS": "100", "LINES": "32"}
        stop = threading.Event()
        drain = threading.Thread(target=_drain, args=(master, stop), daemon=True)
        drain.start()
        t0 = time.time()
        # The app's stdin, stdout and stderr are the pseudo-terminal, as in a real terminal.
        proc = subprocess.Popen([str(rater), "rate", "--db", str(db), "--rater", "bench-rater"],
                                stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
        deadline = t0 + 30
        while time.time() < deadline and not (ready.exists() and ready.read_text().strip()):
            time.sleep(0.005)
        if not ready.exists():
            proc.kill()
            raise SystemExit("the app never reported ready")
        times.append(float(ready.read_text().split()[0]) - t0)
        proc.kill()
        proc.wait()
        stop.set()
        drain.join()
        os.close(master)
        os.close(slave)
        ready.unlink(missing_ok=True)
    return times


async def enter_to_next(db: Path, answers: int) -> list[float]:
    from rater.ui.app import build_app

    store = Store.open(db)
    app = build_app(store, rater="bench-pilot")
    keys = "434514"
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        for _ in range(answers):
            await pilot.press(*keys, "enter")
        await pilot.pause()
    store.close()
    return [t for what, t in app.timings if what == "save_next"]


def saves(db: Path, n: int) -> list[float]:
    store = Store.open(db)
    session = RatingSession(store, store.ensure_rater("bench-saver"))
    _, rubric = store.rubric()
    out = []
    rowid = session.start()
    for i in range(n):
        if rowid is None:
            break
        view = session.open(rowid)
        form = FormState({a: float(1 + (i + k) % 5) for k, a in enumerate(rubric.axis_ids)})
        t = time.perf_counter()
        session.save(view, form)
        out.append(time.perf_counter() - t)
        rowid = session.queue.next_todo(rowid)
    store.close()
    return out


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/rater-bench/bench.db"))
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--answers", type=int, default=200)
    args = parser.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    build(args.db).close()

    cold = cold_start(args.db, args.runs)
    nxt = asyncio.run(enter_to_next(args.db, args.answers))
    save = saves(args.db, 300)
    ms = 1000
    figures = {
        "cold_start_median_s": round(statistics.median(cold), 3),
        "cold_start_runs_s": [round(t, 3) for t in cold],
        "enter_to_next_median_ms": round(statistics.median(nxt) * ms, 1),
        "enter_to_next_p95_ms": round(p95(nxt) * ms, 1),
        "enter_to_next_n": len(nxt),
        "save_median_ms": round(statistics.median(save) * ms, 2),
        "save_p95_ms": round(p95(save) * ms, 2),
        "save_n": len(save),
    }
    print(f"cold start      median {figures['cold_start_median_s']:.3f} s over {len(cold)} runs "
          f"(target <= 1.0 s): {', '.join(f'{t:.3f}' for t in cold)}")
    print(f"Enter -> next   median {figures['enter_to_next_median_ms']} ms, p95 "
          f"{figures['enter_to_next_p95_ms']} ms over {len(nxt)} answers (target p95 <= 50 ms)")
    print(f"save            median {figures['save_median_ms']} ms, p95 {figures['save_p95_ms']} ms "
          f"over {len(save)} saves (target p95 <= 10 ms)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
