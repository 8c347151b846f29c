"""The playground's web app: the page, its files, and one WebSocket per tab at /ws.

Each WebSocket gets a worker thread (``worker.Worker``) that owns one Session: the
event loop only moves messages, so it stays free while five tabs train at once. A
closed tab stops its thread.

Security: the server answers only requests whose Host is one of ``allowed_hosts``
(127.0.0.1 and localhost by default, against DNS rebinding), and a WebSocket only
when its Origin is the page's own origin, so a web page elsewhere cannot drive a
local server. Every message goes through ``protocol.parse``; a bad one gets an
error frame, and no message can end the connection or the server.

Needs the ``[playground]`` extra (starlette, uvicorn, websockets); ``create_app``
imports Starlette, so the module itself loads without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from glassnet.playground.protocol import MAX_MESSAGE, ProtocolError, parse
from glassnet.playground.worker import Worker

if TYPE_CHECKING:  # create_app imports Starlette: this module loads without it
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.types import ASGIApp, Message, Receive, Scope, Send
    from starlette.websockets import WebSocket

__all__ = ["LOCAL_HOSTS", "STATIC", "Worker", "create_app", "limit_blas_threads"]

STATIC = Path(__file__).with_name("static")
LOCAL_HOSTS = ("127.0.0.1", "localhost")
# The page loads nothing from elsewhere; its script and styles are files of ours.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: "
    "blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'none'"
)


def limit_blas_threads() -> None:
    """Run BLAS on one thread: the playground's matrices are tiny and its tabs many.

    A multithreaded BLAS makes a 10 000 × 8 product several times slower on two busy
    cores (threads wake and wait), and tabs already run in parallel threads.
    """
    with contextlib.suppress(ImportError):
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1, user_api="blas")


def _same_origin(ws: WebSocket, allowed_hosts: Iterable[str]) -> bool:
    """Whether the socket's Origin is the page's own: http(s)://<Host>, Host allowed."""
    host = ws.headers.get("host", "")
    origin = ws.headers.get("origin", "")
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or parts.netloc != host:
        return False
    allowed = set(allowed_hosts)
    return "*" in allowed or (parts.hostname or "") in allowed


class _Headers:
    """Pure ASGI middleware adding the page's security headers to HTTP answers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cache-control", b"no-store"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _Tabs:
    """The app's endpoints: the page, and the WebSocket that each tab opens.

    Args:
        hosts: the allowed host names (the Origin check; see ``_same_origin``).
        max_fps: passed to each tab's Worker.
        gradcheck_every: passed to each tab's Worker.
    """

    def __init__(
        self, hosts: tuple[str, ...], max_fps: float | None, gradcheck_every: float
    ) -> None:
        self.hosts = hosts
        self.max_fps = max_fps
        self.gradcheck_every = gradcheck_every

    async def index(self, request: Request) -> Response:
        """The page."""
        from starlette.responses import FileResponse

        return FileResponse(STATIC / "index.html")

    async def socket(self, ws: WebSocket) -> None:
        """One tab: check its Origin, then relay its messages to a Worker and back."""
        from starlette.websockets import WebSocketDisconnect

        if not _same_origin(ws, self.hosts):
            await ws.close(code=1008)  # before accept: the handshake gets 403
            return
        await ws.accept()
        loop = asyncio.get_running_loop()
        outbox: asyncio.Queue[tuple[str, bool]] = asyncio.Queue()

        def post(text: str, frame: bool) -> None:
            loop.call_soon_threadsafe(outbox.put_nowait, (text, frame))

        workers = ws.app.state.workers  # ws.app: the Starlette app it is routed by
        worker = Worker(
            post,
            max_fps=self.max_fps,
            gradcheck_every=self.gradcheck_every,
            on_exit=workers.discard,
        )
        workers.add(worker)
        worker.start()
        sending = asyncio.create_task(_send_all(ws, outbox, worker))
        try:
            await _receive_all(ws, worker, post)
        except WebSocketDisconnect:
            pass
        finally:
            worker.stop()
            sending.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sending
            await asyncio.to_thread(worker.join, 5.0)


async def _send_all(
    ws: WebSocket, outbox: asyncio.Queue[tuple[str, bool]], worker: Worker
) -> None:
    """Send what the worker posts, in order; tell it when each frame has left."""
    while True:
        text, frame = await outbox.get()
        await ws.send_text(text)
        if frame:
            worker.frame_sent()


async def _receive_all(
    ws: WebSocket, worker: Worker, post: Callable[[str, bool], None]
) -> None:
    """Pass each valid message to the worker until the tab closes; answer bad ones."""
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            break
        try:
            text = message.get("text")
            cmd = parse(text if text is not None else message.get("bytes", b""))
        except ProtocolError as exc:
            post(json.dumps({"type": "error", "message": str(exc)}), False)
            continue
        worker.commands.put(cmd)


def create_app(
    *,
    allowed_hosts: Iterable[str] = LOCAL_HOSTS,
    max_fps: float | None = 30.0,
    gradcheck_every: float = 1.0,
) -> Starlette:
    """The Starlette app of the playground.

    Args:
        allowed_hosts: host names the server answers to (the Host header), or "*"
            for any (a server on a public interface); the WebSocket also needs its
            Origin to be the page's own origin.
        max_fps: the most frames per second a tab is sent while playing.
        gradcheck_every: seconds between the live gradient checks of a tab.

    The app's ``state.workers`` is the set of running training threads (one per
    open tab).
    """
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware
    from starlette.routing import Mount, Route, WebSocketRoute
    from starlette.staticfiles import StaticFiles

    hosts = tuple(allowed_hosts)
    limit_blas_threads()
    tabs = _Tabs(hosts, max_fps, gradcheck_every)
    app = Starlette(
        routes=[
            Route("/", tabs.index),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
            WebSocketRoute("/ws", tabs.socket),
        ],
        middleware=[
            Middleware(TrustedHostMiddleware, allowed_hosts=list(hosts)),
            Middleware(_Headers),
        ],
    )
    app.state.workers = set()
    app.state.max_message = MAX_MESSAGE
    return app
