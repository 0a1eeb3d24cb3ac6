"""Personal links for `rater serve`: what is stored, what opens, what is refused."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from rater.cli import cli
from rater.errors import RaterError
from rater.schema import MIGRATIONS
from rater.serve import links
from rater.serve.server import check_exposure, is_loopback
from rater.store import Store


def token_of(url: str) -> str:
    return url.rsplit("/r/", 1)[1]


def test_a_link_carries_at_least_128_random_bits_and_only_its_hash_is_stored(store: Store):
    links.add_rater(store, "Dr A", "psychologist", "PhD")
    url, expires, _ = links.issue_link(store, "Dr A", days=30, base="https://rating.example.org/")
    assert url.startswith("https://rating.example.org/r/")
    token = token_of(url)
    assert len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) * 8 >= 128
    dump = "\n".join(store.conn.iterdump())
    assert token not in dump
    assert links.hash_token(token) in dump
    assert expires is not None and expires > datetime.now(UTC).isoformat()
    holder = links.resolve(store, token)
    assert holder is not None and (holder.name, holder.role) == ("Dr A", "psychologist")
    assert store.schema_version == len(MIGRATIONS)


def test_wrong_replaced_revoked_and_expired_links_open_nothing(store: Store):
    links.add_rater(store, "Dr A", None, None)
    first = token_of(links.issue_link(store, "Dr A", days=1, base="http://x")[0])
    second_url, _, ended = links.issue_link(store, "Dr A", days=1, base="http://x")
    second = token_of(second_url)
    assert ended == 1
    assert links.resolve(store, first) is None          # a new link replaces the old one
    assert links.resolve(store, second) is not None
    assert links.resolve(store, second[:-1]) is None
    assert links.resolve(store, "") is None
    assert links.resolve(store, "x" * 5000) is None
    assert links.revoke(store, "Dr A") == 1
    assert links.resolve(store, second) is None
    assert links.revoke(store, "Dr A") == 0
    third = token_of(links.issue_link(store, "Dr A", days=1, base="http://x")[0])
    past = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    with store.write():
        store.conn.execute("UPDATE rater_links SET expires_at = ? WHERE revoked_at IS NULL", (past,))
    assert links.resolve(store, third) is None
    assert links.link_states(store)[store.rater_id("Dr A")] == "expired"


def test_a_link_for_someone_unknown_is_a_clear_error(store: Store):
    with pytest.raises(RaterError, match=r"no rater named 'Nobody'.*rater raters add"):
        links.issue_link(store, "Nobody", days=1, base="http://x")


def test_status_shows_who_is_connected_from_the_servers_table(store: Store):
    rid, _ = links.add_rater(store, "Dr A", None, None)
    assert links.status_lines(store) == []
    sid = links.open_session(store, rater_id=rid, mode="rate", client="10.1.2.3", server_pid=1)
    lines = links.status_lines(store)
    assert lines[0].startswith("connected  1 in the browser")
    assert "Dr A: rate since" in lines[1] and "10.1.2.3" in lines[1]
    # A row a killed server left behind (no heartbeat) is not "connected".
    old = (datetime.now(UTC) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    with store.write():
        store.conn.execute("UPDATE serve_sessions SET seen_at = ? WHERE id = ?", (old, sid))
    assert links.status_lines(store) == []
    assert links.close_left_open(store) == 1


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_is_served_as_it_is(host: str):
    assert is_loopback(host)
    check_exposure(host, tls=False, behind_proxy=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "rating.example.org"])
def test_any_other_address_needs_tls_or_a_proxy(host: str):
    with pytest.raises(RaterError, match="--tls-cert"):
        check_exposure(host, tls=False, behind_proxy=False)
    check_exposure(host, tls=True, behind_proxy=False)
    check_exposure(host, tls=False, behind_proxy=True)


def test_the_raters_commands(tmp_path):
    db = str(tmp_path / "t.db")
    run = CliRunner().invoke
    assert run(cli, ["init", "--db", db, "--no-scenarios"]).exit_code == 0
    out = run(cli, ["raters", "add", "Dr Ada", "--role", "psychologist", "--credentials", "PhD", "--db", db])
    assert out.exit_code == 0 and "added rater Dr Ada" in out.output
    out = run(cli, ["raters", "link", "Dr Ada", "--expires", "7", "--db", db])
    assert out.exit_code == 0
    url = out.stdout.strip()
    assert url.startswith("http://127.0.0.1:8000/r/") and "send it to them alone" in out.stderr
    listed = run(cli, ["raters", "list", "--db", db]).output
    assert "Dr Ada" in listed and "psychologist" in listed and "active until" in listed
    out = run(cli, ["raters", "revoke", "Dr Ada", "--db", db])
    assert "1 active link(s) revoked" in out.output
    assert "revoked" in run(cli, ["raters", "list", "--db", db]).output
    out = run(cli, ["raters", "link", "Dr Nobody", "--db", db])
    assert out.exit_code == 2 and "no rater named 'Dr Nobody'" in out.output
    out = run(cli, ["serve", "--db", db, "--host", "0.0.0.0"])
    assert out.exit_code == 2 and "will not serve on 0.0.0.0 without encryption" in out.output


def test_a_link_that_would_cross_the_network_unencrypted_is_refused(tmp_path):
    """http:// to another machine sends the token in clear on the first request, redirect to https or not."""
    db = str(tmp_path / "t.db")
    run = CliRunner().invoke
    assert run(cli, ["init", "--db", db, "--no-scenarios"]).exit_code == 0
    assert run(cli, ["raters", "add", "Dr Ada", "--db", db]).exit_code == 0
    out = run(cli, ["raters", "link", "Dr Ada", "--url", "http://rating.example.org", "--db", db])
    assert out.exit_code == 2 and "unencrypted" in out.output and "/r/" not in out.output
    with Store.open(db, create=False) as store:
        assert store.conn.execute("SELECT count(*) FROM rater_links").fetchone()[0] == 0
    for fine in ("https://rating.example.org/", "http://127.0.0.1:8000", "http://localhost:9000"):
        out = run(cli, ["raters", "link", "Dr Ada", "--url", fine, "--db", db])
        assert out.exit_code == 0 and out.stdout.startswith(fine.rstrip("/") + "/r/")
    out = run(cli, ["serve", "--db", db, "--behind-proxy", "--public-url", "http://rating.example.org"])
    assert out.exit_code == 2 and "unencrypted" in out.output


