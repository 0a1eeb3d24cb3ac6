"""`rater agreement`, `rater calibrate` and `rater export`: how far the judge panel can be trusted.

Only click and the standard library at module level; numpy and pandas are
imported inside the commands, and Textual and litellm never.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rater.agreement import REFERENCES, WEIGHTS, from_database, panel_aggregate, with_reference
from rater.cliutil import db_option, open_store
from rater.literal import shown
from rater.rules import (
    ANALYSIS_PHASES,
    BREAKDOWNS,
    CONSENSUS_RULES,
    DEFAULT_CONSENSUS,
    LEVELS,
    PANEL_AGGREGATES,
    RELIABLE,
    TENTATIVE,
)

if TYPE_CHECKING:
    from rater.stats.agreement import Record, Report
    from rater.stats.tidy import TidyScores
    from rater.store import Store

LEGEND = (f"alpha: green >= {RELIABLE:.3f} (reliable), yellow >= {TENTATIVE:.3f} (tentative conclusions "
          f"only), red < {TENTATIVE:.3f} (unreliable); intervals are percentile bootstrap over answers")


def _common(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by the three commands: where the scores come from and how alpha is run."""
    options = [
        db_option,
        click.option("--phase", type=click.Choice(ANALYSIS_PHASES), default=ANALYSIS_PHASES[0],
                     show_default=True,
                     help="Which human rating: the blind one, or the revision made after seeing the "
                          "judges where there is one."),
        click.option("--level", type=click.Choice(LEVELS), default=None,
                     help="Level of measurement for every axis (default: each axis's level in the rubric)."),
        click.option("--bootstrap", "n_boot", type=click.IntRange(min=1), default=1000, show_default=True,
                     help="Bootstrap resamples of answers for the confidence intervals."),
        click.option("--seed", type=int, default=None,
                     help="Seed for the resamples (default: a fresh one, printed so the run can be "
                          "repeated)."),
        click.option("--confidence", type=click.FloatRange(0, 1, min_open=True, max_open=True),
                     default=0.95, show_default=True, help="Coverage of the intervals."),
        click.option("--consensus", type=click.Choice(CONSENSUS_RULES), default=DEFAULT_CONSENSUS,
                     show_default=True,
                     help="How humans' scores form the consensus (median: the lower middle score "
                          "on a tie; mean: rounded to the scale)."),
        click.option("--panel", type=click.Choice(PANEL_AGGREGATES), default=None,
                     help="How judges' scores form the panel aggregate (default: the panel file's "
                          "'aggregate' recorded by `rater judge`, as the rating app shows it; else "
                          "as --consensus)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _reference_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--reference", type=click.Choice(REFERENCES), default="none", show_default=True,
        help="adjudicated: also measure each judge, the panel and each clinician against the "
             "adjudicated reference scores (judge-reference:JUDGE, panel-reference, "
             "human-reference:RATER).")(command)


def _weights_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--weights", type=click.Choice(WEIGHTS), default="auto", show_default=True,
        help="Weight each answer by 1 / its study inclusion probability: auto does so when the study "
             "drew answers where the judges disagree (--strategy disagreement).")(command)


def _scores_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--scores", "scores_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
        help="A tidy CSV or JSONL file (response_id, source, rater, axis, score) instead of the "
             "database; with --db too, checked against its rubric and answers.")(command)


def _load(db_path: str | None, scores_path: Path | None, phase: str) -> tuple[TidyScores, Store | None]:
    from rater.stats import tidy

    if scores_path is not None:
        store = open_store(db_path) if db_path else None
        return tidy.from_file(scores_path, store), store
    store = open_store(db_path)
    return tidy.from_store(store, phase), store


def _demo_banner(store: Store | None) -> None:
    if store is not None and store.is_demo:
        from rater.demo import ILLUSTRATIVE

        click.secho(f"[{ILLUSTRATIVE}]", fg="yellow", err=True)


@click.command()
@_common
@_scores_option
@click.option("--by", "by", type=click.Choice(BREAKDOWNS), multiple=True,
              help="Also break down by this field (repeatable).")
