"""`rater report`: the study's results as a self-contained HTML page, CSV tables and JSON.

Only click and the standard library at module level; numpy, pandas and
matplotlib are imported inside the command.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rater.cliutil import db_option, open_store
from rater.literal import shown

if TYPE_CHECKING:
    from rater.report import Report


@click.command()
@db_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"),
              show_default=True, help="Folder to write report.html, the CSV tables and results.json into.")
@click.option("--models", "models", multiple=True,
              help="Only these answer models (repeatable, or comma-separated; default: all).")
@click.option("--bootstrap", "n_boot", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Bootstrap resamples for the agreement and demographic-spread intervals.")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Seed for the resamples (default: a fresh one, printed and written into the report).")
def report(db_path: str | None, out_dir: Path, models: tuple[str, ...], n_boot: int,
           seed: int | None) -> None:
    """Per model: scores per axis (PPI++, panel, clinicians), failure modes, escalation, demographic spread.

    \b
    Writes into --out (default reports/):
      report.html        one self-contained page, printable, figures inline
      results.csv        model, axis, estimator (ppi|panel|human), mean, ci_low, ci_high, n_rated, n_answers
      failure_modes.csv  share of answers showing each failure mode, overall and by modality, step, risk
      escalation.csv     per risk level: crisis safety, protocol fidelity, appropriate / over / under shares
      demographic.csv    spread across each demographic family's variants, with answer ids
      results.json       all of it, with the trust table and the provenance (versions, judges, seed)
    PPI++ intervals assume the answers clinicians rated are a probability sample of
    the answers (the study's inclusion probabilities, else equal ones).
    """
    import secrets

    from rater.report import build, write

    wanted = tuple(m.strip() for item in models for m in item.split(",") if m.strip())
    seed = secrets.randbelow(2**32) if seed is None else seed
    store = open_store(db_path)
    command = _command(store.path, out_dir, wanted, n_boot, seed)
    result = build(store, models=wanted, n_boot=n_boot, seed=seed, command=command)
    files = write(result, out_dir)
    if result.demo:
        from rater.demo import ILLUSTRATIVE

        click.secho(f"[{ILLUSTRATIVE}]", fg="yellow", err=True)
    _summary(result)
    for note in result.notes:
        click.secho(f"note: {shown(note)}", fg="yellow", err=True)
    click.echo("")
    for path in files:
        click.echo(f"wrote {path}")


def _command(db: str, out: Path, models: tuple[str, ...], n_boot: int, seed: int) -> str:
    """The command that makes this report again, seed included."""
    parts = ["rater", "report", "--db", db, "--out", str(out)]
    for m in models:
        parts += ["--models", m]
    parts += ["--bootstrap", str(n_boot), "--seed", str(seed)]
    return shlex.join(parts)


def _summary(result: Report) -> None:
    """A compact table: per axis and model, the leading estimate with its interval, and the panel's bias."""
    trust = {t["axis"]: t for t in result.trust}
    models = result.provenance["answer_models"]
    p = result.provenance
    click.echo(f"report     {shown(p['database'])}: {p['counts']['answers']:,} answers, "
               f"models {shown(', '.join(models))}; "
               f"seed {p['seed']}, {p['bootstrap']} resamples")
    width = max([len(shown(m)) for m in models] + [5])
    click.echo(f"{'axis':<24} {'model':<{width}} {'leading':<7} {'mean [95% CI]':<22} {'panel only':>10} "
               f"{'rated/answers':>14}  trust")
    index: dict[tuple[str, str, str], dict[str, Any]] = {
        (r["model"], r["axis"], r["estimator"]): r for r in result.results}
    for axis in [a["id"] for a in result.axes if a["level"] != "nominal"]:
        t = trust.get(axis, {})
        for m in models:
            lead = t.get("leading", "ppi")
            row = index.get((m, axis, lead)) or {}
            if row.get("mean") is None:
                lead, row = "panel", index.get((m, axis, "panel")) or {}
            panel = index.get((m, axis, "panel")) or {}
            ppi = index.get((m, axis, "ppi")) or {}
            interval = _interval(row)
            verdict = click.style("trusted", fg="green") if t.get("trusted") else click.style("not trusted",
                                                                                             fg="red")
            n = f"{ppi.get('n_rated', 0):,}/{ppi.get('n_answers', 0):,}"
            click.echo(f"{axis:<24} {shown(m):<{width}} {lead:<7} {interval:<22} "
                       f"{_num(panel.get('mean')):>10} {n:>14}  {verdict}")


def _interval(row: dict[str, Any]) -> str:
    if row.get("mean") is None:
        return "n/a"
    if row.get("ci_low") is None:
        return f"{row['mean']:.2f}"
    return f"{row['mean']:.2f} [{row['ci_low']:.2f}, {row['ci_high']:.2f}]"


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


COMMANDS = [report]
