"""Names and errors with escape sequences are printed literally by every CLI table: shown, never obeyed."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from rater.cli import cli
from rater.store import Store
from tests.integration.test_analysis_cli import invoke, study  # noqa: F401  (study: fixture)

EVIL = "\x1b]0;pwned\x07\x1b[2J\u202e"


def test_status_and_agreement_show_escape_sequences_in_names_literally(study: Path) -> None:  # noqa: F811
    with Store.open(study) as store, store.write():
        # Older raters and the app's new-rater form stored names as typed; imports now refuse these.
        store.conn.execute("UPDATE raters SET name = ? WHERE name = 'ana'", (f"Dr {EVIL}Ana",))
        store.conn.execute("UPDATE judgments SET judge = ? WHERE judge = 'judge-lenient'",
                           (f"judge{EVIL}",))
        store.conn.execute("UPDATE responses SET model = ? WHERE model = 'model-a'", (f"m{EVIL}",))
    for args in (("status",), ("agreement", "--bootstrap", "20", "--by", "model")):
        code, output = invoke(*args, "--db", str(study))
        assert code == 0, output
        assert "\x1b" not in output and "\x07" not in output and "\u202e" not in output
        assert "␛]0;pwned␇␛[2J<U+202E>" in output
    assert "Dr ␛]0;pwned␇␛[2J<U+202E>Ana" in invoke("status", "--db", str(study))[1]


def test_an_error_quoting_a_file_shows_its_escapes(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    assert CliRunner().invoke(cli, ["init", "--db", str(db), "--no-scenarios"]).exit_code == 0
    bad = tmp_path / "s.yaml"
    bad.write_text(f"id: \"x{EVIL}\"\ntitle: t\n")
    result = CliRunner().invoke(cli, ["import", "scenarios", str(bad), "--db", str(db)])
    assert result.exit_code == 2 and "\x1b" not in result.output and "\u202e" not in result.output
