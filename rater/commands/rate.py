"""`rater rate`: open the rating app."""

from __future__ import annotations

import click

from rater.cliutil import db_option, open_store


@click.command()
@db_option
@click.option("--rater", "rater_name", metavar="NAME",
              help="Who is rating; a new name is added as a rater. Without it, the app asks.")
@click.option("--blind", is_flag=True,
              help="Hide the judges until you have saved your own rating; then reveal them and "
                   "let you revise (both ratings are kept).")
@click.option("--show-models", is_flag=True,
              help="Show which model wrote each answer (hidden by default to avoid bias).")
def rate(db_path: str | None, rater_name: str | None, blind: bool, show_models: bool) -> None:
    """Rate answers in the terminal app, next to the judge panel.

    \b
    Number keys score the highlighted axis, 0 marks it not applicable,
    Enter saves and opens the next answer, F1 lists every key, ctrl+q quits.
    Every keystroke is kept as a draft; a saved rating is never lost.
    """
    from rater.ui.app import build_app

    store = open_store(db_path)
    store.rubric()  # no rubric: a clear error now rather than inside the app
    try:
        build_app(store, rater=rater_name, blind=blind, show_models=show_models).run()
    finally:
        store.close()


COMMANDS = [rate]
