"""Documents written back as AWS JSON (remediations, the auditor's trust history) parse to the same document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.iam.errors import PolicyParseError
from chalicelib.iam.policy import PolicyDocument, parse_policy
from chalicelib.rules.remediation import document_dict, with_condition

RULES_DATA = Path(__file__).resolve().parents[1] / "data" / "rules"


def trust_documents() -> list[PolicyDocument]:
    documents = []
    for path in sorted(RULES_DATA.glob("*/*/*.json")):
        data = json.loads(path.read_text())
        if "trust" in data:
            try:
                documents.append(parse_policy(data["trust"]))
            except PolicyParseError:
                continue  # fixtures of bad grammar
    return documents


DOCUMENTS = trust_documents()


def test_there_are_many_documents_to_check() -> None:
    assert len(DOCUMENTS) > 100


@pytest.mark.parametrize("document", DOCUMENTS)
def test_document_dict_round_trips(document: PolicyDocument) -> None:
    assert parse_policy(json.dumps(document_dict(document))) == document


def test_with_condition_adds_to_an_existing_block_without_touching_the_original() -> None:
    statement = {"Effect": "Allow", "Condition": {"StringEquals": {"sts:ExternalId": "a"}}}
    fixed = with_condition(statement, "StringEquals", "aws:PrincipalOrgID", "o-1")
    assert fixed["Condition"] == {"StringEquals": {"sts:ExternalId": "a", "aws:PrincipalOrgID": "o-1"}}
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": "a"}}
