"""The IAM core (and later the rules) must not import AWS clients or Lambda frameworks."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PURE_PACKAGES = ("chalicelib/iam", "chalicelib/rules")
FORBIDDEN = ("boto3", "botocore", "chalice", "aws_lambda_powertools")


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


PURE_FILES = sorted(p for pkg in PURE_PACKAGES if (ROOT / pkg).is_dir() for p in (ROOT / pkg).rglob("*.py"))


def test_the_pure_core_exists() -> None:
    assert len(PURE_FILES) >= 10


@pytest.mark.parametrize("path", PURE_FILES, ids=[str(p.relative_to(ROOT)) for p in PURE_FILES])
def test_pure_module_imports_no_aws_or_lambda_library(path: Path) -> None:
    forbidden = {m for m in _imported_modules(path) if m.split(".")[0] in FORBIDDEN}
    assert not forbidden, f"{path.relative_to(ROOT)} imports {sorted(forbidden)}"


def test_the_import_walker_sees_forbidden_imports(tmp_path: Path) -> None:
    # GIVEN a module that imports boto3 inside a function  THEN the walker finds it
    module = tmp_path / "m.py"
    module.write_text("def f():\n    import boto3.session\n    from botocore import client\n")
    assert {m.split(".")[0] for m in _imported_modules(module)} == {"boto3", "botocore"}
