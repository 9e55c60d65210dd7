"""The Lambda handlers through Chalice's test client."""

from __future__ import annotations

from chalice.test import Client

from app import app
from tests.conftest import EXPECTED_DECISION, load_vectors


def test_can_assume_function_decides_every_vector() -> None:
    # GIVEN all spec cases as one direct-invocation payload
    vectors = load_vectors()
    with Client(app, stage_name="dev") as client:
        # WHEN the function is invoked
        payload = client.lambda_.invoke("can_assume", vectors).payload
    # THEN each case gets its expected decision and no case errored
    assert payload["errors"] == 0
    got = {r["name"]: r["decision"] for r in payload["results"]}
    assert got == {c["name"]: EXPECTED_DECISION[c["expect"]] for c in vectors}


def test_a_bad_case_is_reported_and_does_not_block_the_others() -> None:
    good = load_vectors()[1]
    bad = {**good, "name": "broken", "trust": {"Statement": [{"Effect": "Alow", "Action": "sts:AssumeRole"}]}}
    with Client(app, stage_name="dev") as client:
        payload = client.lambda_.invoke("can_assume", [bad, good]).payload
    assert payload["errors"] == 1
    assert "Statement[0].Effect" in payload["results"][0]["error"]
    assert payload["results"][1] == {**payload["results"][1], "name": "T02", "decision": "allow"}
