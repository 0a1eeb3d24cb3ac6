"""The `rater serve` web server: personal links in, one rating-app process per browser session.

Built on aiohttp and textual-serve's ``AppService`` (which speaks Textual's web
driver protocol with the app process) and its browser terminal (textual.js,
xterm.css, the Roboto Mono font, all served from here: the page fetches
nothing from elsewhere, and its Content-Security-Policy forbids it to).
textual-serve is a separate package that does not import Textual: Textual runs only
in each session's app process (rater.ui.served), never in the server (a test says so).

Who may enter: ``GET /r/TOKEN`` checks the token against the hashes in
``rater_links``, starts a server-side session and sets its random id in a
cookie (HttpOnly, SameSite=Strict, Secure over HTTPS), then sends the browser
on to ``/``, so the token leaves the address bar and the browser history.
(The hop is a page that refreshes to ``/`` rather than an HTTP redirect: after
a click in a mail program a redirect is still a cross-site navigation, and the
browser would withhold the SameSite=Strict cookie.) Every other path needs the
cookie: without it ``/`` answers 401 and ``/ws`` 403, before any process starts.
The access log shows ``/r/…``, never a token; the app process gets the rater's
id in its environment, not on its command line, and never sees the token.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import secrets
import signal
import ssl
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web
from aiohttp.abc import AbstractAccessLogger

from rater.errors import Problem, RaterError
from rater.serve import links
from rater.serve.child import SESSION_ENV, SPEC_FD_ENV
from rater.serve.links import is_loopback
from rater.serve.page import ENTER_PAGE, SCRIPT, STYLE, app_page, message_page
from rater.serve.roles import mode_for
from rater.store import Store

log = logging.getLogger("rater.serve")

TAP_ENV = "RATER_SERVE_TAP"
"""Tests and the benchmark: when "1", the page keeps what the server sent as text (window.__raterScreen)."""
STOP_TIMEOUT = 5.0
"""Seconds an app process gets to quit before it is killed (its drafts are already saved)."""
WEB_SESSION_HOURS = 12.0
SESSIONS_PER_LINK = 5
"""Browser sessions (cookies) one link may hold at once; opening it again drops the oldest."""
LINK_IN_PATH = re.compile(re.escape(links.LINK_PATH) + r"[^/]*")
SECRET_NAMES = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH", re.IGNORECASE)


def _textual_serve_static() -> Path:
    import textual_serve

    return Path(textual_serve.__file__).parent / "static"


def assets() -> dict[str, tuple[str | Path, str]]:
    """name -> (file or text, content type): the only files the server hands out."""
    static = _textual_serve_static()
    return {
        "textual.js": (static / "js" / "textual.js", "text/javascript"),
        "xterm.css": (static / "css" / "xterm.css", "text/css"),
        "RobotoMono.ttf": (static / "fonts" / "RobotoMono-VariableFont_wght.ttf", "font/ttf"),
        "rater-serve.js": (SCRIPT, "text/javascript"),
        "rater-serve.css": (STYLE, "text/css"),
    }


CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self'; "
       "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
       "frame-ancestors 'none'")


def check_exposure(host: str, *, tls: bool, behind_proxy: bool) -> None:
    """Refuse to serve clinical material unencrypted beyond this machine."""
    if is_loopback(host) or tls or behind_proxy:
        return
    raise RaterError(Problem(
        f"will not serve on {host} without encryption: anyone on the network could read the "
        "answers and ratings and take over sessions", field="--host",
        fix="give --tls-cert and --tls-key, or put a TLS proxy in front and pass --behind-proxy "
            "(see the README), or leave --host at 127.0.0.1"))


@dataclass
class ServeConfig:
    db: str
    host: str = "127.0.0.1"
    port: int = 8000
    tls_cert: str | None = None
    tls_key: str | None = None
    behind_proxy: bool = False
    public_url: str | None = None
    max_sessions: int = 16
    idle_seconds: float = 30 * 60
    blind: bool = True
    show_models: bool = False

    @property
    def tls(self) -> bool:
        return bool(self.tls_cert)

    @property
    def secure_cookie(self) -> bool:
        return self.tls or self.behind_proxy


@dataclass
class WebSession:
    """A browser that came in through a valid link (the cookie holds ``sid``)."""

    sid: str
    link_id: int
    rater_id: int
    name: str
    role: str
    last_used: float = field(default_factory=time.monotonic)
    created: float = field(default_factory=time.monotonic)


@dataclass
class Live:
    """One browser tab's app process."""

    entry: WebSession
    ws: web.WebSocketResponse
    mode: str
    client: str
    row_id: int = 0
    service: Any = None
    last_input: float = field(default_factory=time.monotonic)
    reason: str | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)


