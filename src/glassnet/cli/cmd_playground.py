"""``glassnet playground``: serve the playground page and open it in a browser."""

from __future__ import annotations

import argparse
import contextlib
import socket
import threading
import webbrowser
from typing import Any, TextIO

from glassnet.cli.errors import UsageError

__all__ = ["add_playground_parser", "cmd_playground"]

# uvicorn refuses larger WebSocket frames before the app sees them; the app's own
# limit (protocol.MAX_MESSAGE characters) then answers with an error frame.
WS_MAX_BYTES = 1 << 20


def add_playground_parser(sub: Any) -> None:
    """Add the ``playground`` command to the subparsers ``sub``."""
    p = sub.add_parser(
        "playground",
        help="watch a network learn in the browser (needs the [playground] extra)",
        description="Start the playground, a local web app in which a real glassnet "
        "model trains while you watch its decision boundary, every neuron, every "
        "weight and gradient; then open it in the browser. Stop it with Ctrl-C.",
        epilog="examples:\n  glassnet playground\n"
        "  glassnet playground --port 8080 --no-browser\n"
        "the server answers only on 127.0.0.1 unless --host says otherwise.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    p.add_argument(
        "--port", type=int, default=8000, help="port (default 8000; 0: any free one)"
    )
    p.add_argument(
        "--no-browser", action="store_true", help="do not open a browser tab"
    )


def cmd_playground(args: argparse.Namespace, out: TextIO) -> int:
    """Glassnet playground: serve the page at http://HOST:PORT/ until Ctrl-C."""
    try:
        import uvicorn

        from glassnet.playground.server import LOCAL_HOSTS, create_app
    except ImportError as exc:
        raise UsageError(
            f"glassnet playground needs the optional packages of the [playground] "
            f"extra ({exc.name} is missing); install them with: "
            "pip install 'glassnet[playground]'"
        ) from None
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be 0 to 65535; got {args.port}.")
    try:
        sock = socket.create_server((args.host, args.port))
    except OSError as exc:
        raise UsageError(
            f"cannot listen on {args.host}:{args.port} ({exc.strerror or exc}); "
            "choose another --port or --host."
        ) from None
    port = sock.getsockname()[1]
    local = args.host in LOCAL_HOSTS
    # A server on another interface is reached by names we cannot know.
    app = create_app(allowed_hosts=LOCAL_HOSTS if local else ("*",))
    host = args.host if local or args.host not in ("0.0.0.0", "::") else "127.0.0.1"
    url = f"http://{host}:{port}/"
    print(f"glassnet playground at {url}  (Ctrl-C stops it)", file=out, flush=True)
    if not local:
        print(
            f"warning: listening on {args.host}: other machines can reach it.",
            file=out,
            flush=True,
        )
    if not args.no_browser:
        threading.Timer(0.5, webbrowser.open, [url]).start()
    config = uvicorn.Config(app, log_level="warning", ws_max_size=WS_MAX_BYTES)
    # uvicorn re-raises Ctrl-C once it has shut down: that is the normal way out
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run(sockets=[sock])
    print("glassnet playground stopped.", file=out, flush=True)
    return 0
