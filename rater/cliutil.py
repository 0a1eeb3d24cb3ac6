"""Options and helpers shared by every CLI command module (click and stdlib only at import)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from rater.literal import shown

if TYPE_CHECKING:
    from rater.store import Store

DB_HELP = "Database file (default: $RATER_DB, else ./rater.db)."
db_option = click.option("--db", "db_path", type=click.Path(dir_okay=False), default=None,
                         help=DB_HELP)


def open_store(db_path: str | None, *, create: bool = False) -> Store:
    """The database named by --db / $RATER_DB / ./rater.db; missing is an error unless create."""
    from rater.store import Store, resolve_db_path

    return Store.open(resolve_db_path(db_path), create=create)


def print_status(store: Store) -> None:
    """What a database holds, as `rater status` and `rater demo` print it."""
    from rater.demo import ILLUSTRATIVE

    q = store.conn.execute
    if store.is_demo:
        click.secho(f"[{ILLUSTRATIVE}]", fg="yellow")
    version, rubric = store.rubric()
    click.echo(f"database   {shown(store.path)} (schema {store.schema_version})")
    click.echo(f"rubric     version {version} ('{shown(rubric.name)}' {shown(rubric.label)}): "
               f"{shown(', '.join(rubric.axis_ids))}")
    for modality, n, bases in q("SELECT modality, count(*), sum(base_id IS NULL) FROM scenarios "
                                "GROUP BY modality ORDER BY modality"):
        click.echo(f"scenarios  {shown(modality)}: {n} ({bases} base, {n - bases} variants)")
    for model, n, scen in q("SELECT model, count(*), count(DISTINCT scenario_id) FROM responses "
                            "GROUP BY model ORDER BY model"):
        click.echo(f"answers    {shown(model)}: {n} answers to {scen} scenarios")
    for judge, ok, failed in q("SELECT judge, sum(status = 'ok'), sum(status = 'failed') "
                               "FROM judgments GROUP BY judge ORDER BY judge"):
        click.echo(f"judge      {shown(judge)}: {ok} judged, {failed} failed")
    print_progress(store)
    print_runs(store)
    from rater.serve.links import status_lines

    for line in status_lines(store):
        click.echo(line)


def print_progress(store: Store) -> None:
    """Per rater: assigned / rated / skipped / left and median seconds; the study's complete answers."""
    from rater.rating import time_left
    from rater.study import progress

    raters, study = progress(store)
    for p in raters:
        pace = f", median {p.median_seconds:.0f} s a rating" if p.median_seconds else ""
        eta = f" ({time_left(p.median_seconds * p.left)} left)" if p.median_seconds and p.left else ""
        click.echo(f"rater      {shown(p.name)}: {p.assigned:,} assigned, {p.rated:,} rated, "
                   f"{p.skipped:,} skipped, {p.left:,} left{pace}{eta}")
    if study is not None:
        click.echo(f"study      {study['answers']:,} answers, {study['complete']:,} with "
                   f"{study['per_answer']} blind ratings already")


RUNS_SHOWN = 10


def print_runs(store: Store) -> None:
    """The newest `rater generate` / `rater judge` runs, one line each (a killed run shows as interrupted)."""
    from rater.llm.runner import mark_dead_runs

    mark_dead_runs(store)
    rows = store.conn.execute(
        "SELECT id, command, status, planned, ok, failed, skipped, calls, started_at, finished_at "
        "FROM llm_runs ORDER BY id DESC LIMIT ?", (RUNS_SHOWN + 1,)).fetchall()
    for r in rows[:RUNS_SHOWN]:
        when = str(r["started_at"])[:16].replace("T", " ")
        click.echo(f"run {r['id']:<6} {r['command']:<8} {r['status']:<11} {when}  {r['ok']} ok, "
                   f"{r['failed']} failed, {r['skipped']} not attempted of {r['planned']}; "
                   f"{r['calls']} requests")
    if len(rows) > RUNS_SHOWN:
        click.echo("run        ... older runs are in the llm_runs table")
