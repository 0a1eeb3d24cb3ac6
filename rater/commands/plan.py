"""`rater plan`: how many answers clinicians must rate, from first principles or from a pilot."""

from __future__ import annotations

import json
import math
from typing import Any

import click

from rater.cliutil import db_option


@click.command("plan")
@click.option("--alpha-min", "alpha_min", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=None,
              help="Smallest acceptable alpha, e.g. 0.800 (or 0.667 for tentative conclusions).")
@click.option("--p", "p", type=click.FloatRange(0, 0.5, min_open=True, max_open=True), default=0.05,
              show_default=True, help="Significance level of the test alpha >= alpha_min.")
@click.option("--values", type=click.IntRange(min=2), default=5, show_default=True,
              help="Number of values on the scale, taken as equally likely.")
@click.option("--raters", type=click.IntRange(min=2), default=2, show_default=True,
              help="Raters per answer (the formula is for 2; z^2 is multiplied by their number).")
@db_option
@click.option("--per-answer", "per_answer", type=click.IntRange(min=2), default=None, metavar="K",
              help="Pilot: answers rated by at least K clinicians (default: the study's K, else 2).")
@click.option("--bootstrap", "n_boot", type=click.IntRange(min=20), default=200, show_default=True,
              help="Pilot: bootstrap resamples per simulated study.")
@click.option("--repeats", type=click.IntRange(min=1), default=3, show_default=True,
              help="Pilot: simulated studies per size.")
@click.option("--margin", type=click.FloatRange(0, 1), default=0.05, show_default=True,
              help="Pilot: a replacement delta whose interval lies within +/- this is decided (the judge "
                   "rates like one more clinician).")
@click.option("--seed", type=int, default=0, show_default=True, help="Pilot: seed of the simulation.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def plan(alpha_min: float | None, p: float, values: int, raters: int, db_path: str | None,
         per_answer: int | None, n_boot: int, repeats: int, margin: float, seed: int, as_json: bool) -> None:
    """How many answers must clinicians rate?

    \b
    --alpha-min A [--p P --values V --raters R]
        Krippendorff's minimum number of units for testing alpha >= A at
        significance P (Bloch & Kraemer's formula, as in Content Analysis):
        e.g. 139 for A .800, P .05, 4 values; 81 for A .667.
    --db DB
        From the ratings so far (a pilot): the width of the 95% interval of
        human-panel alpha and of each judge's replacement delta, per axis,
        against the number of answers rated K times; how many more answers
        (and hours, from the median time per rating) each axis needs before
        its verdict is decided.
    """
    from rater.errors import Problem, RaterError

    if alpha_min is None and db_path is None:
        raise RaterError(Problem("needs --alpha-min (the formula) or --db (a pilot), or both",
                                 field="plan", fix="e.g. rater plan --alpha-min 0.8 --values 5"))
    out: dict[str, Any] = {}
    if alpha_min is not None:
        from rater.stats.plan import min_units, simulate_min_units

        n = min_units(alpha_min, p, values, raters)
        sim = simulate_min_units(alpha_min, p, values, seed=seed)
        out["formula"] = {"alpha_min": alpha_min, "p": p, "values": values, "raters": raters, "units": n,
                          "simulated_units_2_raters": round(sim.units, 1),
                          "simulation_error": round(sim.error, 1)}
        if not as_json:
            click.echo(f"Bloch & Kraemer (Krippendorff): {n} answers rated by {raters} raters to test "
                       f"alpha >= {alpha_min:.3f} at p = {p:g} with {values} equally likely values")
            click.echo(f"  simulated (2 raters): {sim.units:.0f} +/- {sim.error:.0f}: with that many answers "
                       f"an observed alpha of {(1 + alpha_min) / 2:.3f} is significantly above "
                       f"{alpha_min:.3f}")
    if db_path is not None:
        out["pilot"] = _pilot(db_path, per_answer, n_boot, repeats, margin, seed, as_json)
    if as_json:
        click.echo(json.dumps(out, indent=2, ensure_ascii=False))


def _pilot(db_path: str, per_answer: int | None, n_boot: int, repeats: int, margin: float, seed: int,
           as_json: bool) -> dict[str, Any]:
    from rater.cliutil import open_store
    from rater.rating import time_left
    from rater.stats.plan import simulate
    from rater.stats.tidy import from_store
    from rater.study import current_study

    store = open_store(db_path)
    study = current_study(store)
    k = per_answer or (study.per_answer if study and study.per_answer >= 2 else 2)
    times = sorted(float(r[0]) for r in store.conn.execute(
        "SELECT sum(seconds_spent) FROM ratings WHERE seconds_spent IS NOT NULL "
        "GROUP BY rater_id, response_id"))
    median = times[len(times) // 2] if times else None
    tidy = from_store(store, "blind")
    click.echo(f"simulating studies from the pilot ({repeats} per size, {n_boot} resamples each)…", err=True)
    result = simulate(tidy, per_answer=k, n_boot=n_boot, repeats=repeats, seed=seed, margin=margin)
    rows = []
    for c in result.curves:
        more = 0 if c.decided_now else (None if math.isinf(c.needed) else
                                        max(0, math.ceil(c.needed) - result.pilot_answers))
        hours = None if more is None or median is None else more * k * median / 3600
        rows.append(c.to_dict() | {"more_answers": more, "hours": None if hours is None else round(hours, 1)})
    body = {"pilot_answers": result.pilot_answers, "per_answer": k, "median_seconds": median,
            "bootstrap": n_boot, "repeats": repeats, "margin": margin, "curves": rows,
            "notes": tidy.notes}
    if as_json:
        return body
    for note in tidy.notes:
        click.secho(f"note: {note}", fg="yellow")
    pace = f"; median {median:.0f} s a rating" if median else "; no timings yet (hours unknown)"
    click.echo(f"pilot: {result.pilot_answers} answers rated by {k}+ clinicians{pace}; "
               f"{repeats} simulated studies per size, {n_boot} resamples each")
    sizes = list(result.curves[0].widths) if result.curves else []
    header = f"{'axis / comparison':<38} {'now':>10} " + " ".join(f"{'n=' + str(n):>7}" for n in sizes)
    click.echo("width of the 95% interval by answers rated K times:")
    click.echo(header + f"  {'needs':>7} {'more':>6} {'hours':>6}")
    axis = None
    for c, row in zip(result.curves, rows, strict=True):
        if c.axis != axis:
            axis = c.axis
            click.secho(axis, bold=True)
        what = "alpha" if c.comparison == "human-panel" else "delta"
        est = f"{what} {c.estimate:+.2f}" if not math.isnan(c.estimate) else "n/a"
        widths = " ".join(f"{w:>7.3f}" if not math.isnan(w) else f"{'':>7}" for w in c.widths.values())
        needs = ("decided" if c.decided_now else
                 "never" if row["needed_answers"] is None else f"{row['needed_answers']:,}")
        more_text = "" if row["more_answers"] is None else f"{row['more_answers']:,}"
        hours_text = "" if row["hours"] is None else (time_left(row["hours"] * 3600).lstrip("~")
                                                      if row["hours"] else "0")
        click.echo(f"  {c.comparison:<36} {est:>10} " + widths
                   + f"  {needs:>7} {more_text:>6} {hours_text:>6}")
    click.echo("decided: the interval already clears its threshold (alpha 0.667; delta 0, or lies "
               f"within +/-{margin:g}); never: the estimate sits on the threshold")
    return body


COMMANDS = [plan]
