"""The API site builds with ``mkdocs build --strict``; every public name is in it."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")
pytest.importorskip("mkdocstrings_handlers.python")

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"

# The modules whose public names (their __all__) the reference must document.
DOCUMENTED = [
    "glassnet",
    "glassnet.activations",
    "glassnet.callbacks",
    "glassnet.hooks",
    "glassnet.schedule",
    "glassnet.checkpoint",
    "glassnet.datasets",
    "glassnet.descent",
    "glassnet.explain",
    "glassnet.gradcheck",
    "glassnet.init",
    "glassnet.io",
    "glassnet.layers",
    "glassnet.layers.activation",
    "glassnet.layers.base",
    "glassnet.layers.conv",
    "glassnet.layers.dense",
    "glassnet.layers.dropout",
    "glassnet.layers.normalization",
    "glassnet.layers.pooling",
    "glassnet.layers.recurrent",
    "glassnet.losses",
    "glassnet.losses.base",
    "glassnet.losses.binary",
    "glassnet.losses.categorical",
    "glassnet.losses.mse",
    "glassnet.model",
    "glassnet.onnx",
    "glassnet.optimizers",
    "glassnet.params",
    "glassnet.penalty",
    "glassnet.distributed",
    "glassnet.plots",
    "glassnet.plots.live",
    "glassnet.recovery",
    "glassnet.run",
    "glassnet.sklearn",
    "glassnet.threads",
    "glassnet.training",
]


def module_file(module: str) -> Path | None:
    base = SRC / Path(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def public_names(module: str) -> tuple[list[str], dict[str, str]]:
    """A module's __all__ and where each imported name comes from, read statically
    (so that modules of optional extras need not be importable)."""
    path = module_file(module)
    assert path is not None, module
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    origin: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                origin[alias.asname or alias.name] = node.module
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            names = list(ast.literal_eval(node.value))
    return names, origin


def defining_path(module: str, name: str) -> str:
    """The dotted path where ``module.name`` is defined (following re-exports)."""
    _, origin = public_names(module)
    source = origin.get(name)
    if source is None:
        return f"{module}.{name}"
    if module_file(f"{source}.{name}") is not None:  # a submodule
        return f"{source}.{name}"
    if module_file(source) is None:  # from a third-party package
        return f"{module}.{name}"
    return defining_path(source, name)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        # not -q: mkdocs counts the warnings that --strict turns into errors only
        # from the messages it logs, and -q logs none
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return out


@pytest.fixture(scope="module")
def anchors(site: Path) -> set[str]:
    found: set[str] = set()
    for page in site.rglob("*.html"):
        found |= set(re.findall(r'id="(glassnet[\w.]*)"', page.read_text("utf-8")))
    return found


@pytest.mark.parametrize("module", DOCUMENTED)
def test_every_public_name_has_its_entry(module: str, anchors: set[str]) -> None:
    names, _ = public_names(module)
    assert names, f"{module} has no __all__"
    missing = [
        f"{module}.{name} (defined as {defining_path(module, name)})"
        for name in names
        if defining_path(module, name) not in anchors
    ]
    assert missing == []


def definition(dotted: str) -> ast.ClassDef | ast.FunctionDef | None:
    """The class or function that ``dotted`` (module.name) names, read statically."""
    module, _, name = dotted.rpartition(".")
    path = module_file(module)
    if path is None:
        return None
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)) and node.name == name:
            return node
    return None


def has_example(node: ast.ClassDef | ast.FunctionDef) -> bool:
    """A doctest (>>>) or a literal code block (::) in the docstring; for a class,
    in its own docstring or one of its public methods'."""
    nodes: list[ast.AST] = [node]
    if isinstance(node, ast.ClassDef):
        nodes += [
            n
            for n in node.body
            if isinstance(n, ast.FunctionDef)
            and (not n.name.startswith("_") or n.name == "__init__")
        ]
    for n in nodes:
        doc = ast.get_docstring(n) or ""  # type: ignore[arg-type]
        if ">>>" in doc or re.search(r"::\n\n? +\S", doc):
            return True
    return False


def test_every_public_function_and_class_has_an_example() -> None:
    # the project's rule: docs and an example for every public function
    missing = set()
    for module in DOCUMENTED:
        names, _ = public_names(module)
        for name in names:
            where = defining_path(module, name)
            node = definition(where)
            if node is not None and not has_example(node):
                missing.add(where)
    assert sorted(missing) == []


