"""The README's Python example runs as printed; its commands stay what CI runs."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def test_the_python_example_runs(tmp_path, monkeypatch, capsys):
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert blocks, "README lost its Python example"
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "readme"}  # later blocks may use earlier blocks' names
    for code in blocks:
        exec(compile(code, "README.md", "exec"), namespace)
    out = capsys.readouterr().out
    accuracy = float(re.search(r"'accuracy': ([\d.]+)", out).group(1))
    assert accuracy >= 0.97
    assert (tmp_path / "circles.safetensors").exists()


def test_ci_runs_the_test_command_the_readme_shows():
    assert "python3 -m pytest\n" in README
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert ci.rstrip().splitlines()[-1] == "python3 -m pytest"
    assert 'python3 -m pip install -e ".[test]" && glassnet demo circles' in README
