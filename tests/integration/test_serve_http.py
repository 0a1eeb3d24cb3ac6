"""`rater serve` over HTTP(S) without a browser: TLS cookies, cross-site websockets, the child's environment."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import aiohttp
import pytest

from tests.browser.conftest import ROOT, make_study_db, threads
from tests.ui.conftest import RATER

pytestmark = pytest.mark.slow


def start(tmp_path: Path, *options: str) -> tuple[subprocess.Popen[str], str, dict[str, str], Path]:
    db, tokens = make_study_db(tmp_path)
    log = tmp_path / "serve.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", "OPENAI_API_KEY": "sk-not-for-children"}
    proc = subprocess.Popen([sys.executable, "-m", "rater", "serve", "--db", str(db), "--port", "0", *options],
                            stdout=subprocess.PIPE, stderr=log.open("w"), text=True, env=env, cwd=tmp_path)
    assert proc.stdout is not None
    match = re.search(r"on (https?://127\.0\.0\.1:\d+)", proc.stdout.readline())
    assert match, log.read_text()
    return proc, match.group(1), tokens, log


def stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is needed to make a test certificate")
def test_over_https_the_cookie_is_secure_and_host_only(tmp_path: Path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    proc, url, tokens, _ = start(tmp_path, "--tls-cert", str(cert), "--tls-key", str(key))
    try:
        assert url.startswith("https://")
        context = ssl.create_default_context(cafile=str(cert))
        context.check_hostname = False
        with urllib.request.urlopen(f"{url}/r/{tokens[RATER]}", context=context, timeout=10) as r:
            cookie = r.headers["Set-Cookie"]
            assert r.headers["Strict-Transport-Security"]
        assert cookie.startswith("__Host-rater=")
        assert all(part in cookie for part in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/"))
    finally:
        stop(proc)


def test_a_websocket_from_another_site_is_refused_and_the_app_gets_no_secrets(tmp_path: Path):
    proc, url, tokens, log = start(tmp_path)

    async def scenario() -> None:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:  # keeps IP cookies
            async with http.get(f"{url}/r/{tokens[RATER]}", allow_redirects=False) as r:
                assert r.status == 200
            ws_url = url.replace("http", "ws") + "/ws?width=100&height=30"
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(ws_url, headers={"Origin": "http://evil.example"})
            assert refused.value.status == 403
            with pytest.raises(aiohttp.WSServerHandshakeError):
                await http.ws_connect(ws_url)             # no Origin at all
            assert apps(proc.pid) == []
            async with http.ws_connect(ws_url, headers={"Origin": url}) as ws:
                for _ in range(400):
                    if apps(proc.pid):
                        break
                    await asyncio.sleep(0.05)
                (child,) = apps(proc.pid)
                cmdline = Path(f"/proc/{child}/cmdline").read_text().split("\0")
                assert cmdline[1:3] == ["-m", "rater.serve.child"]
                environ = Path(f"/proc/{child}/environ").read_text(errors="replace")
                assert "sk-not-for-children" not in environ and tokens[RATER] not in environ
                await ws.close()

    try:
        asyncio.run(scenario())
    finally:
        stop(proc)
    assert tokens[RATER] not in log.read_text()


def apps(pid: int) -> list[int]:
    """The server's app processes running a session (a waiting spare has one thread)."""
    return [p for p in children(pid) if threads(p) > 1]


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(p) for p in (task / "children").read_text().split()]
    return found


