"""Every file a user hands rater goes through one reader: each bad file a clear error, the database as it was."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from rater.cli import cli
from rater.errors import RaterError
from rater.importers import import_judgments, import_ratings, import_responses, import_scenarios
from rater.llm.config import load_config
from rater.llm.prompts import load_prompt
from rater.rubric import load_rubric
from rater.scenarios import load_scenarios
from rater.store import Store
from tests.unit.test_importers import rejected

HEADER = "response_id,scenario_id,model,sample,text\n"
BILLION_LAUGHS = """a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def scenarios_of(store: Store):
    return lambda s, p: import_scenarios(s, [p])


def test_a_long_answer_over_csvs_default_cell_limit_is_imported(with_responses: Store, write) -> None:
    long = "Stay with the memory. " * 10_000  # 220,000 characters, over csv's 131,072
    assert import_responses(with_responses, write("r.csv", HEADER + f'q1,t-pe-01,m,1,"{long}"\n')).added == 1
    stored = with_responses.conn.execute("SELECT text FROM responses WHERE id = 'q1'").fetchone()[0]
    assert stored == long.strip()


@pytest.mark.parametrize(("body", "expected"), [
    (HEADER + "q1,t-pe-01,m,1,caf\xe9\n", "is not UTF-8 text: byte 0xe9 at offset"),
    ("response_id,scenario_id,model,sample,text,text\nq1,t-pe-01,m,1,a,b\n", "'text' appear more than once"),
    (HEADER + '"q1\n",t-pe-01,m,1,hi\n', "holds a control character (LINE FEED)"),
    (HEADER + "q1\x1b[2J,t-pe-01,m,1,hi\n", "holds a control character (ESCAPE)"),
    (HEADER + "q1,t-pe-01,m,\u00b2,hi\n", "is not a sample number"),
    (HEADER + "q1,t-pe-01,m,\u2460,hi\n", "is not a sample number"),
], ids=["latin-1", "duplicate-column", "newline-in-id", "escape-in-id", "superscript", "circled"])
def test_bad_response_files_are_clear_errors(with_responses: Store, tmp_path: Path, body: str,
                                              expected: str) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(body.encode("latin-1") if "\xe9" in body else body.encode())
    assert expected in rejected(with_responses, import_responses, path)


@pytest.mark.parametrize("score", ["\u0663", "\uff13", "0_3", "+3", "1e0", "\u00b2", "\u2460", " inf"])
def test_only_plain_digits_are_scores(with_responses: Store, write, score: str) -> None:
    text = f"response_id,judge,axis,score,rationale\nr1,judge-a,crisis_safety,{score},x\n"
    assert "is not a number" in rejected(with_responses, import_judgments, write("j.csv", text)) or \
        "not a finite number" in rejected(with_responses, import_judgments, write("j.csv", text))


@pytest.mark.parametrize(("value", "expected"), [
    (["a", "b"], "holds a list"), ({"x": 1}, "holds a JSON object"),
])
def test_lists_and_objects_in_text_columns_are_refused(with_responses: Store, write, value: object,
                                                       expected: str) -> None:
    row = {"response_id": "r1", "rater": "Ana", "axis": "crisis_safety", "score": 4, "rationale": value}
    assert expected in rejected(with_responses, import_ratings, write("r.jsonl", json.dumps(row) + "\n"))


def test_huge_and_deep_json_values_are_refused(with_responses: Store, write) -> None:
    huge = '{"response_id": "q1", "scenario_id": "t-pe-01", "model": "m", "sample": ' + "9" * 5000 + \
        ', "text": "x"}\n'
    assert "is not usable JSON" in rejected(with_responses, import_responses, write("r.jsonl", huge))
    deep = '{"response_id": ' + "[" * 100_000 + "]" * 100_000 + "}\n"
    assert "is not usable JSON" in rejected(with_responses, import_responses, write("d.jsonl", deep))


