"""The example notebooks run headlessly and are stored without outputs.

LivePlot, the live view they show, is tested in tests/test_liveplot.py.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tests.conftest import data_root

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "examples" / "notebooks").glob("*.ipynb"))


def test_there_is_one_notebook_per_seed_experiment() -> None:
    names = [p.stem for p in NOTEBOOKS]
    assert [n[:6] for n in names] == [f"seed_{s}" for s in "abcde"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_without_outputs(path: Path) -> None:
    book = json.loads(path.read_text(encoding="utf-8"))
    for i, cell in enumerate(book["cells"]):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{path.name} cell {i} has outputs"
            assert cell["execution_count"] is None, f"{path.name} cell {i} was run"
    assert "widgets" not in book["metadata"]


# Seed C trains on real MNIST: slow, like every real-MNIST test.
RUNS = [
    pytest.param(p, marks=pytest.mark.slow) if "mnist" in p.stem else p
    for p in NOTEBOOKS
]


@pytest.mark.parametrize("path", RUNS, ids=lambda p: p.stem)
def test_notebook_runs_headlessly(path: Path, monkeypatch) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    if "mnist" in path.stem and not (data_root() / "mnist").is_dir():
        pytest.skip(f"MNIST files not found in {data_root() / 'mnist'}")
    # the kernel is a child process: it imports this checkout's glassnet and data
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO / "src"), str(REPO)]))
    monkeypatch.setenv("GLASSNET_DATA", str(data_root()))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    book = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        book, timeout=300, kernel_name="python3", resources={"metadata": {"path": REPO}}
    )
    client.execute()  # raises CellExecutionError, with the traceback, if a cell fails
    errors = [
        out
        for cell in book.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.output_type == "error"
    ]
    assert errors == []
    images = [
        out
        for cell in book.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if "image/png" in out.get("data", {})
    ]
    assert images, f"{path.name} showed no figure"
