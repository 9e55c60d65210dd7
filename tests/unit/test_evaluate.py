"""`can_assume` beyond the spec vectors: reasons, undecidable conditions, pre-checks, several actions."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.iam.cases import request_from_case
from chalicelib.iam.errors import InvalidRequestError
from chalicelib.iam.evaluate import DecisionKind, can_assume
from chalicelib.iam.principal import caller_from_principal
from chalicelib.iam.request import AssumeRoleRequest

ALICE = "arn:aws:iam::123456789012:user/alice"
ROLE = "arn:aws:iam::123456789012:role/R"


def case(trust_statements: list[dict[str, Any]], **extra: Any) -> AssumeRoleRequest:
    data = {"principal": ALICE, "role": ROLE, "trust": {"Version": "2012-10-17", "Statement": trust_statements}}
    return request_from_case({**data, **extra})[1]


GRANT_ALICE = {"Effect": "Allow", "Principal": {"AWS": ALICE}, "Action": "sts:AssumeRole"}


def test_an_allow_with_an_unknown_operator_assumes_the_wider_access_and_says_so() -> None:
    weird = {**GRANT_ALICE, "Condition": {"StringEqualz": {"sts:ExternalId": "abc"}}}
    decision = can_assume(case([weird]))
    assert decision.decision is DecisionKind.ALLOW
    assert any("StringEqualz" in u for u in decision.unknown)


def test_a_deny_with_an_unknown_operator_does_not_apply_and_says_so() -> None:
    deny = {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
            "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": "soon"}}}  # fmt: skip
    decision = can_assume(case([GRANT_ALICE, deny], context={"aws:MultiFactorAuthAge": "5"}))
    assert decision.decision is DecisionKind.ALLOW
    assert any("is not a number" in u for u in decision.unknown)


def test_a_failing_known_clause_is_not_rescued_by_an_unknown_one() -> None:
    mixed = {**GRANT_ALICE, "Condition": {"StringEquals": {"sts:ExternalId": "abc"}, "Foo": {"aws:x": "1"}}}
    decision = can_assume(case([mixed], context={"sts:ExternalId": "nope"}))
    assert decision.decision is DecisionKind.IMPLICIT_DENY


def test_reasons_name_the_statement_and_principal_that_granted() -> None:
    decision = can_assume(case([{**GRANT_ALICE, "Sid": "AliceOnly"}]))
    assert decision.reasons[0] == f"trust grant: trust policy statement 0 (AliceOnly) via user principal {ALICE}"


def test_session_tags_need_tag_session_too_and_reasons_name_each_action() -> None:
    request = case([GRANT_ALICE], context={"aws:RequestTag/team": "x", "aws:TagKeys": ["team"]})
    decision = can_assume(request)
    assert decision.decision is DecisionKind.IMPLICIT_DENY
    assert any(r.startswith("sts:TagSession: no Allow statement") for r in decision.reasons)
    assert any(r.startswith("sts:AssumeRole: trust grant") for r in decision.reasons)


@pytest.mark.parametrize(
    ("principal", "action", "expected"),
    [
        pytest.param("arn:aws:iam::123456789012:root", "sts:AssumeRole", "root", id="root-user"),
        pytest.param("arn:aws:sts::123456789012:federated-user/bob", "sts:AssumeRole", "GetFederationToken", id="fed"),
        pytest.param(ALICE, "sts:AssumeRoleWithSAML", "SAML assertion", id="iam-user-with-saml"),
        pytest.param(
            "arn:aws:iam::123456789012:saml-provider/Okta", "sts:AssumeRole", "only call", id="saml-via-assumerole"
        ),
    ],
)
def test_callers_aws_refuses_before_any_policy(principal: str, action: str, expected: str) -> None:
    trust = [{"Effect": "Allow", "Principal": "*", "Action": "*"}]
    decision = can_assume(case(trust, principal=principal, action=action))
    assert decision.decision is DecisionKind.IMPLICIT_DENY
    assert expected in decision.reasons[0]


def test_role_chaining_beyond_one_hour_is_an_invalid_request_not_a_decision() -> None:
    request = case([GRANT_ALICE])
    chained = AssumeRoleRequest(
        caller=caller_from_principal("arn:aws:sts::123456789012:assumed-role/A/s"),
        role_arn=ROLE,
        trust_policy=request.trust_policy,
        chained=True,
        duration_seconds=7200,
    )
    with pytest.raises(InvalidRequestError, match="3600"):
        can_assume(chained)


def test_self_assumption_without_explicit_trust_is_explained() -> None:
    decision = can_assume(case([GRANT_ALICE], principal="arn:aws:sts::123456789012:assumed-role/R/s"))
    assert decision.decision is DecisionKind.IMPLICIT_DENY
    assert "roles do not trust themselves implicitly" in decision.reasons[-1]


def test_user_named_directly_with_a_blocking_boundary_is_allowed_with_a_note() -> None:
    boundary = [{"name": "pb", "policy": {"Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}}]
    decision = can_assume(case([GRANT_ALICE], boundary=boundary))
    assert decision.decision is DecisionKind.ALLOW
    assert any(r.startswith("note:") and "Q1" in r for r in decision.reasons)


HOME = "arn:aws:iam::123456789012:role/home/"
HOME_ROLE = f"{HOME}R"
ROOT_TRUST = {"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"}


def _identity(*statements: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"name": "p", "policy": {"Version": "2012-10-17", "Statement": list(statements)}}]


@pytest.mark.parametrize(
    ("key", "pattern", "role", "expected"),
    [
        pytest.param("Resource", "arn:aws:iam::123456789012:role/home/${*}", HOME_ROLE, "implicit-deny", id="star"),
        pytest.param("Resource", "arn:aws:iam::123456789012:role/home/${?}", HOME_ROLE, "implicit-deny", id="qmark"),
        pytest.param("Resource", "arn:aws:iam::123456789012:role/home/${$}R", HOME_ROLE, "implicit-deny", id="dollar"),
        pytest.param("NotResource", "arn:aws:iam::123456789012:role/home/${*}", HOME_ROLE, "allow", id="not-star"),
        pytest.param("Resource", f"{HOME}${{*}}", f"{HOME}*", "allow", id="star-matches-a-literal-star"),
    ],
)
def test_escapes_in_resource_are_literal_characters(key: str, pattern: str, role: str, expected: str) -> None:
    # GIVEN an identity Allow on sts:AssumeRole whose Resource names the escape ${*}, ${?} or ${$}
    allow = {"Effect": "Allow", "Action": "sts:AssumeRole", key: pattern}
    # WHEN alice assumes a role her trust grants through the account root
    decision = can_assume(case([ROOT_TRUST], role=role, identity=_identity(allow)))
    # THEN the escape stands for its character, not a wildcard
    assert decision.decision.value == expected


def test_a_deny_on_an_escaped_star_does_not_deny_every_role_under_the_path() -> None:
    # GIVEN Allow * and a Deny on role/home/${*} (the role literally named "*")
    allow = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}
    deny = {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::123456789012:role/home/${*}"}
    # WHEN alice assumes role/home/R
    decision = can_assume(case([ROOT_TRUST], role=HOME_ROLE, identity=_identity(allow, deny)))
    # THEN the Deny does not apply
    assert decision.decision is DecisionKind.ALLOW


def test_in_a_2008_policy_an_escape_is_plain_text_whose_star_is_a_wildcard() -> None:
    # GIVEN a 2008-10-17 identity policy (no variables): "${*}" is three characters and a wildcard
    allow = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"{HOME}${{*}}"}
    policy = {"Version": "2008-10-17", "Statement": [allow]}
    role = "arn:aws:iam::123456789012:role/home/${x}"
    decision = can_assume(case([ROOT_TRUST], role=role, identity=[{"name": "p", "policy": policy}]))
    assert decision.decision is DecisionKind.ALLOW
