"""The README's Python example runs as printed; its commands stay what CI runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
# The Ecosystem section's example needs the optional extras; it is run on its own.
ECOSYSTEM = re.search(r"\n## Ecosystem.*?\n(?=## )", README, flags=re.S)
assert ECOSYSTEM is not None, "README lost its Ecosystem section"
CORE_README = README.replace(ECOSYSTEM.group(0), "\n")


def test_the_python_example_runs(tmp_path, monkeypatch, capsys):
    blocks = re.findall(r"```python\n(.*?)```", CORE_README, flags=re.S)
    assert blocks, "README lost its Python example"
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "readme"}  # later blocks may use earlier blocks' names
    for code in blocks:
        exec(compile(code, "README.md", "exec"), namespace)
    out = capsys.readouterr().out
    accuracy = float(re.search(r"'accuracy': ([\d.]+)", out).group(1))
    assert accuracy >= 0.97
    assert (tmp_path / "circles.safetensors").exists()


def test_the_ecosystem_example_runs(tmp_path, monkeypatch, capsys):
    pytest.importorskip("sklearn")
    pytest.importorskip("onnxruntime")
    section = ECOSYSTEM.group(0)
    assert 'pip install -e ".[sklearn,onnx,notebooks,docs]"' in section
    assert "(docs/ecosystem.md)" in section
    assert "docs/figures/liveplot.png" in section
    assert (REPO / "docs" / "figures" / "liveplot.png").is_file()
    [code] = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md (Ecosystem)", "exec"), {"__name__": "readme"})
    best, onnx_gap, classes = capsys.readouterr().out.splitlines()
    assert float(best.split()[-1]) > 0.9  # the tuned pipeline's cross-validated score
    assert float(onnx_gap) < 1e-5  # onnxruntime and glassnet agree
    assert classes.startswith("('a', 'b')")
    assert float(re.search(r"'accuracy': ([\d.]+)", classes).group(1)) > 0.9


def test_ci_runs_the_test_command_the_readme_shows():
    assert "python3 -m pytest\n" in README
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert ci.rstrip().splitlines()[-1] == "python3 -m pytest"
    assert 'python3 -m pip install -e ".[test]" && glassnet demo circles' in README


def test_every_figure_the_readme_shows_is_committed_and_a_png_is_a_png():
    shown = re.findall(r"\]\((docs/figures/[^)]+)\)", README)
    assert "docs/figures/rnn_hidden_states.png" in shown  # issue 12's gallery
    for name in shown:
        path = REPO / name
        assert path.is_file(), name
        if path.suffix == ".png":
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
