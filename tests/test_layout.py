"""The code stays readable: imports flow one way, modules and functions stay small.

The import graph is the one Python runs: imports at the top of a module (not those
under ``if TYPE_CHECKING:``, which only name types, nor those inside functions, which
load an optional part on first use).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "glassnet"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_imports(path: Path) -> set[str]:
    """The glassnet modules that ``path`` imports when it is loaded."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in tree.body:  # top level only: not in functions, not in TYPE_CHECKING
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.level:
                continue
            if node.module.startswith("glassnet"):
                found.add(node.module)
                found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("glassnet"))
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {
        name: {m for m in runtime_imports(path) if m in modules and m != name}
        for name, path in modules.items()
    }


def test_imports_flow_one_way():
    edges = graph()
    # the package's __init__ files re-export; a cycle through them is a real one
    # only if it comes back to where it started, which the search below finds
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if nxt == "glassnet":  # `from glassnet import x` names a submodule
                continue
            if state.get(nxt) == 1:
                cycle = [*path[path.index(nxt) :], nxt] if nxt in path else [nxt]
                pytest.fail("import cycle: " + " → ".join(cycle))
            if nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for name in sorted(edges):
        if name not in state:
            visit(name, [name])


def test_lower_layers_never_import_higher_ones():
    edges = graph()
    lower = ["glassnet.activations", "glassnet.init", "glassnet.layers.base"]
    higher = ("glassnet.model", "glassnet.training", "glassnet.callbacks")
    for name in lower:
        assert not any(m.startswith(higher) for m in edges[name]), (name, edges[name])
    for name in ("glassnet.run", "glassnet.callbacks", "glassnet.optimizers"):
        assert "glassnet.model" not in edges[name], name
        assert "glassnet.training" not in edges[name], name


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_every_module_stays_under_400_lines(path):
    # the whole package, not only the engine: a reader opens the CLI, the plots and
    # the file formats too
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= 400, f"{path.name}: {lines} lines; split it by concept"


def code_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of a function (signature and body) without its docstring."""
    total = int(node.end_lineno or node.lineno) - node.lineno + 1
    first = node.body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        total -= int(first.end_lineno or first.lineno) - first.lineno + 1
    return total


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_every_function_stays_under_80_lines(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    long = [
        (node.name, code_lines(node))
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and code_lines(node) > 80
    ]
    assert not long, f"{path.name}: {long} (lines without the docstring)"


def test_fit_loop_fits_on_one_screen():
    tree = ast.parse((PACKAGE / "training.py").read_text(encoding="utf-8"))
    fit = next(
        n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "fit"
    )
    assert code_lines(fit) <= 60, code_lines(fit)