def test_every_documented_module_has_a_page(anchors: set[str]) -> None:
    assert [m for m in DOCUMENTED if m not in anchors] == []


def test_formulas_are_rendered_as_math_and_examples_as_code(site: Path) -> None:
    page = (site / "api" / "layers" / "index.html").read_text(encoding="utf-8")
    # the display formula is MathML built with the site, its TeX kept as annotation
    block = re.search(r'<div class="arithmatex">(<math .*?</math>)</div>', page, re.S)
    assert block is not None
    assert 'display="block"' in block.group(1)
    assert "<mfrac>" in block.group(1)
    source = r'<annotation encoding="application/x-tex">Z = X W^\top + b'
    assert source in block.group(1)
    # no formula anywhere is left as TeX for a script to typeset
    for page_path in site.rglob("*.html"):
        for body in re.findall(
            r'class="arithmatex">(.*?)</(?:span|div)>',
            page_path.read_text("utf-8"),
            re.S,
        ):
            assert body.startswith("<math "), (page_path, body[:80])
    # every doctest prompt sits in a highlighted code block, none in running text
    for page_path in (site / "api").rglob("*.html"):
        text = page_path.read_text(encoding="utf-8")
        assert "<blockquote>" not in text, page_path
        assert "<p>&gt;&gt;&gt;" not in text, page_path
    assert '<span class="gp">&gt;&gt;&gt; </span>' in page


# What a page loads (scripts, stylesheets, images, frames): only the site's own files.
LOADS = re.compile(
    r"<(?:script|link|img|iframe|source)\b[^>]*?\b(?:src|href)=\"([^\"]*)\""
)


def test_no_page_loads_anything_from_another_site(site: Path) -> None:
    loaded: set[str] = set()
    for page_path in site.rglob("*.html"):
        loaded |= set(LOADS.findall(page_path.read_text(encoding="utf-8")))
    assert any(url.endswith("css/pygments.css") for url in loaded)
    assert [url for url in loaded if "//" in url or ":" in url] == []
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    assert "://" not in config  # no script or stylesheet named by URL


def test_the_math_hook_refuses_tex_it_cannot_convert() -> None:
    pytest.importorskip("latex2mathml")
    sys.path.insert(0, str(REPO / "docs"))
    try:
        from mathml_hook import tex_to_mathml
    finally:
        sys.path.remove(str(REPO / "docs"))
    mathml = tex_to_mathml(r"\frac{1}{2m}", display=False)
    assert mathml.startswith('<math xmlns="http://www.w3.org/1998/Math/MathML"')
    fraction = "<mfrac><mrow><mn>1</mn></mrow><mrow><mn>2</mn><mi>m</mi></mrow></mfrac>"
    assert fraction in mathml
    from latex2mathml.exceptions import MissingSuperScriptOrSubscriptError

    with pytest.raises(MissingSuperScriptOrSubscriptError):
        tex_to_mathml("x^", display=False)


def test_a_broken_reference_fails_the_strict_build(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Broken\n\n::: glassnet.no_such_module\n")
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: broken\nplugins:\n  - mkdocstrings:\n      handlers:\n"
        f"        python:\n          paths: [{SRC}]\n"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-q",
            "-d",
            str(tmp_path / "site"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0
    assert "no_such_module" in done.stderr


def test_fence_doctests_wraps_each_block_at_its_indentation() -> None:
    sys.path.insert(0, str(REPO / "docs"))
    try:
        from griffe_doctest import fence_doctests
    finally:
        sys.path.remove(str(REPO / "docs"))
    text = "Intro.\n\n  >>> 1 + 1\n  2\n\nAfter.\n>>> x = 3\n"
    assert fence_doctests(text) == (
        "Intro.\n\n  ```pycon\n  >>> 1 + 1\n  2\n  ```\n\n"
        "After.\n```pycon\n>>> x = 3\n```"
    )


@pytest.mark.parametrize("block", range(5))
def test_ecosystem_guide_examples_run(block: int, tmp_path: Path, monkeypatch) -> None:
    text = (REPO / "docs" / "ecosystem.md").read_text(encoding="utf-8")
    code = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(code) == 5
    if "sklearn" in code[block]:
        pytest.importorskip("sklearn")
    if "onnx" in code[block]:
        pytest.importorskip("onnxruntime")
    monkeypatch.chdir(tmp_path)
    exec(compile(code[block], f"ecosystem.md block {block}", "exec"), {})