@click.option("--calibration", "calibration_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Apply this calibration.json to the judge scores first.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of records instead of a table.")
@click.option("--confusion", is_flag=True, help="Also print each judge's confusion matrix.")
@_reference_option
@_weights_option
def agreement(db_path: str | None, phase: str, level: str | None, n_boot: int, seed: int | None,
              confidence: float, consensus: str, panel: str | None, scores_path: Path | None,
              by: tuple[str, ...], calibration_path: Path | None, as_json: bool, confusion: bool,
              reference: str, weights: str) -> None:
    """Krippendorff's alpha per axis: human-human, judge-judge, each judge and the panel vs humans.

    \b
    Comparisons, per rubric axis (level of measurement from the rubric):
      human-human          alpha among the clinicians
      judge-judge          alpha among the judges
      human-judge:JUDGE    one judge vs the human consensus, with bias, exact and
                           within-one agreement, Spearman's rho
      human-panel          the panel aggregate vs the human consensus
      replacement:JUDGE    alpha among the humans with one human swapped for the
                           judge, averaged over humans; delta = change from human-human
    With --reference adjudicated, also (on the answers with a reference):
      judge-reference:JUDGE, panel-reference, human-reference:RATER
    Answers with fewer than two values on a comparison are left out and counted.
    """
    store: Store | None
    if scores_path is None:
        store = open_store(db_path)
        report = from_database(store, phase=phase, level=level, n_boot=n_boot, seed=seed,
                               confidence=confidence, consensus=consensus, panel=panel, by=by,
                               reference=reference, weights=weights, calibration=calibration_path)
    else:  # a scores file: no study weights, checked against --db when given
        from rater.stats.agreement import compute

        tidy, store = _load(db_path, scores_path, phase)
        if calibration_path is not None:
            from rater.stats.calibration import read_file

            tidy = read_file(calibration_path).apply(tidy)
        tidy = with_reference(tidy, store, reference)
        report = compute(tidy, level=level, n_boot=n_boot, seed=seed, confidence=confidence,
                         consensus=consensus, panel=panel_aggregate(store, panel, consensus), by=by)
    _demo_banner(store)
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in report.records], indent=2, ensure_ascii=False,
                              allow_nan=False))
        for note in report.notes:
            click.secho(f"note: {shown(note)}", fg="yellow", err=True)
        return
    _print_report(report, n_boot, confidence, confusion)


@click.command()
@_common
@_scores_option
@click.option("--method", type=click.Choice(["linear", "isotonic"]), default="linear", show_default=True,
              help="Linear offset/slope, or isotonic (monotone steps; needs >= 50 answers per judge "
                   "and axis).")
@click.option("--folds", type=click.IntRange(min=2), default=5, show_default=True,
              help="Cross-validation folds (split by answer).")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("exports/calibration.json"), show_default=True,
              help="Where to write the calibration file.")
@click.option("--apply", "apply_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Store calibrated scores of an existing calibration file in the database; fit nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the calibration file's content as JSON.")
def calibrate(db_path: str | None, phase: str, level: str | None, n_boot: int, seed: int | None,
              confidence: float, consensus: str, panel: str | None, scores_path: Path | None,
              method: str, folds: int, out_path: Path, apply_path: Path | None, as_json: bool) -> None:
    """Fit a per-judge, per-axis correction towards the human consensus; say where it can be trusted.

    Before/after figures are cross-validated by answer: no answer is scored by
    a map fitted on it. An axis is trusted when the lower bound of the
    calibrated human-panel alpha interval is at least 0.667; otherwise it
    needs human ratings. With the database (not --scores), the calibration
    and every calibrated judge score are stored; raw scores never change.
    """
    from rater.stats import calibration as cal

    if apply_path is not None:
        target = open_store(db_path)
        loaded = cal.read_file(apply_path)
        cal_id, n = cal.save(target, loaded)
        click.echo(f"{target.path}: {n:,} calibrated judge scores stored under calibration {cal_id} "
                   f"({loaded.hash[:12]}); raw scores unchanged")
        return
    tidy, store = _load(db_path, scores_path, phase)
    rubric = None
    weights: dict[str, float] = {}
    if store is not None:
        from rater.study import inclusion_weights

        version, rub = store.rubric()
        rubric = {"version": version, "label": rub.label, "hash": rub.hash}
        weights = inclusion_weights(store)
        if weights:
            tidy.notes.append(f"fits weighted by 1 / inclusion probability of the study's "
                              f"{len(weights):,} answers")
    result = cal.calibrate(tidy, method=method, folds=folds, seed=seed, consensus=consensus,
                           panel=panel_aggregate(store, panel, consensus), n_boot=n_boot,
                           confidence=confidence, level=level, rubric=rubric, weights=weights)
    stored = None
    if store is not None and scores_path is None:
        stored = cal.save(store, result)
    else:
        from rater.store import now

        result.created_at = now()
    cal.write_file(result, out_path)
    _demo_banner(store)
    for note in tidy.notes:  # e.g. ratings this phase leaves out (rater.phases.left_out)
        click.secho(f"note: {note}", fg="yellow", err=as_json)
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
        return
    _print_calibration(result.content)
    click.echo(f"\nwrote {out_path}")
    if stored is not None:
        click.echo(f"{store.path if store else ''}: {stored[1]:,} calibrated judge scores stored under "
                   f"calibration {stored[0]}; raw scores unchanged")


