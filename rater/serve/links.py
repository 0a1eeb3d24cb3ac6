"""Personal links and the server's session table (standard library only).

A link is ``BASE/r/TOKEN`` with a random 256-bit token. The database keeps
only the token's SHA-256: whoever reads the database (or a backup of it)
cannot rebuild a working link. A token of this size needs no slow hash:
guessing one is hopeless, and a fast hash lets the server check it at once.
A new link for a rater replaces their earlier ones; revoking ends them all.

``serve_sessions`` is written by the running server: one row per browser
session, with a heartbeat (``seen_at``) so `rater status` can tell a live
session from one left behind by a server that was killed.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from rater.errors import Problem, RaterError
from rater.store import now, stamp

if TYPE_CHECKING:
    from rater.store import Store

TOKEN_BYTES = 32
"""256 random bits per link token (the issue asks for at least 128)."""
LINK_PATH = "/r/"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
BASE_URL_META = "serve_url"
"""meta key: the address the last `rater serve` on this database announced (links use it)."""
HEARTBEAT_SECONDS = 15
FRESH_SECONDS = 60
"""A session whose heartbeat is older than this is not shown as connected."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class LinkHolder:
    """Who a valid link belongs to."""

    link_id: int
    rater_id: int
    name: str
    role: str


def _rater(store: Store, name: str) -> tuple[int, str]:
    row = store.conn.execute("SELECT id, role FROM raters WHERE name = ?", (name.strip(),)).fetchone()
    if row is None:
        raise RaterError(Problem(f"no rater named '{name}'", field="NAME",
                                 fix="add them with `rater raters add NAME`; `rater raters list` "
                                     "shows who is there"))
    return int(row[0]), str(row[1])