def test_names_and_addresses_are_printed_literally(tmp_path, store: Store):
    """A rater name (or a proxied client address) holding escape sequences must not act on the lead's terminal."""
    evil = "Dr \x1b]0;pwned\x07Ana\x1b[2J"
    db = str(tmp_path / "t.db")
    run = CliRunner().invoke
    assert run(cli, ["init", "--db", db, "--no-scenarios"]).exit_code == 0
    outputs = [run(cli, ["raters", "add", evil, "--role", "\x1b[31mlead", "--db", db]).output,
               run(cli, ["raters", "list", "--db", db]).output,
               run(cli, ["raters", "link", evil, "--db", db]).stderr,
               run(cli, ["raters", "revoke", evil, "--db", db]).output]
    for out in outputs:
        assert "\x1b" not in out and "\x07" not in out and "␛]0;pwned␇Ana" in out
    rid, _ = links.add_rater(store, evil, None, None)
    links.open_session(store, rater_id=rid, mode="rate", client="10.0.0.1\x1b[2J", server_pid=1)
    assert not any("\x1b" in line for line in links.status_lines(store))


def test_the_server_imports_no_textual() -> None:
    """The server is core: it speaks textual-serve's protocol, but Textual runs only in each app process."""
    import subprocess
    import sys

    code = ("import sys, rater.serve.server, rater.serve.links, rater.commands.serve, rater.commands.raters\n"
            "print(sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
