"""No code path of the package can unpickle: the words themselves are absent."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "glassnet"
FORBIDDEN = re.compile(
    r"\bpickle\b|allow_pickle\s*=\s*True|\bshelve\b|\bmarshal\b|\beval\("
)


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.name)
def test_no_pickle_in_the_package(path: Path) -> None:
    code = "\n".join(
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if not line.lstrip().startswith("#")
    )
    hits = [m.group(0) for m in FORBIDDEN.finditer(code)]
    # Messages may *mention* pickles to explain a refusal; no import or call may exist.
    calls = [h for h in hits if h != "pickle"] + re.findall(
        r"import pickle|pickle\.loads?|np\.load\(", code
    )
    assert not calls, f"{path.name} uses {calls}"
