"""The frames/s benchmark of the playground runs and reports (no speed asserted)."""

from __future__ import annotations

import pytest

pytest.importorskip("uvicorn", reason="the [playground] extra is not installed")
pytest.importorskip("websockets", reason="the [playground] extra is not installed")

from benchmarks import playground


def test_benchmark_writes_a_table_of_every_measurement(tmp_path, capsys):
    out = tmp_path / "playground.md"
    args = ["--seconds", "0.4", "--tabs", "2", "--edits", "2", "--out", str(out)]
    assert playground.main(args) == 0
    table = out.read_text()
    for row in ("session alone", "1 tab", "2 tabs at once", "weight edit"):
        assert row in table
    assert "inf" not in table  # every edit was seen in a frame
    # CPU per frame: the session's thread, and the workers' and process's per tab row
    assert "ms thread" in table
    assert table.count("ms worker") == 2
    assert table.count("ms process") == 2
    assert table == capsys.readouterr().out