def test_a_failed_handshake_leaves_the_open_tab_counted_so_a_new_one_replaces_it(tmp_path: Path):
    """A plain GET of /ws used to drop the running tab from the server's table: it then ran on outside
    --max-sessions, the idle time and revocation, and each such request let one more app start."""
    proc, url, tokens, _ = start(tmp_path)

    async def scenario() -> tuple[int, int, bool]:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(f"{url}/r/{tokens[RATER]}") as r:
                assert r.status == 200
            ws_url = url.replace("http", "ws") + "/ws?width=100&height=30"
            async with http.ws_connect(ws_url, headers={"Origin": url}) as first:
                for _ in range(400):
                    if apps(proc.pid):
                        break
                    await asyncio.sleep(0.05)
                async with http.get(f"{url}/ws", headers={"Origin": url}) as plain:
                    refused = plain.status
                async with http.ws_connect(ws_url, headers={"Origin": url}) as second:

                    async def drain() -> None:
                        async for _message in first:
                            pass

                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(drain(), 15)
                    await asyncio.sleep(1.0)
                    running = len(apps(proc.pid))
                    await second.close()
                return refused, running, first.closed

    try:
        refused, running, first_closed = asyncio.run(scenario())
    finally:
        stop(proc)
    assert refused == 400
    assert first_closed and running == 1


def test_the_child_refuses_to_run_on_its_own():
    result = subprocess.run([sys.executable, "-m", "rater.serve.child"], capture_output=True, text=True,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 2 and "started by `rater serve`" in result.stderr


def test_a_link_opened_again_and_again_keeps_only_its_newest_cookies(tmp_path: Path):
    proc, url, tokens, _ = start(tmp_path)
    try:
        cookies = []
        for _ in range(8):
            with urllib.request.urlopen(f"{url}/r/{tokens[RATER]}", timeout=10) as r:
                cookies.append(r.headers["Set-Cookie"].split(";")[0])

        def status(cookie: str) -> int:
            try:
                with urllib.request.urlopen(urllib.request.Request(url + "/", headers={"Cookie": cookie}),
                                            timeout=10) as r:
                    return r.status
            except urllib.error.HTTPError as e:
                return e.code

        assert [status(c) for c in cookies] == [401] * 3 + [200] * 5
    finally:
        stop(proc)


def test_behind_a_proxy_the_cookie_is_secure_and_host_only(tmp_path: Path):
    proc, url, tokens, log = start(tmp_path, "--behind-proxy")
    try:
        request = urllib.request.Request(f"{url}/r/{tokens[RATER]}", headers={"X-Forwarded-For": "10.9.8.7"})
        with urllib.request.urlopen(request, timeout=10) as r:
            cookie = r.headers["Set-Cookie"]
        assert cookie.startswith("__Host-rater=") and "Secure" in cookie
        # A proxy that appends (nginx's $proxy_add_x_forwarded_for): the client wrote the first entry.
        spoofed = urllib.request.Request(f"{url}/r/not-a-link", headers={"X-Forwarded-For": "6.6.6.6, 10.9.8.7"})
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(spoofed, timeout=10)
        # A proxy that keeps its path prefix: the link 404s, and its token must still stay out of the log.
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"{url}/rater/r/{tokens[RATER]}", timeout=10)
    finally:
        stop(proc)
    text = log.read_text()
    assert "from 10.9.8.7" in text and "6.6.6.6" not in text
    assert tokens[RATER] not in text


def test_an_app_that_dies_tells_the_browser_and_its_session_is_closed(tmp_path: Path):
    proc, url, tokens, _ = start(tmp_path)

    async def scenario() -> str:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(f"{url}/r/{tokens[RATER]}") as r:
                assert r.status == 200
            ws_url = url.replace("http", "ws") + "/ws?width=100&height=30"
            async with http.ws_connect(ws_url, headers={"Origin": url}) as ws:
                for _ in range(400):
                    if apps(proc.pid):
                        break
                    await asyncio.sleep(0.05)
                (child,) = apps(proc.pid)
                os.kill(child, signal.SIGKILL)
                async for _message in ws:
                    pass
                return ws.close_code, (ws.exception() or "")

    try:
        code, _ = asyncio.run(scenario())
        assert code == aiohttp.WSCloseCode.INTERNAL_ERROR
    finally:
        stop(proc)
    from rater.store import Store

    with Store.open(tmp_path / "rating.db", create=False) as store:
        assert store.conn.execute("SELECT end_reason FROM serve_sessions").fetchall()[0][0] == "crashed"
