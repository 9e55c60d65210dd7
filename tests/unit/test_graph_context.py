"""`hop_context`: the keys a caller sets by choice are set so a trust statement's conditions hold, and each
becomes a requirement in words; the keys that say who the caller is are never chosen for a loaded caller."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.iam.condition import evaluate_conditions
from chalicelib.iam.context import RequestContext
from chalicelib.iam.graph_context import HopContext, hop_context, is_caller_chosen, is_principal_key
from chalicelib.iam.policy import Statement, parse_policy


def statement(condition: dict[str, Any], effect: str = "Allow") -> Statement:
    document = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": effect,
                "Principal": {"AWS": "*"},
                "Action": "sts:AssumeRole",
                "Condition": condition,
            },
        }
    )
    return document.statements[0]


def allow_context(condition: dict[str, Any]) -> HopContext:
    return hop_context(statement(condition), (), is_caller_chosen)


ALLOW_CASES = [
    pytest.param({"StringEquals": {"sts:ExternalId": "abc"}}, "requires sts:ExternalId = abc", id="external-id"),
    pytest.param(
        {"StringEquals": {"sts:ExternalId": ["abc", "def"]}}, "requires sts:ExternalId = abc or def", id="ids"
    ),
    pytest.param({"Bool": {"aws:MultiFactorAuthPresent": "true"}}, "requires MFA", id="mfa"),
    pytest.param({"Bool": {"aws:MultiFactorAuthPresent": True}}, "requires MFA", id="mfa-json-boolean"),
    pytest.param({"IpAddress": {"aws:SourceIp": "10.1.0.0/16"}}, "requires aws:SourceIp in 10.1.0.0/16", id="ip"),
    pytest.param({"StringLike": {"sts:RoleSessionName": "ci-*"}}, "requires sts:RoleSessionName like ci-*", id="name"),
    pytest.param(
        {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}},
        "requires NumericLessThan aws:MultiFactorAuthAge 3600",
        id="mfa-age",
    ),
    pytest.param({"StringEquals": {"aws:RequestTag/team": "a"}}, "requires aws:RequestTag/team = a", id="tag"),
    pytest.param(
        {"ForAnyValue:StringEquals": {"aws:TagKeys": "team"}}, "requires aws:TagKeys = team", id="tag-keys-set"
    ),
    pytest.param({"Null": {"sts:SourceIdentity": "false"}}, "requires sts:SourceIdentity to be set", id="null"),
]


@pytest.mark.parametrize(("condition", "requirement"), ALLOW_CASES)
def test_a_caller_chosen_condition_is_satisfied_and_worded(condition: dict[str, Any], requirement: str) -> None:
    # GIVEN a trust statement with one condition on a key the caller sets
    # WHEN the hop context is built for it
    hop = allow_context(condition)
    # THEN the condition holds in that context, and the requirement says what the caller must do
    assert evaluate_conditions(statement(condition).condition, RequestContext(hop.values)).matched
    assert hop.requirements == (requirement,)


def test_a_condition_absent_keys_satisfy_needs_nothing() -> None:
    # GIVEN an IfExists condition and a negated one, both true when the key is left out
    hop = allow_context(
        {"StringEqualsIfExists": {"sts:ExternalId": "abc"}, "StringNotEquals": {"sts:RoleSessionName": "root"}}
    )
    # THEN nothing is chosen and nothing is required
    assert hop == HopContext({}, ())


@pytest.mark.parametrize(
    "key", ["aws:PrincipalOrgID", "aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalTag/team", "aws:userid"]
)
def test_keys_that_say_who_the_caller_is_are_never_chosen_for_a_loaded_caller(key: str) -> None:
    hop = allow_context({"StringEquals": {key: "value"}})
    assert hop.values == {} and hop.requirements == ()


def test_an_outside_principal_gets_them_as_requirements() -> None:
    # GIVEN a trust condition on the org id, for a caller outside the snapshot (whose org is unknown)
    def free(key: str) -> bool:
        return is_caller_chosen(key) or is_principal_key(key)

    hop = hop_context(statement({"StringEquals": {"aws:PrincipalOrgID": "o-123"}}), (), free)
    # THEN the org id is set, and required
    assert hop.values == {"aws:PrincipalOrgID": "o-123"}
    assert hop.requirements == ("requires aws:PrincipalOrgID = o-123",)


@pytest.mark.parametrize(
    ("deny", "values", "requirement"),
    [
        pytest.param(
            {"StringNotEquals": {"sts:ExternalId": "abc"}},
            {"sts:ExternalId": "abc"},
            "requires sts:ExternalId = abc",
            id="deny-unless-external-id",
        ),
        pytest.param(
            {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
            {"aws:MultiFactorAuthPresent": "true"},
            "requires MFA",
            id="deny-without-mfa",
        ),
        pytest.param(
            {"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}},
            {"aws:SourceIp": "192.0.2.0"},
            "requires aws:SourceIp in 192.0.2.0/24",
            id="deny-outside-network",
        ),
        pytest.param(
            {"Null": {"sts:ExternalId": "true"}},
            {"sts:ExternalId": "set-by-caller"},
            "requires sts:ExternalId to be set",
            id="deny-when-absent",
        ),
    ],
)
def test_a_deny_that_hits_callers_who_leave_a_key_out_is_avoided(
    deny: dict[str, Any], values: dict[str, str], requirement: str
) -> None:
    # GIVEN an unconditional Allow and a Deny that applies when the caller does not set the key
    denial = statement(deny, effect="Deny")
    hop = hop_context(statement({}), (denial,), is_caller_chosen)
    # THEN the key is set so the Deny's condition does not hold
    assert hop.values == values
    assert not evaluate_conditions(denial.condition, RequestContext(hop.values)).matched
    assert hop.requirements == (requirement,)


def test_a_deny_on_a_key_present_only_by_choice_needs_nothing() -> None:
    # GIVEN a Deny that applies only when the caller passes a given ExternalId
    hop = hop_context(
        statement({}), (statement({"StringEquals": {"sts:ExternalId": "bad"}}, "Deny"),), is_caller_chosen
    )
    assert hop == HopContext({}, ())


def test_the_allow_value_wins_over_a_later_clause_on_the_same_key() -> None:
    # GIVEN an Allow that needs ExternalId abc and a Null guard on the same key
    hop = allow_context({"Null": {"sts:ExternalId": "false"}, "StringEquals": {"sts:ExternalId": "abc"}})
    # THEN the comparison decides the value (the Null guard is then met as well)
    assert hop.values == {"sts:ExternalId": "abc"}


@pytest.mark.parametrize(
    ("key", "chosen", "principal"),
    [
        ("sts:ExternalId", True, False),
        ("STS:externalid", True, False),
        ("aws:RequestTag/team", True, False),
        ("aws:SourceIp", True, False),
        ("aws:PrincipalOrgID", False, True),
        ("aws:PrincipalTag/team", False, True),
        ("token.actions.githubusercontent.com:sub", False, True),
        ("SAML:aud", False, True),
        ("aws:CurrentTime", False, False),
    ],
)
def test_key_classification(key: str, chosen: bool, principal: bool) -> None:
    assert (is_caller_chosen(key), is_principal_key(key)) == (chosen, principal)
