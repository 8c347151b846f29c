"""No code path of the package can unpickle: no pickle import, no pickled np.load."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "glassnet"
FORBIDDEN = re.compile(
    r"import pickle|from pickle|pickle\.loads?\(|allow_pickle\s*=\s*True|\bshelve\b"
    r"|\bmarshal\b|\beval\(|\bexec\("
)


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.name)
def test_no_unpickling_in_the_package(path: Path) -> None:
    code = "\n".join(
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if not line.lstrip().startswith("#")
    )
    # Messages may *mention* pickles to explain a refusal; no import or call may exist.
    assert not FORBIDDEN.findall(code), f"{path.name}: {FORBIDDEN.findall(code)}"
    for call in re.findall(r"np\.load\([^)]*\)", code):
        assert "allow_pickle=False" in call, f"{path.name}: {call}"


def test_the_guard_catches_what_it_is_for() -> None:
    assert FORBIDDEN.search("import pickle")
    assert FORBIDDEN.search("np.load(f, allow_pickle=True)")
    assert not FORBIDDEN.search('raise ValueError("looks like a pickle")')