def test_special_files_are_refused_without_blocking(with_responses: Store, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    assert "is a named pipe (FIFO), not a file" in rejected(with_responses, import_responses, fifo)
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(tmp_path / "loop2.yaml")
    (tmp_path / "loop2.yaml").symlink_to(loop)
    assert "symbolic link that loops" in rejected(with_responses, scenarios_of(with_responses), loop)
    assert "is a device" in rejected(with_responses, scenarios_of(with_responses), Path("/dev/zero"))


def test_a_billion_laughs_yaml_is_an_error_not_gigabytes(with_responses: Store, write) -> None:
    path = write("laughs.yaml", BILLION_LAUGHS)
    assert "laughs.yaml:2: uses a YAML alias" in rejected(with_responses, scenarios_of(with_responses), path)
    with pytest.raises(RaterError, match="alias"):
        load_scenarios([path])


@pytest.mark.parametrize(("text", "expected"), [
    ("id: x\ntitle: \"a\\0b\"\n", "NUL"),
    ("id: x\ntitle: a\x00b\n", "is not valid YAML text"),
    ("1: x\nid: y\n", "has a key that is not text"),
    ("id: x\n[a, b]: y\n", "has a key that is not text"),
    ("id: x\nseverity: " + "9" * 5000 + "\n", "cannot be read"),
    ("id: x\nseverity: " + "9" * 30 + "\n", "too large to store"),
    ("id: x\nnotes: " + "[" * 200 + "]" * 200 + "\n", "nested more than"),
], ids=["nul-escape", "nul-raw", "int-key", "list-key", "huge-int", "int64-overflow", "deep"])
def test_bad_yaml_values_are_clear_errors(with_responses: Store, write, text: str, expected: str) -> None:
    path = write("s.yaml", text)
    assert expected in rejected(with_responses, scenarios_of(with_responses), path)


def test_latin_1_rubric_panel_and_prompt_are_clear_errors(tmp_path: Path) -> None:
    rubric = tmp_path / "rubric.yaml"
    rubric.write_bytes("name: r\u00e9sum\u00e9\n".encode("latin-1"))
    with pytest.raises(RaterError, match="is not UTF-8 text: byte 0xe9 at offset 7"):
        load_rubric(rubric)
    panel = tmp_path / "panel.toml"
    panel.write_bytes('[[judge]]\nname = "j"\nmodel = "caf\u00e9"\n'.encode("latin-1"))
    with pytest.raises(RaterError, match=r"panel\.toml:3: is not UTF-8"):
        load_config(panel, "judge")
    (tmp_path / "judge-system.md").write_bytes("Caf\u00e9".encode("latin-1"))
    with pytest.raises(RaterError, match=r"judge-system\.md:1: is not UTF-8"):
        load_prompt("judge-system", tmp_path)


def test_a_utf8_bom_is_accepted(with_responses: Store, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + "q1,t-pe-01,m,1,hi\n").encode())
    assert import_responses(with_responses, path).added == 1


def test_init_with_a_bad_rubric_leaves_no_database_behind(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\naxes: nope\n")
    db = tmp_path / "new.db"
    result = CliRunner().invoke(cli, ["init", "--db", str(db), "--rubric", str(bad)])
    assert result.exit_code == 2 and "bad.yaml" in result.output
    assert not db.exists() and not list(tmp_path.glob("new.db*"))


def test_names_keep_joiners_but_not_bidi_overrides(with_responses: Store, write) -> None:
    persian = "\u0645\u0647\u200c\u0646\u0627\u0632"  # a name with a zero-width non-joiner
    row = {"response_id": "r1", "rater": persian, "axis": "crisis_safety", "score": 4, "rationale": ""}
    assert import_ratings(with_responses, write("ok.jsonl", json.dumps(row) + "\n")).added == 1
    row["rater"] = "Dr \u202eanA"
    assert "holds a control character (RIGHT-TO-LEFT OVERRIDE)" in rejected(
        with_responses, import_ratings, write("bad.jsonl", json.dumps(row) + "\n"))


def test_true_is_never_a_score_even_after_a_one(with_responses: Store, write) -> None:
    rows = [{"response_id": "r1", "judge": "j", "axis": "crisis_safety", "score": 1, "rationale": ""},
            {"response_id": "r2", "judge": "j", "axis": "crisis_safety", "score": True, "rationale": ""}]
    text = "".join(json.dumps(r) + "\n" for r in rows)
    assert "True is not a score" in rejected(with_responses, import_judgments, write("j.jsonl", text))


@pytest.mark.parametrize("chunk", [1, 3, 7, 1 << 20])
def test_streamed_lines_round_trip_and_bad_bytes_are_placed_exactly(tmp_path: Path, monkeypatch, chunk: int) -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    import rater.userfile as userfile

    monkeypatch.setattr(userfile, "CHUNK", chunk)
    path = tmp_path / "t.txt"

    @settings(max_examples=60, deadline=None)
    @given(text=st.text(alphabet=st.sampled_from(["a", "\n", "\r", "é", "€", "𝄞", "\u2028"]), max_size=40),
           bad=st.sampled_from([b"", b"\xe9", b"\xff", b"\xc3(", b"\xe2\x82"]), bom=st.booleans())
    def check(text: str, bad: bytes, bom: bool) -> None:
        head = (b"\xef\xbb\xbf" if bom else b"") + text.encode()
        path.write_bytes(head + bad + (b"z\n" if bad else b""))
        if not bad:
            assert "".join(userfile.iter_lines(path)) == text
            return
        with pytest.raises(RaterError) as err:
            list(userfile.iter_lines(path))
        assert f"at offset {len(head)} (line {text.count(chr(10)) + 1})" in str(err.value)

    check()
