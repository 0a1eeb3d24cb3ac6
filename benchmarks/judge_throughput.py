"""Judge-panel throughput: rater's judge pipeline against bare litellm.acompletion, same server, same load.

1,000 answers x 3 judges at concurrency 32 against a loopback
OpenAI-compatible server that answers at once (the test suite's fake server,
in its own process). A judgment is one call (the quality call) or two (and
the comparison call, where the answer has siblings: here the demographic
variants' answers), so the figures are per call. In one process, after one shared warm-up,
the two alternate over several rounds:

- bare:  litellm.acompletion with the same judge messages and response_format,
         prebuilt before the clock starts; no parsing, no storage.
- rater: the real pipeline on a fresh copy of the database: planning (prompt
         building, call keys, the resumability check), the calls, validation of
         every reply against the rubric, and a commit per judgment.

Printed: calls per second for each (median of the rounds), rater's share of
bare litellm's throughput (target >= 80%), CPU milliseconds per call, the
pipeline's own work per call, and the peak memory of the run. The machine's
other load moves single rounds by 10-20%: compare medians.

    .venv/bin/python benchmarks/judge_throughput.py [--answers 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
JUDGES = 3
WARMUP = 96


def panel_toml(base_url: str) -> str:
    return "".join(f'[[judge]]\nname = "judge-{x}"\nmodel = "openai/bench-judge-{x}"\n'
                   f'api_base = "{base_url}"\ntimeout = 30\ntemperature = 0.0\n\n' for x in "abc")


def build_db(path: Path, answers: int) -> None:
    """Bundled rubric and scenarios, and ``answers`` answers spread over them (one per model and scenario)."""
    from rater import bundled
    from rater.importers import import_scenarios
    from rater.rubric import load_rubric
    from rater.store import Store, now

    with Store.open(path) as store:
        store.ensure_rubric(load_rubric())
        import_scenarios(store, bundled.scenario_paths())
        ids = [s.id for s in store.scenarios()]
        rows = [(f"a{i:05d}", ids[i % len(ids)], f"bench-model-{i // len(ids)}", 1,
                 f"Answer {i}: stay with it. What do you see now? SUDS? [sic]", "{}", now())
                for i in range(answers)]
        with store.write():
            store.conn.executemany("INSERT INTO responses (id, scenario_id, model, sample, text, provenance, "
                                   "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)


def start_server() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "tests.integration.fake_openai", "--port", "0"], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline().split()
    return proc, f"http://127.0.0.1:{line[1]}/v1"


class Timed:
    """Wraps a function and adds up the CPU seconds its thread spends in it (the pipeline's own steps).

    Thread CPU time, not wall time: litellm's logging threads take the GIL in
    the middle of a commit, and that time is litellm's, not rater's.
    """

    def __init__(self, module: Any, name: str) -> None:
        self.module, self.name, self.seconds, self.wall = module, name, 0.0, 0.0
        self.original: Callable[..., Any] = getattr(module, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            start, wall = time.thread_time(), time.perf_counter()
            try:
                return self.original(*args, **kwargs)
            finally:
                self.seconds += time.thread_time() - start
                self.wall += time.perf_counter() - wall

        setattr(module, name, timed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("OPENAI_API_KEY", "bench-not-a-key")

    from rater.llm import judge as judge_module
    from rater.llm.calls import litellm
    from rater.llm.config import load_config
    from rater.llm.progress import Progress
    from rater.llm.runner import run, start_run
    from rater.store import Store

    server, base_url = start_server()
    work = Path(tempfile.mkdtemp(prefix="rater-bench-"))
    try:
        template, panel = work / "template.db", work / "panel.toml"
        panel.write_text(panel_toml(base_url))
        build_db(template, args.answers)
        lm = litellm()
        config = load_config(panel, "judge")
        with Store.open(template) as store:
            plan, _, _ = judge_module.plan_judge(store, config)
        requests = [(j.entry.model, c.messages, c.response_format)
                    for j in plan.jobs for c in j.item.build().all]
        calls, judgments = len(requests), len(plan.jobs)
        assert judgments == args.answers * JUDGES

        async def bare_calls(batch: list[tuple[str, list[dict[str, str]], dict[str, Any]]]) -> None:
            queue = iter(batch)

            async def worker() -> None:
                for model, messages, fmt in queue:
                    await lm.acompletion(model=model, api_base=base_url, messages=messages,
                                         response_format=fmt, temperature=0.0, timeout=30, max_retries=0,
                                         num_retries=0)

            await asyncio.gather(*(worker() for _ in range(args.concurrency)))

        asyncio.run(bare_calls(requests[:WARMUP]))
        base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        def bare() -> None:
            asyncio.run(bare_calls(requests))

        timers: list[Timed] = []

        def rater(db: Path) -> None:
            timers[:] = [Timed(judge_module, "plan_judge"), Timed(judge_module, "parse_reply"),
                         Timed(judge_module, "_save")]
            try:
                with Store.open(db) as store:
                    plan, prompt, version = judge_module.plan_judge(store, config)
                    run_id = start_run(store, "judge", config, {"benchmark": True}, len(plan.jobs))
                    with open(os.devnull, "w") as quiet:
                        result = run(plan.jobs, judge_module.make_handler(store, run_id, prompt, version),
                                     concurrency=args.concurrency,
                                     progress=Progress("judge", len(plan.jobs), stream=quiet))
                    ok = store.conn.execute(
                        "SELECT count(*) FROM judgments WHERE status = 'ok'").fetchone()[0]
                    assert ok == judgments == result.progress.ok, (ok, judgments, result.progress.failed)
            finally:
                for t in timers:
                    setattr(t.module, t.name, t.original)

        print(f"judge throughput: {args.answers} answers x {JUDGES} judges = {judgments} judgments in "
              f"{calls} calls, concurrency "
              f"{args.concurrency}, loopback server answering at once, {args.rounds} rounds, one process")
        rates: dict[str, list[float]] = {"bare": [], "rater": []}
        cpus: dict[str, list[float]] = {"bare": [], "rater": []}
        own: list[dict[str, float]] = []
        for i in range(args.rounds):
            for phase in (("bare", "rater") if i % 2 == 0 else ("rater", "bare")):
                db = work / f"round-{i}.db"
                shutil.copy(template, db)
                cpu, wall = time.process_time(), time.perf_counter()
                bare() if phase == "bare" else rater(db)
                seconds, cpu_ms = time.perf_counter() - wall, 1000 * (time.process_time() - cpu) / calls
                rates[phase].append(calls / seconds)
                cpus[phase].append(cpu_ms)
                if phase == "rater":
                    own.append({t.name: 1000 * t.seconds / calls for t in timers}
                               | {t.name + " wall": 1000 * t.wall / calls for t in timers})
                print(f"  round {i + 1} {phase:5}: {calls / seconds:7.1f} calls/s  {seconds:6.2f} s  "
                      f"cpu {cpu_ms:.2f} ms/call", flush=True)
        rate = {p: statistics.median(v) for p, v in rates.items()}
        cpu_ms = {p: statistics.median(v) for p, v in cpus.items()}
        steps = {k: statistics.median(o[k] for o in own) for k in own[0]}
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        for phase, label in (("bare", "bare litellm.acompletion"), ("rater", "rater judge pipeline    ")):
            print(f"{label} : {rate[phase]:7.1f} calls/s (median), cpu {cpu_ms[phase]:.2f} ms/call")
        print(f"ratio rater / bare       : {100 * rate['rater'] / rate['bare']:.0f}% of bare throughput "
              f"(target >= 80%); {100 * cpu_ms['bare'] / cpu_ms['rater']:.0f}% by CPU per call")
        print(f"rater's own CPU per call : planning {steps['plan_judge']:.2f} ms, validation "
              f"{steps['parse_reply']:.2f} ms, storage {steps['_save']:.2f} ms "
              f"(wall {steps['_save wall']:.2f} ms)")
        print(f"peak memory (RSS) of the run: {peak:.0f} MB ({base_rss:.0f} MB after importing litellm, "
              f"building the {calls}-call plan and warming up)")
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