END_MESSAGES = {
    "ended": "You ended the session. Your ratings are saved; open your link again to go on.",
    "idle": "The session ended after {minutes} without a key. Your draft is kept: open your link again.",
    "replaced": "This link was opened in another tab or window, so this one closed. Your draft is kept.",
    "revoked": "Your link no longer works. Your draft is kept. Ask your study lead for a new link.",
    "server stopped": "The server was stopped. Your draft is kept: open your link again when it is back.",
    "full": "All {n} places are in use. Please try again in a few minutes; nothing of yours is lost.",
    "failed": "The rating app could not start. Please tell your study lead.",
    "crashed": "The rating app stopped unexpectedly. Your draft is kept: open your link again.",
}


def _minutes(seconds: float) -> str:
    m = seconds / 60
    return f"{m:g} minute" + ("" if m == 1 else "s") if m >= 1 else f"{seconds:g} seconds"


def _clamp(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(value or default)))
    except ValueError:
        return default


class _AccessLog(AbstractAccessLogger):
    """One line per request; a link's token is never written."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        # Anywhere in the path: under a proxy's prefix (/rater/r/TOKEN) a link 404s, and is still a link.
        path = LINK_IN_PATH.sub(links.LINK_PATH + "…", request.path)
        self.logger.info("%s %s %s %s", request.remote, request.method, path, response.status)


def app_environment() -> dict[str, str]:
    """The app processes' environment: the server's, less anything that looks like a secret."""
    from importlib.metadata import version

    env = {k: v for k, v in os.environ.items() if not SECRET_NAMES.search(k)}
    env.update({"TEXTUAL_DRIVER": "textual.drivers.web_driver:WebDriver", "TEXTUAL_FPS": "60",
                "TEXTUAL_COLOR_SYSTEM": "truecolor", "TERM_PROGRAM": "textual",
                "TERM_PROGRAM_VERSION": version("textual-serve")})
    return env


@dataclass
class Spare:
    """An app process started ahead, its imports done, waiting on a pipe for its session."""

    process: asyncio.subprocess.Process
    spec_fd: int


class Launcher:
    """Starts app processes, keeping one spare warm so a new session skips Python's start-up.

    The session (database, rater id, mode, terminal size) reaches the process in
    its environment, or through a pipe for the spare: never on its command line.
    """

    def __init__(self) -> None:
        self.spare: Spare | None = None
        self.stopping = False
        self.started = 0

    async def _spawn(self, env: dict[str, str], pass_fds: tuple[int, ...] = ()) -> asyncio.subprocess.Process:
        self.started += 1
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "rater.serve.child",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env=env, pass_fds=pass_fds,
            # Its own process group: Ctrl+C in the server's terminal reaches the server,
            # which then ends each app in order.
            start_new_session=True)

    async def warm(self) -> None:
        if self.spare is not None or self.stopping:
            return
        read_fd, write_fd = os.pipe()
        try:
            process = await self._spawn({**app_environment(), SPEC_FD_ENV: str(read_fd)}, (read_fd,))
        except OSError:
            os.close(write_fd)
            log.exception("could not start a spare app process")
            return
        finally:
            os.close(read_fd)
        if self.spare is not None or self.stopping:
            os.close(write_fd)
            await process.wait()
            return
        self.spare = Spare(process, write_fd)

    async def launch(self, spec: dict[str, Any]) -> asyncio.subprocess.Process:
        spare, self.spare = self.spare, None
        if spare is not None:
            try:
                if spare.process.returncode is not None:
                    raise OSError("the spare has exited")
                os.write(spare.spec_fd, json.dumps(spec).encode())
                return spare.process
            except OSError:
                with contextlib.suppress(ProcessLookupError):
                    spare.process.kill()
            finally:
                os.close(spare.spec_fd)
        return await self._spawn({**app_environment(), SESSION_ENV: json.dumps(spec)})

    async def close(self) -> None:
        self.stopping = True
        spare, self.spare = self.spare, None
        if spare is not None:
            os.close(spare.spec_fd)            # the spare reads nothing and exits
            try:
                await asyncio.wait_for(spare.process.wait(), STOP_TIMEOUT)
            except TimeoutError:
                spare.process.kill()
                await spare.process.wait()


def _app_process_class() -> type:
    from textual_serve.app_service import AppService

    class AppProcess(AppService):
        """textual-serve's app service, with its process from the launcher (no shell)."""

        def __init__(self, *, launcher: Launcher, spec: dict[str, Any], **kwargs: Any) -> None:
            super().__init__("rater.serve.child", **kwargs)
            self.launcher = launcher
            self.spec = spec

        async def _open_app_process(self, width: int = 80, height: int = 24) -> Any:
            process = await self.launcher.launch({**self.spec, "columns": width, "rows": height})
            self._process = process
            self._stdin = process.stdin
            return process

        async def stop(self) -> None:
            task, process = self._task, self._process
            if task is None:
                return
            self._task = None
            await self.send_meta({"type": "quit"})
            try:
                await asyncio.wait_for(asyncio.shield(task), STOP_TIMEOUT)
            except TimeoutError:
                if process is not None and process.returncode is None:
                    process.kill()
                await task
            if process is not None:
                with contextlib.suppress(ProcessLookupError):
                    await asyncio.wait_for(process.wait(), STOP_TIMEOUT)

    return AppProcess


