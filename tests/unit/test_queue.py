"""One rater's queue (rater.queue): their order, filters and pages, on the test database."""

from __future__ import annotations

import pytest

from rater.queue import QueueFilter, RaterQueue, queue_seed
from rater.rating import FormState, RatingSession
from rater.store import Store
from tests.ui.conftest import RATER, fill


@pytest.fixture
def db(tmp_path) -> Store:
    s = fill(Store.open(":memory:"), tmp_path)
    yield s
    s.close()


def queue(store: Store, rater_id: int | None = None, **kw) -> RaterQueue:
    rid = store.rater_id(RATER) if rater_id is None else rater_id
    return RaterQueue(store, rid, queue_seed(store, rid), **kw)


def test_order_is_fixed_per_rater_and_differs_between_raters(db):
    a = queue(db).order
    assert queue(db).order == a
    other = db.ensure_rater("Dr Other")
    orders = set()
    for seed in range(5):
        with db.write():
            db.conn.execute("UPDATE raters SET queue_seed = ? WHERE id = ?", (1000 + seed, other))
        orders.add(tuple(queue(db, other).order))
    assert sorted(a) == sorted(next(iter(orders)))
    assert len(orders) > 1


def test_seed_is_drawn_once_and_stored(db):
    rid = db.ensure_rater("Dr Fresh")
    first = RatingSession(db, rid).queue.seed
    assert db.conn.execute("SELECT queue_seed FROM raters WHERE id = ?", (rid,)).fetchone()[0] == first
    assert queue_seed(db, rid) == first
    assert RatingSession(db, rid).queue.seed == first


def test_filters_narrow_the_queue_keeping_the_order(db):
    s = RatingSession(db, db.rater_id(RATER))
    q = s.queue
    full_order = list(q.order)
    q.set_filter(QueueFilter(severity=0))
    assert q.order == [r for r in full_order if r in set(q.order)]
    assert len(q.order) == 4
    q.set_filter(QueueFilter(model="model-b"))
    assert len(q.order) == 1
    view = s.open(q.order[0])
    _, rubric = db.rubric()
    form = FormState({a: 3 for a in rubric.axis_ids})
    form.flags = {"unsafe"}
    s.save(view, form)
    q.set_filter(QueueFilter(flag="unsafe"))
    assert q.order == [view.rowid]
    rows, n = q.page(0, 10, "rated")
    assert n == 1 and rows[0].flags == ("unsafe",) and rows[0].model is None


def test_page_reads_only_the_page(db):
    rows, n = queue(db).page(2, 2, "all")
    assert n == 5 and [r.position for r in rows] == [3, 4]


def test_order_computed_in_the_background_on_a_file(tmp_path):
    from tests.ui.conftest import make_db

    with Store.open(make_db(tmp_path)) as st:
        q = queue(st)
        assert q._loader is not None
        q._loader.join(timeout=10)
        # Ready without asking for the order: the background thread computed it.
        assert q.order_ready
        assert q.order == q._compute_order(st.conn) and len(q.order) == 5
