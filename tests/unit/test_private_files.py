"""Files holding clinical material are created readable by their owner only; exports can be spreadsheet-safe."""

from __future__ import annotations

import csv
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from rater.cli import cli
from rater.exports import export
from rater.store import Store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def open_umask():
    old = os.umask(0o022)  # the usual default, under which files come out 0644
    yield
    os.umask(old)


def test_a_new_database_and_its_wal_and_shm_are_private(tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    assert CliRunner().invoke(cli, ["init", "--db", str(db), "--no-scenarios"]).exit_code == 0
    with Store.open(db) as store:
        store.ensure_rater("Dr Ana")
        files = list(tmp_path.glob("study.db*"))
        assert {f.name for f in files} >= {"study.db", "study.db-wal", "study.db-shm"}
        assert all(mode(f) == 0o600 for f in files), {f.name: oct(mode(f)) for f in files}


def test_exports_are_private_unless_asked(with_responses: Store, tmp_path: Path) -> None:
    with_responses.save_rating(rater_id=with_responses.ensure_rater("=cmd|' /C calc'!A0"), response_id="r1",
                               scores={}, rubric_version=with_responses.rubric()[0], judges_visible=False,
                               note="")
    written = export(with_responses, tmp_path / "out")
    assert written and all(mode(item.path) == 0o600 for item in written)
    shared = export(with_responses, tmp_path / "shared", mode=0o640)
    assert all(mode(item.path) == 0o640 for item in shared)


def test_excel_safe_export_makes_formula_cells_inert(with_responses: Store, tmp_path: Path, write) -> None:
    from rater.importers import import_judgments

    import_judgments(with_responses, write("j.csv", "response_id,judge,axis,score,rationale\n"
                                                    'r1,judge-a,crisis_safety,4,"=HYPERLINK(""http://evil"")"\n'
                                                    "r2,judge-a,crisis_safety,5,@SUM(A1)\n"
                                                    "r3,judge-a,crisis_safety,5,-1 for tone\n"))
    plain = {r["rationale"] for r in csv.DictReader((tmp_path / "p" / "judge_scores.csv").open())} \
        if export(with_responses, tmp_path / "p") else set()
    assert '=HYPERLINK("http://evil")' in plain  # the plain export is exact, for pandas and R
    export(with_responses, tmp_path / "x", excel_safe=True)
    rows = list(csv.DictReader((tmp_path / "x" / "judge_scores.csv").open()))
    assert {r["rationale"] for r in rows} == {"'=HYPERLINK(\"http://evil\")", "'@SUM(A1)", "'-1 for tone"}
    assert {r["score"] for r in rows} == {"4", "5"}  # numbers stay numbers
