"""`trust_policy_problems`: what IAM refuses in a role trust policy although it is valid policy grammar
(ASSUME_ROLE.md R3.0, R3.1), each named by its place in the document."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.iam.policy import parse_policy
from chalicelib.iam.trust import trust_policy_problems

A = "123456789012"
ACCOUNT_TRUST = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": "sts:AssumeRole"}


def problems(*statements: dict[str, Any]) -> list[tuple[str, str]]:
    """(location, message) of every problem of a trust policy with these statements."""
    document = parse_policy({"Version": "2012-10-17", "Statement": list(statements)})
    return [(problem.location, problem.message) for problem in trust_policy_problems(document)]


def aws_entry(entry: str) -> dict[str, Any]:
    return {**ACCOUNT_TRUST, "Principal": {"AWS": entry}}


@pytest.mark.parametrize(
    "principal",
    [
        pytest.param({"AWS": f"arn:aws:iam::{A}:root"}, id="account root ARN"),
        pytest.param({"AWS": A}, id="bare account id"),
        pytest.param({"AWS": f"arn:aws:iam::{A}:role/team/App"}, id="role with a path"),
        pytest.param({"AWS": f"arn:aws:iam::{A}:user/alice"}, id="user"),
        pytest.param({"AWS": f"arn:aws:sts::{A}:assumed-role/App/s1"}, id="role session"),
        pytest.param({"AWS": f"arn:aws:sts::{A}:federated-user/bob"}, id="federated user"),
        pytest.param({"AWS": "AROAEXAMPLEROLEID001"}, id="role unique id"),
        pytest.param({"AWS": "AIDAEXAMPLEUSERID001"}, id="user unique id"),
        pytest.param({"AWS": f"arn:aws-cn:iam::{A}:root"}, id="account in aws-cn"),
        pytest.param({"AWS": "*"}, id='{"AWS": "*"}'),
        pytest.param("*", id='bare "*"'),
        pytest.param({"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]}, id="services"),
        pytest.param(
            {"Federated": f"arn:aws:iam::{A}:oidc-provider/token.actions.githubusercontent.com"}, id="OIDC provider"
        ),
        pytest.param({"Federated": f"arn:aws:iam::{A}:saml-provider/Okta"}, id="SAML provider"),
        pytest.param({"Federated": "cognito-identity.amazonaws.com"}, id="Cognito"),
        pytest.param(
            {"AWS": [A, f"arn:aws:iam::{A}:role/App", "AROAEXAMPLEROLEID001"], "Service": "ec2.amazonaws.com"},
            id="several types and entries together",
        ),
    ],
)
def test_a_clean_trust_policy_has_no_problems(principal: Any) -> None:
    # GIVEN a trust statement naming principals the way IAM stores them  WHEN checked  THEN nothing is wrong
    assert problems({**ACCOUNT_TRUST, "Principal": principal}) == []


def test_clean_statements_with_conditions_and_deny_have_no_problems() -> None:
    # GIVEN an Allow with conditions and a Deny, both with valid principals  WHEN checked  THEN nothing is wrong
    allow = {**ACCOUNT_TRUST, "Condition": {"StringEquals": {"sts:ExternalId": "abc"}}}
    deny = {**ACCOUNT_TRUST, "Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{A}:user/mallory"}}
    assert problems(allow, deny) == []


@pytest.mark.parametrize(
    ("statement", "location", "message"),
    [
        pytest.param(
            {"Effect": "Allow", "NotPrincipal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": "sts:AssumeRole"},
            "Statement[0].NotPrincipal",
            "NotPrincipal",
            id="NotPrincipal",
        ),
        pytest.param(
            {"Effect": "Allow", "Action": "sts:AssumeRole"},
            "Statement[0]",
            "must have a Principal",
            id="Principal missing",
        ),
        pytest.param(
            {**ACCOUNT_TRUST, "Resource": f"arn:aws:iam::{A}:role/Target"},
            "Statement[0].Resource",
            "may not contain Resource",
            id="Resource",
        ),
        pytest.param(
            {**ACCOUNT_TRUST, "NotResource": "*"},
            "Statement[0].NotResource",
            "may not contain NotResource",
            id="NotResource",
        ),
        pytest.param(
            aws_entry("arn:aws:iam::*:root"),
            "Statement[0].Principal.AWS[0]",
            "partial wildcard",
            id="wildcard account in a root ARN",
        ),
        pytest.param(
            aws_entry(f"arn:aws:iam::{A}:role/*"),
            "Statement[0].Principal.AWS[0]",
            "partial wildcard",
            id="wildcard role name",
        ),
        pytest.param(
            aws_entry(f"arn:aws:sts::{A}:assumed-role/App/*"),
            "Statement[0].Principal.AWS[0]",
            "partial wildcard",
            id="wildcard session name",
        ),
        pytest.param(
            aws_entry(f"arn:aws:iam::{A}:user/dev-?"),
            "Statement[0].Principal.AWS[0]",
            "partial wildcard",
            id="question mark in a user name",
        ),
        pytest.param(
            aws_entry(f"arn:aws:iam::{A}:group/admins"),
            "Statement[0].Principal.AWS[0]",
            "groups cannot be principals",
            id="group ARN",
        ),
        pytest.param(
            aws_entry("12345678901"), "Statement[0].Principal.AWS[0]", "not an account id", id="11-digit account id"
        ),
        pytest.param(aws_entry("alice"), "Statement[0].Principal.AWS[0]", "not an account id", id="a bare name"),
        pytest.param(aws_entry(""), "Statement[0].Principal.AWS[0]", "not an account id", id="empty entry"),
        pytest.param(
            aws_entry("ANPAEXAMPLEPOLICY001"),
            "Statement[0].Principal.AWS[0]",
            "not an account id",
            id="managed policy id (ANPA) is no principal id",
        ),
        pytest.param(
            aws_entry(f"arn:aws:iam::{A}:mfa/alice"),
            "Statement[0].Principal.AWS[0]",
            "not an ARN of a user, role",
            id="MFA device ARN",
        ),
        pytest.param(
            aws_entry(f"arn:aws:iam::{A}:oidc-provider/token.actions.githubusercontent.com"),
            "Statement[0].Principal.AWS[0]",
            "not an ARN of a user, role",
            id="OIDC provider in AWS instead of Federated",
        ),
        pytest.param(
            aws_entry(f"arn:aws:s3:::{A}-bucket"),
            "Statement[0].Principal.AWS[0]",
            "not an ARN of a user, role",
            id="S3 bucket ARN",
        ),
        pytest.param(
            aws_entry("arn:aws:iam::alice:user/alice"),
            "Statement[0].Principal.AWS[0]",
            "not an ARN of a user, role",
            id="account of letters in an ARN",
        ),
        pytest.param(
            {**ACCOUNT_TRUST, "Principal": {"Federated": "*"}},
            "Statement[0].Principal.Federated[0]",
            "wildcards",
            id="wildcard Federated",
        ),
        pytest.param(
            {**ACCOUNT_TRUST, "Principal": {"CanonicalUser": "79a59df900b949e55d96a1e698fbaced"}},
            "Statement[0].Principal.CanonicalUser",
            "only for S3",
            id="CanonicalUser",
        ),
        # Garbage that a lax pattern lets through: '$' also matches before a final newline, '\d' also matches
        # non-ASCII digits, and ARNs of the right type still need a name (and a session name).
        pytest.param(aws_entry(f"{A}\n"), "Statement[0].Principal.AWS[0]", A, id="account id with a trailing newline"),
        pytest.param(
            aws_entry("١٢٣٤٥٦٧٨٩٠١٢"),
            "Statement[0].Principal.AWS[0]",
            "١٢٣٤٥٦٧٨٩٠١٢",
            id="account id in Arabic-Indic digits",
        ),
        pytest.param(
            aws_entry("AROAEXAMPLEROLEID001\n"),
            "Statement[0].Principal.AWS[0]",
            "AROAEXAMPLEROLEID001",
            id="unique id with a trailing newline",
        ),
        pytest.param(
            aws_entry(f"arn:aws:iam::{A}:user/"),
            "Statement[0].Principal.AWS[0]",
            f"arn:aws:iam::{A}:user/",
            id="user ARN without a name",
        ),
        pytest.param(
            aws_entry(f"arn:aws:sts::{A}:assumed-role/App"),
            "Statement[0].Principal.AWS[0]",
            f"arn:aws:sts::{A}:assumed-role/App",
            id="session ARN without a session name",
        ),
    ],
)
def test_each_problem_is_named_by_its_place(statement: dict[str, Any], location: str, message: str) -> None:
    # GIVEN a trust policy whose only statement has one thing IAM refuses  WHEN checked
    found = problems(statement)
    # THEN exactly that problem is reported, at its place, saying what is wrong
    assert len(found) == 1, found
    assert found[0][0] == location
    assert message in found[0][1]


def test_problems_are_located_in_later_statements_and_list_entries() -> None:
    # GIVEN a clean first statement and a second one with a good, a bad and a good AWS entry, plus a Resource
    second = {
        **ACCOUNT_TRUST,
        "Principal": {"AWS": [A, f"arn:aws:iam::{A}:group/admins", "arn:aws:iam::*:root"]},
        "Resource": "*",
    }
    # WHEN checked
    found = problems(ACCOUNT_TRUST, second)
    # THEN each problem names statement 1 and the list position of the bad entries; the good ones are silent
    assert [location for location, _ in found] == [
        "Statement[1].Resource",
        "Statement[1].Principal.AWS[1]",
        "Statement[1].Principal.AWS[2]",
    ]


def test_a_problem_knows_its_statement_and_prints_with_its_location() -> None:
    # GIVEN a trust policy whose second statement has a NotPrincipal  WHEN checked
    document = parse_policy(
        {"Statement": [ACCOUNT_TRUST, {"Effect": "Deny", "NotPrincipal": {"AWS": A}, "Action": "sts:AssumeRole"}]}
    )
    [problem] = trust_policy_problems(document)
    # THEN it carries the statement index and reads "location: message"
    assert problem.statement == 1
    assert str(problem) == f"Statement[1].NotPrincipal: {problem.message}"
