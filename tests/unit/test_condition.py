"""Condition evaluation (spec §6): operator families, missing keys, set operators, variables, reporting."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from chalicelib.iam.condition import (
    ConditionResult,
    evaluate_conditions,
    is_known_key,
    is_known_operator,
    substitute_variables,
)
from chalicelib.iam.context import RequestContext
from chalicelib.iam.policy import Condition, parse_policy

Request = Mapping[str, str | Sequence[str]]

ROLE_APP = "arn:aws:iam::111111111111:role/App"


def clause(operator: str, key: str, *values: str) -> Condition:
    return Condition(operator=operator, key=key, values=values)


def evaluate(
    operator: str, key: str, values: Sequence[str], request: Request | None = None, *, variables: bool = True
) -> ConditionResult:
    return evaluate_conditions([clause(operator, key, *values)], RequestContext(request), variables=variables)


# --- String operators -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "policy", "request_value", "expected"),
    [
        pytest.param("StringEquals", "abc", "abc", True, id="equals-exact"),
        pytest.param("StringEquals", "abc", "ABC", False, id="equals-is-case-sensitive"),
        pytest.param("StringEquals", "a*", "abc", False, id="equals-has-no-wildcards"),
        pytest.param("StringNotEquals", "abc", "abc", False, id="not-equals-same"),
        pytest.param("StringNotEquals", "abc", "abd", True, id="not-equals-different"),
        pytest.param("StringEqualsIgnoreCase", "AbC", "aBc", True, id="ignore-case-equal"),
        pytest.param("StringEqualsIgnoreCase", "abc", "abcd", False, id="ignore-case-different"),
        pytest.param("StringNotEqualsIgnoreCase", "AbC", "abc", False, id="not-ignore-case-equal"),
        pytest.param("StringNotEqualsIgnoreCase", "abc", "xyz", True, id="not-ignore-case-different"),
        pytest.param("StringLike", "repo:my-org/*", "repo:my-org/app:ref:main", True, id="like-star-spans-all"),
        pytest.param("StringLike", "repo:my-org/*", "repo:evil/x", False, id="like-prefix-mismatch"),
        pytest.param("StringLike", "a?c", "abc", True, id="like-question-one-char"),
        pytest.param("StringLike", "a?c", "abbc", False, id="like-question-not-two-chars"),
        pytest.param("StringLike", "*mid*", "start-mid-end", True, id="like-star-anywhere"),
        pytest.param("StringLike", "a*", "A-b", False, id="like-is-case-sensitive"),
        pytest.param("StringLike", "a.c", "abc", False, id="like-dot-is-literal"),
        pytest.param("StringNotLike", "repo:my-org/*", "repo:evil/x", True, id="not-like-no-match"),
        pytest.param("StringNotLike", "repo:my-org/*", "repo:my-org/x", False, id="not-like-match"),
    ],
)
def test_string_operators(operator: str, policy: str, request_value: str, expected: bool) -> None:
    # GIVEN a String clause on sts:ExternalId and a request carrying a value
    # WHEN it is evaluated
    result = evaluate(operator, "sts:ExternalId", [policy], {"sts:ExternalId": request_value})
    # THEN the operator's comparison decides
    assert result.matched is expected
    assert result.unknown == ()


def test_values_of_one_key_are_ored() -> None:
    # GIVEN StringEquals with two values, the request carrying the second
    result = evaluate("StringEquals", "sts:ExternalId", ["abc", "def"], {"sts:ExternalId": "def"})
    # THEN one matching value is enough
    assert result.matched is True


@pytest.mark.parametrize(
    ("operator", "key", "values", "request_value", "expected"),
    [
        pytest.param("StringNotEquals", "aws:PrincipalAccount", ["1", "2"], "2", False, id="string-one-hit"),
        pytest.param("StringNotEquals", "aws:PrincipalAccount", ["1", "2"], "3", True, id="string-no-hit"),
        pytest.param("StringNotLike", "aws:PrincipalAccount", ["a*", "b*"], "bob", False, id="like-one-hit"),
        pytest.param("NumericNotEquals", "sts:DurationSeconds", ["1", "2"], "2", False, id="numeric-one-hit"),
        pytest.param("NumericNotEquals", "sts:DurationSeconds", ["1", "2"], "3", True, id="numeric-no-hit"),
        pytest.param(
            "NotIpAddress", "aws:SourceIp", ["10.0.0.0/8", "192.168.0.0/16"], "192.168.1.1", False, id="ip-hit"
        ),
        pytest.param(
            "NotIpAddress", "aws:SourceIp", ["10.0.0.0/8", "192.168.0.0/16"], "203.0.113.9", True, id="ip-miss"
        ),
    ],
)
def test_negated_operator_with_several_values_is_an_and(
    operator: str, key: str, values: list[str], request_value: str, expected: bool
) -> None:
    # GIVEN a negated operator listing several values
    # WHEN the request value is evaluated
    result = evaluate(operator, key, values, {key: request_value})
    # THEN it holds only when the request value matches none of them
    assert result.matched is expected


# --- Missing keys, IfExists and Null -------------------------------------------------------------------

ALL_BASE_OPERATORS = [
    ("StringEquals", "x", False),
    ("StringNotEquals", "x", True),
    ("StringEqualsIgnoreCase", "x", False),
    ("StringNotEqualsIgnoreCase", "x", True),
    ("StringLike", "*", False),
    ("StringNotLike", "*", True),
    ("ArnEquals", ROLE_APP, False),
    ("ArnLike", "arn:aws:iam::*:role/*", False),
    ("ArnNotEquals", ROLE_APP, True),
    ("ArnNotLike", "arn:*:*:*:*:*", True),
    ("NumericEquals", "1", False),
    ("NumericNotEquals", "1", True),
    ("NumericLessThan", "1", False),
    ("NumericLessThanEquals", "1", False),
    ("NumericGreaterThan", "1", False),
    ("NumericGreaterThanEquals", "1", False),
    ("DateEquals", "2024-01-01", False),
    ("DateNotEquals", "2024-01-01", True),
    ("DateLessThan", "2024-01-01", False),
    ("DateLessThanEquals", "2024-01-01", False),
    ("DateGreaterThan", "2024-01-01", False),
    ("DateGreaterThanEquals", "2024-01-01", False),
    ("Bool", "true", False),
    ("BinaryEquals", "QmluYXJ5", False),
    ("IpAddress", "10.0.0.0/8", False),
    ("NotIpAddress", "10.0.0.0/8", True),
]


@pytest.mark.parametrize(
    ("operator", "value", "expected"), [pytest.param(*case, id=case[0]) for case in ALL_BASE_OPERATORS]
)
def test_missing_key_positive_false_negated_true(operator: str, value: str, expected: bool) -> None:
    # GIVEN a clause on a key the request does not carry
    # WHEN it is evaluated
    result = evaluate(operator, "aws:SourceIdentity", [value], {"aws:PrincipalAccount": "111111111111"})
    # THEN positive operators do not hold, negated ones do
    assert result.matched is expected
    assert result.reasons[0].endswith(f": key absent -> {str(expected).lower()}")


@pytest.mark.parametrize(
    ("operator", "value"),
    [pytest.param(op + "IfExists", value, id=op + "IfExists") for op, value, _ in ALL_BASE_OPERATORS],
)
def test_if_exists_holds_when_key_absent(operator: str, value: str) -> None:
    # GIVEN an ...IfExists clause on an absent key
    result = evaluate(operator, "aws:SourceIdentity", [value])
    # THEN it holds, whatever the base operator
    assert result.matched is True
    assert result.unknown == ()


@pytest.mark.parametrize(
    ("operator", "policy", "request_value", "expected"),
    [
        pytest.param("StringEqualsIfExists", "abc", "abc", True, id="string-present-match"),
        pytest.param("StringEqualsIfExists", "abc", "xyz", False, id="string-present-mismatch"),
        pytest.param("StringNotEqualsIfExists", "abc", "abc", False, id="negated-present-match"),
        pytest.param("BoolIfExists", "true", "false", False, id="bool-present-mismatch"),
        pytest.param("NumericLessThanIfExists", "10", "20", False, id="numeric-present-mismatch"),
    ],
)
def test_if_exists_uses_base_operator_when_key_present(
    operator: str, policy: str, request_value: str, expected: bool
) -> None:
    key = "aws:MultiFactorAuthAge" if "Numeric" in operator else "sts:ExternalId"
    key = "aws:MultiFactorAuthPresent" if "Bool" in operator else key
    # GIVEN an ...IfExists clause whose key is present
    result = evaluate(operator, key, [policy], {key: request_value})
    # THEN the base operator decides
    assert result.matched is expected


@pytest.mark.parametrize(
    ("value", "context_values", "expected"),
    [
        pytest.param("true", {}, True, id="true-key-absent"),
        pytest.param("true", {"aws:SourceIdentity": "bob"}, False, id="true-key-present"),
        pytest.param("false", {}, False, id="false-key-absent"),
        pytest.param("false", {"aws:SourceIdentity": "bob"}, True, id="false-key-present"),
        pytest.param("TRUE", {}, True, id="value-case-insensitive"),
    ],
)
def test_null(value: str, context_values: Request, expected: bool) -> None:
    # GIVEN a Null clause
    # WHEN the key is absent or present
    result = evaluate("Null", "aws:SourceIdentity", [value], context_values)
    # THEN "true" means absent and "false" means present
    assert result.matched is expected


def test_null_with_a_non_boolean_value_is_reported() -> None:
    # GIVEN Null with a value that is neither true nor false
    result = evaluate("Null", "aws:SourceIdentity", ["maybe"])
    # THEN the clause does not hold and the problem is reported
    assert result.matched is False
    assert result.unknown == ("Null aws:SourceIdentity: values must be true or false; the clause does not hold",)


# --- Numeric, Date, Bool, Binary ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "policy", "request_value", "expected"),
    [
        pytest.param("NumericEquals", "3600", "3600", True, id="equals-int"),
        pytest.param("NumericEquals", "1.50", "1.5", True, id="equals-decimal-by-value"),
        pytest.param("NumericEquals", "3600", "3601", False, id="equals-different"),
        pytest.param("NumericNotEquals", "3600", "3601", True, id="not-equals"),
        pytest.param("NumericLessThan", "3600", "3599", True, id="less-than"),
        pytest.param("NumericLessThan", "3600", "3600", False, id="less-than-equal-value"),
        pytest.param("NumericLessThanEquals", "3600", "3600", True, id="less-than-equals"),
        pytest.param("NumericGreaterThan", "3600", "3600.5", True, id="greater-than-decimal"),
        pytest.param("NumericGreaterThan", "10", "9", False, id="greater-than-is-numeric-not-text"),
        pytest.param("NumericGreaterThanEquals", "-1", "-1", True, id="greater-than-equals-negative"),
    ],
)
def test_numeric_operators(operator: str, policy: str, request_value: str, expected: bool) -> None:
    # GIVEN a Numeric clause on sts:DurationSeconds
    result = evaluate(operator, "sts:DurationSeconds", [policy], {"sts:DurationSeconds": request_value})
    # THEN values compare as numbers
    assert result.matched is expected
    assert result.unknown == ()


@pytest.mark.parametrize(
    ("operator", "policy", "request_value", "bad"),
    [
        pytest.param("NumericLessThan", "one hour", "30", "one hour", id="policy-not-a-number"),
        pytest.param("NumericNotEquals", "3600", "abc", "abc", id="request-not-a-number"),
        pytest.param("NumericEquals", "NaN", "1", "NaN", id="nan-is-not-a-number"),
    ],
)
def test_unparsable_number_fails_the_clause_and_is_reported(
    operator: str, policy: str, request_value: str, bad: str
) -> None:
    # GIVEN a Numeric clause where one side is not a number
    result = evaluate(operator, "aws:MultiFactorAuthAge", [policy], {"aws:MultiFactorAuthAge": request_value})
    # THEN the clause does not hold (even for a negated operator) and the value is named
    assert result.matched is False
    assert result.unknown == (f'{operator} aws:MultiFactorAuthAge: "{bad}" is not a number; the clause does not hold',)
    assert result.reasons[0].endswith(f'"{bad}" is not a number -> false')


@pytest.mark.parametrize(
    ("operator", "policy", "request_value", "expected"),
    [
        pytest.param("DateEquals", "2024-06-01T12:00:00Z", "2024-06-01T14:00:00+02:00", True, id="equals-same-instant"),
        pytest.param("DateEquals", "2024-06-01", "2024-06-01T00:00:00Z", True, id="date-only-is-midnight-utc"),
        pytest.param("DateEquals", "1717243200", "2024-06-01T12:00:00Z", True, id="epoch-equals-iso"),
        pytest.param("DateNotEquals", "2024-06-01", "2024-06-02", True, id="not-equals"),
        pytest.param("DateLessThan", "2024-06-01T00:00:00Z", "2024-05-31T23:59:59Z", True, id="less-than"),
        pytest.param("DateLessThan", "2024-06-01", "2024-06-01", False, id="less-than-same"),
        pytest.param("DateLessThanEquals", "2024-06-01", "2024-06-01", True, id="less-than-equals"),
        pytest.param("DateGreaterThan", "1717243200", "1717243201", True, id="greater-than-epoch"),
        pytest.param("DateGreaterThan", "2024-06-01T12:00:00Z", "2024-06-01T13:00:00+02:00", False, id="zone-offset"),
        pytest.param("DateGreaterThanEquals", "2024-06-01T12:00:00.000Z", "1717243200", True, id="millis-vs-epoch"),
    ],
)
def test_date_operators(operator: str, policy: str, request_value: str, expected: bool) -> None:
    # GIVEN a Date clause on aws:CurrentTime
    result = evaluate(operator, "aws:CurrentTime", [policy], {"aws:CurrentTime": request_value})
    # THEN the instants are compared, whatever their notation
    assert result.matched is expected
    assert result.unknown == ()


def test_unparsable_date_is_reported() -> None:
    # GIVEN a Date clause with a value that is not a date
    result = evaluate("DateLessThan", "aws:CurrentTime", ["next tuesday"], {"aws:CurrentTime": "2024-01-01"})
    # THEN the clause does not hold and is reported
    assert result.matched is False
    assert "not an ISO 8601 date" in result.unknown[0]


@pytest.mark.parametrize(
    ("policy", "request_value", "expected"),
    [
        pytest.param("true", "true", True, id="true-true"),
        pytest.param("true", "false", False, id="true-false"),
        pytest.param("TRUE", "True", True, id="case-insensitive"),
        pytest.param("false", "false", True, id="false-false"),
    ],
)
def test_bool(policy: str, request_value: str, expected: bool) -> None:
    # GIVEN a Bool clause on aws:SecureTransport
    result = evaluate("Bool", "aws:SecureTransport", [policy], {"aws:SecureTransport": request_value})
    # THEN "true"/"false" compare without regard to case
    assert result.matched is expected


def test_bool_deny_on_absent_mfa_key_does_not_apply() -> None:
    # GIVEN a Deny-style clause Bool aws:MultiFactorAuthPresent = false and long-term keys (key absent)
    result = evaluate("Bool", "aws:MultiFactorAuthPresent", ["false"])
    # THEN the clause does not hold, so the Deny would not apply (spec T40)
    assert result.matched is False


def test_bool_with_a_non_boolean_policy_value_is_reported() -> None:
    # GIVEN a Bool clause whose value is neither true nor false
    # WHEN it is evaluated
    result = evaluate("Bool", "aws:SecureTransport", ["yes"], {"aws:SecureTransport": "true"})
    # THEN the clause does not hold and the value is reported
    assert result.matched is False
    assert result.unknown == ('Bool aws:SecureTransport: "yes" is not true or false; the clause does not hold',)


@pytest.mark.parametrize(
    ("policy", "request_value", "expected"),
    [
        pytest.param("QmluYXJ5", "QmluYXJ5", True, id="same-bytes"),
        pytest.param("QmluYXJ5", "QmluYXJ6", False, id="different-bytes"),
        pytest.param("QmluYXJ5", "not base64!", False, id="request-not-base64"),
    ],
)
def test_binary_equals(policy: str, request_value: str, expected: bool) -> None:
    # GIVEN BinaryEquals on a tag value holding base64
    result = evaluate("BinaryEquals", "aws:RequestTag/blob", [policy], {"aws:RequestTag/blob": request_value})
    # THEN the decoded bytes are compared
    assert result.matched is expected


def test_binary_equals_with_invalid_policy_base64_is_reported() -> None:
    # GIVEN BinaryEquals with a policy value that is not base64
    # WHEN it is evaluated
    result = evaluate("BinaryEquals", "aws:RequestTag/blob", ["%%%"], {"aws:RequestTag/blob": "QmluYXJ5"})
    # THEN the clause does not hold and the value is reported
    assert result.matched is False
    assert result.unknown == ('BinaryEquals aws:RequestTag/blob: "%%%" is not base64; the clause does not hold',)


# --- IP addresses --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "policy", "request_value", "expected"),
    [
        pytest.param("IpAddress", "203.0.113.0/24", "203.0.113.7", True, id="v4-in-cidr"),
        pytest.param("IpAddress", "203.0.113.0/24", "198.51.100.7", False, id="v4-outside-cidr"),
        pytest.param("IpAddress", "203.0.113.7", "203.0.113.7", True, id="v4-bare-address-is-32"),
        pytest.param("IpAddress", "203.0.113.7", "203.0.113.8", False, id="v4-bare-address-neighbour"),
        pytest.param("IpAddress", "2001:db8::/32", "2001:db8:1234::1", True, id="v6-in-cidr"),
        pytest.param("IpAddress", "2001:db8::/32", "2001:db9::1", False, id="v6-outside-cidr"),
        pytest.param("IpAddress", "2001:db8::1", "2001:db8::1", True, id="v6-bare-address-is-128"),
        pytest.param("IpAddress", "0.0.0.0/0", "2001:db8::1", False, id="v6-request-v4-network"),
        pytest.param("IpAddress", "10.0.0.0/8", "not-an-ip", False, id="unparsable-request-no-match"),
        pytest.param("NotIpAddress", "10.0.0.0/8", "not-an-ip", True, id="not-unparsable-request"),
        pytest.param("NotIpAddress", "2001:db8::/32", "2001:db8::5", False, id="not-v6-inside"),
    ],
)
def test_ip_address(operator: str, policy: str, request_value: str, expected: bool) -> None:
    # GIVEN an IpAddress clause on aws:SourceIp
    result = evaluate(operator, "aws:SourceIp", [policy], {"aws:SourceIp": request_value})
    # THEN the address is tested against the CIDR block
    assert result.matched is expected
    assert result.unknown == ()


def test_invalid_cidr_in_policy_is_reported() -> None:
    # GIVEN IpAddress with a policy value that is not a CIDR block
    # WHEN it is evaluated
    result = evaluate("IpAddress", "aws:SourceIp", ["10.0.0.300/8"], {"aws:SourceIp": "10.0.0.1"})
    # THEN the clause does not hold and the value is reported
    assert result.matched is False
    assert result.unknown == (
        'IpAddress aws:SourceIp: "10.0.0.300/8" is not an IP address or CIDR block; the clause does not hold',
    )


# --- ARNs ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "policy", "request_value", "expected"),
    [
        pytest.param("ArnEquals", ROLE_APP, ROLE_APP, True, id="equals-same"),
        pytest.param("ArnEquals", "arn:aws:iam::111111111111:role/*", ROLE_APP, True, id="equals-takes-wildcards"),
        pytest.param("ArnLike", "arn:aws:iam::*:role/App", ROLE_APP, True, id="like-account-wildcard"),
        pytest.param("ArnLike", "arn:aws:iam::111111111111:role/app", ROLE_APP, False, id="like-case-sensitive"),
        pytest.param("ArnLike", "arn:aws:iam::1?1111111111:role/App", ROLE_APP, True, id="like-question-mark"),
        pytest.param(
            "ArnLike", "arn:aws:s3:::bucket*", "arn:aws:s3:::bucket/key:with:colons", True, id="last-part-keeps-colons"
        ),
        pytest.param(
            "ArnLike", "arn:aws:iam::1*1:role/App", "arn:aws:iam::1:1:role/App", False, id="wildcard-stays-in-component"
        ),
        pytest.param(
            "ArnLike",
            "arn:aws:logs:us-east-1:111111111111:log-group:app:*",
            "arn:aws:logs:us-east-1:111111111111:log-group:app:log-stream:s1",
            True,
            id="policy-last-part-keeps-colons",
        ),
        pytest.param("ArnLike", "arn:*:role/App", ROLE_APP, False, id="policy-not-six-components"),
        pytest.param("ArnLike", "*", ROLE_APP, True, id="bare-star-matches-any-arn"),
        pytest.param("ArnLike", "arn:aws:iam::*:role/*", "AROAEXAMPLE:session", False, id="request-not-an-arn"),
        pytest.param("ArnNotEquals", ROLE_APP, ROLE_APP, False, id="not-equals-same"),
        pytest.param("ArnNotLike", "arn:aws:iam::222222222222:*", ROLE_APP, True, id="not-like-other-account"),
        pytest.param("ArnNotLike", "arn:aws:iam::*:role/*", "not-an-arn", True, id="not-like-request-not-an-arn"),
    ],
)
def test_arn_operators(operator: str, policy: str, request_value: str, expected: bool) -> None:
    # GIVEN an Arn clause on aws:PrincipalArn
    result = evaluate(operator, "aws:PrincipalArn", [policy], {"aws:PrincipalArn": request_value})
    # THEN the six components are matched one by one
    assert result.matched is expected


# --- Set operators -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "values", "context_values", "expected"),
    [
        pytest.param("ForAnyValue:StringEquals", ["a", "b"], {"aws:TagKeys": ["x", "b"]}, True, id="any-one-hit"),
        pytest.param("ForAnyValue:StringEquals", ["a", "b"], {"aws:TagKeys": ["x", "y"]}, False, id="any-no-hit"),
        pytest.param("ForAnyValue:StringEquals", ["a"], {}, False, id="any-key-absent"),
        pytest.param("ForAnyValue:StringEquals", ["a"], {"aws:TagKeys": []}, False, id="any-empty-set"),
        pytest.param("ForAnyValue:StringLikeIfExists", ["a*"], {}, True, id="any-if-exists-absent"),
        pytest.param("ForAnyValue:StringLikeIfExists", ["a*"], {"aws:TagKeys": ["bb"]}, False, id="any-if-exists-miss"),
        pytest.param("ForAllValues:StringEquals", ["a", "b"], {"aws:TagKeys": ["a", "b"]}, True, id="all-every-hit"),
        pytest.param("ForAllValues:StringEquals", ["a", "b"], {"aws:TagKeys": ["a", "c"]}, False, id="all-one-miss"),
        pytest.param("ForAllValues:StringEquals", ["a"], {}, True, id="all-key-absent-is-true"),
        pytest.param("ForAllValues:StringEquals", ["a"], {"aws:TagKeys": []}, True, id="all-empty-set-is-true"),
        pytest.param("ForAllValues:StringNotEquals", ["a"], {"aws:TagKeys": ["b", "c"]}, True, id="all-negated-none"),
        pytest.param("ForAllValues:StringNotEquals", ["a"], {"aws:TagKeys": ["a", "c"]}, False, id="all-negated-one"),
        pytest.param("ForAnyValue:StringNotEquals", ["a"], {"aws:TagKeys": ["a", "c"]}, True, id="any-negated-one"),
        pytest.param("ForAnyValue:StringNotEquals", ["a"], {"aws:TagKeys": ["a"]}, False, id="any-negated-none"),
    ],
)
def test_set_operators(operator: str, values: list[str], context_values: Request, expected: bool) -> None:
    # GIVEN a set operator on the multivalued key aws:TagKeys
    result = evaluate(operator, "aws:TagKeys", values, context_values)
    # THEN ForAnyValue needs one matching request value, ForAllValues needs all (and holds for none)
    assert result.matched is expected


@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        pytest.param("ForAnyValue:StringEquals", True, id="any"),
        pytest.param("ForAllValues:StringEquals", True, id="all"),
        pytest.param("ForAnyValue:StringNotEquals", False, id="any-negated"),
    ],
)
def test_set_operator_on_single_valued_key_is_a_one_element_set(operator: str, expected: bool) -> None:
    # GIVEN a set operator on the single-valued sts:ExternalId
    # WHEN it is evaluated
    result = evaluate(operator, "sts:ExternalId", ["abc"], {"sts:ExternalId": "abc"})
    # THEN the value is treated as a one-element set
    assert result.matched is expected


@pytest.mark.parametrize(
    ("operator", "key", "context_values"),
    [
        pytest.param("StringEquals", "aws:TagKeys", {"aws:TagKeys": ["a"]}, id="documented-multivalued"),
        pytest.param("StringNotEquals", "aws:TagKeys", {"aws:TagKeys": ["b", "c"]}, id="negated-documented"),
        pytest.param("StringLike", "aws:RequestTag/k", {"aws:RequestTag/k": ["a", "a"]}, id="given-as-list"),
    ],
)
def test_non_set_operator_on_multivalued_key_is_false(operator: str, key: str, context_values: Request) -> None:
    # GIVEN a plain operator on a multivalued key, with values that would otherwise match
    result = evaluate(operator, key, ["a"], context_values)
    # THEN the clause does not hold and the reason says a set operator is needed
    assert result.matched is False
    assert "multivalued key needs ForAnyValue:/ForAllValues:" in result.reasons[0]
    assert result.reasons[0].endswith("-> false")


# --- Policy variables ----------------------------------------------------------------------------------

VARIABLE_CONTEXT = RequestContext(
    {"aws:username": "alice", "aws:PrincipalTag/Team": "blue", "aws:TagKeys": ["a", "b"], "aws:PrincipalTag/w": "*"}
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("home/${aws:username}/*", "home/alice/*", id="username"),
        pytest.param("${aws:principaltag/team}", "blue", id="tag-key-case-insensitive"),
        pytest.param("${aws:PrincipalTag/dept, 'none'}", "none", id="default-when-absent"),
        pytest.param("${aws:username,'nobody'}", "alice", id="default-ignored-when-present"),
        pytest.param("a${*}b${?}c${$}d", "a*b?c$d", id="escapes"),
        pytest.param("no variables here", "no variables here", id="plain-text"),
        pytest.param("${not a variable}", "${not a variable}", id="malformed-kept-as-text"),
        pytest.param("${aws:SourceIdentity}", None, id="absent-without-default"),
        pytest.param("${aws:TagKeys}", None, id="multivalued-key-has-no-single-value"),
        pytest.param("${aws:usernamee}", None, id="unknown-key-is-absent"),
    ],
)
def test_substitute_variables(text: str, expected: str | None) -> None:
    # GIVEN user alice with tag Team=blue and two tag keys
    # WHEN the text's variables are substituted
    # THEN the values, defaults and escapes are spliced in, or None when a key has no value
    assert substitute_variables(text, VARIABLE_CONTEXT) == expected


@pytest.mark.parametrize(
    ("operator", "policy", "request_value", "expected"),
    [
        pytest.param("StringEquals", "${aws:username}", "alice", True, id="string-equals-variable"),
        pytest.param("StringEquals", "${aws:username}", "bob", False, id="string-equals-variable-mismatch"),
        pytest.param("StringLike", "${aws:username}-*", "alice-1", True, id="like-variable-plus-wildcard"),
        pytest.param("StringEquals", "${aws:SourceIdentity}", "", False, id="null-value-positive"),
        pytest.param("StringNotEquals", "${aws:SourceIdentity}", "x", True, id="null-value-negated"),
        pytest.param("StringEquals", "${aws:SourceIdentity, 'x'}", "x", True, id="default-value"),
        pytest.param("StringLike", "a${*}b", "a*b", True, id="escaped-star-matches-star"),
        pytest.param("StringLike", "a${*}b", "axyzb", False, id="escaped-star-is-not-a-wildcard"),
        pytest.param("StringLike", "a${?}b", "axb", False, id="escaped-question-is-not-a-wildcard"),
        pytest.param("StringLike", "${aws:PrincipalTag/w}", "anything", False, id="substituted-star-is-literal"),
        pytest.param("ArnLike", "arn:aws:iam::*:user/${aws:username}", "arn:aws:iam::1:user/alice", True, id="arn"),
        pytest.param("StringEqualsIgnoreCase", "${aws:PrincipalTag/team}", "BLUE", True, id="ignore-case"),
    ],
)
def test_variables_in_string_and_arn_values(operator: str, policy: str, request_value: str, expected: bool) -> None:
    # GIVEN a clause whose value uses policy variables, and a 2012-10-17 policy
    context = RequestContext({**VARIABLE_CONTEXT.as_dict(), "aws:PrincipalArn": request_value})
    # WHEN it is evaluated
    result = evaluate_conditions([clause(operator, "aws:PrincipalArn", policy)], context)
    # THEN the substituted value is compared
    assert result.matched is expected


def test_variables_in_bool_values() -> None:
    # GIVEN Bool whose value is a variable resolving to "true", and MFA present
    context = RequestContext({"aws:PrincipalTag/mfa": "true", "aws:MultiFactorAuthPresent": "true"})
    # WHEN it is evaluated
    result = evaluate_conditions([clause("Bool", "aws:MultiFactorAuthPresent", "${aws:PrincipalTag/mfa}")], context)
    # THEN the substituted value is compared
    assert result.matched is True


@pytest.mark.parametrize(
    ("operator", "key", "request_value"),
    [
        pytest.param("NumericEquals", "sts:DurationSeconds", "3600", id="numeric"),
        pytest.param("DateEquals", "aws:CurrentTime", "3600", id="date"),
        pytest.param("IpAddress", "aws:SourceIp", "10.0.0.1", id="ip"),
    ],
)
def test_variables_are_not_substituted_in_other_families(operator: str, key: str, request_value: str) -> None:
    # GIVEN a Numeric/Date/IpAddress clause whose value is a variable that would resolve to the request value
    context = RequestContext({key: request_value, "aws:PrincipalTag/v": request_value})
    # WHEN it is evaluated
    result = evaluate_conditions([clause(operator, key, "${aws:PrincipalTag/v}")], context)
    # THEN the text stays a variable, which is not a valid value, and that is reported
    assert result.matched is False
    assert len(result.unknown) == 1
    assert '"${aws:PrincipalTag/v}"' in result.unknown[0]


@pytest.mark.parametrize(
    ("request_value", "variables", "expected"),
    [
        pytest.param("${aws:username}", False, True, id="2008-literal-text-matches"),
        pytest.param("alice", False, False, id="2008-not-substituted"),
        pytest.param("alice", True, True, id="2012-substituted"),
    ],
)
def test_variables_switch(request_value: str, variables: bool, expected: bool) -> None:
    # GIVEN StringEquals "${aws:username}" for user alice
    result = evaluate(
        "StringEquals", "sts:RoleSessionName", ["${aws:username}"],
        {"aws:username": "alice", "sts:RoleSessionName": request_value}, variables=variables,
    )  # fmt: skip
    # THEN only a 2012-10-17 policy substitutes the variable
    assert result.matched is expected


def test_variables_switch_keeps_wildcards_of_literal_text() -> None:
    # GIVEN a 2008-10-17 policy: ${*} is plain text, so its '*' is an ordinary StringLike wildcard
    # WHEN "a${*}" is compared with "a${xyz}"
    result = evaluate(
        "StringLike", "sts:RoleSessionName", ["a${*}"], {"sts:RoleSessionName": "a${xyz}"}, variables=False
    )
    # THEN the wildcard matches "${xyz}"
    assert result.matched is True


def test_policy_version_drives_the_variables_switch() -> None:
    # GIVEN the same statement in a 2008 and a 2012 document
    statement = {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": "*",
                 "Condition": {"StringEquals": {"sts:RoleSessionName": "${aws:username}"}}}  # fmt: skip
    context = RequestContext({"aws:username": "alice", "sts:RoleSessionName": "alice"})
    results = {
        version: evaluate_conditions(doc.statements[0].condition, context, variables=doc.supports_variables).matched
        for version in ("2008-10-17", "2012-10-17")
        for doc in [parse_policy({"Version": version, "Statement": statement})]
    }
    # THEN only the 2012 document substitutes
    assert results == {"2008-10-17": False, "2012-10-17": True}


def test_reason_shows_resolved_variables() -> None:
    # GIVEN one variable that resolves and one whose key is absent
    # WHEN the clause is evaluated
    result = evaluate(
        "StringEquals", "sts:RoleSessionName", ["${aws:username}", "${aws:SourceIdentity}"],
        {"aws:username": "alice", "sts:RoleSessionName": "bob"},
    )  # fmt: skip
    # THEN the reason shows what each value resolved to
    assert result.reasons == (
        'StringEquals sts:RoleSessionName = ["${aws:username}", "${aws:SourceIdentity}"] '
        '(resolved: ["alice", null]): request has "bob" -> false',
    )


def test_variable_naming_an_unknown_key_is_reported() -> None:
    # GIVEN a variable with a typo in its key
    # WHEN the clause is evaluated
    result = evaluate("StringEquals", "sts:RoleSessionName", ["${aws:usernme}"], {"sts:RoleSessionName": "x"})
    # THEN the variable is null and its key is reported
    assert result.matched is False
    assert result.unknown == ("policy variable key 'aws:usernme' is not a known key; evaluated as absent",)


# --- Unknown operators and keys ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "operator",
    [
        pytest.param("StringEqualz", id="typo"),
        pytest.param("StringNotEqualz", id="typo-of-negated"),
        pytest.param("stringequals", id="wrong-case"),
        pytest.param("ForSomeValues:StringEquals", id="unknown-set-prefix"),
        pytest.param("forallvalues:StringEquals", id="set-prefix-wrong-case"),
        pytest.param("ForAnyValue:ForAllValues:StringEquals", id="two-set-prefixes"),
        pytest.param("NullIfExists", id="null-if-exists"),
        pytest.param("ForAnyValue:Null", id="set-null"),
        pytest.param("StringEqualsIfExistsIfExists", id="if-exists-twice"),
        pytest.param("IfExists", id="if-exists-alone"),
        pytest.param("BinaryNotEquals", id="no-negated-binary"),
    ],
)
def test_unknown_operator_is_not_a_match_and_is_reported(operator: str) -> None:
    # GIVEN a clause with an operator IAM does not have, on an absent key (negated ops would hold)
    result = evaluate(operator, "sts:ExternalId", ["abc"])
    # THEN the clause does not hold and the operator and key are named
    assert result.matched is False
    assert result.unknown == (
        f"condition operator '{operator}' (key 'sts:ExternalId') is not a known operator; the clause does not hold",
    )
    assert result.reasons == (f'{operator} sts:ExternalId = "abc": unknown operator -> false',)
    assert is_known_operator(operator) is False


@pytest.mark.parametrize(
    "operator",
    [
        pytest.param(op, id=op)
        for op in (
            "StringEquals", "StringNotLikeIfExists", "ArnLike", "NumericGreaterThanEqualsIfExists", "DateNotEquals",
            "Bool", "BinaryEquals", "NotIpAddress", "Null", "ForAnyValue:StringLike",
            "ForAllValues:ArnNotEqualsIfExists", "ForAnyValue:NumericLessThan",
        )
    ],
)  # fmt: skip
def test_known_operators(operator: str) -> None:
    # GIVEN an operator name IAM documents, possibly with set prefix and IfExists
    # THEN it is known
    assert is_known_operator(operator) is True


@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        pytest.param("StringEquals", False, id="positive-not-matched"),
        pytest.param("StringNotEquals", True, id="negated-holds"),
        pytest.param("StringEqualsIfExists", True, id="if-exists-holds"),
        pytest.param("Null", True, id="null-true-holds"),
    ],
)
def test_unknown_key_is_evaluated_as_absent_and_reported(operator: str, expected: bool) -> None:
    # GIVEN a typo in the key, even though the request carries a value under that name
    value = "true" if operator == "Null" else ROLE_APP
    result = evaluate(operator, "aws:PrincipleArn", [value], {"aws:PrincipleArn": ROLE_APP})
    # THEN it is evaluated as absent and reported
    assert result.matched is expected
    assert result.unknown == ("condition key 'aws:PrincipleArn' is not a known key; evaluated as absent",)
    assert "unknown key, evaluated as absent" in result.reasons[0]


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(key, id=key)
        for key in (
            "aws:PrincipalArn", "AWS:principalarn", "aws:SourceIP", "aws:PrincipalOrgPaths", "aws:userid",
            "aws:PrincipalTag/team", "aws:RequestTag/Project", "aws:ResourceTag/env", "iam:ResourceTag/x",
            "aws:MultiFactorAuthPresent", "aws:CalledViaFirst", "aws:IsMcpServiceAction", "sts:ExternalId",
            "sts:externalid", "sts:RoleSessionName", "sts:TransitiveTagKeys", "sts:DurationSeconds",
            "SAML:aud", "saml:sub_type", "SAML:eduPersonAffiliation", "SAML:doc", "iam:PassedToService",
            "token.actions.githubusercontent.com:sub", "token.actions.githubusercontent.com:job_workflow_ref",
            "oidc.eks.us-east-1.amazonaws.com/id/ABC123:aud", "cognito-identity.amazonaws.com:amr",
            "accounts.google.com:aud", "graph.facebook.com:app_id", "www.amazon.com:user_id",
        )
    ],
)  # fmt: skip
def test_known_keys(key: str) -> None:
    # GIVEN a global, STS, IAM, SAML or web-identity key in any case
    # THEN it is known
    assert is_known_key(key) is True


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(key, id=key or "empty")
        for key in (
            "aws:PrincipleArn", "sts:ExternalID2", "aws:PrincipalTag/", "aws:PrincipalTag", "aws:RequestTag/",
            "saml:", "github:sub", "token.actions.githubusercontent.com:", "aws:SourceIpAddress", "ExternalId",
            "ec2:SourceInstanceARN", "",
        )
    ],
)  # fmt: skip
def test_unknown_keys(key: str) -> None:
    # GIVEN a typo, a tag prefix without tag key, or a claim key without an issuer host
    # THEN it is not known
    assert is_known_key(key) is False


# --- Whole blocks and reason sentences -----------------------------------------------------------------


def test_empty_condition_block_matches() -> None:
    # GIVEN a statement without Condition
    # WHEN its (empty) block is evaluated
    result = evaluate_conditions([], RequestContext())
    # THEN it matches with nothing to explain
    assert result == ConditionResult(matched=True, reasons=(), unknown=(), holds_if_undecided=True)


def test_clauses_are_anded_and_each_gets_a_reason() -> None:
    # GIVEN ExternalId matches but SourceIp does not (spec T64)
    conditions = [
        clause("StringEquals", "sts:ExternalId", "abc"),
        clause("IpAddress", "aws:SourceIp", "203.0.113.0/24"),
    ]
    context = RequestContext({"sts:ExternalId": "abc", "aws:SourceIp": "198.51.100.7"})
    # WHEN the block is evaluated
    result = evaluate_conditions(conditions, context)
    # THEN it does not match, and both clauses are explained
    assert result.matched is False
    assert result.reasons == (
        'StringEquals sts:ExternalId = "abc": request has "abc" -> true',
        'IpAddress aws:SourceIp = "203.0.113.0/24": request has "198.51.100.7" -> false',
    )


@pytest.mark.parametrize(
    ("condition", "context_values", "reason"),
    [
        pytest.param(
            clause("Bool", "aws:MultiFactorAuthPresent", "true"), {},
            'Bool aws:MultiFactorAuthPresent = "true": key absent -> false', id="absent",
        ),
        pytest.param(
            clause("ForAllValues:StringEquals", "aws:TagKeys", "a", "b"), {"aws:TagKeys": ["a"]},
            'ForAllValues:StringEquals aws:TagKeys = ["a", "b"]: request has "a" -> true', id="set",
        ),
        pytest.param(
            clause("ForAnyValue:StringEquals", "aws:TagKeys", "a"), {"aws:TagKeys": ["b", "c"]},
            'ForAnyValue:StringEquals aws:TagKeys = "a": request has ["b", "c"] -> false', id="set-several",
        ),
        pytest.param(
            clause("StringEquals", "aws:TagKeys", "a"), {"aws:TagKeys": ["a", "b"]},
            'StringEquals aws:TagKeys = "a": request has ["a", "b"]; a multivalued key needs '
            "ForAnyValue:/ForAllValues: -> false", id="multivalued",
        ),
        pytest.param(
            clause("Null", "aws:SourceIdentity", "false"), {"aws:SourceIdentity": "bob"},
            'Null aws:SourceIdentity = "false": request has "bob" -> true', id="null",
        ),
        pytest.param(
            clause("ForAllValues:StringEquals", "aws:TagKeys", "a"), {"aws:TagKeys": []},
            'ForAllValues:StringEquals aws:TagKeys = "a": key has no values -> true', id="empty-set",
        ),
    ],
)  # fmt: skip
def test_reason_sentences(condition: Condition, context_values: Request, reason: str) -> None:
    # GIVEN a clause and a request
    # WHEN it is evaluated
    result = evaluate_conditions([condition], RequestContext(context_values))
    # THEN one precise sentence explains the clause
    assert result.reasons == (reason,)


def test_key_names_are_case_insensitive() -> None:
    # GIVEN policy and request spell the key differently
    result = evaluate("StringEquals", "STS:externalID", ["abc"], {"sts:ExternalId": "abc"})
    # THEN they are the same key
    assert result.matched is True
    assert result.unknown == ()


def test_unknown_problems_are_listed_once_per_problem() -> None:
    # GIVEN two clauses on the same unknown key
    conditions = [clause("StringEquals", "aws:PrincipleArn", "x"), clause("StringLike", "aws:PrincipleArn", "*")]
    # WHEN they are evaluated
    result = evaluate_conditions(conditions, RequestContext())
    # THEN the problem is listed once
    assert result.unknown == ("condition key 'aws:PrincipleArn' is not a known key; evaluated as absent",)


def test_explanations_never_say_silently() -> None:
    # GIVEN five clauses that each produce a different kind of explanation
    conditions = [
        clause("StringEqualz", "sts:ExternalId", "a"),
        clause("StringEquals", "aws:PrincipleArn", "a"),
        clause("NumericEquals", "sts:DurationSeconds", "x"),
        clause("StringEquals", "aws:TagKeys", "a"),
        clause("StringEquals", "sts:RoleSessionName", "${aws:nothing}"),
    ]
    result = evaluate_conditions(conditions, RequestContext({"aws:TagKeys": ["a"], "sts:DurationSeconds": "1"}))
    text = " ".join(result.reasons + result.unknown).lower()
    # THEN every clause is explained and no sentence says "silently"
    assert len(result.reasons) == 5
    assert len(result.unknown) == 4
    assert "silently" not in text


def test_undecided_clause_is_marked_for_the_wider_access() -> None:
    # GIVEN a known clause that holds and one with an unknown operator
    conditions = [
        clause("StringEquals", "sts:ExternalId", "abc"),
        clause("StringEqualz", "sts:ExternalId", "abc"),
    ]
    result = evaluate_conditions(conditions, RequestContext({"sts:ExternalId": "abc"}))
    # THEN the block does not match as written, but would if the undecided clause held
    assert (result.matched, result.holds_if_undecided) == (False, True)
    # AND a decided clause that fails still fails the block either way
    failing = evaluate_conditions(conditions, RequestContext({"sts:ExternalId": "zzz"}))
    assert (failing.matched, failing.holds_if_undecided) == (False, False)
