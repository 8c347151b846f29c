"""One tab's training thread: it owns the tab's Session and obeys its commands.

The thread reads commands from a queue, trains while playing, and posts frames (JSON
built in the thread) to the socket's sender; at most one frame is in flight, so a
slow tab slows its own training instead of piling up frames. A closed tab stops its
thread. The event loop of ``server`` only moves messages to and from it.
"""

from __future__ import annotations

import base64
import contextlib
import json
import queue
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from glassnet.playground.export import model_bytes, script_text
from glassnet.playground.session import Session

__all__ = ["Worker"]


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