class RaterServer:
    def __init__(self, config: ServeConfig, store: Store) -> None:
        self.config = config
        self.store = store
        self.web_sessions: dict[str, WebSession] = {}
        self.live: dict[int, Live] = {}        # rater id -> their one live tab
        self.cookie_name = "__Host-rater" if config.secure_cookie else "rater_session"
        self.tap = os.environ.get(TAP_ENV) == "1"
        # Read once: the event loop never waits on the disk for textual.js or the font.
        self._assets = {name: (body.encode() if isinstance(body, str) else body.read_bytes(), kind)
                        for name, (body, kind) in assets().items()}
        self._app_process = _app_process_class()
        self._watch: asyncio.Task[None] | None = None
        self.launcher = Launcher()
        self._tasks: set[asyncio.Task[None]] = set()

    # -- the aiohttp application -----------------------------------------------------------------

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._headers], client_max_size=64 * 1024)
        app.add_routes([
            web.get(links.LINK_PATH + "{token}", self.enter),
            web.get("/", self.index),
            web.get("/ws", self.websocket),
            web.get("/assets/{name}", self.asset),
            web.get("/favicon.ico", self.favicon),
        ])
        app.on_startup.append(self._on_startup)
        app.on_shutdown.append(self._on_shutdown)
        return app

    @web.middleware
    async def _headers(self, request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            response: web.StreamResponse = await handler(request)
        except web.HTTPException as exc:
            response = exc
        if not response.prepared:
            h = response.headers
            h["Content-Security-Policy"] = CSP
            h["X-Content-Type-Options"] = "nosniff"
            h["Referrer-Policy"] = "no-referrer"
            h["X-Frame-Options"] = "DENY"
            h["Cross-Origin-Opener-Policy"] = "same-origin"
            h["Cache-Control"] = "no-store"
            if self.config.tls:
                h["Strict-Transport-Security"] = "max-age=31536000"
        return response

    async def _on_startup(self, app: web.Application) -> None:
        links.close_left_open(self.store)
        self._watch = asyncio.create_task(self._watch_loop())
        self._later(self.launcher.warm())

    async def _on_shutdown(self, app: web.Application) -> None:
        await self.end_all("server stopped")

    # -- pages --------------------------------------------------------------------------------------

    def _page(self, status: int, title: str, *paragraphs: str) -> web.Response:
        return web.Response(status=status, text=message_page(title, *paragraphs), content_type="text/html")

    def _client(self, request: web.Request) -> str:
        if self.config.behind_proxy:
            # The last entry is the one our proxy added; anything before it the client wrote itself.
            forwarded = request.headers.get("X-Forwarded-For", "")
            if forwarded:
                return forwarded.split(",")[-1].strip()[:64]
        return request.remote or ""

    def _session(self, request: web.Request) -> WebSession | None:
        sid = request.cookies.get(self.cookie_name)
        if not sid:
            return None
        found = self.web_sessions.get(sid)
        if found is None:
            return None
        if not links.link_valid(self.store, found.link_id):
            self._drop(found)
            return None
        found.last_used = time.monotonic()
        return found

    def _no_entry(self, status: int = 401) -> web.Response:
        return self._page(status, "Open your personal link",
                          "To rate, open the personal link your study lead sent you "
                          "(it looks like https://…/r/ followed by letters and numbers).",
                          "If you did, your session may have ended after a while without use, "
                          "or the server was restarted: open the link again. Nothing you typed is lost.")

    async def enter(self, request: web.Request) -> web.Response:
        holder = links.resolve(self.store, request.match_info["token"])
        if holder is None:
            log.info("refused a link that is not valid, from %s", self._client(request))
            return self._page(403, "This link does not work",
                              "It may have been replaced by a newer link, revoked, or it has expired.",
                              "Please ask your study lead for a new personal link.")
        # A link opened again and again keeps only its newest few browser sessions.
        same = [w for w in self.web_sessions.values() if w.link_id == holder.link_id]
        for old in sorted(same, key=lambda w: w.created)[:max(0, len(same) - SESSIONS_PER_LINK + 1)]:
            if all(live.entry is not old for live in self.live.values()):
                self._drop(old)
        sid = secrets.token_urlsafe(32)
        self.web_sessions[sid] = WebSession(sid, holder.link_id, holder.rater_id, holder.name, holder.role)
        response = web.Response(text=ENTER_PAGE, content_type="text/html")
        response.set_cookie(self.cookie_name, sid, httponly=True, samesite="Strict",
                            secure=self.config.secure_cookie, path="/")
        return response

    def _full(self, session: WebSession) -> bool:
        return session.rater_id not in self.live and len(self.live) >= self.config.max_sessions

    async def index(self, request: web.Request) -> web.Response:
        session = self._session(request)
        if session is None:
            return self._no_entry()
        if self._full(session):
            n = self.config.max_sessions
            return self._page(503, "All places are in use",
                              f"This rating server takes {n} {'person' if n == 1 else 'people'} at a time, "
                              "and every place is taken just now.",
                              "Please try again in a few minutes (reload this page). Nothing of yours "
                              "is lost: your drafts and ratings are kept.")
        font = _clamp(request.query.get("fontsize"), 16, 8, 40)
        return web.Response(text=app_page(tap=self.tap, font_size=font), content_type="text/html")

    async def asset(self, request: web.Request) -> web.StreamResponse:
        if self._session(request) is None:
            return self._no_entry()
        found = self._assets.get(request.match_info["name"])
        if found is None:
            raise web.HTTPNotFound()
        data, content_type = found
        return web.Response(body=data, content_type=content_type)

    async def favicon(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    # -- sessions -----------------------------------------------------------------------------------

    def _origin_ok(self, request: web.Request) -> bool:
        from urllib.parse import urlsplit

        origin = request.headers.get("Origin")
        return bool(origin) and urlsplit(origin).netloc.lower() == (request.host or "").lower()

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        session = self._session(request)
        if session is None or not self._origin_ok(request):
            return self._page(403, "Not allowed", "Open your personal link to rate.")
        ws = web.WebSocketResponse(heartbeat=15, max_msg_size=64 * 1024)
        if not ws.can_prepare(request).ok:
            # Not a websocket handshake: answer before touching the rater's live tab (taking its slot
            # and failing would leave that tab running outside the limit, idle and revocation checks).
            return self._page(400, "Not allowed", "Open your personal link to rate.")
        if self._full(session):
            await ws.prepare(request)
            await ws.close(code=WSCloseCode.TRY_AGAIN_LATER,
                           message=END_MESSAGES["full"].format(n=self.config.max_sessions).encode())
            return ws
        live = Live(session, ws, mode_for(session.role), self._client(request))
        old = self.live.get(session.rater_id)
        self.live[session.rater_id] = live   # takes the slot now: no await since the check
        try:
            try:
                await ws.prepare(request)
            except BaseException:
                if old is not None and self.live.get(session.rater_id) is live:
                    self.live[session.rater_id] = old   # the tab already open stays counted and watched
                raise
            if old is not None:
                await self.end(old, "replaced")
            await self._run(live, request)
        finally:
            if self.live.get(session.rater_id) is live:
                del self.live[session.rater_id]
            live.done.set()
        return ws

    async def _run(self, live: Live, request: web.Request) -> None:
        from textual_serve.download_manager import DownloadManager

        session = live.entry
        spec = {"db": str(Path(self.store.path).resolve()), "rater_id": session.rater_id, "mode": live.mode,
                "options": {"blind": self.config.blind, "show_models": self.config.show_models}}

        async def closed_by_app() -> None:
            live.reason = live.reason or "ended"
            await live.ws.close(code=WSCloseCode.OK, message=END_MESSAGES["ended"].encode())

        service = self._app_process(launcher=self.launcher, spec=spec,
                                    write_bytes=live.ws.send_bytes, write_str=live.ws.send_str,
                                    close=closed_by_app, download_manager=DownloadManager())
        live.service = service
        width = _clamp(request.query.get("width"), 80, 20, 400)
        height = _clamp(request.query.get("height"), 24, 8, 200)
        try:
            await service.start(width, height)
        except OSError:
            log.exception("could not start the app for %s", session.name)
            await live.ws.close(code=WSCloseCode.INTERNAL_ERROR, message=END_MESSAGES["failed"].encode())
            return
        self._later(self.launcher.warm())   # the next person gets a warm one too

        def app_gone(_: object) -> None:
            # The app exited by itself without saying so (a crash, a kill): tell the browser.
            if live.reason is None and not live.ws.closed:
                live.reason = "crashed"
                self._later(live.ws.close(code=WSCloseCode.INTERNAL_ERROR,
                                          message=END_MESSAGES["crashed"].encode()))

        if service._task is not None:
            service._task.add_done_callback(app_gone)
        live.row_id = links.open_session(self.store, rater_id=session.rater_id, mode=live.mode,
                                         client=live.client, server_pid=os.getpid())
        log.info("%s connected from %s (%s; %d of %d places in use)", session.name, live.client,
                 live.mode, len(self.live), self.config.max_sessions)
        try:
            await self._pump(live, service)
        finally:
            # The loop ends when the tab closed, or when the app or the server closed the socket.
            reason = live.reason = live.reason or "closed"
            await service.stop()
            links.close_session(self.store, live.row_id, reason)
            log.info("%s: session ended (%s)", session.name, reason)

    async def _pump(self, live: Live, service: Any) -> None:
        async for message in live.ws:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                kind, *rest = json.loads(message.data)
            except (ValueError, TypeError):
                continue
            if kind == "stdin" and rest and isinstance(rest[0], str):
                live.last_input = live.entry.last_used = time.monotonic()
                await service.send_bytes(rest[0].encode("utf-8"))
            elif kind == "resize" and rest and isinstance(rest[0], dict):
                await service.set_terminal_size(_clamp(str(rest[0].get("width")), 80, 20, 400),
                                                _clamp(str(rest[0].get("height")), 24, 8, 200))
            elif kind == "ping" and rest:
                await live.ws.send_json(["pong", str(rest[0])[:32]])
            elif kind == "blur":
                await service.blur()
            elif kind == "focus":
                await service.focus()

    async def end(self, live: Live, reason: str) -> None:
        """End a live session (its app quits; every keystroke is already a saved draft)."""
        if live.reason is None:
            live.reason = reason
        text = END_MESSAGES.get(reason, "The session ended. Your draft is kept.").format(
            minutes=_minutes(self.config.idle_seconds), n=self.config.max_sessions)
        await live.ws.close(code=WSCloseCode.GOING_AWAY, message=text.encode()[:123])
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(live.done.wait(), STOP_TIMEOUT * 2)

    def _later(self, work: Any) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _drop(self, session: WebSession) -> None:
        self.web_sessions.pop(session.sid, None)

    async def end_all(self, reason: str) -> None:
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        self.web_sessions.clear()
        self.launcher.stopping = True
        await asyncio.gather(*(self.end(live, reason) for live in list(self.live.values())))
        await self.launcher.close()

    async def _watch_loop(self) -> None:
        """Idle sessions, revoked links and the heartbeat that `rater status` reads."""
        tick = max(0.2, min(5.0, self.config.idle_seconds / 4))
        last_beat = 0.0
        while True:
            await asyncio.sleep(tick)
            now = time.monotonic()
            for live in list(self.live.values()):
                if not links.link_valid(self.store, live.entry.link_id):
                    self._drop(live.entry)
                    self._later(self.end(live, "revoked"))
                elif now - live.last_input > self.config.idle_seconds:
                    self._drop(live.entry)
                    self._later(self.end(live, "idle"))
            busy = {live.entry.sid for live in self.live.values()}
            for session in list(self.web_sessions.values()):
                if session.sid in busy:
                    continue
                if (now - session.last_used > self.config.idle_seconds
                        or now - session.created > WEB_SESSION_HOURS * 3600
                        or not links.link_valid(self.store, session.link_id)):
                    self._drop(session)
            if now - last_beat >= links.HEARTBEAT_SECONDS:
                last_beat = now
                links.touch_sessions(self.store, [live.row_id for live in self.live.values() if live.row_id])


def ssl_context(cert: str, key: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise RaterError(Problem(f"cannot load the certificate or key ({exc})", cert,
                                 fix="give a PEM certificate with --tls-cert, its key with --tls-key"),
                         ) from None
    return ctx


def serve(config: ServeConfig, store: Store, *, announce: Any = print) -> None:
    """Run until Ctrl+C or SIGTERM; then end every session (drafts kept) and return."""
    check_exposure(config.host, tls=config.tls, behind_proxy=config.behind_proxy)
    context = ssl_context(config.tls_cert, config.tls_key or config.tls_cert) if config.tls_cert else None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S",
                        stream=sys.stderr)
    logging.getLogger("aiohttp.access").setLevel(logging.INFO)
    server = RaterServer(config, store)
    asyncio.run(_main(server, context, announce))


async def _main(server: RaterServer, context: ssl.SSLContext | None, announce: Any) -> None:
    config = server.config
    runner = web.AppRunner(server.make_app(), access_log_class=_AccessLog, handle_signals=False,
                           shutdown_timeout=STOP_TIMEOUT * 3)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port, ssl_context=context)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise RaterError(Problem(f"cannot listen on {config.host}:{config.port} ({exc.strerror})",
                                 field="--port", fix="choose another --port, or stop what uses it")) from None
    port = runner.addresses[0][1] if runner.addresses else config.port
    scheme = "https" if config.tls else "http"
    host = f"[{config.host}]" if ":" in config.host else config.host
    public = (config.public_url or f"{scheme}://{host}:{port}").rstrip("/")
    server.store.set_meta(links.BASE_URL_META, public)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    announce(f"rater serve: {server.store.path} on {scheme}://{host}:{port} "
             f"(links: {public}/r/…; up to {config.max_sessions} sessions)")
    announce("Give each clinician a link: rater raters link NAME. Ctrl+C stops (drafts are kept).")
    try:
        await stop.wait()
    finally:
        n = len(server.live)
        announce(f"rater serve: stopping; ending {n} session{'s' if n != 1 else ''} (drafts kept)")
        await server.end_all("server stopped")
        await runner.cleanup()
