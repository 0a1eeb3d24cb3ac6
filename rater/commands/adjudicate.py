"""`rater adjudicate`: set reference scores where clinicians disagree most."""

from __future__ import annotations

import click

from rater.cliutil import db_option, open_store


@click.command()
@db_option
@click.option("--adjudicator", default="adjudicator", show_default=True, metavar="NAME",
              help="Who sets the references (added as a rater).")
def adjudicate(db_path: str | None, adjudicator: str) -> None:
    """Set reference scores where clinicians disagree most (worst first).

    Answers come in order of the largest spread among the clinicians' blind
    scores, then the largest gap between their consensus and the panel.

    \b
    Up/down pick the answer, left/right the axis; 1-9 (0: N/A) set the
    reference for the axis, then type the reason and press Enter (Esc drops
    it). Every change is kept. `rater agreement --reference adjudicated`
    then measures judges, panel and clinicians against the references.
    """
    from rater.ui.adjudication import build_adjudication_app

    store = open_store(db_path)
    store.rubric()
    try:
        build_adjudication_app(store, adjudicator.strip() or "adjudicator").run()
    finally:
        store.close()


COMMANDS = [adjudicate]
