"""Shared test helpers: paths to the project's test data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
VECTORS_FILE = DATA / "vectors" / "assume-role-vectors.json"

EXPECTED_DECISION = {"Allowed": "allow", "ImplicitlyDenied": "implicit-deny", "ExplicitlyDenied": "explicit-deny"}


def load_vectors() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads(VECTORS_FILE.read_text())
    return cases


SNAPSHOTS = Path(__file__).resolve().parents[1] / "chalicelib" / "data" / "snapshots"
