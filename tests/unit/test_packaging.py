"""What the wheel relies on (issue 8 #1): every package is listed, and chalicelib imports itself relatively, so
the same code runs as `chalicelib` beside app.py and as `trustwatch` from the wheel."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "chalicelib"


def test_every_package_directory_is_listed_in_pyproject() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {".".join(["trustwatch", *p.parent.relative_to(PACKAGE).parts]) for p in PACKAGE.rglob("__init__.py")}
    assert listed == on_disk


def test_no_module_of_chalicelib_imports_chalicelib_by_name() -> None:
    absolute = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            absolute += [f"{path.relative_to(ROOT)}:{node.lineno}" for n in names if n.split(".")[0] == "chalicelib"]
    assert absolute == []
