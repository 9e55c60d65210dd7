"""Who made a change (deployment attribution) and which resources are the auditor's own."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.events.actor import actor_of
from chalicelib.events.auditor import is_auditor_resource, operation_name
from chalicelib.events.changes import IdentityChange, TrustChange, classify
from chalicelib.events.models import CloudTrailEvent, parse_event

EVENTS = Path(__file__).resolve().parents[2] / "events"
A001, A000B = "123456789012", "222222222222"


def raw(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return data


def _with_agent(user_agent: str, *, invoked_by: str | None = None, session: str = "dana") -> CloudTrailEvent:
    data = copy.deepcopy(raw("iam-put-role-policy.json"))
    data["detail"]["userAgent"] = user_agent
    identity = data["detail"]["userIdentity"]
    identity["arn"] = identity["arn"].rsplit("/", 1)[0] + "/" + session
    if invoked_by:
        identity["invokedBy"] = invoked_by
    return parse_event(data)


@pytest.mark.parametrize(
    ("user_agent", "invoked_by", "session", "tool"),
    [
        ("cloudformation.amazonaws.com", "cloudformation.amazonaws.com", "dana", "CloudFormation"),
        ("AWS Internal", "cloudformation.amazonaws.com", "dana", "CloudFormation"),
        (
            "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.77.0",
            None,
            "dana",
            "Terraform",
        ),
        (
            "aws-sdk-js/3.699.0 ua/2.1 os/linux lang/js md/nodejs#22.11.0 api/iam#3.699.0 aws-cdk/2.171.1",
            None,
            "dana",
            "CDK",
        ),
        ("pulumi-resource-aws/v6.62.0 Pulumi/3.142.0", None, "dana", "Pulumi"),
        ("aws-sam-cli/1.131.0 botocore/1.35.80", None, "dana", "SAM"),
        ("serverless/4.4.14 aws-sdk-js/2.1691.0", None, "dana", "Serverless"),
        ("aws-chalice/1.34.0 Boto3/1.35.80 Botocore/1.35.80", None, "dana", "Chalice"),
        ("aws-cli/2.22.10 md/command#iam.put-role-policy", None, "terraform-apply-1842", "Terraform"),
        ("aws-cli/2.22.10 md/command#iam.put-role-policy", None, "dana", None),
        ("AWS Internal", "ec2.amazonaws.com", "dana", None),
    ],
)
def test_deployment_attribution(user_agent: str, invoked_by: str | None, session: str, tool: str | None) -> None:
    assert actor_of(_with_agent(user_agent, invoked_by=invoked_by, session=session).detail).deployment_tool == tool


@pytest.mark.parametrize(
    ("name", "tool"),
    [
        ("iam-create-role-by-cloudformation.json", "CloudFormation"),
        ("iam-create-role-by-terraform.json", "Terraform"),
        ("iam-attach-role-policy.json", "CDK"),
        ("iam-update-assume-role-policy-untrusted-account.json", None),
    ],
)
def test_samples_carry_their_deployment_attribution(name: str, tool: str | None) -> None:
    change = classify(parse_event(raw(name)))
    assert isinstance(change, TrustChange | IdentityChange) and change.actor.deployment_tool == tool


def test_actor_describes_who_how_and_when() -> None:
    cfn = classify(parse_event(raw("iam-create-role-by-cloudformation.json")))
    user = classify(parse_event(raw("iam-update-assume-role-policy-untrusted-account.json")))
    assert isinstance(cfn, TrustChange) and isinstance(user, TrustChange)
    assert cfn.actor.describe() == (
        "AWSReservedSSO_AdministratorAccess_5e2b7c9d1a4f6e83/dana "
        f"(arn:aws:sts::{A001}:assumed-role/AWSReservedSSO_AdministratorAccess_5e2b7c9d1a4f6e83/dana) "
        "via CloudFormation at 2026-11-23T09:31:47Z"
    )
    assert user.actor.describe() == f"carol (arn:aws:iam::{A000B}:user/carol) at 2026-11-24T16:42:09Z"
    assert (user.actor.session_name, cfn.actor.session_name) == (None, "dana")


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ("trustwatch-prod-iam_trail", True),
        (f"arn:aws:lambda:us-east-1:{A001}:function:trustwatch-prod-iam_trail:live", True),
        (f"{A001}:function:trustwatch-dev-rescan", True),
        (f"arn:aws:sns:us-east-1:{A001}:trustwatch-prod-findings:0b6f3f8e-1d1c-4a52-9c1e-3c7c2a9d1e55", True),
        (f"arn:aws:events:us-east-1:{A001}:rule/trustwatch-prod-daily-event", True),
        (f"arn:aws:iam::{A001}:role/service-role/trustwatch-prod", True),
        (f"arn:aws:iam::{A001}:role/trustwatch-paths/orders-api", False),
        ("trustwatchers-ci", False),
        ("orders-trustwatch-prod", False),
        (f"arn:aws:sns:us-east-1:{A001}:orders-alerts", False),
    ],
)
def test_is_auditor_resource(resource: str, expected: bool) -> None:
    assert is_auditor_resource(resource) is expected


def test_operation_name_drops_api_version_suffixes() -> None:
    names = ["UpdateFunctionCode20150331v2", "DeleteFunction20150331", "PutRule", "CreatePolicyVersion"]
    assert [operation_name(n) for n in names] == [
        "UpdateFunctionCode",
        "DeleteFunction",
        "PutRule",
        "CreatePolicyVersion",
    ]
