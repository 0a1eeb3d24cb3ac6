"""The study design (rater.study) and scenario-blocked queues: every property the study lead relies on."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from rater import study
from rater.cli import cli
from rater.demo import build_demo
from rater.errors import RaterError
from rater.queue import RaterQueue, queue_listing, queue_seed
from rater.store import AxisScore, Store
from tests import simdata

STRATA = ("model", "modality", "risk_level")


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    """A generated database of 2,208 answers (4 models x 92 scenarios x 6 samples), three judges."""
    path = tmp_path_factory.mktemp("big") / "big.db"
    simdata.build(Store.open(path)).close()
    return path


@pytest.fixture
def big_store(big: Path, tmp_path: Path) -> Store:
    copy = tmp_path / "big.db"
    copy.write_bytes(big.read_bytes())
    s = Store.open(copy)
    yield s
    s.close()


@pytest.fixture
def demo(tmp_path: Path) -> Store:
    s = build_demo(tmp_path / "demo.db")
    yield s
    s.close()


def design_of(store: Store) -> dict:
    """The stored design: per answer its stratum, family, probability and raters."""
    sid = study.current_study(store).id
    out = {r[0]: {"stratum": r[1], "family": r[2], "p": r[3], "raters": set()} for r in store.conn.execute(
        "SELECT response_id, stratum, family, inclusion_prob FROM study_answers WHERE study_id = ?", (sid,))}
    for rid, name in store.conn.execute(
            "SELECT a.response_id, r.name FROM assignments a JOIN raters r ON r.id = a.rater_id "
            "WHERE a.study_id = ?", (sid,)):
        out[rid]["raters"].add(name)
    return out


def check_properties(store: Store, k: int, n: int) -> study.Design:
    design = study.describe(store)
    d = design_of(store)
    # exactly K raters on every chosen answer
    assert all(len(v["raters"]) == k for v in d.values())
    # families whole, with the same raters
    by_family = defaultdict(list)
    for v in d.values():
        by_family[v["family"]].append(v)
    every = defaultdict(int)
    for a in study.answers(store):
        every[a.family] += 1
    for fam, members in by_family.items():
        assert len(members) == every[fam], fam
        assert len({frozenset(m["raters"]) for m in members}) == 1
    # every stratum represented, each near its proportional share (within one family)
    total = sum(of for _, of in design.strata.values())
    for stratum, (got, of) in design.strata.items():
        assert got >= 1, stratum
        if got > design.max_family:
            assert abs(got - design.answers * of / total) <= design.max_family, stratum
    # balanced
    assert design.spread <= design.max_family
    return design


def test_assign_on_the_demo_meets_every_property(demo):
    design = study.assign(demo, ["A", "B", "C", "D"], 2, 40, STRATA, seed=3)
    check_properties(demo, 2, 40)
    assert abs(design.answers - 40) <= design.max_family
    assert {r[0] for r in demo.conn.execute("SELECT name FROM raters")} >= {"A", "B", "C", "D"}
    d = design_of(demo)
    for name in ("A", "B", "C", "D"):
        rows = queue_listing(demo, demo.rater_id(name))
        assert {r["response_id"] for r in rows} == {k for k, v in d.items() if name in v["raters"]}
        blocks = [r["scenario_id"] for i, r in enumerate(rows)
                  if i == 0 or r["scenario_id"] != rows[i - 1]["scenario_id"]]
        assert len(blocks) == len(set(blocks))  # each scenario read once


def test_assign_on_2000_answers_meets_every_property(big_store):
    design = study.assign(big_store, ["A", "B", "C", "D"], 2, 1000, STRATA, seed=3)
    check_properties(big_store, 2, 1000)
    assert abs(design.answers - 1000) <= 2 * design.max_family


def test_each_rater_queue_holds_exactly_their_assignment_in_scenario_blocks(big_store):
    study.assign(big_store, ["A", "B", "C"], 2, 400, STRATA, seed=5)
    d = design_of(big_store)
    for name in ("A", "B", "C"):
        rid = big_store.rater_id(name)
        rows = queue_listing(big_store, rid)
        assert {r["response_id"] for r in rows} == {k for k, v in d.items() if name in v["raters"]}
        assert [r["position"] for r in rows] == list(range(1, len(rows) + 1))
        # one block per scenario: a scenario never comes back once left
        seen, last = set(), None
        for r in rows:
            if r["scenario_id"] != last:
                assert r["scenario_id"] not in seen
                seen.add(r["scenario_id"])
                last = r["scenario_id"]


def test_block_position_and_random_order_inside_blocks(big_store):
    rid = big_store.ensure_rater("solo")
    q = RaterQueue(big_store, rid, queue_seed(big_store, rid))
    first = q.order[0]
    place, size = q.block(first)
    assert place == 1 and size == 24  # 4 models x 6 samples of one scenario
    assert q.block(q.order[1]) == (2, 24)
    # models are mixed inside the block, not one model's samples first
    models = [big_store.conn.execute("SELECT model FROM responses WHERE rowid = ?", (r,)).fetchone()[0]
              for r in q.order[:24]]
    assert models != sorted(models)
    # another rater has another order of blocks
    other = big_store.ensure_rater("other")
    with big_store.write():
        big_store.conn.execute("UPDATE raters SET queue_seed = 12345 WHERE id = ?", (other,))
    assert RaterQueue(big_store, other, queue_seed(big_store, other)).order[:24] != q.order[:24]


def test_without_a_study_every_rater_queue_holds_every_answer(demo):
    rid = demo.ensure_rater("new")
    assert len(queue_listing(demo, rid)) == demo.conn.execute("SELECT count(*) FROM responses").fetchone()[0]


def test_extending_never_moves_ratings_already_made(big_store):
    study.assign(big_store, ["A", "B", "C", "D"], 2, 300, STRATA, seed=1)
    before = design_of(big_store)
    # Each rater rates the first half of their queue.
    made = set()
    for name in ("A", "B", "C", "D"):
        rows = queue_listing(big_store, big_store.rater_id(name))
        ids = [r["response_id"] for r in rows[: len(rows) // 2]]
        simdata.rate(big_store, name, ids)
        made |= {(name, i) for i in ids}
    design = study.assign(big_store, ["A", "B", "C", "D", "E"], 2, 600, STRATA)
    assert design.added_answers > 0 and "E" in design.loads
    design = study.add_rater(big_store, "F")
    after = design_of(big_store)
    assert set(before) <= set(after)
    for name, rid in made:
        assert name in after[rid]["raters"]
    check_properties(big_store, 2, 600)
    assert design.loads["F"] > 0


def test_assign_refuses_what_it_cannot_do_and_changes_nothing(big_store):
    with pytest.raises(RaterError, match="cannot rate each answer 3 times"):
        study.assign(big_store, ["A", "B"], 3, 100)
    with pytest.raises(RaterError, match="cannot stratify by colour"):
        study.assign(big_store, ["A", "B"], 2, 100, ["colour"])
    assert study.current_study(big_store) is None
    study.assign(big_store, ["A", "B"], 2, 100, seed=1)
    with pytest.raises(RaterError, match="same options"):
        study.assign(big_store, ["A", "B"], 2, 200, ["model"])
    with pytest.raises(RaterError, match="never shrinks"):
        study.assign(big_store, ["A", "B"], 2, 10)


def test_disagreement_strategy_draws_where_judges_disagree_and_weights_back(big: Path, tmp_path: Path):
    """Every draw: weights of at least 1 on exactly the drawn answers, adding up to about every answer.
    Over several draws (one draw's luck proves nothing either way): the drawn answers' mean spread is
    above the population's, and the weighted mean is nearer to it than the unweighted one."""
    chosen, weighted = [], []
    for seed in range(1, 7):
        path = tmp_path / f"d{seed}.db"
        path.write_bytes(big.read_bytes())
        with Store.open(path) as store:
            spread = study.judge_spread(store)
            study.assign(store, ["A", "B", "C"], 2, 500, ("model",), seed=seed, strategy="disagreement")
            d = design_of(store)
            population = sum(spread.values()) / len(spread)
            weights = study.inclusion_weights(store)
        assert set(weights) == set(d) and all(w >= 1 for w in weights.values())
        # Horvitz-Thompson: the weights add up to about the number of answers in the database
        assert sum(weights.values()) == pytest.approx(len(spread), rel=0.15)
        chosen.append(sum(spread[r] for r in d) / len(d))
        weighted.append(sum(weights[r] * spread[r] for r in d) / sum(weights.values()))
    mean_chosen, mean_weighted = sum(chosen) / len(chosen), sum(weighted) / len(weighted)
    assert mean_chosen > population
    # and the weighted mean spread estimates the population mean
    assert abs(mean_weighted - population) < abs(mean_chosen - population)


def test_no_study_no_weights(demo):
    assert study.inclusion_weights(demo) == {}


def test_cli_assign_queue_and_show(big: Path, tmp_path: Path):
    path = tmp_path / "c.db"
    path.write_bytes(big.read_bytes())
    runner = CliRunner()
    out = runner.invoke(cli, ["study", "assign", "--db", str(path), "--raters", "A,B,C,D", "--per-answer",
                              "2", "--answers", "300", "--stratify", "model,risk_level", "--seed", "4"])
    assert out.exit_code == 0, out.output
    assert "max - min" in out.output
    res = runner.invoke(cli, ["queue", "--db", str(path), "--rater", "A", "--json"])
    rows = json.loads(res.output)
    assert rows and set(rows[0]) == {"position", "response_id", "scenario_id", "status"}
    assert {r["status"] for r in rows} == {"todo"}
    bad = runner.invoke(cli, ["study", "assign", "--db", str(path), "--raters", "A", "--per-answer", "3",
                              "--answers", "300", "--stratify", "model,risk_level"])
    assert bad.exit_code == 2 and "error:" in bad.output


def test_pareto_draw_hits_its_probabilities_and_the_answer_count():
    import numpy as np

    sizes = [6, 6, 12, 6, 18, 6, 6, 12]
    probs = study.answer_probabilities([1, 2, 3, 4, 0.5, 6, 1, 1], sizes, 30)
    assert sum(p * s for p, s in zip(probs, sizes, strict=True)) == pytest.approx(30) and max(probs) <= 1
    rng = np.random.default_rng(0)
    counts = np.zeros(len(probs))
    for _ in range(4000):
        drawn = study.pareto_draw(probs, sizes, 30, rng)
        assert abs(sum(sizes[i] for i in drawn) - 30) <= max(sizes) / 2
        counts[drawn] += 1
    assert np.allclose(counts / 4000, probs, atol=0.08)


def test_calibration_fits_are_weighted_by_inclusion():
    import numpy as np

    from rater.stats.calibration import fit_isotonic, fit_linear

    x = np.array([1.0, 2, 3, 4, 5, 5])
    y = np.array([1.0, 2, 3, 4, 5, 1])
    # the last pair was drawn with probability 1/100 less often than it should count: weight it up
    light = fit_linear(x, y, np.array([1.0, 1, 1, 1, 1, 0.001]))
    heavy = fit_linear(x, y, np.array([1.0, 1, 1, 1, 1, 100]))
    assert light[1] == pytest.approx(1.0, abs=0.01) and heavy[1] < 0.5
    _, iso = fit_isotonic(x, y, np.array([1.0, 1, 1, 1, 1, 3]))
    assert iso[-1] == pytest.approx(2.5)  # unweighted: 3.25


def test_calibrate_cli_weights_a_study(big: Path, tmp_path: Path):
    path = tmp_path / "w.db"
    path.write_bytes(big.read_bytes())
    store = Store.open(path)
    study.assign(store, ["A", "B"], 2, 120, ("model",), seed=1, strategy="disagreement")
    for name in ("A", "B"):
        simdata.rate(store, name, [r["response_id"] for r in queue_listing(store, store.rater_id(name))])
    store.close()
    out = CliRunner().invoke(cli, ["calibrate", "--db", str(path), "--bootstrap", "20", "--seed", "1",
                                   "--out", str(tmp_path / "cal.json")])
    assert out.exit_code == 0, out.output
    assert "weighted by 1 / inclusion probability" in out.output
    assert json.loads((tmp_path / "cal.json").read_text())["weights"]


def test_status_shows_each_rater_progress_and_complete_answers(big: Path, tmp_path: Path):
    path = tmp_path / "s.db"
    path.write_bytes(big.read_bytes())
    store = Store.open(path)
    study.assign(store, ["A", "B"], 2, 60, seed=1)
    rows = queue_listing(store, store.rater_id("A"))
    simdata.rate(store, "A", [r["response_id"] for r in rows[:10]], seconds=30)
    simdata.rate(store, "B", [r["response_id"] for r in rows[:4]], seconds=90)
    store.save_skip(rater_id=store.rater_id("A"), response_id=rows[10]["response_id"], reason="broken_answer")
    with pytest.raises(RaterError, match="needs a note"):
        store.save_skip(rater_id=store.rater_id("A"), response_id=rows[11]["response_id"], reason="other")
    raters, summary = study.progress(store)
    a = next(p for p in raters if p.name == "A")
    assert (a.assigned, a.rated, a.skipped, a.left) == (len(rows), 10, 1, len(rows) - 11)
    assert a.median_seconds == 30
    assert summary["complete"] == 4 and summary["per_answer"] == 2
    store.close()
    out = CliRunner().invoke(cli, ["status", "--db", str(path)]).output
    assert f"rater      A: {len(rows)} assigned, 10 rated, 1 skipped, {len(rows) - 11} left, median 30 s" in out
    assert "4 with 2 blind ratings already" in out
    listing = json.loads(CliRunner().invoke(cli, ["queue", "--db", str(path), "--rater", "A", "--json"]).output)
    assert [r["status"] for r in listing[:12]] == ["rated"] * 10 + ["skipped", "todo"]


def test_weighted_agreement_counts_an_answer_as_often_as_its_weight(big_store):
    import krippendorff
    import numpy as np

    from rater.stats.agreement import compute
    from rater.stats.tidy import from_store

    ids = [a.response_id for a in study.answers(big_store)][:120]
    simdata.rate(big_store, "A", ids, noise=0.7)
    simdata.rate(big_store, "B", ids, noise=0.7)
    tidy = from_store(big_store, "blind")
    plain = compute(tidy, n_boot=20, seed=1, replacement=False)
    same = compute(tidy, n_boot=20, seed=1, replacement=False, weights={r: 5.0 for r in ids})
    key = ("crisis_safety", "human-human")
    pick = {(r.axis, r.comparison): r for r in plain.records if r.by is None}
    pick_same = {(r.axis, r.comparison): r for r in same.records if r.by is None}
    assert pick_same[key].alpha == pytest.approx(pick[key].alpha)
    # weight 3 on the first 40 answers is (nearly) those answers rated three times over
    weighted = compute(tidy, n_boot=20, seed=1, replacement=False, weights={r: 3.0 for r in ids[:40]})
    got = next(r for r in weighted.records if (r.axis, r.comparison) == key and r.by is None).alpha
    scores = {(rid, rater): s for rid, rater, s in big_store.conn.execute(
        "SELECT g.response_id, r.name, s.score FROM ratings g JOIN raters r ON r.id = g.rater_id "
        "JOIN rating_scores s ON s.rating_id = g.id WHERE s.axis = 'crisis_safety'")}
    units = ids[:40] * 3 + ids[40:]
    data = np.array([[scores[(u, who)] for u in units] for who in ("A", "B")], dtype=float)
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement="ordinal",
                                  value_domain=np.arange(1.0, 6.0))
    assert got == pytest.approx(expected, abs=0.005)
    assert abs(got - pick[key].alpha) > 1e-6


