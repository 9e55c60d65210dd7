"""Each function's granted actions against the calls its code makes (issue 9 #9): no grant unused, none missing.

GIVEN the stand of test_handlers.py (moto's HTTP server with the seed accounts, an organization with one member,
the auditor's table, topic, secret and configuration, the Slack stand-in), every function runs through
Chalice's test client over the inputs that reach each of its code paths: every sample event its rule matches,
each kind of re-scan, a flush that fails and one that delivers. Every AWS call made on the way is recorded at
botocore's one door (``BaseClient._make_api_call``), with the credentials it was signed with: the function's
own, or the audit role's in a member account.

THEN every call is allowed by the function's role as packaged and deployed (decided by the project's own
evaluator, on the call's own resource ARN), and every action the role grants is one a recorded call needed or
one the Lambda service needs for the function (its logs, traces where tracing is active, its dead-letter
queue). The audit role's calls are checked against deploy/audit-role.yaml the same way.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient  # type: ignore[import-untyped]

from chalicelib import service, wiring
from chalicelib.devtools.routing import functions_for
from chalicelib.devtools.standin import STAGE as STAND_STAGE
from chalicelib.state.dynamo import OUTBOX_PK
from chalicelib.templates.loader import load
from tests.integration.packaged import ORG_ID, REGION, Packaged
from tests.integration.test_handlers import EVENTS, FOOBAZ, SAMPLES, Stand, happened, invoke, scheduled_event, stand
from tests.integration.test_package import FUNCTIONS, actions, statements
from tests.integration.test_package_audit import AUDIT_ROLE_TEMPLATE
from tests.integration.test_package_permissions import allows

__all__ = ["stand"]  # the fixture

OWN_KEY = "testing"  # the functions' own credentials in the stand (conftest's FAKE_ENV)
MOTO_ACCOUNT = "123456789012"
NEEDS_NO_PERMISSION = {"sts:GetCallerIdentity"}  # answered whatever the policies say
LOG_WRITES = ("logs:CreateLogStream", "logs:PutLogEvents")
TRACE_UPLOADS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
VECTORS = Path(__file__).resolve().parents[2] / "tests" / "data" / "vectors" / "assume-role-vectors.json"
TRANSACTION_ITEMS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem"}
TRANSACTION_ITEMS["ConditionCheck"] = "ConditionCheckItem"


@dataclass(frozen=True)
class Call:
    """One authorization a recorded API call needed: action, resource ARN and the request's context."""

    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()
    assumed: bool = False  # signed with the audit role's credentials in a member account


def authorizations(client: Any, operation: str, params: dict[str, Any]) -> Iterator[Call]:
    """What IAM checks for one call: DynamoDB transactions and batches per item and table, the rest once."""
    service_name = client.meta.service_model.signing_name
    region, account = client.meta.region_name, MOTO_ACCOUNT
    assumed = client._request_signer._credentials.access_key != OWN_KEY
    action = f"{service_name}:{operation}"
    if action in NEEDS_NO_PERMISSION:
        return
    if service_name == "dynamodb":
        table = f"arn:aws:dynamodb:{region}:{account}:table/"
        if operation == "TransactWriteItems":
            for item in params["TransactItems"]:
                ((kind, body),) = item.items()
                yield Call(f"dynamodb:{TRANSACTION_ITEMS[kind]}", table + body["TableName"], assumed=assumed)
        elif operation == "BatchGetItem":
            yield from (Call(action, table + name, assumed=assumed) for name in params["RequestItems"])
        else:
            yield Call(action, table + params["TableName"], assumed=assumed)
    elif action == "sns:Publish":
        yield Call(action, params["TopicArn"], assumed=assumed)
    elif action == "secretsmanager:GetSecretValue":
        name = params["SecretId"]
        arn = name if name.startswith("arn:") else f"arn:aws:secretsmanager:{region}:{account}:secret:{name}-AbCdEf"
        yield Call(action, arn, assumed=assumed)
    elif action == "ssm:GetParameter":
        yield Call(action, f"arn:aws:ssm:{region}:{account}:parameter{params['Name']}", assumed=assumed)
    elif action == "sts:AssumeRole":  # the stand's member accounts are in the organization
        yield Call(action, params["RoleArn"], (("aws:ResourceOrgID", ORG_ID),), assumed=assumed)
    else:  # IAM's account-wide read, Organizations' reads: no resource-level scoping
        yield Call(action, "*", assumed=assumed)


