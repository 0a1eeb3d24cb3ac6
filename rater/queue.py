"""One rater's queue: the order they work through the answers in, filters, and progress.

Each rater works through every answer (with a study, see rater.study:
the answers assigned to them) in an order of their own, in blocks: every
answer to one scenario comes together (reading the scenario, not pressing
keys, is what a rating costs), the scenarios of one family follow each
other, and the families, the scenarios inside a family and the answers
inside a scenario block are each in an order keyed by the rater's
``queue_seed`` (drawn once and stored in ``raters``). The order is computed
by SQLite in one pass when the session starts (about 0.1 s for 100,000
answers) and kept as a list of rowids, so moving to the next answer is a
walk along that list skipping what the rater has rated (a Python set), not
a query. Answers imported later slot into the order by their key; the order
of the answers already there never changes. Skipped answers (with a reason)
count as done, not as rated.

No Textual here: ``RatingSession`` owns one ``RaterQueue`` (``session.queue``)
and tells it what was shown and saved; the queue screen reads pages from it.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from dataclasses import dataclass
from typing import Any, Literal

from rater.errors import Problem, RaterError
from rater.rules import FLAGS
from rater.store import Store
from rater.study import current_study, scenario_family_sql

Status = Literal["todo", "rated", "draft", "skipped", "all"]
STATUSES: tuple[Status, ...] = ("todo", "rated", "draft", "skipped", "all")

_P = 2147483647  # 2^31 - 1: every product below stays inside SQLite's 64-bit integers


def answer_label(rowid: int) -> str:
    """The neutral name of an answer everywhere it is shown ("Answer 4711"): its rowid is stable
    across raters and sessions and gives away neither the model nor the scenario."""
    return f"Answer {rowid}"


def order_key_sql(seed_param: str = ":seed", column: str = "rowid") -> str:
    """A SQL expression giving each answer its place in a rater's order.

    An affine map mod a prime with one xorshift in between: cheap enough for
    SQLite to evaluate on 100,000 rows in tens of milliseconds, and mixed
    enough that answers imported together (one model, one scenario) do not
    stay together. SQLite has no XOR, so ``a ^ b`` is written ``(a | b) - (a & b)``.
    """
    x = f"(({column} * 48271 + {seed_param}) % {_P})"
    shifted = f"({x} >> 13)"
    return f"((({x} | {shifted}) - ({x} & {shifted})) * 1597334677 % {_P})"


def queue_seed(store: Store, rater_id: int) -> int:
    """The rater's ``queue_seed``, drawn and stored on first use so their order never changes.

    Raises RaterError when there is no such rater.
    """
    row = store.conn.execute("SELECT queue_seed FROM raters WHERE id = ?", (rater_id,)).fetchone()
    if row is None:
        raise RaterError(Problem(f"no rater with id {rater_id}", store.path))
    if row[0] is not None:
        return int(row[0])
    return store.set_queue_seed(rater_id, secrets.randbelow(2**30))


@dataclass(frozen=True)
class Progress:
    done: int       # answers in the current queue this rater has rated or skipped
    left: int       # answers in the current queue not yet done
    total: int      # answers in the current queue
    position: int   # 1-based place of the current answer in the rater's order (0: none)


@dataclass(frozen=True)
class QueueFilter:
    modality: str | None = None
    severity: int | None = None
    model: str | None = None
    flag: str | None = None       # only answers this rater flagged so (implies rated)

    def where(self) -> tuple[list[str], list[Any]]:
        """SQL conditions on ``responses r JOIN scenarios s`` and their arguments (none: no narrowing).

        ``flag`` is not among them: it depends on the rater's ratings (see ``RaterQueue.set_filter``).
        """
        clauses: list[str] = []
        args: list[Any] = []
        if self.modality:
            clauses.append("s.modality = ?")
            args.append(self.modality)
        if self.severity is not None:
            clauses.append("s.severity = ?")
            args.append(self.severity)
        if self.model:
            clauses.append("r.model = ?")
            args.append(self.model)
        return clauses, args

    @property
    def is_empty(self) -> bool:
        return self == QueueFilter()


@dataclass(frozen=True)
class QueueRow:
    rowid: int
    position: int     # place in the rater's whole order (unchanged by filters)
    label: str
    modality: str
    step: str
    severity: int
    model: str | None
    status: str       # todo | draft | rated | skipped
    flags: tuple[str, ...]


class RaterQueue:
    """One rater's answers in their order: filtering, what comes next, progress and pages.

    On a database file the order is computed on a read-only connection of its
    own in a background thread; ``order_ready`` says whether it is done and
    ``order`` waits for it. ``show_models`` decides whether pages name the model.
    """

    def __init__(self, store: Store, rater_id: int, seed: int, *, show_models: bool = False) -> None:
        self.store = store
        self.rater_id = rater_id
        self.seed = seed
        self.show_models = show_models
        self.filter = QueueFilter()
        self._full_order: list[int] | None = None
        self._order: list[int] | None = None
        self._index: dict[int, int] | None = None
        self._index_full: dict[int, int] | None = None
        self.rated: set[int] = {int(r[0]) for r in store.conn.execute(
            "SELECT DISTINCT r.rowid FROM ratings g JOIN responses r ON r.id = g.response_id "
            "WHERE g.rater_id = ?", (rater_id,))}
        self.skipped: set[int] = {int(r[0]) for r in store.conn.execute(
            "SELECT r.rowid FROM skips k JOIN responses r ON r.id = k.response_id "
            "WHERE k.rater_id = ?", (rater_id,))} - self.rated
        self.study = current_study(store)
        self._done_in_order: int | None = None
        self._scenario_of: dict[int, int] = {}
        self._loader: threading.Thread | None = None
        if store.path == ":memory:":
            self._full_order = self._compute_order(store.conn)
        else:
            # Sorting 100,000 answers takes SQLite ~0.2 s; a returning rater's answer is on
            # screen before that, so the order is computed on a connection of its own.
            self._loader = threading.Thread(target=self._load_order, daemon=True)
            self._loader.start()
        self.history: list[int] = []

    # -- the order ------------------------------------------------------------------------

    def _compute_order(self, conn: sqlite3.Connection) -> list[int]:
        # group_concat hands back one string: much faster than 100,000 Python row objects.
        fam = scenario_family_sql("s")
        where, args = "", {"seed": self.seed}
        if self.study is not None:
            where = ("WHERE r.id IN (SELECT response_id FROM assignments WHERE study_id = :study "
                     "AND rater_id = :rater)")
            args |= {"study": self.study.id, "rater": self.rater_id}
        # The scenario keys are computed once per scenario (a few hundred), not per answer:
        # 100,000 answers are ordered in ~0.1 s, as fast as the unblocked order was.
        text = conn.execute(
            f"WITH sk AS MATERIALIZED (SELECT s.rowid AS sid, s.id AS id, coalesce(b.rowid, s.rowid) AS fam, "
            f"{order_key_sql(':seed', 'coalesce(b.rowid, s.rowid)')} AS fk, "
            f"{order_key_sql(':seed', 's.rowid')} AS k "
            f"FROM scenarios s LEFT JOIN scenarios b ON b.id = {fam}) "
            f"SELECT group_concat(rid || ':' || sid) FROM (SELECT r.rowid AS rid, sk.sid AS sid "
            f"FROM responses r JOIN sk ON sk.id = r.scenario_id {where} "
            f"ORDER BY sk.fk, sk.fam, sk.k, sk.sid, {order_key_sql(':seed', 'r.rowid')}, r.rowid)",
            args).fetchone()[0]
        if not text:
            return []
        order = []
        scenario_of = {}
        for pair in text.split(","):
            rid, _, sid = pair.partition(":")
            order.append(int(rid))
            scenario_of[int(rid)] = int(sid)
        self._scenario_of = scenario_of
        return order

    def block(self, rowid: int) -> tuple[int, int]:
        """(place, size) of ``rowid`` in its scenario block of the full order, e.g. (2, 4) for "answer 2
        of 4 for this scenario"; (0, 0) when the answer is not in this rater's queue."""
        full = self._full_order if self._full_order is not None else self.order
        if self._index_full is None:
            self._index_full = {r: i for i, r in enumerate(full)}
        i = self._index_full.get(rowid)
        if i is None:
            return 0, 0
        sid = self._scenario_of.get(rowid)
        start = i
        while start > 0 and self._scenario_of.get(full[start - 1]) == sid:
            start -= 1
        end = i
        while end + 1 < len(full) and self._scenario_of.get(full[end + 1]) == sid:
            end += 1
        return i - start + 1, end - start + 1

    def holds(self, rowid: int) -> bool:
        """Whether ``rowid`` is in this rater's (unfiltered) queue, without waiting for the order."""
        if self.study is None:
            return True
        return self.store.conn.execute(
            "SELECT 1 FROM assignments a JOIN responses r ON r.id = a.response_id "
            "WHERE a.study_id = ? AND a.rater_id = ? AND r.rowid = ?",
            (self.study.id, self.rater_id, rowid)).fetchone() is not None

    @property
    def done(self) -> set[int]:
        """Answers rated or skipped: what the queue moves past."""
        return self.rated | self.skipped

    def _load_order(self) -> None:
        conn = sqlite3.connect(f"file:{self.store.path}?mode=ro", uri=True, check_same_thread=False)
        try:
            self._full_order = self._compute_order(conn)
        except sqlite3.Error:
            self._full_order = None  # order() falls back to the main connection
        finally:
            conn.close()

    @property
    def order_ready(self) -> bool:
        return self._full_order is not None

    @property
    def order(self) -> list[int]:
        """Rowids of the answers in the current queue, in this rater's order."""
        if self._full_order is None:
            if self._loader is not None:
                self._loader.join()
                self._loader = None
            if self._full_order is None:
                self._full_order = self._compute_order(self.store.conn)
        return self._full_order if self._order is None else self._order

    def set_filter(self, flt: QueueFilter) -> None:
        """Narrow the queue; the order within it stays the rater's order."""
        self.filter = flt
        self._order = None
        full = self.order
        if not flt.is_empty:
            clauses, args = flt.where()
            order = full
            if clauses:
                keep = {int(r[0]) for r in self.store.conn.execute(
                    f"SELECT r.rowid FROM responses r JOIN scenarios s ON s.id = r.scenario_id "
                    f"WHERE {' AND '.join(clauses)}", args)}
                order = [r for r in order if r in keep]
            if flt.flag:
                flagged = {int(r[0]) for r in self.store.conn.execute(
                    "SELECT r.rowid FROM ratings g JOIN responses r ON r.id = g.response_id "
                    "WHERE g.rater_id = ? AND EXISTS (SELECT 1 FROM json_each(g.flags) WHERE value = ?)",
                    (self.rater_id, flt.flag))}
                order = [r for r in order if r in flagged]
            self._order = order
        self._index = None
        self._done_in_order = None

    def number(self, rowid: int) -> int:
        """``rowid``'s 1-based place in the rater's whole order, filters or not (0: not in it): the
        number the queue list shows and `/` goes to, so it never changes under a filter."""
        self.order  # noqa: B018 - waits for the order to be computed
        if self._index_full is None:
            self._index_full = {r: i for i, r in enumerate(self._full_order or [])}
        i = self._index_full.get(rowid)
        return 0 if i is None else i + 1

    def at_number(self, number: int) -> int | None:
        """The answer at ``number`` (1-based) in the rater's whole order, None if there is none."""
        self.order  # noqa: B018 - waits for the order to be computed
        full = self._full_order or []
        return full[number - 1] if 1 <= number <= len(full) else None

    def index_of(self, rowid: int) -> int | None:
        if self._index is None:
            self._index = {r: i for i, r in enumerate(self.order)}
        return self._index.get(rowid)

    # -- moving along it --------------------------------------------------------------------

    def visited(self, rowid: int) -> None:
        """Note that ``rowid`` was shown, so ``previous`` can go back to it."""
        if not self.history or self.history[-1] != rowid:
            self.history.append(rowid)

    def mark_rated(self, rowid: int) -> None:
        """Count ``rowid`` as rated (once, however often it is saved)."""
        if rowid not in self.rated:
            self.rated.add(rowid)
            self._done_in_order = None
        self.skipped.discard(rowid)

    def mark_skipped(self, rowid: int) -> None:
        """Count ``rowid`` as skipped (done, not rated)."""
        if rowid not in self.rated:
            self.skipped.add(rowid)
        self._done_in_order = None

    def next_todo(self, after: int | None = None) -> int | None:
        """The next answer not yet rated after ``after`` in the order, wrapping; None when done."""
        order, rated = self.order, self.done
        n = len(order)
        if n == 0:
            return None
        idx = None if after is None else self.index_of(after)
        start = 0 if idx is None else idx + 1
        for k in range(n):
            rowid = order[(start + k) % n]
            if rowid not in rated and rowid != after:
                return rowid
        return None

    def previous(self, current: int | None) -> int | None:
        """The answer shown before this one in the session, else the one before it in the order."""
        while self.history and self.history[-1] == current:
            self.history.pop()
        if self.history:
            return self.history.pop()
        i = self.index_of(current) if current is not None else None
        if i is None or i == 0:
            return None
        return self.order[i - 1]

    def progress(self, current: int | None) -> Progress:
        i = self.index_of(current) if current is not None else None
        total = len(self.order)
        if self._done_in_order is None:
            done = self.done
            self._done_in_order = sum(1 for r in self.order if r in done)
        return Progress(self._done_in_order, total - self._done_in_order, total,
                        0 if i is None else i + 1)

    # -- the queue list ---------------------------------------------------------------------

    def page(self, offset: int, limit: int, status: Status = "all") -> tuple[list[QueueRow], int]:
        """One page of the queue list (rows and the number of rows matching ``status``).

        Only ``limit`` answers are read from the database whatever the queue's size.
        """
        drafts = self.drafts()
        if status == "all":
            picked = self.order
        elif status == "todo":
            done = self.done
            picked = [r for r in self.order if r not in done]
        elif status == "rated":
            picked = [r for r in self.order if r in self.rated]
        elif status == "skipped":
            picked = [r for r in self.order if r in self.skipped]
        else:
            picked = [r for r in self.order if r in drafts]
        chunk = picked[offset:offset + limit]
        if not chunk:
            return [], len(picked)
        marks = ",".join("?" * len(chunk))
        rows = {int(r["rowid"]): r for r in self.store.conn.execute(
            f"SELECT r.rowid, r.model, s.modality, s.step, s.severity, "
            f"(SELECT group_concat(g.flags, '') FROM ratings g WHERE g.rater_id = ? "
            f" AND g.response_id = r.id) AS flags "
            f"FROM responses r JOIN scenarios s ON s.id = r.scenario_id WHERE r.rowid IN ({marks})",
            (self.rater_id, *chunk))}
        out = []
        for rowid in chunk:
            r = rows[rowid]
            flags = tuple(f for f in FLAGS if f'"{f}"' in (r["flags"] or ""))
            status_of = self.status_of(rowid, drafts)
            out.append(QueueRow(rowid, self.number(rowid), answer_label(rowid),
                                r["modality"], r["step"], r["severity"],
                                r["model"] if self.show_models else None, status_of, flags))
        return out, len(picked)

    def choices(self) -> dict[str, list[Any]]:
        """Values the queue can be filtered by."""
        q = self.store.conn.execute
        return {
            "modality": [r[0] for r in q("SELECT DISTINCT modality FROM scenarios ORDER BY 1")],
            "severity": [r[0] for r in q("SELECT DISTINCT severity FROM scenarios ORDER BY 1")],
            "model": [r[0] for r in q("SELECT DISTINCT model FROM responses ORDER BY 1")]
            if self.show_models else [],
            "flag": list(FLAGS),
        }

    def status_of(self, rowid: int, drafts: set[int]) -> str:
        """todo, draft, rated or skipped (a rating made after a skip wins)."""
        if rowid in self.rated:
            return "rated"
        if rowid in self.skipped:
            return "skipped"
        return "draft" if rowid in drafts else "todo"

    def drafts(self) -> set[int]:
        return {int(r[0]) for r in self.store.conn.execute(
            "SELECT r.rowid FROM drafts d JOIN responses r ON r.id = d.response_id WHERE d.rater_id = ?",
            (self.rater_id,))}


def queue_listing(store: Store, rater_id: int) -> list[dict[str, Any]]:
    """A rater's queue in order, as `rater queue --json` prints it.

    One dict per answer: position, response_id, scenario_id, status.
    """
    q = RaterQueue(store, rater_id, queue_seed(store, rater_id))
    order = q.order
    drafts = q.drafts()
    ids: dict[int, tuple[str, str]] = {}
    for chunk in range(0, len(order), 500):
        part = order[chunk:chunk + 500]
        marks = ",".join("?" * len(part))
        for rowid, rid, sid in store.conn.execute(
                f"SELECT rowid, id, scenario_id FROM responses WHERE rowid IN ({marks})", part):
            ids[int(rowid)] = (rid, sid)
    return [{"position": i + 1, "response_id": ids[r][0], "scenario_id": ids[r][1],
             "status": q.status_of(r, drafts)} for i, r in enumerate(order)]
