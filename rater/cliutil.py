"""Options and helpers shared by every CLI command module (click and stdlib only at import)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

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
    click.echo(f"database   {store.path} (schema {store.schema_version})")
    click.echo(f"rubric     version {version} ('{rubric.name}' {rubric.label}): "
               f"{', '.join(rubric.axis_ids)}")
    for modality, n, bases in q("SELECT modality, count(*), sum(base_id IS NULL) FROM scenarios "
                                "GROUP BY modality ORDER BY modality"):
        click.echo(f"scenarios  {modality}: {n} ({bases} base, {n - bases} variants)")
    for model, n, scen in q("SELECT model, count(*), count(DISTINCT scenario_id) FROM responses "
                            "GROUP BY model ORDER BY model"):
        click.echo(f"answers    {model}: {n} answers to {scen} scenarios")
    for judge, ok, failed in q("SELECT judge, sum(status = 'ok'), sum(status = 'failed') "
                               "FROM judgments GROUP BY judge ORDER BY judge"):
        click.echo(f"judge      {judge}: {ok} judged, {failed} failed")
    for name, n in q("SELECT r.name, count(g.id) FROM raters r LEFT JOIN ratings g "
                     "ON g.rater_id = r.id GROUP BY r.id ORDER BY r.name"):
        click.echo(f"rater      {name}: {n} ratings")