class Recorder:
    """Every AWS call of the process, by the function running when it was made."""

    def __init__(self) -> None:
        self.function = ""
        self.calls: dict[str, set[Call]] = defaultdict(set)
        self.operations: dict[str, set[str]] = defaultdict(set)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        original = BaseClient._make_api_call

        def recorded(client: Any, operation: str, params: dict[str, Any]) -> Any:
            if self.function:
                self.operations[self.function].add(f"{client.meta.service_model.service_name}:{operation}")
                self.calls[self.function].update(authorizations(client, operation, params))
            return original(client, operation, params)

        monkeypatch.setattr(BaseClient, "_make_api_call", recorded)

    def run(self, function: str, payload: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
        """``function`` on ``payload`` in a container of its own, as a separate Lambda function runs."""
        monkeypatch.setattr(wiring, "_current", None)
        monkeypatch.setattr(service, "_seen_locally", {})
        self.function = function
        try:
            return invoke(function, payload)
        finally:
            self.function = ""


def exercise(stand: Stand, recorder: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every function over the inputs that reach its code paths (see the module's docstring)."""
    organizations = stand.session.client("organizations", endpoint_url=stand.endpoint)
    organizations.create_organization(FeatureSet="ALL")
    organizations.create_account(AccountName="member", Email="member@example.com")
    recorder.run("scheduled_rescan", scheduled_event(), monkeypatch)  # the first scan: everything is new
    for payload in ({"account_id": MOTO_ACCOUNT}, {"account_id": "111111111111"}, {"account_id": "222222222222"}):
        assert recorder.run("rescan", payload, monkeypatch)["errors"] == []
    recorder.run("rescan", {"role_arn": FOOBAZ}, monkeypatch)
    recorder.run("rescan", {"organization": True}, monkeypatch)
    # Slack down and SNS unreachable: the alerts of the events wait in the outbox
    stand.slack.fail_next(500, times=10_000, retry_after=0)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SNS", "http://127.0.0.1:9")  # the discard port: connection refused
    for sample in [*(json.loads(path.read_text()) for path in SAMPLES), cross_account_assumption()]:
        raw = happened(stand, sample)
        for function in functions_for(raw):
            recorder.run(function, raw, monkeypatch)
    make_the_outbox_due(stand)
    recorder.run("flush_outbox", scheduled_event(), monkeypatch)  # both still down: the entries fail again
    monkeypatch.delenv("AWS_ENDPOINT_URL_SNS")
    stand.slack.reset()
    make_the_outbox_due(stand)
    summary = recorder.run("flush_outbox", scheduled_event(), monkeypatch)  # and now they are delivered
    assert summary["delivery"]["slack"]["delivered"] and summary["delivery"]["sns"]["delivered"], summary
    recorder.run("can_assume", json.loads(VECTORS.read_text())[:3], monkeypatch)


def cross_account_assumption() -> dict[str, Any]:
    """A role of a trusted member account assuming one in another: the assumption is checked against both."""
    raw: dict[str, Any] = json.loads((EVENTS / "sts-assume-role-same-account.json").read_text())
    caller, role = "111111111111", FOOBAZ
    raw |= {"id": "00000000-0000-4000-8000-00000000c0a1", "account": role.split(":")[4]}
    detail = raw["detail"]
    detail["eventID"], detail["recipientAccountId"] = "00000000-0000-4000-8000-00000000c0a2", raw["account"]
    identity = detail["userIdentity"]
    identity |= {"arn": f"arn:aws:sts::{caller}:assumed-role/foobar/s", "accountId": caller}
    identity["sessionContext"]["sessionIssuer"] |= {
        "arn": f"arn:aws:iam::{caller}:role/foobar",
        "accountId": caller,
        "userName": "foobar",
    }
    detail["requestParameters"]["roleArn"] = role
    detail["resources"] = [{"accountId": raw["account"], "type": "AWS::IAM::Role", "ARN": role}]
    return raw


def make_the_outbox_due(stand: Stand) -> None:
    table = stand.session.resource("dynamodb", endpoint_url=stand.endpoint).Table(stand.resources.table)
    due = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    items = table.query(KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": OUTBOX_PK})["Items"]
    for item in (i for i in items if "next_attempt_at" in i):  # deliveries; owed changes wait for their record
        table.update_item(
            Key={"pk": item["pk"], "sk": item["sk"]},
            UpdateExpression="SET next_attempt_at = :due",
            ExpressionAttributeValues={":due": due},
        )


def on_stage(call: Call, stage: str) -> Call:
    """A call the stand's stack (trustwatch-dev) made, as stack trustwatch-<stage> makes it."""
    resource = call.resource.replace(f"trustwatch-{STAND_STAGE}-", f"trustwatch-{stage}-")
    return replace(call, resource=resource.replace(f"trustwatch/{STAND_STAGE}/", f"trustwatch/{stage}/"))


def lambda_service_needs(packaged: Packaged, function: str) -> set[Call]:
    """What Lambda does with the function's role, from the packaged template: logs, traces, dead letters."""
    properties = packaged.resources[function]["Properties"]
    group = f"arn:aws:logs:{REGION}:{MOTO_ACCOUNT}:log-group:/aws/lambda/{packaged.stack}-{FUNCTIONS[function]}"
    needs = {Call(action, f"{group}:log-stream:2026/12/03/[$LATEST]0") for action in LOG_WRITES}
    if f"{function}LogGroup" not in packaged.resources:  # then Lambda creates it on the first invocation
        needs.add(Call("logs:CreateLogGroup", group))
    if properties.get("Tracing") == "Active":
        needs |= {Call(action, "*") for action in TRACE_UPLOADS}
    if "DeadLetterQueue" in properties:
        needs.add(Call("sqs:SendMessage", f"arn:aws:sqs:{REGION}:{MOTO_ACCOUNT}:{packaged.stack}-dead-letters"))
    return needs


def role_documents(packaged: Packaged, function: str) -> list[dict[str, Any]]:
    """The function role's policies as deployed: its own, and each policy resource attached to it."""
    deployed = packaged.deployed(account=MOTO_ACCOUNT)["Resources"]
    role = f"{function}Role"
    documents = [p["PolicyDocument"] for p in deployed[role]["Properties"].get("Policies", [])]
    attached = [
        r["Properties"]["PolicyDocument"]
        for r in deployed.values()
        if r["Type"] == "AWS::IAM::Policy" and {"Ref": role} in r["Properties"]["Roles"]
    ]
    return documents + attached


def granted(documents: list[dict[str, Any]]) -> set[str]:
    return {a for document in documents for statement in statements(document) for a in actions(statement)}


def allowed(documents: list[dict[str, Any]], call: Call) -> bool:
    return any(allows(document, call.action, call.resource, dict(call.context)) for document in documents)


_RECORDED: list[Recorder] = []  # the functions are exercised once; both stages' roles are compared with it


def recorded(stand: Stand, monkeypatch: pytest.MonkeyPatch) -> Recorder:
    if not _RECORDED:
        recorder = Recorder()
        recorder.install(monkeypatch)
        exercise(stand, recorder, monkeypatch)
        _RECORDED.append(recorder)
    return _RECORDED[0]


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_function_is_granted_exactly_what_its_code_and_lambda_use(
    packaged: Packaged, stand: Stand, monkeypatch: pytest.MonkeyPatch, function: str
) -> None:
    # GIVEN the calls the function's code made with its own credentials, and what Lambda does with its role
    recorder = recorded(stand, monkeypatch)
    calls = {on_stage(call, packaged.stage) for call in recorder.calls[FUNCTIONS[function]] if not call.assumed}
    needed = calls | lambda_service_needs(packaged, function)
    documents = role_documents(packaged, function)
    # THEN the role allows each of them, on its resource
    missing = sorted((c.action, c.resource) for c in needed if not allowed(documents, c))
    assert missing == [], f"{function} lacks grants; its calls: {sorted(recorder.operations[FUNCTIONS[function]])}"
    # AND it grants no action that none of them needed
    assert granted(documents) - {c.action for c in needed} == set(), f"{function} holds unused grants"


def test_the_audit_role_grants_exactly_what_the_functions_read_in_member_accounts(
    stand: Stand, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = recorded(stand, monkeypatch)
    calls = {call for function_calls in recorder.calls.values() for call in function_calls if call.assumed}
    role = load(AUDIT_ROLE_TEMPLATE, "deploy/audit-role.yaml")["Resources"]["TrustwatchAuditRole"]["Properties"]
    documents = [policy["PolicyDocument"] for policy in role["Policies"]]
    assert calls, "no member account was read"
    assert sorted((c.action, c.resource) for c in calls if not allowed(documents, c)) == []
    assert granted(documents) == {c.action for c in calls}
