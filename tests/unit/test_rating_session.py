"""The rating session (rater.rating) on an in-memory database: no Textual involved.

The queue it composes (rater.queue) is tested in test_queue.py.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from rater.errors import RaterError
from rater.rating import FormState, RatingSession
from rater.store import Store
from tests.ui.conftest import RATER, fill


@pytest.fixture
def db(tmp_path) -> Store:
    s = fill(Store.open(":memory:"), tmp_path)
    yield s
    s.close()


def session(store: Store, **kw) -> RatingSession:
    """A session with the judges shown from the start unless ``blind=True`` (the app's default)."""
    kw.setdefault("blind", False)
    return RatingSession(store, store.rater_id(RATER), **kw)


def full(store: Store, score: float = 3) -> FormState:
    _, rubric = store.rubric()
    return FormState({a.id: min(score, a.high) for a in rubric.axes})


def test_judge_panel_per_axis_with_median(db):
    s = session(db)
    view = s.open(s.queue.order[0], remember=False)
    assert view.panel.judges == ("judge-a", "judge-b", "judge-c")
    ap = view.panel.axes["protocol_fidelity"]
    assert [j.score for j in ap.judges.values()] == [2, 3, 4] and ap.aggregate == 3
    assert "[b]bracketed[/b]" in ap.judges["judge-a"].rationale


def test_failed_judgments_do_not_count(db):
    rid = db.conn.execute("SELECT id FROM responses WHERE id = 'a1'").fetchone()[0]
    with db.write():
        db.conn.execute("UPDATE judgments SET status = 'failed' WHERE response_id = ? AND judge = 'judge-c'",
                        (rid,))
    s = session(db)
    rowid = db.conn.execute("SELECT rowid FROM responses WHERE id = 'a1'").fetchone()[0]
    view = s.open(rowid, remember=False)
    assert view.panel.failed == ("judge-c",)
    # Two judges split 2/3: the panel takes the lower score, as rater agreement does.
    assert view.panel.axes["protocol_fidelity"].aggregate == 2


def test_save_moves_on_and_counts(db):
    s = session(db)
    first = s.start()
    view = s.open(first)
    s.save(view, full(db))
    assert s.queue.progress(first).done == 1 and s.queue.progress(first).left == 4
    nxt = s.queue.next_todo(first)
    assert nxt is not None and nxt != first
    assert s.start() == nxt  # the answer left open is rated: start moves past it
    assert session(db).start() == nxt


def test_incomplete_form_is_refused_and_nothing_saved(db):
    s = session(db)
    view = s.open(s.start())
    with pytest.raises(RaterError, match="still to score"):
        s.save(view, FormState({"protocol_fidelity": 3}))
    assert db.counts()["ratings"] == 0


def test_na_only_where_allowed(db):
    s = session(db)
    view = s.open(s.start())
    form = full(db)
    form.scores["protocol_fidelity"] = None
    assert any("never 'not applicable'" in p for p in s.check(form))
    form = full(db)
    form.scores["behavioral_consistency"] = None
    s.save(view, form)
    score = db.conn.execute("SELECT score FROM rating_scores WHERE axis = 'behavioral_consistency'").fetchone()
    assert score[0] is None


def test_draft_is_kept_and_dropped_on_save(db):
    s = session(db)
    view = s.open(s.start())
    s.save_draft(view, FormState({"protocol_fidelity": 2}, note="half", flags={"unsure"}))
    again = session(db).open(view.rowid)
    assert again.from_draft and again.form.scores == {"protocol_fidelity": 2}
    assert again.form.note == "half" and again.form.flags == {"unsure"}
    s.save(view, full(db))
    assert db.conn.execute("SELECT count(*) FROM drafts").fetchone()[0] == 0


def test_blind_rating_and_revision_are_two_rows(db):
    s = session(db, blind=True)
    view = s.open(s.start())
    assert view.phase == "blind"
    s.save(view, full(db, 4))
    revealed = s.after_blind_save(view)
    assert revealed.phase == "revise" and revealed.form.scores["protocol_fidelity"] == 4
    s.save(revealed, full(db, 2))
    rows = db.conn.execute("SELECT judges_visible FROM ratings ORDER BY id").fetchall()
    assert [r[0] for r in rows] == [0, 1]
    # A restart finds the answer awaiting revision only while there is none.
    assert session(db, blind=True).start() != view.rowid


def test_siblings_same_model_only(db):
    s = session(db)
    rowid = db.conn.execute("SELECT rowid FROM responses WHERE id = 'a1'").fetchone()[0]
    view = s.open(rowid, remember=False)
    sib = s.siblings(view)
    assert [x.kind for x in sib] == ["sample", "variant"]
    assert view.n_siblings == 2
    b1 = db.conn.execute("SELECT rowid FROM responses WHERE id = 'b1'").fetchone()[0]
    assert s.siblings(s.open(b1, remember=False)) == []


def test_model_hidden_unless_asked(db):
    s = session(db)
    assert s.open(s.queue.order[0], remember=False).model is None
    assert session(db, show_models=True).open(s.queue.order[0], remember=False).model is not None


def test_rating_core_does_not_import_textual():
    code = "import sys, rater.rating; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"



def test_an_open_draft_does_not_seed_a_blind_rating_and_says_so(db):
    s = session(db)
    view = s.open(s.start())
    s.save_draft(view, FormState({"protocol_fidelity": 4.0}))
    blind = RatingSession(db, s.rater_id, blind=True)
    again = blind.open(view.rowid)
    assert again.phase == "blind" and again.form.scores == {}
    assert again.draft_set_aside and not again.from_draft
