"""Property tests of the IAM core: the parser never fails with anything but `PolicyParseError`, and the
AssumeRole decision does not depend on how a valid policy is written down (statement order, a string vs a
one-element list, the letter case of action names, object vs JSON text vs URL-encoded JSON text)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, Phase, assume, find, given, settings
from hypothesis import strategies as st

from chalicelib.iam.cases import request_from_case
from chalicelib.iam.errors import PolicyParseError
from chalicelib.iam.evaluate import DecisionKind, can_assume
from chalicelib.iam.policy import PolicyDocument, parse_policy

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
INVARIANCE = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Case = dict[str, Any]

# ---------------------------------------------------------------------------------------------------------
# Valid trust policies, identity policies, callers and contexts, built from pieces.
# ---------------------------------------------------------------------------------------------------------

ROLE_ACCOUNT = "123456789012"
OTHER_ACCOUNT = "111111111111"
UNRELATED_ACCOUNT = "333333333333"
ACCOUNTS = (ROLE_ACCOUNT, OTHER_ACCOUNT, UNRELATED_ACCOUNT)
ROLES = (f"arn:aws:iam::{ROLE_ACCOUNT}:role/Target", f"arn:aws:iam::{ROLE_ACCOUNT}:role/allowed-roles-path/Target")
CALLERS = (
    f"arn:aws:iam::{ROLE_ACCOUNT}:user/alice",
    f"arn:aws:iam::{ROLE_ACCOUNT}:user/team/bob",
    f"arn:aws:iam::{OTHER_ACCOUNT}:user/alice",
    f"arn:aws:sts::{ROLE_ACCOUNT}:assumed-role/App/s1",
    f"arn:aws:sts::{ROLE_ACCOUNT}:assumed-role/Other/s2",
    f"arn:aws:sts::{OTHER_ACCOUNT}:assumed-role/App/s1",
)
PRINCIPAL_ENTRIES = (
    "*",
    *ACCOUNTS,
    *(f"arn:aws:iam::{a}:root" for a in ACCOUNTS),
    *CALLERS,
    f"arn:aws:sts::{ROLE_ACCOUNT}:assumed-role/App/other-session",
    *(f"arn:aws:iam::{a}:role/{name}" for a in (ROLE_ACCOUNT, OTHER_ACCOUNT) for name in ("App", "Other")),
    f"arn:aws:iam::{ROLE_ACCOUNT}:role/some/path/App",
)
ACTIONS = (
    "sts:AssumeRole",
    "sts:*",
    "sts:Assume*",
    "*",
    "sts:TagSession",
    "sts:AssumeRoleWithSAML",
    "ec2:RunInstances",
)
NOT_ACTIONS = ("sts:TagSession", "sts:AssumeRole", "ec2:*")
SERVICES = ("ec2.amazonaws.com", "lambda.amazonaws.com")
RESOURCES = (
    "*",
    *ROLES,
    f"arn:aws:iam::{ROLE_ACCOUNT}:role/allowed-roles-path/*",
    "arn:aws:iam::*:role/*",
    f"arn:aws:iam::{ROLE_ACCOUNT}:role/Other",
)
CONDITION_MENU = {
    ("StringEquals", "sts:ExternalId"): ("abc", "def"),
    ("Bool", "aws:MultiFactorAuthPresent"): ("true", "false"),
    ("StringEquals", "aws:PrincipalOrgID"): ("o-mine", "o-other"),
}


def one_or_list(pool: tuple[str, ...]) -> st.SearchStrategy[str | list[str]]:
    return st.sampled_from(pool) | st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True)


# Built once: building strategies inside a composite on every draw costs more than the whole evaluation.
CONDITION_CLAUSES = st.lists(st.sampled_from(sorted(CONDITION_MENU)), max_size=2, unique=True)
CONDITION_VALUES = {clause: one_or_list(values) for clause, values in CONDITION_MENU.items()}
PRINCIPALS = st.just("*") | st.fixed_dictionaries(
    {"AWS": one_or_list(PRINCIPAL_ENTRIES)}, optional={"Service": one_or_list(SERVICES)}
)
EFFECTS = st.sampled_from(["Allow", "Allow", "Allow", "Deny"])
RESOURCE_VALUES = one_or_list(RESOURCES)
ACTION_VALUES = one_or_list(ACTIONS)
NOT_ACTION_VALUES = one_or_list(NOT_ACTIONS)


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, dict[str, str | list[str]]]:
    block: dict[str, dict[str, str | list[str]]] = {}
    for operator, key in draw(CONDITION_CLAUSES):
        block.setdefault(operator, {})[key] = draw(CONDITION_VALUES[(operator, key)])
    return block


@st.composite
def statements(draw: st.DrawFn, *, trust: bool) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": draw(EFFECTS)}
    if trust:
        statement["Principal"] = draw(PRINCIPALS)
    else:
        statement["Resource"] = draw(RESOURCE_VALUES)
    if draw(st.integers(0, 3)):
        statement["Action"] = draw(ACTION_VALUES)
    else:
        statement["NotAction"] = draw(NOT_ACTION_VALUES)
    condition = draw(conditions())
    if condition:
        statement["Condition"] = condition
    return statement


TRUST_STATEMENTS = st.lists(statements(trust=True), min_size=1, max_size=4)
IDENTITY_STATEMENTS = st.lists(statements(trust=False), max_size=3)
CALLER_ARNS = st.sampled_from(CALLERS)
ROLE_ARNS = st.sampled_from(ROLES)
contexts = st.fixed_dictionaries(
    {},
    optional={
        "sts:ExternalId": st.sampled_from(["abc", "def"]),
        "aws:MultiFactorAuthPresent": st.sampled_from(["true", "false"]),
        "aws:PrincipalOrgID": st.sampled_from(["o-mine", "o-other"]),
    },
)


@st.composite
def valid_cases(draw: st.DrawFn) -> Case:
    identity = draw(IDENTITY_STATEMENTS)
    return {
        "name": "generated",
        "principal": draw(CALLER_ARNS),
        "role": draw(ROLE_ARNS),
        "action": "sts:AssumeRole",
        "identity": [{"name": "id", "policy": {"Version": "2012-10-17", "Statement": identity}}] if identity else [],
        "trust": {"Version": "2012-10-17", "Statement": draw(TRUST_STATEMENTS)},
        "context": draw(contexts),
    }


def decide(case: Case) -> DecisionKind:
    _, request = request_from_case(case, source="generated")
    return can_assume(request).decision


def documents(case: Case) -> list[dict[str, Any]]:
    return [case["trust"], *(item["policy"] for item in case["identity"])]


# ---------------------------------------------------------------------------------------------------------
# Arbitrary JSON, biased towards policy and case grammar so that validation gets past the first level.
# ---------------------------------------------------------------------------------------------------------

POLICY_KEYS = (  # noqa: SIM905
    "Version Id Statement Sid Effect Principal NotPrincipal Action NotAction Resource NotResource "
    "Condition AWS Service Federated CanonicalUser StringEquals StringLike Bool BoolIfExists "
    "ForAnyValue:StringLike Null NumericLessThan IpAddress DateGreaterThan sts:ExternalId "
    "aws:PrincipalOrgID aws:SourceIp aws:MultiFactorAuthPresent ${aws:username} statements effect "
    "principal not_action wildcard"
).split()
CASE_KEYS = (  # noqa: SIM905
    "name principal role action identity trust boundary sessionPolicy scps rcps context orgIdentifier policies"
).split()
POLICY_VALUES = (  # noqa: SIM905
    "Allow Deny Alow * 2012-10-17 2008-10-17 sts:AssumeRole sts:* STS:assumerole sts:TagSession "
    "123456789012 111111111111 arn:aws:iam::123456789012:root arn:aws:iam::123456789012:user/alice "
    "arn:aws:iam::123456789012:role/App arn:aws:sts::123456789012:assumed-role/App/s "
    "arn:aws:sts::123456789012:assumed-role/App arn:aws:iam::*:root "
    "arn:aws:iam::123456789012:group/g "
    "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com "
    "arn:aws-cn:iam::123456789012:root AROAEXAMPLEID0000001 ec2.amazonaws.com "
    "cognito-identity.amazonaws.com true false 203.0.113.0/24 2020-01-01T00:00:00Z ${aws:username} "
    "o-mine abc %7B%7D"
).split()

json_leaf = (
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12) | st.sampled_from(POLICY_VALUES)
)
json_key = st.sampled_from(POLICY_KEYS + CASE_KEYS) | st.text(max_size=8)
json_values = st.recursive(
    json_leaf,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(json_key, children, max_size=5),
    max_leaves=12,
)
string_or_strings = st.sampled_from(POLICY_VALUES) | st.lists(st.sampled_from(POLICY_VALUES), max_size=3)
statement_like = st.fixed_dictionaries(
    {},
    optional={
        "Sid": st.text(max_size=5) | json_values,
        "Effect": st.sampled_from(["Allow", "Deny", "allow", "Alow"]) | json_values,
        "Principal": st.just("*")
        | st.dictionaries(st.sampled_from(["AWS", "Service", "Federated", "CanonicalUser", "Foo"]), string_or_strings)
        | json_values,
        "NotPrincipal": st.dictionaries(st.sampled_from(["AWS", "Service"]), string_or_strings),
        "Action": string_or_strings | json_values,
        "NotAction": string_or_strings,
        "Resource": string_or_strings | json_values,
        "NotResource": string_or_strings,
        "Condition": st.dictionaries(
            st.sampled_from(POLICY_KEYS), st.dictionaries(st.sampled_from(POLICY_KEYS), json_values, max_size=2)
        )
        | json_values,
        "Foo": json_values,
    },
)
policy_like = st.fixed_dictionaries(
    {},
    optional={
        "Version": st.sampled_from(["2012-10-17", "2008-10-17", "2012-10-18"]) | json_values,
        "Id": st.text(max_size=5) | json_values,
        "Statement": statement_like | st.lists(statement_like, max_size=3) | json_values,
    },
)
named_policies = st.lists(
    st.fixed_dictionaries({"name": st.text(max_size=5), "policy": policy_like | json_values}), max_size=2
)
case_like = st.fixed_dictionaries(
    {},
    optional={
        "name": st.text(max_size=5),
        "principal": st.sampled_from(POLICY_VALUES) | st.text(max_size=10),
        "role": st.sampled_from(["arn:aws:iam::123456789012:role/Target", "arn:aws:iam::1:role/x", "role"]),
        "action": st.sampled_from(["sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity"]),
        "identity": named_policies | json_values,
        "trust": policy_like | json_values,
        "boundary": named_policies,
        "sessionPolicy": policy_like,
        "scps": st.lists(
            st.fixed_dictionaries({"orgIdentifier": st.text(max_size=4), "policies": named_policies}), max_size=2
        ),
        "context": st.dictionaries(
            st.sampled_from(POLICY_KEYS), st.text(max_size=5) | st.lists(st.text(max_size=5)), max_size=3
        ),
    },
)


def _slots(value: Any) -> list[tuple[Any, Any]]:
    """Every (container, key-or-index) inside a JSON value."""
    if isinstance(value, dict):
        return [slot for key, item in value.items() for slot in [(value, key), *_slots(item)]]
    if isinstance(value, list):
        return [slot for index, item in enumerate(value) for slot in [(value, index), *_slots(item)]]
    return []


@st.composite
def corrupted(draw: st.DrawFn, valid: st.SearchStrategy[Any]) -> Any:
    """A valid value with one or two places replaced, deleted or given a neighbour: it gets deep into the
    validators, where arbitrary JSON stops at the first element."""
    value = copy.deepcopy(draw(valid))
    for _ in range(draw(st.integers(1, 2))):
        slots = _slots(value)
        if not slots:
            break
        container, key = draw(st.sampled_from(slots))
        how = draw(st.sampled_from(["replace", "delete", "add"]))
        if how == "replace":
            container[key] = draw(json_values)
        elif how == "delete":
            del container[key]
        elif isinstance(container, dict):
            container[draw(json_key)] = draw(json_values)
        else:
            container.insert(key, draw(json_values))
    return value


NEAR_VALID_POLICIES = corrupted(st.builds(lambda case: case["trust"], valid_cases()))
NEAR_VALID_CASES = corrupted(valid_cases())
ANY_POLICY = json_values | policy_like | NEAR_VALID_POLICIES
ANY_CASE = json_values | case_like | NEAR_VALID_CASES


def _parse_or_refuse(raw: object) -> PolicyDocument | None:
    try:
        return parse_policy(raw, source="fuzz")
    except PolicyParseError as exc:
        assert exc.source == "fuzz"
        return None


ENCODINGS = [
    pytest.param(lambda x: x, id="as a Python object"),
    pytest.param(json.dumps, id="as JSON text"),
    pytest.param(lambda x: quote(json.dumps(x), safe=""), id="as URL-encoded JSON text"),
]
TEXT_PREFIXES = ("", "{", '{"Statement": ', "%7B", "%", "[", " ")


@pytest.mark.parametrize("encode", ENCODINGS)
@FUZZ
@given(value=ANY_POLICY)
def test_parse_policy_raises_only_policy_parse_error_for_any_json(encode: Callable[[Any], Any], value: Any) -> None:
    # GIVEN any JSON value  WHEN it is parsed as a policy  THEN it is a document or a PolicyParseError
    result = _parse_or_refuse(encode(value))
    assert result is None or isinstance(result, PolicyDocument)


@FUZZ
@given(text=st.text() | st.builds(str.__add__, st.sampled_from(TEXT_PREFIXES), st.text(max_size=30)))
def test_parse_policy_raises_only_policy_parse_error_for_any_text(text: str) -> None:
    # GIVEN any text (some of it starting like JSON or percent-encoding)  WHEN it is parsed as a policy
    result = _parse_or_refuse(text)
    # THEN it is a document or a PolicyParseError
    assert result is None or isinstance(result, PolicyDocument)


@FUZZ
@given(value=ANY_CASE)
def test_request_from_case_raises_only_policy_parse_error(value: Any) -> None:
    # GIVEN any JSON value as a decision case  WHEN it is read as a request
    try:
        _, request = request_from_case(value, source="fuzz")
    except PolicyParseError:
        return
    # THEN a case that was accepted can also be decided without an error
    assert can_assume(request).decision in set(DecisionKind)


# ---------------------------------------------------------------------------------------------------------
# Rewritings that must not change the decision.
# ---------------------------------------------------------------------------------------------------------

Rewrite = Callable[[Case, st.DataObject], Case]
LISTABLE = ("Action", "NotAction", "Resource", "NotResource")


def reorder_statements(case: Case, data: st.DataObject) -> Case:
    for document in documents(case):
        document["Statement"] = data.draw(st.permutations(document["Statement"]), label="order")
    return case


def one_string_as_list(case: Case, data: st.DataObject) -> Case:
    # (container, key) pairs whose value is a single string that IAM also accepts as a one-element list.
    slots: list[tuple[dict[str, Any], str]] = []
    for document in documents(case):
        for statement in document["Statement"]:
            slots += [(statement, key) for key in LISTABLE if isinstance(statement.get(key), str)]
            if isinstance(statement.get("Principal"), dict):
                principal = statement["Principal"]
                slots += [(principal, key) for key, value in principal.items() if isinstance(value, str)]
            for keys in statement.get("Condition", {}).values():
                slots += [(keys, key) for key, value in keys.items() if isinstance(value, str)]
    assume(slots)
    container, key = data.draw(st.sampled_from(slots), label="slot")
    container[key] = [container[key]]
    return case


CASE_CHANGES: dict[str, Callable[[str], str]] = {"upper": str.upper, "lower": str.lower, "swapped": str.swapcase}


def action_letter_case(case: Case, data: st.DataObject) -> Case:
    change = CASE_CHANGES[data.draw(st.sampled_from(sorted(CASE_CHANGES)), label="letter case")]
    for document in documents(case):
        for statement in document["Statement"]:
            for key in ("Action", "NotAction"):
                value = statement.get(key)
                if value is not None:
                    statement[key] = change(value) if isinstance(value, str) else [change(v) for v in value]
    return case


def bare_star_as_aws_star(case: Case, data: st.DataObject) -> Case:
    for statement in case["trust"]["Statement"]:
        if statement["Principal"] == "*":
            statement["Principal"] = {"AWS": "*"}
    return case


def trust_as_json_text(case: Case, data: st.DataObject) -> Case:
    case["trust"] = json.dumps(case["trust"])
    return case


def url_encode(document: dict[str, Any]) -> str:
    return quote(json.dumps(document), safe="")


def trust_and_identity_url_encoded(case: Case, data: st.DataObject) -> Case:
    for item in case["identity"]:
        item["policy"] = url_encode(item["policy"])
    case["trust"] = url_encode(case["trust"])
    return case


@pytest.mark.parametrize(
    "rewrite",
    [
        pytest.param(reorder_statements, id="statements of trust and identity policies reordered"),
        pytest.param(one_string_as_list, id="one string value written as a one-element list"),
        pytest.param(action_letter_case, id="action names in another letter case"),
        pytest.param(bare_star_as_aws_star, id='Principal "*" written as {"AWS": "*"}'),
        pytest.param(trust_as_json_text, id="trust policy given as JSON text"),
        pytest.param(trust_and_identity_url_encoded, id="trust and identity policies URL-encoded"),
    ],
)
@INVARIANCE
@given(case=valid_cases(), data=st.data())
def test_decision_does_not_depend_on_how_the_policies_are_written(
    rewrite: Rewrite, case: Case, data: st.DataObject
) -> None:
    # GIVEN a valid case and its decision
    before = decide(case)
    # WHEN the same policies are written differently
    rewritten = rewrite(copy.deepcopy(case), data)
    # THEN the decision is the same
    assert decide(rewritten) is before


DENY_EVERYONE = {"Effect": "Deny", "Principal": "*", "Action": "*"}


@pytest.mark.parametrize("placement", ["deny first", "deny last"])
@INVARIANCE
@given(case=valid_cases())
def test_a_trust_deny_of_everyone_always_denies_explicitly(placement: str, case: Case) -> None:
    # GIVEN any valid case  WHEN its trust policy also denies every principal every action
    statements = case["trust"]["Statement"]
    case["trust"]["Statement"] = (
        [DENY_EVERYONE, *statements] if placement == "deny first" else [*statements, DENY_EVERYONE]
    )
    # THEN the decision is an explicit deny
    assert decide(case) is DecisionKind.EXPLICIT_DENY


@INVARIANCE
@given(case=valid_cases())
def test_without_a_trust_allow_for_the_action_nothing_else_allows(case: Case) -> None:
    # GIVEN any valid case  WHEN every Allow of its trust policy grants only an unrelated action
    for statement in case["trust"]["Statement"]:
        if statement["Effect"] == "Allow":
            statement.pop("NotAction", None)
            statement["Action"] = "ec2:RunInstances"
    # THEN whatever the identity policies say, the caller cannot assume the role (spec §2.3 step 5)
    assert decide(case) is not DecisionKind.ALLOW


@pytest.mark.parametrize("kind", list(DecisionKind), ids=[k.value for k in DecisionKind])
def test_the_generated_cases_reach_every_decision(kind: DecisionKind) -> None:
    # GIVEN the generator of valid cases  WHEN searched for a case with this decision
    found = find(
        valid_cases(),
        lambda case: decide(case) is kind,
        settings=settings(max_examples=2000, database=None, phases=[Phase.generate]),
    )
    # THEN one exists, so the invariance properties above are not about a single outcome
    assert decide(found) is kind
