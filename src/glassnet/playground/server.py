"""The playground's web app: the page, its files, and one WebSocket per tab at /ws.

Each WebSocket gets a worker thread that owns one Session: the event loop only
moves messages, so it stays free while five tabs train at once. The thread reads
commands from a queue, trains while playing, and posts frames (JSON built in the
thread) to the socket's sender; one frame at a most is in flight, so a slow tab
slows its own training instead of piling up frames. A closed tab stops its thread.

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
import base64
import contextlib
import json
import queue
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from glassnet.playground.export import model_bytes, script_text
from glassnet.playground.protocol import MAX_MESSAGE, ProtocolError, parse
from glassnet.playground.session import Session

if TYPE_CHECKING:  # create_app imports Starlette: this module loads without it
    from starlette.applications import Starlette
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


class Worker(threading.Thread):
    """The training thread of one tab: owns its Session, obeys its commands.

    Args:
        post: called from this thread with (JSON text, is_frame); must be
            thread-safe. After a frame, the thread waits for ``frame_sent()``.
        max_fps: frames per second while playing, at most (None: no limit).
        gradcheck_every: the least seconds between live gradient checks (more when
            a check is slow next to the frames, so that checks take about 5 % of
            the thread's CPU time).
        on_exit: called with the worker when its thread ends.
    """

    def __init__(
        self,
        post: Callable[[str, bool], None],
        *,
        max_fps: float | None = 30.0,
        gradcheck_every: float = 1.0,
        on_exit: Callable[[Worker], None] | None = None,
    ) -> None:
        super().__init__(daemon=True, name="glassnet-playground")
        self.on_exit = on_exit
        self.post = post
        self.commands: queue.Queue[dict[str, Any]] = queue.Queue()
        self.stopped = threading.Event()
        self._credit = threading.Semaphore(1)
        self.min_interval = 0.0 if not max_fps else 1.0 / max_fps
        self.gradcheck_every = gradcheck_every
        self._last_check = -float("inf")  # when the last live check began (wall)
        self._last_check_cpu = 0.0  # … and this thread's CPU time then
        self._check_cpu = 0.0  # the CPU time it took
        self.playing = False
        self.frames = 0

    def stop(self) -> None:
        """Ask the thread to end; it does within a fraction of a second."""
        self.stopped.set()

    def frame_sent(self) -> None:
        """The last frame left: the thread may make the next."""
        self._credit.release()

    def _send(self, msg: dict[str, Any], frame: bool = False) -> None:
        self.post(json.dumps(msg, allow_nan=False, separators=(",", ":")), frame)

    def _error(self, message: str) -> None:
        self._send({"type": "error", "message": message})

    def run(self) -> None:
        """Drain commands, train while playing, send frames; until stopped."""
        try:
            self._loop()
        finally:
            if self.on_exit is not None:
                self.on_exit(self)

    def _loop(self) -> None:
        session = Session()
        self._send(session.describe())
        dirty, last_frame = True, 0.0
        while not self.stopped.is_set():
            wait = 0.0 if (self.playing or dirty) else 0.1
            for cmd in self._drain(wait):
                try:
                    dirty |= self._handle(session, cmd)
                except ValueError as exc:  # bad input: say why, go on
                    self._error(str(exc))
                    dirty = True
                except Exception as exc:  # a bug must not end the tab's session
                    self._error(f"internal error: {type(exc).__name__}: {exc}")
            if not (self.playing or dirty):
                continue
            # a change is shown at once, before more training
            train = self.playing and not dirty
            wait_for = last_frame + self.min_interval - time.perf_counter()
            if train and wait_for > 0:
                time.sleep(min(wait_for, 0.05))
                continue
            if not self._credit.acquire(timeout=0.05):
                continue  # the last frame is still on its way; read commands
            try:
                last_frame = time.perf_counter()
                frame = self._frame(session, train)
                self._send(frame, frame=True)
            except Exception as exc:
                self._credit.release()
                self._error(f"internal error: {type(exc).__name__}: {exc}")
                self.playing = False
                continue
            dirty = False
            self.frames += 1

    def _frame(self, session: Session, train: bool) -> dict[str, Any]:
        """A frame's steps (when training) and the frame, with a check when due.

        A live check comes at most every ``gradcheck_every`` seconds, and while
        playing takes at most ~5 % of this thread's CPU time. CPU time, not wall
        time: when five tabs share the cores each one's frames take longer, and
        checks by the clock would take a larger share of its work.
        """
        if train:
            session.advance(session.frame_steps())
        frame = session.frame()
        now, cpu = time.perf_counter(), time.thread_time()
        due = now - self._last_check >= self.gradcheck_every and (
            not self.playing or cpu - self._last_check_cpu >= 20 * self._check_cpu
        )
        if due:
            frame["gradcheck"] = session.gradcheck()
            self._last_check, self._last_check_cpu = now, cpu
            self._check_cpu = time.thread_time() - cpu
        return frame

    def _drain(self, wait: float) -> Iterable[dict[str, Any]]:
        out = []
        with contextlib.suppress(queue.Empty):
            out.append(
                self.commands.get(timeout=wait) if wait else self.commands.get_nowait()
            )
            while True:
                out.append(self.commands.get_nowait())
        return out

    def _handle(self, s: Session, cmd: dict[str, Any]) -> bool:
        """Carry out one command; return whether a new frame should show it."""
        kind = cmd["type"]
        if kind == "play":
            self.playing = True
        elif kind == "pause":
            self.playing = False
        elif kind == "step":
            s.advance(s.frame_steps())
        elif kind == "reset":
            s.new_run()
            self._send(s.describe())
        elif kind in ("config", "regenerate"):
            changes = cmd.get("config") or {
                "data_seed": (s.config["data_seed"] + 1) % 2**31
            }
            if s.apply(changes) != "live":
                self._send(s.describe())
        elif kind == "parameter":
            s.set_parameter(cmd["layer"], cmd["row"], cmd["col"], float(cmd["value"]))
        elif kind == "point":
            s.add_point(float(cmd["x1"]), float(cmd["x2"]), cmd["label"])
            self._send(s.describe())
        elif kind == "upload":
            s.upload(cmd["csv"])
            self._send(s.describe())
        elif kind == "sample":
            self._send(s.step_sample(cmd["set"], cmd["index"]))
        elif kind == "gradcheck":
            self._send({"type": "gradcheck", "result": s.gradcheck()})
            return False
        elif kind == "export":
            self._send(_export(s, cmd["what"]))
            return False
        return True


def _export(s: Session, what: str) -> dict[str, Any]:
    if what == "model":
        data = base64.b64encode(model_bytes(s)).decode("ascii")
        return {
            "type": "export",
            "what": what,
            "base64": data,
            "filename": "glassnet-playground.safetensors",
        }
    return {
        "type": "export",
        "what": what,
        "text": script_text(s),
        "filename": "glassnet_playground_run.py",
    }


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
    from starlette.requests import Request
    from starlette.responses import FileResponse, Response
    from starlette.routing import Mount, Route, WebSocketRoute
    from starlette.staticfiles import StaticFiles
    from starlette.websockets import WebSocketDisconnect

    hosts = tuple(allowed_hosts)
    limit_blas_threads()

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html")

    async def socket(ws: WebSocket) -> None:
        if not _same_origin(ws, hosts):
            await ws.close(code=1008)  # before accept: the handshake gets 403
            return
        await ws.accept()
        loop = asyncio.get_running_loop()
        outbox: asyncio.Queue[tuple[str, bool]] = asyncio.Queue()

        def post(text: str, frame: bool) -> None:
            loop.call_soon_threadsafe(outbox.put_nowait, (text, frame))

        worker = Worker(
            post,
            max_fps=max_fps,
            gradcheck_every=gradcheck_every,
            on_exit=app.state.workers.discard,
        )
        app.state.workers.add(worker)
        worker.start()

        async def sender() -> None:
            while True:
                text, frame = await outbox.get()
                await ws.send_text(text)
                if frame:
                    worker.frame_sent()

        sending = asyncio.create_task(sender())
        try:
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
        except WebSocketDisconnect:
            pass
        finally:
            worker.stop()
            sending.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sending
            await asyncio.to_thread(worker.join, 5.0)

    app = Starlette(
        routes=[
            Route("/", index),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
            WebSocketRoute("/ws", socket),
        ],
        middleware=[
            Middleware(TrustedHostMiddleware, allowed_hosts=list(hosts)),
            Middleware(_Headers),
        ],
    )
    app.state.workers = set()
    app.state.max_message = MAX_MESSAGE
    return app
