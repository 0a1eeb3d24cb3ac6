"""`rater demo`: the illustrative demo database, opened in the rating app."""

from __future__ import annotations

from pathlib import Path

import click

from rater.cliutil import print_status


@click.command()
@click.option("--db", "db_path", type=click.Path(dir_okay=False), default="rater-demo.db",
              show_default=True, help="Where to build the demo database (rebuilt fresh each run).")
@click.option("--no-open", is_flag=True, help="Build the demo database and print what is in it.")
def demo(db_path: str, no_open: bool) -> None:
    """Build a fresh database from the bundled, illustrative demo data.

    The demo answers and judge scores were handwritten to show how rater
    works; they are not real model output.
    """
    from rater.demo import ILLUSTRATIVE, build_demo

    store = build_demo(Path(db_path))
    click.secho(ILLUSTRATIVE, fg="yellow")
    click.echo()
    print_status(store)
    if not no_open:
        click.echo("\nThe rating app arrives with the next release; until then, explore with "
                   f"`rater status --db {db_path}` and `rater scenarios list --db {db_path}`.")


COMMANDS = [demo]
