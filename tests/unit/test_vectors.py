"""The 63 decision cases of the spec (copied into tests/data/vectors), through `can_assume` and the CLI."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.cli import main
from chalicelib.iam.cases import request_from_case
from chalicelib.iam.evaluate import can_assume
from tests.conftest import EXPECTED_DECISION, VECTORS_FILE, load_vectors

VECTORS = load_vectors()


def test_all_63_vectors_are_present() -> None:
    assert len(VECTORS) == 63
    assert len({case["name"] for case in VECTORS}) == 63


@pytest.mark.parametrize("case", VECTORS, ids=[c["name"] for c in VECTORS])
def test_vector_through_can_assume(case: dict[str, Any]) -> None:
    # GIVEN one spec case  WHEN the evaluator decides it
    _, request = request_from_case(case, source="vectors")
    decision = can_assume(request)
    # THEN the decision is the spec's, with reasons and nothing left undecided
    assert decision.decision.value == EXPECTED_DECISION[case["expect"]], decision.reasons
    assert decision.reasons
    assert decision.unknown == ()


def test_all_vectors_through_the_cli_request_form(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN the vectors file  WHEN `trustwatch can-assume --request FILE --format json` runs
    code = main(["can-assume", "--request", str(VECTORS_FILE), "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    # THEN one result per case, in input order, each with the expected decision
    assert code == 0
    assert [r["name"] for r in out] == [c["name"] for c in VECTORS]
    got = {r["name"]: r["decision"] for r in out}
    assert got == {c["name"]: EXPECTED_DECISION[c["expect"]] for c in VECTORS}
    assert all(r["reasons"] for r in out)