@click.command("export")
@_common
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("exports"),
              show_default=True, help="Folder to write into.")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True,
              help="Table format (parquet needs pyarrow).")
@click.option("--by", "by", type=click.Choice(BREAKDOWNS), multiple=True,
              help="Also break agreement down by this field (repeatable).")
@_reference_option
@_weights_option
@click.option("--excel-safe", is_flag=True,
              help="For opening in a spreadsheet: text cells starting with = + - @ get a leading '.")
@click.option("--mode", "file_mode", default="600", show_default=True, metavar="OCTAL",
              help="Permissions of the files written (600: you only; 640: your group may read).")
def export_(db_path: str | None, phase: str, level: str | None, n_boot: int, seed: int | None,
            confidence: float, consensus: str, panel: str | None, out_dir: Path, fmt: str,
            by: tuple[str, ...], reference: str, weights: str, excel_safe: bool, file_mode: str) -> None:
    """Write ratings, judge scores, agreement, calibration and a manifest to a folder.

    \b
    ratings.csv, judge_scores.csv   tidy, one row per score, scenario fields joined
    agreement.csv, agreement.json   as `rater agreement --json`
    calibration.json                the newest calibration, if any
    adjudications.csv, skips.csv,   references, skips and the study design, when there
    study.csv                       are any
    manifest.json                   versions, rubric hash, judges, counts, time

    Files are readable by you only (--mode 600) unless you pass another mode.
    Open the --excel-safe export in a spreadsheet; give pandas or R the plain one.
    """
    from rater.errors import Problem, RaterError
    from rater.exports import export, require_pyarrow

    if fmt == "parquet":
        require_pyarrow()
    if not re.fullmatch(r"[0-7]{3}", file_mode):
        raise RaterError(Problem(f"{file_mode!r} is not a file mode", field="--mode",
                                 fix="three octal digits, e.g. 600 (you only) or 640 (your group may read)"))
    store = open_store(db_path)
    report = None
    try:
        report = from_database(store, phase=phase, level=level, n_boot=n_boot, seed=seed,
                               confidence=confidence, consensus=consensus, panel=panel, by=by,
                               reference=reference, weights=weights)
    except RaterError as exc:
        click.secho(f"note: no agreement exported: {exc}", fg="yellow", err=True)
    options = {"bootstrap": n_boot, "confidence": confidence, "level": level, "by": list(by),
               "reference": reference, "weights": weights}
    _demo_banner(store)
    for item in export(store, out_dir, fmt=fmt, agreement=report, agreement_options=options,
                       mode=int(file_mode, 8), excel_safe=excel_safe):
        click.echo(f"wrote {item}")
    if report is not None:
        for note in report.notes:
            click.secho(f"note: {shown(note)}", fg="yellow", err=True)


COMMANDS = [agreement, calibrate, export_]


# -- printing -----------------------------------------------------------------------


def _alpha_text(value: float | None, width: int = 6) -> str:
    if value is None or math.isnan(value):
        return click.style("n/a".rjust(width), dim=True)
    colour = "green" if value >= RELIABLE else "yellow" if value >= TENTATIVE else "red"
    return click.style(f"{value:.3f}".rjust(width), fg=colour, bold=colour == "red")


def _f(value: float | None, spec: str = ".2f", width: int = 6) -> str:
    return ("" if value is None or math.isnan(value) else format(value, spec)).rjust(width)