def add_rater(store: Store, name: str, role: str | None, credentials: str | None) -> tuple[int, bool]:
    """Add rater ``name`` (or update the role/credentials given); returns (id, created)."""
    name = name.strip()
    if not name:
        raise RaterError(Problem("a rater needs a name", field="NAME"))
    with store.write():
        row = store.conn.execute("SELECT id FROM raters WHERE name = ?", (name,)).fetchone()
        if row is None:
            cur = store.conn.execute(
                "INSERT INTO raters (name, role, credentials, created_at) VALUES (?, ?, ?, ?)",
                (name, role or "", credentials or "", now()))
            return int(cur.lastrowid or 0), True
        store.conn.execute("UPDATE raters SET role = coalesce(?, role), "
                           "credentials = coalesce(?, credentials) WHERE id = ?",
                           (role, credentials, row[0]))
        return int(row[0]), False


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_link_base(url: str, field: str) -> str:
    """``url`` without its trailing slash, if a link under it keeps its token off the network in clear.

    A link is the token: one opened over plain http from another machine has
    crossed the network readable, even if the server then redirects to https.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RaterError(Problem(f"'{url}' is not a web address", field=field,
                                 fix="give the address clinicians open, e.g. https://rating.example.org"))
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise RaterError(Problem(f"a link under {url} would carry its token unencrypted across the network",
                                 field=field, fix="give the https:// address clinicians open"))
    return url.rstrip("/")


def base_url(store: Store, given: str | None) -> str:
    if given:
        return check_link_base(given, "--url")
    return check_link_base(store.get_meta(BASE_URL_META) or DEFAULT_BASE_URL, "--url")


def issue_link(store: Store, name: str, *, days: float | None, base: str) -> tuple[str, str | None, int]:
    """A new personal link for ``name``: (url, expires_at or None, earlier links ended)."""
    rater_id, _ = _rater(store, name)
    token = new_token()
    expires = stamp(_utcnow() + timedelta(days=days)) if days is not None else None
    with store.write():
        ended = store.conn.execute(
            "UPDATE rater_links SET revoked_at = ? WHERE rater_id = ? AND revoked_at IS NULL",
            (now(), rater_id)).rowcount
        store.conn.execute("INSERT INTO rater_links (rater_id, token_hash, created_at, expires_at) "
                           "VALUES (?, ?, ?, ?)", (rater_id, hash_token(token), now(), expires))
    return f"{base.rstrip('/')}{LINK_PATH}{token}", expires, ended


def revoke(store: Store, name: str) -> int:
    """End every link of ``name``; returns how many were still active."""
    rater_id, _ = _rater(store, name)
    with store.write():
        return int(store.conn.execute(
            "UPDATE rater_links SET revoked_at = ? WHERE rater_id = ? AND revoked_at IS NULL "
            "AND (expires_at IS NULL OR expires_at > ?)", (now(), rater_id, now())).rowcount)


def resolve(store: Store, token: str) -> LinkHolder | None:
    """The holder of a valid (known, not revoked, not expired) token, else None."""
    if not token or len(token) > 200:
        return None
    row = store.conn.execute(
        "SELECT l.id, l.rater_id, r.name, r.role FROM rater_links l JOIN raters r ON r.id = l.rater_id "
        "WHERE l.token_hash = ? AND l.revoked_at IS NULL AND (l.expires_at IS NULL OR l.expires_at > ?)",
        (hash_token(token), now())).fetchone()
    return LinkHolder(int(row[0]), int(row[1]), str(row[2]), str(row[3])) if row else None


def link_valid(store: Store, link_id: int) -> bool:
    return store.conn.execute(
        "SELECT 1 FROM rater_links WHERE id = ? AND revoked_at IS NULL "
        "AND (expires_at IS NULL OR expires_at > ?)", (link_id, now())).fetchone() is not None


def link_states(store: Store) -> dict[int, str]:
    """rater id -> how their newest link stands: 'active until ...', 'active', 'revoked', 'expired'."""
    out: dict[int, str] = {}
    now_s = now()
    for rater_id, expires, revoked in store.conn.execute(
            "SELECT rater_id, expires_at, revoked_at FROM rater_links ORDER BY id"):
        if revoked:
            out[rater_id] = "revoked"
        elif expires and expires <= now_s:
            out[rater_id] = "expired"
        else:
            out[rater_id] = f"active until {expires[:16].replace('T', ' ')} UTC" if expires else "active"
    return out


# -- the server's session table ------------------------------------------------------------------

def open_session(store: Store, *, rater_id: int, mode: str, client: str, server_pid: int) -> int:
    at = now()
    with store.write():
        return int(store.conn.execute(
            "INSERT INTO serve_sessions (rater_id, mode, client, server_pid, started_at, seen_at) "
            "VALUES (?, ?, ?, ?, ?, ?)", (rater_id, mode, client, server_pid, at, at)).lastrowid or 0)


def touch_sessions(store: Store, ids: list[int]) -> None:
    if not ids:
        return
    with store.write():
        store.conn.executemany("UPDATE serve_sessions SET seen_at = ? WHERE id = ? AND ended_at IS NULL",
                               [(now(), i) for i in ids])


def close_session(store: Store, session_id: int, reason: str) -> None:
    with store.write():
        store.conn.execute("UPDATE serve_sessions SET ended_at = ?, end_reason = ? "
                           "WHERE id = ? AND ended_at IS NULL", (now(), reason, session_id))


def close_left_open(store: Store) -> int:
    """Close rows a killed server left open (no heartbeat for a while)."""
    cutoff = stamp(_utcnow() - timedelta(seconds=FRESH_SECONDS))
    with store.write():
        return int(store.conn.execute(
            "UPDATE serve_sessions SET ended_at = ?, end_reason = 'server gone' "
            "WHERE ended_at IS NULL AND seen_at < ?", (now(), cutoff)).rowcount)


def connected(store: Store) -> list[tuple[str, str, str, str]]:
    """Who is connected now, as the server keeps it: (name, mode, client, started_at)."""
    try:
        rows = store.conn.execute(
            "SELECT r.name, s.mode, s.client, s.started_at FROM serve_sessions s "
            "JOIN raters r ON r.id = s.rater_id WHERE s.ended_at IS NULL AND s.seen_at >= ? "
            "ORDER BY s.started_at", (stamp(_utcnow() - timedelta(seconds=FRESH_SECONDS)),)).fetchall()
    except Exception:  # a database not yet migrated by this rater (read-only status)
        return []
    return [(str(a), str(b), str(c), str(d)) for a, b, c, d in rows]


def status_lines(store: Store) -> list[str]:
    """`rater status`'s lines on browser sessions (none when no server has anyone connected)."""
    from rater.literal import shown

    rows = connected(store)
    if not rows:
        return []
    lines = [f"connected  {len(rows)} in the browser now (rater serve)"]
    for name, mode, client, started in rows:
        since = started[11:16]
        lines.append(f"connected  {shown(name)}: {mode} since {since} UTC from {shown(client or 'unknown')}")
    return lines