def test_agreement_weighs_a_disagreement_study_by_default(big: Path, tmp_path: Path):
    path = tmp_path / "d.db"
    path.write_bytes(big.read_bytes())
    store = Store.open(path)
    study.assign(store, ["A", "B"], 2, 150, ("model",), seed=1, strategy="disagreement")
    for name in ("A", "B"):
        simdata.rate(store, name, [r["response_id"] for r in queue_listing(store, store.rater_id(name))])
    store.close()
    runner = CliRunner()
    out = runner.invoke(cli, ["agreement", "--db", str(path), "--bootstrap", "20", "--seed", "1"])
    assert "weighted by 1 / inclusion probability" in out.output
    plain = runner.invoke(cli, ["agreement", "--db", str(path), "--bootstrap", "20", "--seed", "1",
                                "--weights", "none"])
    assert "weighted by" not in plain.output


def test_cli_add_rater_and_show(big: Path, tmp_path: Path):
    path = tmp_path / "r.db"
    path.write_bytes(big.read_bytes())
    runner = CliRunner()
    none = runner.invoke(cli, ["study", "show", "--db", str(path)])
    assert "no study: every rater's queue holds every answer" in none.output
    runner.invoke(cli, ["study", "assign", "--db", str(path), "--raters", "A,B,C", "--per-answer", "2",
                        "--answers", "200", "--seed", "2"])
    out = runner.invoke(cli, ["study", "add-rater", "--db", str(path), "--rater", "D", "--json"])
    body = json.loads(out.output)
    assert body["loads"]["D"] > 0 and body["spread"] <= body["max_family"]
    again = runner.invoke(cli, ["study", "add-rater", "--db", str(path), "--rater", "D"])
    assert again.exit_code == 2 and "already in the study" in again.output
    shown = runner.invoke(cli, ["study", "show", "--db", str(path)])
    assert "D:" in shown.output and "max - min" in shown.output