def _print_report(report: Report, n_boot: int, confidence: float, confusion: bool) -> None:
    click.echo(f"source     {report.origin}" + (f" ({report.phase} human ratings)" if report.phase else ""))
    click.echo(f"raters     {len(report.humans)} human; judges: {shown(', '.join(report.judges)) or 'none'}")
    click.echo(f"bootstrap  {n_boot} resamples of answers, {confidence:.0%} interval, seed {report.seed}; "
               f"consensus {report.consensus}; panel aggregate {report.panel}")
    for note in report.notes:
        click.secho(f"note: {shown(note)}", fg="yellow")
    click.echo(LEGEND)
    ci = f"{confidence:.0%} CI"
    # as wide as the longest comparison, so long judge or rater names do not push the columns out
    wide = max([26, *(len(shown(r.comparison)) for r in report.records)])
    header = (f"{'comparison':<{wide}} {'alpha':>6} {ci:^17} {'P<.667':>6} {'P<.800':>6} {'units':>6} "
              f"{'left out':>8} {'values':>7}  {'bias':>6} {'exact':>6} {'±1':>6} {'rho':>6}  delta [CI]")
    section: tuple[str | None, str | None, str] | None = None
    for r in report.records:
        if (r.by, r.group, r.axis) != section:
            section = (r.by, r.group, r.axis)
            where = f"  ({shown(r.by)} = {shown(r.group)})" if r.by else ""
            click.echo("")
            click.secho(f"{shown(r.axis)} [{r.level}]{where}", bold=True)
            click.echo(header)
        interval = (f"[{_f(r.ci_low, '.3f', 0)}, {_f(r.ci_high, '.3f', 0)}]"
                    if not math.isnan(r.ci_low) else "")
        delta = ""
        if r.delta is not None:
            delta = f"{r.delta:+.3f} [{_f(r.delta_ci_low, '+.3f', 0)}, {_f(r.delta_ci_high, '+.3f', 0)}]"
        click.echo(f"{shown(r.comparison):<{wide}} {_alpha_text(r.alpha)} {interval:^17} "
                   f"{_f(r.p_below_0667)} {_f(r.p_below_0800)} {r.n_units:>6} {r.n_excluded_units:>8} "
                   f"{r.n_pairable:>7}  "
                   f"{_f(r.mean_bias, '+.2f')} {_f(r.exact)} {_f(r.within_one)} "
                   f"{_f(r.spearman_rho)}  {delta}")
        if confusion and r.confusion:
            _print_confusion(r)
    click.echo("")
    click.echo("left out: answers with a single value on that comparison (e.g. rated by one clinician "
               "only); they carry no pairs, so alpha cannot use them")
    if any(r.n_pairable and (r.alpha is None or math.isnan(r.alpha)) for r in report.records):
        click.echo("n/a with values: alpha is undefined when the values do not vary at all (e.g. every "
                   "judge gave every answer the same score): neither agreement nor disagreement is shown")


def _print_confusion(r: Record) -> None:
    assert r.confusion is not None
    values = r.confusion.get("labels") or [f"{v:g}" for v in r.confusion["values"]]
    w = max(6, *(len(v) + 1 for v in values))
    click.echo(f"    rows: human consensus, columns: {shown(r.comparison.partition(':')[2]) or 'panel'}")
    click.echo("    " + " " * w + "".join(v.rjust(w) for v in values))
    for v, row in zip(values, r.confusion["counts"], strict=True):
        click.echo("    " + v.rjust(w) + "".join(str(c).rjust(w) for c in row))


def _print_calibration(content: dict[str, Any]) -> None:
    click.echo(f"calibration  {content['method']}, {content['folds']}-fold cross-validation by answer, "
               f"seed {content['seed']}; figures below are out-of-fold")
    click.echo(LEGEND)
    for axis, verdict in content["verdicts"].items():
        click.echo("")
        colour = "green" if verdict["trusted"] else "red"
        click.secho(f"{shown(axis)}: {verdict['verdict']}", fg=colour, bold=True)
        click.echo(f"  {shown(verdict['reason'])}")
        click.echo(f"  {'comparison':<26} {'alpha raw':>9} {'calib.':>6} {'kept':>6} {'bias raw':>9} "
                   f"{'calib.':>6} {'exact raw':>9} {'calib.':>6}")
        for row in content["report"]:
            if row["axis"] != axis:
                continue
            click.echo(f"  {shown(row['comparison']):<26} {_alpha_text(row['alpha_before'], 9)} "
                       f"{_alpha_text(row['alpha_after'])} {_alpha_text(row.get('alpha_kept'))} "
                       f"{_f(row['mean_bias_before'], '+.2f', 9)} "
                       f"{_f(row['mean_bias_after'], '+.2f')} {_f(row['exact_before'], '.2f', 9)} "
                       f"{_f(row['exact_after'])}")
        for judge, axes in content["maps"].items():
            spec = axes.get(axis)
            if spec:
                table = ", ".join(f"{k}->{v}" for k, v in spec["table"].items())
                click.echo(f"  map {shown(judge)}: {spec['method']} {table}" + (f"  ({spec['note']})"
                                                                         if spec.get("note") else ""))
