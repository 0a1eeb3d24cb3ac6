"""`rater generate` and `rater judge`: models answer the scenarios, the judge panel scores the answers.

Only click and the standard library at module level: litellm (seconds to
import) is imported by rater.llm on the first call.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rater.cliutil import db_option, open_store
from rater.literal import shown

if TYPE_CHECKING:
    from rater.llm.generate import Plan
    from rater.llm.runner import Estimate, RunResult

SHOWN_FAILURES = 5


def _run_options(f: Any) -> Any:
    for option in reversed([
        click.option("--only", "only", multiple=True, metavar="FILTER",
                     help="Only these scenarios: an id pattern (pe-crash-*) or key=value with key "
                          "id, modality, step, risk_level, severity, base_id, demographic_group, family, "
                          "trap (true/false) or provocation. Repeat to narrow further."),
        click.option("--limit", type=click.IntRange(min=0), default=None, metavar="N",
                     help="Make at most N calls this run (the rest are left for the next run)."),
        click.option("--concurrency", type=click.IntRange(min=1), default=8, show_default=True,
                     help="Requests in flight at once, across all entries."),
        click.option("--dry-run", is_flag=True,
                     help="Print the planned calls with estimated tokens and cost; call nothing."),
    ]):
        f = option(f)
    return f


def _err(text: str) -> None:
    click.echo(text, err=True)


def _plan_line(command: str, plan: Plan, unit: str) -> str:
    parts = [f"{plan.slots} {unit} wanted", f"{plan.done} already done"]
    if plan.kept:
        parts.append(f"{plan.kept} kept as they are")
    if plan.retry_failed:
        parts.append(f"{plan.retry_failed} failed ones retried")
    if plan.limited:
        parts.append(f"{plan.limited} left for later by --limit")
    calls = sum(job.calls for job in plan.jobs)
    made = f"{len(plan.jobs)} {unit} to make in {calls} calls" if calls != len(plan.jobs) else (
        f"{calls} calls to make")
    return f"{command}: {made} ({', '.join(parts)})"


def _print_estimate(estimates: list[Estimate], guess: str) -> None:
    click.echo("dry run: no call made")
    rows = [("entry", "model", "calls", "prompt tokens", "reply tokens", "cost")]
    total_cost, unknown = 0.0, []
    for e in estimates:
        if e.cost is None:
            unknown.append(e.entry)
            cost = "unknown"
        else:
            total_cost += e.cost
            cost = f"${e.cost:,.4f}"
        rows.append((e.entry, e.model, f"{e.calls:,}", f"{e.prompt_tokens:,}",
                     f"{e.completion_tokens:,}", cost))
    rows.append(("total", "", f"{sum(e.calls for e in estimates):,}",
                 f"{sum(e.prompt_tokens for e in estimates):,}",
                 f"{sum(e.completion_tokens for e in estimates):,}",
                 f"${total_cost:,.4f}" + (" + unknown" if unknown else "")))
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    for r in rows:
        cells = zip(r, widths, strict=True)
        click.echo("  ".join(c.rjust(w) if i >= 2 else c.ljust(w) for i, (c, w) in enumerate(cells)))
    click.echo(f"tokens: counted with the cl100k tokenizer (approximate for other models); reply tokens: "
               f"max_tokens, else a guess of {guess} per call")
    if unknown:
        click.echo(f"cost unknown for {', '.join(unknown)}: not in litellm's cost map "
                   "(a local model usually costs nothing)")


def _summary(command: str, result: RunResult, run_id: int, unit: str, retry_hint: str) -> None:
    from rater.llm.progress import duration, money

    p = result.progress
    # Counted where they happen: a judgment's comparison call, or the first request of a job cut short
    # by a stopped entry, is not a retry.
    retries = sum(c.retried for c in result.callers)
    click.echo(f"{command}: {p.ok} {unit}, {p.failed} failed, {p.skipped} not attempted, in "
               f"{duration(p.elapsed())}; {p.calls} requests ({retries} retries); "
               f"cost {money(p.cost, p.unknown_cost)} (run {run_id} in llm_runs)")
    for f in result.failures[:SHOWN_FAILURES]:
        click.echo(f"  failed  {shown(f['entry'])}  {shown(f['item'])}: {shown(f['error'][:300])}")
    if len(result.failures) > SHOWN_FAILURES:
        click.echo(f"  ... {len(result.failures) - SHOWN_FAILURES} more (llm_runs.failures, run {run_id})")
    for entry, why in result.stopped.items():
        click.echo(f"  stopped {shown(entry)}: {shown(why[:500])}")
    if p.failed:
        click.echo(retry_hint)
    if result.interrupted:
        click.echo(f"interrupted: everything stored so far is kept; run the same command again to "
                   f"continue ({p.total - p.done} calls left)")


def _panel_coverage(store: Any, judges: list[str], version: int) -> str:
    """How many answers the panel's aggregate rests on 3 of 3 judges, 2 of 3, ..."""
    marks = ", ".join("?" * len(judges))
    counts = store.conn.execute(
        f"SELECT n, count(*) FROM (SELECT response_id, sum(status = 'ok') AS n FROM judgments "
        f"WHERE rubric_version = ? AND judge IN ({marks}) GROUP BY response_id) GROUP BY n ORDER BY n DESC",
        (version, *judges)).fetchall()
    parts = [f"{count} answers by {n} of {len(judges)} judges" for n, count in counts]
    return "panel: " + ("; ".join(parts) if parts else "no answer judged yet")


