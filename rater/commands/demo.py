"""`rater demo`: the illustrative demo database, opened in the rating app."""

from __future__ import annotations

from pathlib import Path

import click

from rater.cliutil import print_status


@click.command()
@click.option("--db", "db_path", type=click.Path(dir_okay=False), default="rater-demo.db",
              show_default=True, help="Where to build the demo database (rebuilt fresh each run).")
@click.option("--no-open", is_flag=True, help="Build the demo database and print what is in it.")
@click.option("--rater", "rater_name", metavar="NAME",
              help="Who is rating (without it, the app asks).")
def demo(db_path: str, no_open: bool, rater_name: str | None) -> None:
    """Build a fresh database from the bundled, illustrative demo data.

    The demo answers and judge scores were handwritten to show how rater
    works; they are not real model output. The rating app opens on it,
    marked "ILLUSTRATIVE DEMO DATA"; --no-open only builds it.
    """
    from rater.demo import ILLUSTRATIVE, build_demo

    store = build_demo(Path(db_path))
    click.secho(ILLUSTRATIVE, fg="yellow")
    click.echo()
    print_status(store)
    if not no_open:
        from rater.ui.app import build_app

        try:
            build_app(store, rater=rater_name).run()
        finally:
            store.close()


COMMANDS = [demo]
