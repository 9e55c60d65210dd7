"""Events a rule matched but Trustwatch cannot act on are logged with their reason and counted; malformed
envelopes are malformed events, not crashes; a finding too big for DynamoDB is stored cut (issue 9, item 5).
Every event goes through the function whose rule matches it, with Chalice's test client.
"""

from __future__ import annotations

import copy
import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from chalicelib import wiring
from chalicelib.devtools.routing import functions_for
from chalicelib.observability import logger
from tests.integration import test_handlers as handlers
from tests.integration.test_handlers import FOOBAZ, Stand, event, happened, invoke, rescan_seed_accounts

stand = handlers.stand  # the fixture
ASSUME = "sts-assume-role-untrusted-account.json"
UPDATE = "iam-update-assume-role-policy-untrusted-account.json"


def edited(name: str, **detail: Any) -> dict[str, Any]:
    raw = copy.deepcopy(event(name))
    raw["detail"].update(detail)
    return raw


def without_role_name() -> dict[str, Any]:
    raw = event(UPDATE)
    raw["detail"]["requestParameters"].pop("roleName")
    return raw


def without_role_arn() -> dict[str, Any]:
    raw = event(ASSUME)
    raw["detail"]["requestParameters"].pop("roleArn")
    return raw


def with_role_arn(value: str) -> dict[str, Any]:
    raw = event(ASSUME)
    raw["detail"]["requestParameters"]["roleArn"] = value
    return raw


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    listener = logging.StreamHandler(stream)
    listener.setFormatter(logger.registered_formatter)
    logging.getLogger(logger.service).addHandler(listener)
    try:
        yield stream
    finally:
        logging.getLogger(logger.service).removeHandler(listener)


def records(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]


IGNORED: dict[str, tuple[Callable[[], dict[str, Any]], str]] = {
    "update-with-null-request-parameters": (lambda: edited(UPDATE, requestParameters=None), "roleName"),
    "update-without-role-name": (without_role_name, "roleName"),
    "assume-role-without-role-arn": (without_role_arn, "roleArn"),
    "assume-role-whose-role-arn-is-not-an-arn": (lambda: with_role_arn("foobaz"), "not a role ARN"),
    "assume-role-whose-role-arn-is-too-short": (lambda: with_role_arn("arn:aws:iam"), "not a role ARN"),
}


@pytest.mark.parametrize("name", list(IGNORED))
def test_a_matched_event_that_changes_nothing_is_logged_with_its_reason_and_counted(
    stand: Stand, name: str, log_lines: io.StringIO, capfd: pytest.CaptureFixture[str]
) -> None:
    make, reason = IGNORED[name]
    raw = make()
    [function] = functions_for(raw)  # the rule matched it
    summary = invoke(function, raw)
    assert summary["action"] == "ignored" and reason in summary["reason"]
    [line] = [r for r in records(log_lines) if r["message"] == "event ignored"]
    assert reason in line["reason"] and line["event_id"] == raw["detail"]["eventID"]
    metrics = [json.loads(x) for x in capfd.readouterr().out.splitlines() if x.startswith('{"_aws"')]
    assert any(m.get("IgnoredEvents") == [1.0] for m in metrics)


def test_an_auditor_call_naming_its_resource_in_a_list_is_tampering(stand: Stand) -> None:
    raw = event("auditor-events-disable-rule.json")
    raw["detail"]["requestParameters"]["name"] = [raw["detail"]["requestParameters"]["name"]]
    [function] = functions_for(raw)
    assert invoke(function, raw)["changes"] == {"new": 1}
    [message] = stand.sns_messages()
    assert json.loads(message["MessageAttributes"]["rule_id"]["Value"]) == ["auditor-tampering"]


def _drop(key: str) -> dict[str, Any]:
    raw = event(UPDATE)
    raw.pop(key)
    return raw


MALFORMED: dict[str, Any] = {
    "no-version": _drop("version"),
    "no-account": _drop("account"),
    "no-region": _drop("region"),
    "no-detail": _drop("detail"),
    "no-detail-type": _drop("detail-type"),
    "no-id": _drop("id"),
    "no-time": _drop("time"),
    "no-resources": _drop("resources"),
    "no-source": _drop("source"),
    "empty": {},
    "detail-null": {**event(UPDATE), "detail": None},
    "detail-a-string": {**event(UPDATE), "detail": "x"},
    "a-list": [event(UPDATE)],
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_a_malformed_envelope_is_a_malformed_event(
    stand: Stand, name: str, log_lines: io.StringIO, capfd: pytest.CaptureFixture[str]
) -> None:
    for function in ("on_iam_change", "on_role_assumption", "on_auditor_change"):
        summary = invoke(function, MALFORMED[name])
        assert "error" in summary, summary
    assert len([r for r in records(log_lines) if r["message"] == "malformed event"]) == 3
    metrics = [json.loads(x) for x in capfd.readouterr().out.splitlines() if x.startswith('{"_aws"')]
    assert sum(m.get("MalformedEvents", [0])[0] for m in metrics) == 3


def test_a_finding_over_dynamodbs_item_limit_is_stored_and_sent_cut(stand: Stand) -> None:
    rescan_seed_accounts()
    stand.slack.reset()
    stand.sns_messages()
    # GIVEN foobaz made to trust an untrusted account under 14,000 ExternalIds (a 200 KB policy)
    raw = event(UPDATE)
    document = json.loads(raw["detail"]["requestParameters"]["policyDocument"])
    ids = [f"external-id-{i:06d}" for i in range(14_000)]
    document["Statement"][1]["Condition"] = {"StringEquals": {"sts:ExternalId": ids}}
    raw["detail"]["requestParameters"]["policyDocument"] = json.dumps(document)
    summary = invoke("on_iam_change", happened(stand, raw))
    # THEN its findings are stored and announced, cut to what DynamoDB, SNS and Slack take
    assert summary["changes"].get("new", 0) >= 1 and summary["errors"] == [], summary
    stored = wiring.current().store.open_in(scopes=[FOOBAZ])
    assert {"new-access"} <= {r.rule_id for r in stored}
    assert all(len(r.model_dump_json()) < 100_000 for r in stored)
    [message] = stand.sns_messages()
    assert len(message["Message"].encode()) < 256 * 1024
    assert [p.status for p in stand.slack.posts] == [200]
