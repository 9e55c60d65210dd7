"""CloudTrail event models, classification, deployment attribution and EventBridge patterns, over events/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parser import parse
from chalice import test as chalice_test
from chalice.app import Chalice
from moto.events.models import EventPattern

from chalicelib.events.assumption import Assumption
from chalicelib.events.changes import (
    AuditorChange,
    IdentityChange,
    TrustChange,
    classify,
    ignored_reason,
)
from chalicelib.events.models import CloudTrailEvent, EventParseError, parse_event
from chalicelib.events.patterns import ASSUME_ROLE_PATTERN, AUDITOR_PATTERN, IAM_CHANGE_PATTERN, auditor_pattern

EVENTS = Path(__file__).resolve().parents[2] / "events"
FILES = sorted(p.name for p in EVENTS.glob("*.json"))
A001, A000A, A000B = "123456789012", "111111111111", "222222222222"
FOOBAZ = f"arn:aws:iam::{A000B}:role/foobaz"

# file -> (type, fields the classification must have)
EXPECTED: dict[str, tuple[type, dict[str, Any]]] = {
    "iam-create-role-public-trust.json": (
        TrustChange,
        {"kind": "created", "account_id": A001, "role_arn": f"arn:aws:iam::{A001}:role/partner-data-export"},
    ),
    "iam-create-role-by-cloudformation.json": (
        TrustChange,
        {"kind": "created", "role_name": "orders-api-FunctionRole-5XK2J9QW1M3A", "role_arn_exact": True},
    ),
    "iam-create-role-by-terraform.json": (TrustChange, {"kind": "created", "role_arn": FOOBAZ, "account_id": A000B}),
    "iam-update-assume-role-policy-untrusted-account.json": (
        TrustChange,
        {"kind": "updated", "role_name": "foobaz", "role_arn": FOOBAZ, "role_arn_exact": False},
    ),
    "iam-update-assume-role-policy-fixed.json": (TrustChange, {"kind": "updated", "role_arn": FOOBAZ}),
    "iam-update-assume-role-policy-url-encoded.json": (
        TrustChange,
        {"role_name": "RoleE", "role_arn": f"arn:aws:iam::{A001}:role/RoleE", "role_arn_exact": False},
    ),
    "iam-delete-role.json": (
        TrustChange,
        {"kind": "deleted", "event_name": "DeleteRole", "role_name": "RoleB", "new_trust": None},
    ),
    "iam-put-role-policy.json": (
        IdentityChange,
        {"subject_kind": "role", "subject_name": "RoleA", "policy_name": "assume-any-role-in-account"},
    ),
    "iam-attach-role-policy.json": (
        IdentityChange,
        {"subject_name": "foobar", "policy_arn": f"arn:aws:iam::{A000A}:policy/AssumeAnyRole", "account_id": A000A},
    ),
    "iam-put-user-policy.json": (IdentityChange, {"subject_kind": "user", "subject_name": "alice"}),
    "iam-add-user-to-group.json": (
        IdentityChange,
        {"subject_kind": "user", "subject_name": "bob", "group_name": "admins", "policy_arn": None},
    ),
    "iam-create-policy-version.json": (
        IdentityChange,
        {"subject_kind": "policy", "subject_name": "AssumeAnyRole", "event_name": "CreatePolicyVersion"},
    ),
    "iam-set-default-policy-version.json": (
        IdentityChange,
        {"subject_kind": "policy", "policy_arn": f"arn:aws:iam::{A000A}:policy/AssumeAnyRole"},
    ),
    "iam-put-role-permissions-boundary.json": (
        IdentityChange,
        {"subject_kind": "role", "policy_arn": f"arn:aws:iam::{A000A}:policy/DeveloperBoundary"},
    ),
    "sts-assume-role-same-account.json": (
        Assumption,
        {"role_arn": f"arn:aws:iam::{A001}:role/RoleC", "caller_type": "AssumedRole", "caller_account": A001},
    ),
    "sts-assume-role-untrusted-account.json": (
        Assumption,
        {"role_arn": FOOBAZ, "caller_type": "AWSAccount", "caller_account": "999988887777", "caller_arn": None}
        | {"session_name": "backup-sync", "external_id_present": False, "succeeded": True},
    ),
    "sts-assume-role-denied.json": (
        Assumption,
        {"succeeded": False, "error_code": "AccessDenied", "role_arn": FOOBAZ, "recipient_account_id": A000A},
    ),
    "sts-assume-role-with-web-identity-github.json": (
        Assumption,
        {
            "api": "AssumeRoleWithWebIdentity",
            "caller_arn": f"arn:aws:iam::{A001}:oidc-provider/token.actions.githubusercontent.com",
            "subject": "repo:example-org/orders-api:ref:refs/heads/main",
        },
    ),
    "sts-assume-role-with-saml.json": (
        Assumption,
        {
            "api": "AssumeRoleWithSAML",
            "caller_arn": f"arn:aws:iam::{A000A}:saml-provider/AWSSSO_6a1f0c2d9b8e7f45_DO_NOT_DELETE",
            "caller_account": A000A,
            "subject": "augustfengd",
        },
    ),
    "auditor-events-disable-rule.json": (AuditorChange, {"resource": "trustwatch-prod-on_role_assumption-event"}),
    "auditor-lambda-update-function-code.json": (
        AuditorChange,
        {"operation": "UpdateFunctionCode", "resource": "trustwatch-prod-on_iam_change"},
    ),
    "auditor-sns-unsubscribe.json": (AuditorChange, {"event_source": "sns.amazonaws.com", "operation": "Unsubscribe"}),
    "auditor-iam-put-role-policy.json": (
        AuditorChange,
        {"resource": "trustwatch-prod-on_iam_change", "operation": "PutRolePolicy", "error_code": None},
    ),
}
IGNORED = {
    "iam-update-assume-role-policy-denied.json": "failed (AccessDenied)",
    "sts-assume-role-by-service.json": "AWS service ec2.amazonaws.com",
    "lambda-update-function-code-other-app.json": "not an event Trustwatch acts on",
}
PATTERNS = {"iam": IAM_CHANGE_PATTERN, "sts": ASSUME_ROLE_PATTERN, "auditor": AUDITOR_PATTERN}
MATCHES = {name: {"iam"} for name in EXPECTED if name.startswith("iam-")}
MATCHES |= {name: {"sts"} for name in EXPECTED if name.startswith("sts-")}
MATCHES |= {name: {"auditor"} for name in EXPECTED if name.startswith("auditor-")}
MATCHES |= {"auditor-iam-put-role-policy.json": {"iam", "auditor"}} | {name: set() for name in IGNORED}


def matches(pattern: dict[str, Any], event: Any) -> bool:
    return bool(EventPattern.load(json.dumps(pattern)).matches_event(event))


def raw(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return data


def test_every_sample_has_an_expectation_and_a_readme_line() -> None:
    assert len(FILES) >= 20
    assert set(FILES) == set(EXPECTED) | set(IGNORED) == set(MATCHES)
    readme = (EVENTS / "README.md").read_text()
    assert [name for name in FILES if f"`{name}`" not in readme] == []


@pytest.mark.parametrize("name", FILES)
def test_sample_parses_into_the_envelope_and_its_detail(name: str) -> None:
    event = parse_event(raw(name))
    assert event.version == "0" and event.detail_type == "AWS API Call via CloudTrail"
    assert event.source == "aws." + event.detail.event_source.split(".")[0]
    assert event.time == event.detail.event_time and event.account == event.detail.recipient_account_id


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_classify_gives_the_change_the_sample_shows(name: str) -> None:
    event = parse_event(raw(name))
    kind, fields = EXPECTED[name]
    change = classify(event)
    assert change is not None and isinstance(change, kind), ignored_reason(event)
    assert {key: getattr(change, key) for key in fields} == fields
    assert change.event_id == event.detail.event_id and ignored_reason(event) is None


@pytest.mark.parametrize("name", sorted(IGNORED))
def test_classify_ignores_with_a_reason(name: str) -> None:
    event = parse_event(raw(name))
    assert classify(event) is None
    assert IGNORED[name] in (ignored_reason(event) or "")


@pytest.mark.parametrize("name", FILES)
def test_each_sample_matches_exactly_the_patterns_meant_for_it(name: str) -> None:
    matched = {key for key, pattern in PATTERNS.items() if matches(pattern, raw(name))}
    assert matched == MATCHES[name]


def test_auditor_pattern_follows_the_prefix() -> None:
    other = auditor_pattern("otherapp")
    assert not any(matches(other, raw(name)) for name in FILES)
    event = raw("lambda-update-function-code-other-app.json")
    event["detail"]["requestParameters"]["functionName"] = f"arn:aws:lambda:us-east-1:{A001}:function:otherapp-prod-x"
    assert matches(other, event)


def test_trust_text_is_kept_raw_and_decodes_plain_or_url_encoded() -> None:
    plain = classify(parse_event(raw("iam-update-assume-role-policy-untrusted-account.json")))
    encoded = classify(parse_event(raw("iam-update-assume-role-policy-url-encoded.json")))
    assert isinstance(plain, TrustChange) and isinstance(encoded, TrustChange)
    assert plain.new_trust is not None and plain.new_trust.startswith("{")
    assert encoded.new_trust is not None and encoded.new_trust.startswith("%7B")
    principals = [s["Principal"]["AWS"] for s in plain.trust_document()["Statement"]]
    assert principals == [f"arn:aws:iam::{A000A}:role/foobar", "arn:aws:iam::999988887777:root"]
    assert encoded.trust_document()["Statement"][0]["Principal"]["AWS"][1] == f"arn:aws:iam::{A001}:role/RoleB"


def test_create_role_trust_falls_back_to_the_response_and_its_path() -> None:
    data = raw("iam-create-role-public-trust.json")
    del data["detail"]["requestParameters"]["assumeRolePolicyDocument"]
    data["detail"]["responseElements"]["role"]["path"] = "/partners/"
    data["detail"]["responseElements"]["role"]["arn"] = f"arn:aws:iam::{A001}:role/partners/partner-data-export"
    change = classify(parse_event(data))
    assert isinstance(change, TrustChange) and change.role_arn_exact
    assert change.role_arn.endswith(":role/partners/partner-data-export")
    assert change.trust_document()["Statement"][0]["Principal"] == {"AWS": "*"}


def test_an_event_without_the_role_name_is_ignored_not_guessed() -> None:
    data = raw("iam-delete-role.json")
    data["detail"]["requestParameters"] = {}
    assert classify(parse_event(data)) is None
    assert ignored_reason(parse_event(data)) == "DeleteRole without requestParameters.roleName"


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("detail",), None, "detail"),
        (("detail", "eventName"), 123, "detail.eventName"),
        (("detail", "userIdentity", "type"), None, "detail.userIdentity.type"),
        (("detail", "requestParameters"), "roleName=foobaz", "detail.requestParameters"),
        (("detail", "eventTime"), "yesterday", "detail.eventTime"),
        (("detail", "requestParameters", "policyDocument"), "{not json", "detail.requestParameters.policyDocument"),
        (("detail", "requestParameters", "policyDocument"), "%7Bnot%20json", "detail.requestParameters.policyDocument"),
        (("detail", "requestParameters", "policyDocument"), '["a list"]', "detail.requestParameters.policyDocument"),
        (("detail", "requestParameters", "policyDocument"), 42, "detail.requestParameters.policyDocument"),
        (("version",), True, "version"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_input_raises_a_parse_error_naming_the_field(path: tuple[str, ...], value: Any, field: str) -> None:
    data = raw("iam-update-assume-role-policy-untrusted-account.json")
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    if value is None:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    with pytest.raises(EventParseError) as info:
        parse_event(data)
    assert info.value.field == field and str(info.value).startswith(field + ": ")


def test_a_non_object_event_is_a_parse_error() -> None:
    with pytest.raises(EventParseError, match=r"^event: expected a JSON object, got list"):
        parse_event([])  # type: ignore[arg-type]


def test_chalice_generated_event_with_int_version_is_accepted() -> None:
    sample = raw("iam-update-assume-role-policy-fixed.json")
    generated = chalice_test.TestEventsClient(Chalice("t")).generate_cw_event(
        source="aws.iam", detail_type=sample["detail-type"], detail=sample["detail"], resources=[], region="us-east-1"
    )
    assert generated["version"] == 0
    event = parse_event(generated)
    assert event.version == "0" and isinstance(classify(event), TrustChange)
    assert generated["version"] == 0  # the caller's event is left as it was


def test_unknown_fields_are_kept_and_powertools_parse_accepts_the_model() -> None:
    data = raw("sts-assume-role-with-saml.json")
    data["detail"]["brandNewField"] = {"x": 1}
    event = parse(event=data, model=CloudTrailEvent)
    assert event.detail.model_extra == {"brandNewField": {"x": 1}}
    assert event.detail.additional_event_data is None and event.detail.tls_details is not None


def test_external_id_presence_is_recorded_not_its_value() -> None:
    data = raw("sts-assume-role-untrusted-account.json")
    data["detail"]["requestParameters"]["externalId"] = "vendor-7f3a"
    change = classify(parse_event(data))
    assert isinstance(change, Assumption) and change.external_id_present
    assert "vendor-7f3a" not in change.model_dump_json()


def test_role_arn_built_in_the_partition_of_the_region() -> None:
    data = raw("iam-update-assume-role-policy-fixed.json")
    data["detail"]["awsRegion"] = "cn-north-1"
    change = classify(parse_event(data))
    assert isinstance(change, TrustChange) and change.role_arn == f"arn:aws-cn:iam::{A000B}:role/foobaz"


def test_a_caller_without_an_arn_still_has_a_name() -> None:
    cross = classify(parse_event(raw("sts-assume-role-untrusted-account.json")))
    denied = classify(parse_event(raw("sts-assume-role-denied.json")))
    assert isinstance(cross, Assumption) and isinstance(denied, Assumption)
    assert cross.caller == f"{cross.caller_principal_id} in account 999988887777"
    assert cross.caller_principal_id is not None and cross.caller_principal_id.startswith("AIDA")
    assert denied.caller == f"arn:aws:sts::{A000A}:assumed-role/foobar/botocore-session-1795524040"


def test_a_policy_given_as_an_object_is_kept_as_json_text() -> None:
    data = raw("iam-update-assume-role-policy-fixed.json")
    data["detail"]["requestParameters"]["policyDocument"] = {"Version": "2012-10-17", "Statement": []}
    change = classify(parse_event(data))
    assert isinstance(change, TrustChange) and change.trust_document() == {"Version": "2012-10-17", "Statement": []}
