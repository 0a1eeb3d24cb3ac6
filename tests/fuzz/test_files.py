"""Every importer and loader, fed generated and mutated files: a result or a RaterError, nothing else.

On a RaterError the database is exactly as it was. A traceback fails the
test (hypothesis then shrinks the file to the smallest that shows it), and
the profile's deadline fails an example that hangs.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from rater import bundled
from rater.errors import RaterError
from rater.importers import import_judgments, import_ratings, import_responses, import_scenarios
from rater.llm.config import load_config
from rater.llm.prompts import load_prompt
from rater.rubric import load_rubric
from rater.stats.calibration import read_file as read_calibration
from rater.stats.tidy import from_file
from rater.store import Store
from tests.conftest import FIXTURES, RESPONSES_CSV
from tests.fuzz.conftest import OUTCOMES

NASTY = ["", " ", "0", "1", "3", "5", "-1", "2.5", "\u00b2", "\u2460", "\u0663", "\uff13", "0_3", "+3",
         "1e0", "nan", "inf", "9" * 30, "9" * 5000, "\x00", "\x1b[2J\x1b]0;pwned\x07", "a\nb", "a\r\nb",
         "\u202e", '"', ",", "{", "[", "caf\u00e9", "x" * 140_000, "r1", "r2", "t-pe-01", "t-pe-01-s1",
         "model-a", "judge-a", "Dr Ana", "crisis_safety", "protocol_fidelity", "hallucination_risk",
         "true", "null", "=cmd|' /C calc'!A0", "@SUM(1)"]
COLUMNS = ["response_id", "scenario_id", "model", "sample", "text", "judge", "rater", "axis", "score",
           "rationale", "judges_visible", "id", "title", "modality", "step", "severity", "risk_level",
           "source", "text"]
cells = st.sampled_from(NASTY) | st.text(max_size=20)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(min_value=10**30, max_value=10**40)
    | st.floats(allow_nan=True, allow_infinity=True) | cells,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(cells, inner, max_size=3), max_leaves=8)


def _template() -> sqlite3.Connection:
    store = Store.open(":memory:")
    store.ensure_rubric(load_rubric())
    import_scenarios(store, [FIXTURES / "family.yaml"])
    path = Path(__import__("tempfile").mkdtemp()) / "r.csv"
    path.write_text(RESPONSES_CSV)
    import_responses(store, path)
    return store.conn


TEMPLATE = _template()


def fresh_store() -> Store:
    conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    TEMPLATE.backup(conn)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    return Store(conn, ":memory:")


def snapshot(store: Store) -> list[Any]:
    tables = [r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                               "ORDER BY name")]
    return [(t, [tuple(r) for r in store.conn.execute(f"SELECT * FROM {t}")]) for t in tables]


def attempt(call: Callable[[], Any], store: Store | None = None) -> None:
    """Run one loader: it returns or raises RaterError (database unchanged); anything else fails."""
    before = snapshot(store) if store is not None else None
    try:
        call()
    except RaterError as exc:
        OUTCOMES["rejected"] += 1
        assert str(exc).strip(), "an error with no message"
        assert "Traceback" not in str(exc)
        if store is not None:
            assert snapshot(store) == before, "a rejected file changed the database"
    else:
        OUTCOMES["accepted"] += 1


def mutate(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    for pos, cut, insert in edits:
        pos = pos % (len(data) + 1)
        data = data[:pos] + insert + data[pos + cut:]
    return data


edits = st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 8),
                           st.sampled_from([b"", b"\x00", b"\xff", b"\xe9", b"\xef\xbb\xbf", b"\n", b"\r",
                                            b",", b'"', b"{", b"}", b"[", b":", b"- ", b"*a", b"&a ",
                                            b"\t", b"9" * 40, b"\xc3", b"  "]) | st.binary(max_size=6)),
                 max_size=6)


def csv_text(header: list[str], rows: list[list[str]], quoted: bool) -> str:
    if not quoted:
        return "\n".join(",".join(r) for r in [header, *rows]) + "\n"
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


tables = st.tuples(
    st.lists(st.sampled_from(COLUMNS), min_size=0, max_size=7),
    st.lists(st.lists(cells, max_size=7), max_size=5),
    st.booleans())

IMPORTERS = {"responses": (import_responses, ["response_id", "scenario_id", "model", "sample", "text"]),
             "judgments": (import_judgments, ["response_id", "judge", "axis", "score", "rationale"]),
             "ratings": (import_ratings, ["response_id", "rater", "axis", "score", "rationale"])}


@pytest.mark.parametrize("kind", list(IMPORTERS))
@given(table=tables, use_columns=st.booleans())
def test_generated_csv_files(tmp_path_factory: pytest.TempPathFactory, kind: str,
                             table: tuple[list[str], list[list[str]], bool], use_columns: bool) -> None:
    importer, columns = IMPORTERS[kind]
    header, rows, quoted = table
    if use_columns:
        header = columns
        rows = [(r + ["3"] * 5)[:5] for r in rows]
    path = tmp_path_factory.mktemp("f") / "file.csv"
    path.write_text(csv_text(header, rows, quoted), encoding="utf-8", newline="")
    store = fresh_store()
    attempt(lambda: importer(store, path), store)


@pytest.mark.parametrize("kind", list(IMPORTERS))
@given(rows=st.lists(st.dictionaries(st.sampled_from(COLUMNS), json_values, max_size=6), max_size=4),
       base=st.booleans())
def test_generated_jsonl_files(tmp_path_factory: pytest.TempPathFactory, kind: str,
                               rows: list[dict[str, Any]], base: bool) -> None:
    importer, columns = IMPORTERS[kind]
    if base:
        rows = [{c: r.get(c, "3") for c in columns} for r in rows]
    path = tmp_path_factory.mktemp("f") / "file.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    store = fresh_store()
    attempt(lambda: importer(store, path), store)


GOOD = {
    "responses.csv": RESPONSES_CSV.replace("r1,", "q1,").replace("r2,", "q2,").replace("r3,", "q3,")
    .replace(",1,", ",5,").replace(",2,", ",6,"),
    "judgments.csv": "response_id,judge,axis,score,rationale\nr1,judge-z,crisis_safety,4,fine\n"
                     "r2,judge-z,protocol_fidelity,,x\n",
    "ratings.jsonl": json.dumps({"response_id": "r1", "rater": "Ana", "axis": "crisis_safety",
                                 "score": 4, "rationale": "ok"}) + "\n",
}


@pytest.mark.parametrize("name", list(GOOD))
@given(changes=edits)
def test_mutated_import_files(tmp_path_factory: pytest.TempPathFactory, name: str,
                              changes: list[tuple[int, int, bytes]]) -> None:
    importer = IMPORTERS[name.split(".")[0]][0]
    path = tmp_path_factory.mktemp("f") / name
    path.write_bytes(mutate(GOOD[name].encode(), changes))
    store = fresh_store()
    attempt(lambda: importer(store, path), store)


FAMILY = (FIXTURES / "family.yaml").read_bytes()


@given(changes=edits)
def test_mutated_scenario_yaml(tmp_path_factory: pytest.TempPathFactory,
                               changes: list[tuple[int, int, bytes]]) -> None:
    path = tmp_path_factory.mktemp("f") / "family.yaml"
    path.write_bytes(mutate(FAMILY.replace(b"t-pe-01", b"f-pe-01"), changes))
    store = fresh_store()
    attempt(lambda: import_scenarios(store, [path]), store)


yaml_docs = st.dictionaries(st.sampled_from(["id", "title", "modality", "step", "severity", "risk_level",
                                             "base_id", "demographic_group", "demographics",
                                             "conversation", "expected", "contraindicated", "task",
                                             "patient_message", "patient_profile", "notes",
                                             "failure_modes"]) | cells, json_values, max_size=10)


@given(docs=st.lists(yaml_docs, min_size=1, max_size=3), jsonl=st.booleans())
def test_generated_scenario_files(tmp_path_factory: pytest.TempPathFactory, docs: list[dict[str, Any]],
                                  jsonl: bool) -> None:
    folder = tmp_path_factory.mktemp("f")
    if jsonl:
        path = folder / "s.jsonl"
        path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    else:
        path = folder / "s.yaml"
        path.write_text(yaml.safe_dump_all(docs, allow_unicode=True))
    store = fresh_store()
    attempt(lambda: import_scenarios(store, [path]), store)


RUBRIC = bundled.rubric_path().read_bytes()


@given(changes=edits)
def test_mutated_rubrics(tmp_path_factory: pytest.TempPathFactory, changes: list[tuple[int, int, bytes]]) -> None:
    path = tmp_path_factory.mktemp("f") / "rubric.yaml"
    path.write_bytes(mutate(RUBRIC, changes))
    attempt(lambda: load_rubric(path))


PANEL = b'aggregate = "median"\n\n[[judge]]\nname = "judge-a"\nmodel = "openai/x"\nrpm = 60\nbackoff = 1.5\n' \
        b'timeout = 30\nmax_reply_kb = 64\ntemperature = 0\n'
toml_values = st.sampled_from(["nan", "inf", "-inf", "0", "-1", "1e400", "9" * 5000, '"x"', "true",
                               "[" * 300 + "]" * 300, "{a = 1}", "[1, 2]", "1979-05-27", '"\\u0000"'])


@given(changes=edits, key=st.sampled_from(["rpm", "backoff", "timeout", "retries", "invalid_retries",
                                           "max_reply_kb", "name", "model", "api_key_env", "aggregate",
                                           "structured_output", "extra_headers"]),
       value=toml_values)
def test_mutated_and_odd_panels(tmp_path_factory: pytest.TempPathFactory, changes: list[tuple[int, int, bytes]],
                                key: str, value: str) -> None:
    path = tmp_path_factory.mktemp("f") / "panel.toml"
    path.write_bytes(mutate(PANEL + f"{key} = {value}\n".encode(), changes))
    attempt(lambda: load_config(path, "judge"))


@given(data=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_prompt_files(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    folder = tmp_path_factory.mktemp("f")
    (folder / "judge-system.md").write_bytes(b"---\nversion: 1\n---\n" + data if data[:1] == b"x" else data)
    load_prompt.cache_clear()
    attempt(lambda: load_prompt("judge-system", folder))


@given(body=json_values, changes=edits)
def test_calibration_files(tmp_path_factory: pytest.TempPathFactory, body: Any,
                           changes: list[tuple[int, int, bytes]]) -> None:
    path = tmp_path_factory.mktemp("f") / "calibration.json"
    doc = {"format": "rater-calibration/1", "maps": body} if isinstance(body, dict) else body
    path.write_bytes(mutate(json.dumps(doc).encode(), changes))
    attempt(lambda: read_calibration(path))


@given(table=tables)
def test_score_files_for_analysis(tmp_path_factory: pytest.TempPathFactory,
                                  table: tuple[list[str], list[list[str]], bool]) -> None:
    header, rows, quoted = table
    path = tmp_path_factory.mktemp("f") / "scores.csv"
    path.write_text(csv_text(header or ["response_id", "rater", "axis", "score"], rows, quoted))
    store = fresh_store()
    attempt(lambda: from_file(path, store), store)


VALID = {
    "responses": [["n1", "t-pe-01", "model-z", "0", "An answer."], ["n2", "t-pe-01-s1", "model-z", "1", "Another."]],
    "judgments": [["r1", "judge-z", "crisis_safety", "4", "fine"], ["r2", "judge-z", "protocol_fidelity", "", "n/a"],
                  ["r3", "judge-z", "hallucination_risk", "5", "ok"]],
    "ratings": [["r1", "Ana", "crisis_safety", "4", "fine"], ["r2", "Ben", "protocol_fidelity", "2", "x"]],
}


@pytest.mark.parametrize("kind", list(IMPORTERS))
@given(where=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 4), cells), max_size=2),
       jsonl=st.booleans(), twice=st.booleans())
def test_nearly_valid_files(tmp_path_factory: pytest.TempPathFactory, kind: str,
                            where: list[tuple[int, int, str]], jsonl: bool, twice: bool) -> None:
    """Valid rows with a cell or two replaced: reaches the checks and writes that wholly bad files do not."""
    importer, columns = IMPORTERS[kind]
    rows = [list(r) for r in VALID[kind]]
    for row, col, value in where:
        rows[row % len(rows)][col] = value
    folder = tmp_path_factory.mktemp("f")
    if jsonl:
        path = folder / "file.jsonl"
        path.write_text("".join(json.dumps(dict(zip(columns, r, strict=True))) + "\n" for r in rows))
    else:
        path = folder / "file.csv"
        path.write_text(csv_text(columns, rows, True), newline="")
    store = fresh_store()
    attempt(lambda: importer(store, path), store)
    if twice:  # importing the same file again changes nothing, or is refused the same way
        attempt(lambda: importer(store, path), store)