def _finish(command: str, store: Any, run_id: int, result: RunResult, unit: str, hint: str,
            after: str = "") -> None:
    from rater.llm.runner import finish_run

    finish_run(store, run_id, result)
    _summary(command, result, run_id, unit, hint)
    if after:
        click.echo(after)
    if result.interrupted:
        sys.exit(130)
    if result.stopped or result.all_failed:  # a run that produced nothing is not a success
        sys.exit(1)


@click.command()
@db_option
@click.option("--models", "models_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="TOML file with one [[model]] table per model (see examples/models.toml).")
@click.option("--samples", type=click.IntRange(min=1), default=1, show_default=True,
              help="Answers per model and scenario (more than 1 feeds behavioural consistency).")
@click.option("--prompts-out", "prompts_out", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="With --dry-run: write the exact messages of every planned call "
                                 "(JSONL: scenario_id, model, sample, messages) to this file.")
@_run_options
def generate(db_path: str | None, models_path: Path, samples: int, only: tuple[str, ...],
             limit: int | None, concurrency: int, dry_run: bool, prompts_out: Path | None) -> None:
    """Ask each model to answer each scenario; store every answer with its provenance.

    Resumable: answers already stored are skipped (keyed by model, parameters
    and prompt), so an interrupted run loses only the calls in flight and a
    repeated run makes no call. API keys come from the environment only.
    """
    from rater.llm.calls import litellm
    from rater.llm.config import load_config
    from rater.llm.generate import answer_tokens, make_handler, plan_generate, write_prompts
    from rater.llm.progress import Progress
    from rater.llm.runner import estimate, run, start_run

    if prompts_out is not None and not dry_run:
        raise click.UsageError("--prompts-out works with --dry-run only (it calls nothing)")
    store = open_store(db_path)
    config = load_config(models_path, "model")
    plan = plan_generate(store, config, samples=samples, only=only, limit=limit)
    _err(_plan_line("generate", plan, "answers"))
    for note in plan.notes:
        _err("note: " + note)
    if dry_run:
        if prompts_out is not None:
            _err(f"{prompts_out}: the messages of {write_prompts(plan, prompts_out)} calls")
        _print_estimate(estimate(plan.jobs, answer_tokens), "500")
        return
    if not plan.jobs:
        click.echo("generate: nothing to do; every answer asked for is stored")
        return
    options = {"samples": samples, "only": list(only), "limit": limit, "concurrency": concurrency}
    litellm()  # imported before the clock starts, so the first ETA is not skewed by it
    run_id = start_run(store, "generate", config, options, len(plan.jobs))
    result = run(plan.jobs, make_handler(store, run_id), concurrency=concurrency,
                 progress=Progress("generate", len(plan.jobs)))
    _finish("generate", store, run_id, result, "answers stored",
            "the failed answers were not stored; run the same command again to retry them")


@click.command()
@db_option
@click.option("--panel", "panel_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="TOML file with one [[judge]] table per judge (see examples/panel.toml).")
@click.option("--retry-failed", is_flag=True, help="Try failed judgments again (replacing them).")
@click.option("--redo-changed", is_flag=True,
              help="Re-judge answers judged under other settings, prompts or sibling answers "
                   "(the old verdict is replaced; its summary is kept in the provenance).")
@_run_options
def judge(db_path: str | None, panel_path: Path, retry_failed: bool, redo_changed: bool,
          only: tuple[str, ...], limit: int | None, concurrency: int, dry_run: bool) -> None:
    """Have every judge score every answer on every rubric axis (the newest rubric).

    Replies are checked against the rubric; an unusable reply is retried a
    few times, then stored as a failed judgment with the raw reply, never as
    a default score. Resumable like generate. API keys come from the
    environment only.
    """
    from rater.llm.calls import litellm
    from rater.llm.config import load_config
    from rater.llm.judge import GUESS_TOKENS_PER_AXIS, judge_tokens, make_handler, plan_judge
    from rater.llm.progress import Progress
    from rater.llm.runner import estimate, run, start_run
    from rater.rules import PANEL_META_KEY

    store = open_store(db_path)
    config = load_config(panel_path, "judge")
    plan, prompt, version = plan_judge(store, config, only=only, limit=limit, retry_failed=retry_failed,
                                       redo_changed=redo_changed)
    _err(_plan_line("judge", plan, "judgments"))
    for note in plan.notes:
        _err("note: " + note)
    if dry_run:
        _print_estimate(estimate(plan.jobs, judge_tokens(prompt.rubric)),
                        f"{GUESS_TOKENS_PER_AXIS * len(prompt.rubric.axes)}")
        return
    store.set_meta(PANEL_META_KEY, config.aggregate)
    if not plan.jobs:
        click.echo("judge: nothing to do; every answer has a verdict from every judge")
        return
    options = {"only": list(only), "limit": limit, "concurrency": concurrency,
               "retry_failed": retry_failed, "redo_changed": redo_changed, "rubric_version": version}
    litellm()
    run_id = start_run(store, "judge", config, options, len(plan.jobs))
    result = run(plan.jobs, make_handler(store, run_id, prompt, version), concurrency=concurrency,
                 progress=Progress("judge", len(plan.jobs)))
    _finish("judge", store, run_id, result, "judgments ok",
            "failed judgments are stored with the raw reply; `rater judge --retry-failed` tries them again",
            _panel_coverage(store, [e.name for e in config.entries], version))


COMMANDS = [generate, judge]
