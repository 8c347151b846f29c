"""``glassnet playground``: its options, its one-line errors, a real start and stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from cli_support import one_line_error, run

SRC = Path(__file__).resolve().parents[1] / "src"


def test_help_names_the_options(capsys):
    status, out = run(["playground", "--help"])
    assert status == 0
    for option in ("--host", "--port", "--no-browser"):
        assert option in out


def test_a_port_out_of_range_is_one_line_error(capsys):
    pytest.importorskip("uvicorn")
    status, _ = run(["playground", "--port", "70000", "--no-browser"])
    one_line_error(capsys, status, r"--port must be 0 to 65535; got 70000")


def test_a_busy_port_is_one_line_error(capsys):
    pytest.importorskip("uvicorn")
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        status, _ = run(["playground", "--port", port, "--no-browser"])
    one_line_error(capsys, status, rf"cannot listen on 127.0.0.1:{port}")


def test_without_the_extra_the_error_says_what_to_install(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn fails
    status, _ = run(["playground", "--no-browser"])
    one_line_error(capsys, status, r"pip install 'glassnet\[playground\]'")


def test_the_command_serves_the_page_on_localhost_until_interrupted():
    pytest.importorskip("uvicorn")
    pytest.importorskip("starlette")
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    cmd = [
        sys.executable,
        "-m",
        "glassnet",
        "playground",
        "--port",
        "0",
        "--no-browser",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("glassnet playground at http://127.0.0.1:")
        url = line.split()[3]
        with urllib.request.urlopen(url, timeout=20) as r:
            assert r.status == 200
            assert b'data-testid="boundary"' in r.read()
        request = urllib.request.Request(url, headers={"Host": "evil.example"})
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(request, timeout=20)
        assert info.value.code == 400
        info.value.close()
    finally:
        proc.send_signal(signal.SIGINT)
        status = proc.wait(timeout=20)
        assert proc.stdout is not None
        rest = proc.stdout.read()
        proc.stdout.close()
    assert status == 0
    assert "glassnet playground stopped." in rest
