"""The `rater` command line.

Only click and the standard library are imported at module level: `rater
--help` and every subcommand's `--help` must stay fast, so each command
imports what it needs (store, pandas, Textual, litellm) inside its body.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from rater import __version__
from rater.cliutil import db_option, open_store, print_status
from rater.literal import shown


class _UserError(click.ClickException):
    """A RaterError shown as click shows errors: no traceback, exit status 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        text = shown(self.message, one_line=False)  # errors quote file contents: show them literally
        click.secho("error: " + text.replace("\n", "\nerror: "), fg="red", err=True)


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        from rater.errors import RaterError

        try:
            return super().invoke(ctx)
        except RaterError as exc:
            raise _UserError(str(exc)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rater")
def cli() -> None:
    """Rate LLM therapy transcripts next to an LLM-judge panel, and measure agreement.

    \b
    Start here:
      rater demo                  build the illustrative demo database and open it
      rater init --db study.db    a database with the bundled scenarios and rubric
      rater import responses FILE --db study.db   (or: rater generate, rater judge)
      rater study assign --db study.db --raters A,B,C --per-answer 2 --answers 300
      rater rate --db study.db    clinicians rate in the terminal app
      rater agreement --db study.db
      rater status --db study.db
    """


@cli.command()
@db_option
@click.option("--rubric", "rubric_path", type=click.Path(exists=True, dir_okay=False),
              help="A rubric YAML file instead of the bundled scenarios/rubric.yaml.")
@click.option("--no-scenarios", is_flag=True, help="Do not load the bundled scenarios.")
def init(db_path: str | None, rubric_path: str | None, no_scenarios: bool) -> None:
    """Create (or update) a database with the bundled scenarios and the rubric.

    Safe to run again: unchanged scenarios are left alone, and a changed
    rubric is stored as a new version (ratings keep the version they were
    made under).
    """
    from rater import bundled
    from rater.importers import import_scenarios
    from rater.rubric import load_rubric

    rubric = load_rubric(Path(rubric_path) if rubric_path else None)  # a bad file creates nothing
    store = open_store(db_path, create=True)
    version = store.ensure_rubric(rubric)
    click.echo(f"{store.path}: rubric version {version}")
    if not no_scenarios:
        click.echo(f"{store.path}: {import_scenarios(store, bundled.scenario_paths())}")


@cli.command()
@db_option
def status(db_path: str | None) -> None:
    """What a database holds: scenarios, answers, judges, raters and ratings."""
    print_status(open_store(db_path))


@cli.group()
def scenarios() -> None:
    """List and validate scenario files."""


@scenarios.command("list")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), default=None,
              help="List a database's scenarios instead of the bundled set.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of objects.")
def scenarios_list(db_path: str | None, as_json: bool) -> None:
    """Print every scenario: the bundled set, or a database's with --db."""
    from rater.scenarios import load_scenarios, summary_row

    items = open_store(db_path).scenarios() if db_path else load_scenarios()
    rows = [summary_row(s) for s in items]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    columns = ("id", "family", "modality", "step", "risk_level", "trap", "demographic_group")
    cells = [{c: shown(str(r[c] or "")) for c in columns} for r in rows]
    widths = {c: max([len(c)] + [len(r[c]) for r in cells]) for c in columns}
    click.echo("  ".join(c.ljust(widths[c]) for c in columns))
    for r in cells:
        click.echo("  ".join(r[c].ljust(widths[c]) for c in columns))
    click.echo(f"\n{len(rows)} scenarios")


@scenarios.command("export")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the JSONL here instead of standard output.")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), default=None,
              help="Export a database's scenarios instead of the bundled set.")
def scenarios_export(out: Path | None, db_path: str | None) -> None:
    """Write every scenario, fully expanded, as JSONL (one scenario a line, every field).

    Demographic variants carry `template` and `cues`; rendering the one with the
    other gives the variant's text. Counts go to standard error.
    """
    from rater.scenario_export import export_counts, export_row
    from rater.scenarios import load_scenarios

    items = open_store(db_path).scenarios() if db_path else load_scenarios()
    lines = "".join(json.dumps(export_row(s), ensure_ascii=False) + "\n" for s in items)
    if out is None:
        click.echo(lines, nl=False)
    else:
        from rater.atomic import replacing

        with replacing(out) as fh:
            fh.write(lines)
        click.echo(f"{out}: {len(items)} scenarios", err=True)
    click.echo(export_counts(items), err=True)


@scenarios.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--rubric", "rubric_path", type=click.Path(exists=True, dir_okay=False,
                                                         path_type=Path),
              help="Also check this rubric file (default: the bundled one).")
def scenarios_validate(paths: tuple[Path, ...], rubric_path: Path | None) -> None:
    """Check scenario files (default: the bundled set) and the rubric; touches no database.

    Every problem is listed with its file, line and field. Exit code 0 when
    all is valid, 2 otherwise.
    """
    from rater.rubric import load_rubric
    from rater.scenarios import load_scenarios

    rubric = load_rubric(rubric_path)
    found = load_scenarios(list(paths) if paths else None)
    click.echo(f"ok: {len(found)} scenarios; rubric '{rubric.name}' with "
               f"{len(rubric.axes)} axes ({', '.join(rubric.axis_ids)})")


@cli.command("import")
@click.argument("kind", type=click.Choice(["scenarios", "responses", "judgments", "ratings",
                                          "adjudications"]))
@click.argument("file", type=click.Path(dir_okay=True, path_type=Path))
@db_option
def import_(kind: str, file: Path, db_path: str | None) -> None:
    """Import scenarios, model responses, judge scores or human ratings from FILE.

    \b
    CSV (with a header row) or JSONL (one object a line), exact column names:
      responses   response_id, scenario_id, model, sample, text
      judgments   response_id, judge, axis, score, rationale
      ratings     response_id, rater, axis, score, rationale  [judges_visible]
      adjudications  response_id, adjudicator, axis, score, rationale
      scenarios   YAML files as in scenarios/README.md, or JSONL of the same fields
    An empty score means not applicable. The whole file is checked first: one
    bad row rejects it, naming the line, and the database is left unchanged.
    Importing the same file again changes nothing.
    """
    store = open_store(db_path)
    if kind == "adjudications":
        from rater.adjudication import import_adjudications

        click.echo(import_adjudications(store, file))
        return
    from rater.importers import import_file

    click.echo(str(import_file(store, kind, file)))


def _register_command_modules() -> None:
    """Add the commands of every module in rater/commands (each lists them in COMMANDS).

    Those modules import only click at module level, like this one.
    """
    import importlib
    import pkgutil

    from rater import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"rater.commands.{info.name}")
        for command in getattr(module, "COMMANDS", ()):
            cli.add_command(command)


_register_command_modules()


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="rater")
