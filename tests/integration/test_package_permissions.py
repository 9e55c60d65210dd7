"""The packaged functions' own permissions (issue 9 #9): each role reaches only its own stage's resources, its
ARNs carry no hard-coded partition, region or account, the audit role is assumed only in the organization, and a
stage holds no statement it does not need. Requests are decided by the project's own evaluator over the
policies as deployed (tests/integration/packaged.py).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from chalicelib.iam.context import RequestContext
from chalicelib.iam.policy import parse_policy
from chalicelib.iam.statements import StatementHit, check_policy
from chalicelib.notify.base import CLAIM_LEASE
from chalicelib.state.dynamo import OUTBOX_PK
from deploy.stage import CREATE_LOG_GROUP, TRACE_SEGMENTS
from tests.integration.packaged import ACCOUNT, ORG_ID, Packaged
from tests.integration.test_package import (
    AUDITING,
    CHALICE_DIR,
    DEPLOY,
    FUNCTIONS,
    NOTIFYING,
    READING_ACCOUNTS,
    actions,
    load_yaml,
    policy_file,
    role_policies,
    statements,
)

OTHER_STAGE = {"dev": "prod", "prod": "dev"}
MEMBER_ROLE = "arn:aws:iam::444455556666:role/TrustwatchAudit"


def allows(document: dict[str, Any], action: str, resource: str, context: dict[str, Any] | None = None) -> bool:
    """What IAM decides for this identity policy alone: an Allow statement applies and no Deny does."""
    policy = parse_policy(document)
    request = RequestContext(context or {})

    def hits(effect: str) -> bool:
        found = check_policy("policy", policy, effect=effect, action=action, context=request, resource=resource)
        return any(isinstance(result, StatementHit) for result in found)

    return hits("Allow") and not hits("Deny")


def sids(document: dict[str, Any]) -> list[str]:
    return [statement.get("Sid", "") for statement in statements(document)]


def test_no_lambda_role_holds_a_wildcard_action(packaged: Packaged) -> None:
    roles = {name for name, r in packaged.resources.items() if r["Type"] == "AWS::IAM::Role"}
    assert roles == {f"{function}Role" for function in FUNCTIONS}
    for name in roles:
        assert "ManagedPolicyArns" not in packaged.resources[name]["Properties"], name
    checked = 0
    for name, document in role_policies(packaged):
        for statement in statements(document):
            assert "NotAction" not in statement, name
            wild = [action for action in actions(statement) if "*" in action]
            assert wild == [], f"{name} {statement.get('Sid')}: {wild}"
            checked += 1
    assert checked >= len(roles)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_function_has_its_own_policy_file_without_wildcard_actions(function: str) -> None:
    config = json.loads((CHALICE_DIR / "config.json").read_text())
    assert config["autogen_policy"] is False
    assert config["lambda_functions"][FUNCTIONS[function]]["iam_policy_file"] == f"policy-{FUNCTIONS[function]}.json"
    for statement in statements(policy_file(function)):
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement and "NotResource" not in statement
        assert [a for a in actions(statement) if "*" in a] == []


def test_each_stage_keeps_only_the_statements_it_needs(packaged: Packaged) -> None:
    # GIVEN each function's policy file and its role as packaged for the stage
    for function in FUNCTIONS:
        (document,) = [doc for name, doc in role_policies(packaged) if name == f"{function}Role"]
        written = policy_file(function)
        # THEN prod, whose template creates every log group (90-day retention), never creates one itself;
        # dev, without X-Ray, uploads no trace segments: each role is its file less what the stage does without
        dropped = {CREATE_LOG_GROUP} if packaged.stage == "prod" else {TRACE_SEGMENTS}
        expected = [s for s in statements(written) if s.get("Sid") not in dropped]
        assert statements(document) == expected, function
        assert CREATE_LOG_GROUP in sids(written) and (TRACE_SEGMENTS in sids(written)) is (function != "CanAssume")
        traced = packaged.resources[function]["Properties"].get("Tracing") == "Active"
        assert (TRACE_SEGMENTS in sids(document)) is traced, function


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_function_writes_only_its_own_logs(packaged: Packaged, function: str) -> None:
    document = packaged.deployed_policy(f"{function}Role")
    for other, name in FUNCTIONS.items():
        for stage in (packaged.stage, OTHER_STAGE[packaged.stage]):
            group = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/trustwatch-{stage}-{name}"
            stream = f"{group}:log-stream:2025/01/01/[$LATEST]abc"
            own = other == function and stage == packaged.stage
            assert allows(document, "logs:PutLogEvents", stream) is own, (function, other, stage)
            assert allows(document, "logs:CreateLogStream", stream) is own, (function, other, stage)
            # the log group: created by the prod template, by Lambda itself in dev
            creates = own and packaged.stage == "dev"
            assert allows(document, "logs:CreateLogGroup", group) is creates, (function, other, stage)
    assert not allows(document, "logs:PutLogEvents", f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/lambda/x")


@pytest.mark.parametrize("function", FUNCTIONS)
def test_policies_reach_the_resources_each_function_uses_in_its_own_stage_only(
    packaged: Packaged, function: str
) -> None:
    # GIVEN the function's role as deployed in stack trustwatch-<stage>, and the same names in the other stage
    document = packaged.deployed_policy(f"{function}Role")
    audits, notifies = function in AUDITING, function in NOTIFYING
    for stage in (packaged.stage, OTHER_STAGE[packaged.stage]):
        own = stage == packaged.stage
        table, topic = packaged.table_arn(stage), packaged.topic_arn(stage)
        secret = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:trustwatch/{stage}/slack-webhook-AbCdEf"
        parameter = f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/trustwatch/{stage}/config"
        # THEN the auditing functions reach their stage's table, flush_outbox only the outbox's calls, and no
        # function the other stage's table, topic, Slack secret or configuration
        for action in ("dynamodb:GetItem", "dynamodb:PutItem"):
            assert allows(document, action, table) is (audits and own), (action, stage)
        # batch reads: of a role's open findings and the trust history, never for one assumption or auditor event
        batch_reads = audits and function not in ("OnRoleAssumption", "OnAuditorChange")
        assert allows(document, "dynamodb:BatchGetItem", table) is (batch_reads and own), stage
        for action in ("dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:DeleteItem"):  # what the outbox calls
            assert allows(document, action, table) is (notifies and own), (action, stage)
        assert allows(document, "sns:Publish", topic) is (notifies and own), stage
        assert allows(document, "secretsmanager:GetSecretValue", secret) is (notifies and own), stage
        assert allows(document, "ssm:GetParameter", parameter) is (notifies and own), stage
    table = packaged.table_arn()
    for action in ("dynamodb:Scan", "dynamodb:ConditionCheckItem", "dynamodb:TransactWriteItems"):  # no caller
        assert not allows(document, action, table), action
    assert not allows(document, "dynamodb:Query", f"{table}/index/any")
    assert not allows(document, "dynamodb:Query", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/other")
    assert not allows(document, "sns:Publish", f"arn:aws:sns:us-east-1:{ACCOUNT}:other")
    assert not allows(document, "secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:x")
    assert allows(document, "iam:GetAccountAuthorizationDetails", "*") is (function in READING_ACCOUNTS)
    assert not allows(document, "iam:GetRole", "*") and not allows(document, "iam:ListRoles", "*")
    assert not allows(document, "sts:GetCallerIdentity", "*")  # AWS needs no permission for it
    assert allows(document, "organizations:ListAccounts", "*") is (function in ("Rescan", "ScheduledRescan"))


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_audit_role_is_assumed_only_in_the_organization(packaged: Packaged, function: str) -> None:
    # GIVEN the role as deployed with OrganizationId=o-…, and as deployed without an organization
    document = packaged.deployed_policy(f"{function}Role")
    alone = packaged.deployed_policy(f"{function}Role", organization_id="")
    in_org, elsewhere = {"aws:ResourceOrgID": ORG_ID}, {"aws:ResourceOrgID": "o-zzzzzzzzzz"}
    reads = function in READING_ACCOUNTS
    # THEN the account readers assume TrustwatchAudit in the organization's accounts only, nothing else anywhere
    assert allows(document, "sts:AssumeRole", MEMBER_ROLE, in_org) is reads
    assert not allows(document, "sts:AssumeRole", MEMBER_ROLE, elsewhere)
    assert not allows(document, "sts:AssumeRole", MEMBER_ROLE)  # an account in no organization
    assert not allows(document, "sts:AssumeRole", "arn:aws:iam::444455556666:role/Admin", in_org)
    # AND with no organization configured (the condition then names no organization), no other account at all
    assert not allows(alone, "sts:AssumeRole", MEMBER_ROLE, in_org)
    assert not allows(alone, "sts:AssumeRole", MEMBER_ROLE)


def test_arns_name_partition_region_and_account_through_pseudo_parameters(packaged: Packaged) -> None:
    # GIVEN every resource of every function policy, as packaged
    resources = [
        value
        for _, document in role_policies(packaged)
        for statement in statements(document)
        for value in (statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]])
    ]
    subs = [value["Fn::Sub"] for value in resources if isinstance(value, dict) and "Fn::Sub" in value]
    # THEN each is "*" (what cannot be scoped), a resource of the stack or an ARN through ${AWS::Partition}
    assert [value for value in resources if isinstance(value, str) and value != "*"] == []
    assert subs and all(arn.startswith("arn:${AWS::Partition}:") for arn in subs)
    # AND the only ARN with another account (no region: IAM) is the audit role, under the organization condition
    own = [arn for arn in subs if ":${AWS::Region}:${AWS::AccountId}:" in arn]
    assert sorted(set(subs) - set(own)) == ["arn:${AWS::Partition}:iam::*:role/TrustwatchAudit"]
    assert all("trustwatch-*" not in arn and "trustwatch/*" not in arn for arn in subs)


def test_the_outbox_flusher_publishes_and_uses_the_outbox_but_reads_no_account(packaged: Packaged) -> None:
    # GIVEN flush_outbox's role as deployed: it only retries queued notifications
    document = packaged.deployed_policy("FlushOutboxRole")
    granted = {action for statement in statements(document) for action in actions(statement)}
    table = packaged.table_arn()
    # THEN it can publish, and make the outbox's item calls on the state table
    assert allows(document, "sns:Publish", packaged.topic_arn())
    for action in ("dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:DeleteItem"):
        assert allows(document, action, table), action
    # AND only in the outbox's partition, not on the finding records (a key the evaluator does not model: read)
    (table_statement,) = [s for s in statements(document) if any(a.startswith("dynamodb:") for a in actions(s))]
    assert table_statement["Condition"] == {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [OUTBOX_PK]}}
    # AND it holds no IAM read, no STS call and no Organizations call
    assert [a for a in granted if a.startswith(("iam:", "sts:", "organizations:"))] == []
    # AND nothing beyond its logs, traces (prod), the outbox, the topic, the Slack secret and the configuration
    stage_only = (
        {"logs:CreateLogGroup"} if packaged.stage == "dev" else {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
    )
    assert granted == stage_only | {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "sns:Publish",
        "secretsmanager:GetSecretValue",
        "ssm:GetParameter",
    }
    # AND it finishes well within its schedule and the outbox's claim lease (which must outlive a retrier)
    function = packaged.resources["FlushOutbox"]["Properties"]
    assert dt.timedelta(seconds=function["Timeout"]) < min(CLAIM_LEASE, dt.timedelta(minutes=10))


def test_the_audit_role_trusts_exactly_the_account_readers_of_one_stack(packaged: Packaged) -> None:
    # GIVEN the audit role's trust and the role names the merge gives the Lambda roles
    role = load_yaml(DEPLOY / "audit-role.yaml")["Resources"]["TrustwatchAuditRole"]["Properties"]
    assert role["RoleName"] == packaged.env("Rescan")["TRUSTWATCH_AUDIT_ROLE_NAME"] == "TrustwatchAudit"
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    principals = statement["Condition"]["ArnEquals"]["aws:PrincipalArn"]
    # THEN it names the exact roles of the functions that read accounts, through the stack's name, and at most
    # one more exact role ARN (OperatorRoleArn): no pattern, no other function
    named = [arn["Fn::Sub"] for arn in principals if "Fn::Sub" in arn]
    own = "arn:${AWS::Partition}:iam::${AuditorAccountId}:role/${AuditorStackName}"
    assert named == [f"{own}-{FUNCTIONS[function]}" for function in READING_ACCOUNTS]
    assert principals[len(named) :] == [
        {"Fn::If": ["HasOperatorRole", {"Ref": "OperatorRoleArn"}, {"Ref": "AWS::NoValue"}]}
    ]
    assert "ArnLike" not in statement["Condition"] and all("*" not in arn for arn in named)
    for function, name in FUNCTIONS.items():
        role_name = packaged.resources[f"{function}Role"]["Properties"]["RoleName"]
        assert role_name == {"Fn::Sub": f"${{AWS::StackName}}-{name}"}


def test_the_audit_role_reads_what_the_lambdas_read_in_their_own_account() -> None:
    role = load_yaml(DEPLOY / "audit-role.yaml")["Resources"]["TrustwatchAuditRole"]["Properties"]
    granted = {a for policy in role["Policies"] for s in statements(policy["PolicyDocument"]) for a in actions(s)}
    lambda_reads = {a for s in statements(policy_file("Rescan")) for a in actions(s) if a.startswith("iam:")}
    assert granted == lambda_reads
    assert all(a.startswith(("iam:Get", "iam:List")) for a in granted)