def test_extending_a_uniform_study_keeps_one_probability_per_stratum(big_store):
    study.assign(big_store, ["A", "B", "C"], 2, 200, ("model",), seed=4)
    study.assign(big_store, ["A", "B", "C"], 2, 600, ("model",))
    d = design_of(big_store)
    by_stratum: dict[str, set[float]] = defaultdict(set)
    for v in d.values():
        by_stratum[v["stratum"]].add(round(v["p"], 9))
    assert all(len(ps) == 1 for ps in by_stratum.values())
    assert all(0 < next(iter(ps)) < 1 for ps in by_stratum.values())
    # Horvitz-Thompson: the weights add up to about every answer in the database
    assert sum(study.inclusion_weights(big_store).values()) == pytest.approx(len(study.answers(big_store)),
                                                                           rel=0.15)


def test_status_counts_only_the_study_raters_ratings_as_complete(demo: Store):
    # Found on the demo: right after `study assign`, status said "44 with 2 blind ratings already"
    # because the demo clinicians (not in the study) had rated every answer.
    study.assign(demo, ["Dr A", "Dr B", "Dr C"], 2, 40, seed=3)
    _, summary = study.progress(demo)
    assert summary["answers"] > 0 and summary["complete"] == 0
    rows = queue_listing(demo, demo.rater_id("Dr A"))
    first = rows[0]["response_id"]
    other = next(r for r in ("Dr B", "Dr C") if first in
                 {x["response_id"] for x in queue_listing(demo, demo.rater_id(r))})
    version, _ = demo.rubric()
    for name in ("Dr A", other):
        demo.save_rating(rater_id=demo.rater_id(name), response_id=first, rubric_version=version,
                         judges_visible=False, shown_from_start=False,
                         scores={a: AxisScore(3.0) for a in ("protocol_fidelity", "crisis_safety")})
    assert study.progress(demo)[1]["complete"] == 1


def test_queue_listing_keeps_its_columns_and_says_when_a_queue_is_empty(demo: Store):
    # Found on the demo: long scenario ids pushed the response column out of line, and a rater
    # outside the study got a bare header.
    study.assign(demo, ["Dr A", "Dr B"], 2, 20, seed=3)
    out = CliRunner().invoke(cli, ["queue", "--db", str(demo.path), "--rater", "Dr A"]).output
    lines = out.splitlines()
    starts = {line.index(r["response_id"]) for line, r in
              zip(lines[1:], queue_listing(demo, demo.rater_id("Dr A")), strict=True)}
    assert starts == {lines[0].index("response")}
    out = CliRunner().invoke(cli, ["queue", "--db", str(demo.path), "--rater", "demo-clinician-1"]).output
    assert "queue is empty" in out
