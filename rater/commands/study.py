"""`rater study assign`, `rater study add-rater`, `rater study show` and `rater queue`: the study design
and each rater's queue. A thin layer over rater.study and rater.queue."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from rater.cliutil import db_option, open_store
from rater.rules import STRATIFY_FIELDS, STUDY_STRATEGIES

if TYPE_CHECKING:
    from rater.study import Design



@click.group()
def study() -> None:
    """Design a rating study: which answers each clinician rates, K times each."""


def _split(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def _print_design(design: Design, as_json: bool) -> None:
    from dataclasses import asdict

    if as_json:
        body = asdict(design) | {"spread": design.spread}
        body["strata"] = {k: {"in_study": v[0], "in_database": v[1]} for k, v in design.strata.items()}
        click.echo(json.dumps(body, indent=2, ensure_ascii=False))
        return
    if design.added_answers:
        click.echo(f"added {design.added_answers:,} answers in {design.added_families:,} families")
    click.echo(f"study {design.study_id}: {design.answers:,} answers in {design.families:,} families, "
               f"{design.per_answer} rater(s) each, strategy {design.strategy}")
    click.echo(f"{'stratum':<60} {'study':>6} {'of':>6}")
    for stratum, (n, of) in design.strata.items():
        click.echo(f"{stratum[:60]:<60} {n:>6} {of:>6}")
    click.echo("workload (answers):")
    for name, n in design.loads.items():
        click.echo(f"  {name}: {n:,}")
    click.echo(f"max - min = {design.spread} (largest family: {design.max_family} answers)"
               + (f"; {design.moved} family assignment(s) moved to balance" if design.moved else ""))
    for note in design.notes:
        click.secho(f"note: {note}", fg="yellow", err=True)


@study.command("assign")
@db_option
@click.option("--raters", required=True, metavar="A,B,C",
              help="Comma-separated rater names; unknown names are added as raters.")
@click.option("--per-answer", "per_answer", type=click.IntRange(min=1), required=True, metavar="K",
              help="How many raters rate each answer (2 or more measures agreement).")
@click.option("--answers", "n_answers", type=click.IntRange(min=1), required=True, metavar="N",
              help="About how many answers the study holds (whole families are drawn). Run again "
                   "with a larger N to extend the study.")
@click.option("--stratify", default="", metavar="FIELDS",
              help=f"Comma-separated fields to stratify by: {', '.join(STRATIFY_FIELDS)}.")
@click.option("--seed", type=int, default=None, help="Seed for the draw (default: a fresh one, stored).")
@click.option("--strategy", type=click.Choice(STUDY_STRATEGIES), default=STUDY_STRATEGIES[0],
              show_default=True,
              help="uniform: every family as likely; disagreement: more likely where the judges "
                   "disagree (each answer's inclusion probability is stored and weighted back).")
@click.option("--json", "as_json", is_flag=True, help="Print the design as JSON.")
def assign(db_path: str | None, raters: str, per_answer: int, n_answers: int, stratify: str,
           seed: int | None, strategy: str, as_json: bool) -> None:
    """Choose about N answers and give each to K of the named raters.

    \b
    Strata: proportional allocation over the --stratify fields, every stratum
    represented. Families (one model's answers to one scenario family: samples,
    demographic variants, escalations) are drawn whole and go to the same raters,
    so consistency and robustness can be rated. Workloads are balanced (max - min
    <= one family). Running it again with a larger N, or `rater study add-rater`,
    extends the study; no rating already made is moved.
    """
    from rater.study import assign as do_assign

    store = open_store(db_path)
    design = do_assign(store, _split(raters), per_answer, n_answers, _split(stratify), seed, strategy)
    _print_design(design, as_json)


@study.command("add-rater")
@db_option
@click.option("--rater", "name", required=True, metavar="NAME", help="The new rater.")
@click.option("--json", "as_json", is_flag=True, help="Print the design as JSON.")
def add_rater(db_path: str | None, name: str, as_json: bool) -> None:
    """Add a rater to the study, moving to them families no one has started."""
    from rater.study import add_rater as do_add

    _print_design(do_add(open_store(db_path), name), as_json)


@study.command("show")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print the design as JSON.")
def show(db_path: str | None, as_json: bool) -> None:
    """The study's size, strata and workloads."""
    from rater.study import describe

    design = describe(open_store(db_path))
    if design is None:
        click.echo("no study: every rater's queue holds every answer (rater study assign makes one)")
        return
    _print_design(design, as_json)


@click.command("queue")
@db_option
@click.option("--rater", "name", required=True, metavar="NAME", help="Whose queue.")
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON array: position, response_id, scenario_id, status.")
def queue(db_path: str | None, name: str, as_json: bool) -> None:
    """A rater's queue in order: their study answers (every answer without a study), in scenario blocks.

    status: todo, draft, rated or skipped.
    """
    from rater.errors import Problem, RaterError
    from rater.queue import queue_listing

    store = open_store(db_path)
    rater_id = store.rater_id(name)
    if rater_id is None:
        raise RaterError(Problem(f"no rater named {name!r}", store.path, field="rater",
                                 fix="check the name (rater status lists them)"))
    rows = queue_listing(store, rater_id)
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    from rater.literal import shown

    if not rows:
        click.echo(f"{shown(name)}'s queue is empty: the study gives them no answers "
                   "(rater study add-rater adds them to it).")
        return
    width = max(len("scenario"), *(len(shown(r["scenario_id"])) for r in rows))
    click.echo(f"{'#':>5}  {'status':<8} {'scenario':<{width}}  response")
    for r in rows:
        click.echo(f"{r['position']:>5}  {r['status']:<8} {shown(r['scenario_id']):<{width}}  "
                   f"{shown(r['response_id'])}")


COMMANDS = [study, queue]
