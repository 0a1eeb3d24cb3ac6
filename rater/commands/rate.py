"""`rater rate`: open the rating app."""

from __future__ import annotations

import click

from rater.cliutil import db_option, open_store


@click.command()
@db_option
@click.option("--rater", "rater_name", metavar="NAME",
              help="Who is rating; a new name is added as a rater. Without it, the app asks.")
@click.option("--show-judges", is_flag=True,
              help="Show the judges from the start instead of after your own rating is saved. "
                   "Every rating made so is recorded as 'shown' and left out of `rater agreement` "
                   "by default (it is not independent of the judges).")
@click.option("--blind", is_flag=True,
              help="Accepted for old scripts; does nothing: rating is blind by default.")
@click.option("--show-models", is_flag=True,
              help="Show which model wrote each answer (hidden by default to avoid bias).")
def rate(db_path: str | None, rater_name: str | None, show_judges: bool, blind: bool,
         show_models: bool) -> None:
    """Rate answers in the terminal app, next to the judge panel.

    \b
    Blind by default: the judges are hidden until you save your own rating,
    then shown so you can revise (both ratings are kept).
    Number keys score the highlighted axis, 0 marks it not applicable,
    Enter saves and opens the next answer, F1 lists every key, ctrl+q quits.
    Every keystroke is kept as a draft; a saved rating is never lost.
    """
    from rater.ui.app import build_app

    if blind and show_judges:
        raise click.UsageError("--blind and --show-judges contradict each other; rating is blind "
                               "by default, so leave out --blind")
    store = open_store(db_path)
    store.rubric()  # no rubric: a clear error now rather than inside the app
    try:
        build_app(store, rater=rater_name, blind=not show_judges, show_models=show_models).run()
    finally:
        store.close()


COMMANDS = [rate]
