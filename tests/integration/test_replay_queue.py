"""``trustwatch replay --from-queue URL``: the dead-letter queue drained into the stage, against moto's server.

Same stand as test_handlers.py (seed accounts, the auditor's table, topic and Slack secret, SNS→SQS, the Slack
stand-in). The queue holds what Lambda and EventBridge put there: the original event as the body, with their
failure attributes (docs/deployment.md, Dead letters).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib import wiring
from chalicelib.cli import main
from tests.integration import test_handlers as handlers
from tests.integration.test_flush import slack_delivered
from tests.integration.test_handlers import Stand, event, happened, rescan_seed_accounts, scheduled_event

stand = handlers.stand  # the fixture
FLUSH_RULE = "arn:aws:events:us-east-1:123456789012:rule/trustwatch-dev-flush_outbox-event"


def dead_letter_queue(stand: Stand) -> tuple[Any, str]:
    sqs = stand.session.client("sqs", endpoint_url=stand.endpoint)
    return sqs, sqs.create_queue(QueueName="trustwatch-dev-dead-letters")["QueueUrl"]


def lambda_dead_letter(sqs: Any, url: str, body: str) -> str:
    """What Lambda sends after the last retry: the event untouched, and why it failed as attributes."""
    attributes = {
        "RequestID": {"DataType": "String", "StringValue": "8f5e1a2c-0000-4000-8000-000000000000"},
        "ErrorCode": {"DataType": "Number", "StringValue": "200"},
        "ErrorMessage": {"DataType": "String", "StringValue": "Task timed out after 60.06 seconds"},
    }
    message_id: str = sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes=attributes)["MessageId"]
    return message_id


def eventbridge_dead_letter(sqs: Any, url: str, body: str, rule: str) -> str:
    """What an EventBridge rule target sends when it could not invoke its function."""
    attributes = {
        "RULE_ARN": {"DataType": "String", "StringValue": rule},
        "TARGET_ARN": {"DataType": "String", "StringValue": "arn:aws:lambda:us-east-1:123456789012:function:x"},
        "ERROR_CODE": {"DataType": "String", "StringValue": "NO_PERMISSIONS"},
        "ERROR_MESSAGE": {"DataType": "String", "StringValue": "EventBridge could not invoke the function"},
    }
    message_id: str = sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes=attributes)["MessageId"]
    return message_id


def queued(sqs: Any, url: str) -> list[str]:
    """The ids of the messages visible in the queue now (each received once, with no visibility change)."""
    found: dict[str, str] = {}
    for _ in range(5):
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, WaitTimeSeconds=0)
        found |= {m["MessageId"]: m["Body"] for m in answer.get("Messages", [])}
    return sorted(found)


def test_dead_letters_are_replayed_into_the_stage_and_the_bad_ones_stay(
    stand: Stand, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rescan_seed_accounts()
    stand.slack.reset()
    stand.sns_messages()
    # GIVEN on_iam_change failed for good on a trust change (Lambda put the event in the dead-letter queue),
    # EventBridge could not run a flush, and two messages no function could ever handle
    sqs, url = dead_letter_queue(stand)
    trust_change = happened(stand, event("iam-update-assume-role-policy-untrusted-account.json"))
    lambda_dead_letter(sqs, url, json.dumps(trust_change))
    flush = scheduled_event() | {"resources": [FLUSH_RULE]}
    eventbridge_dead_letter(sqs, url, json.dumps(flush), FLUSH_RULE)
    not_json = lambda_dead_letter(sqs, url, "{truncated")
    not_an_event = lambda_dead_letter(sqs, url, json.dumps({"detail": "nothing"}))
    monkeypatch.setattr(wiring, "_current", None)
    capsys.readouterr()
    # WHEN the operator replays the queue
    code = main(["replay", "--from-queue", url])
    out, err = capsys.readouterr()
    # THEN the trust change went through the function's path: its alert reached Slack and SNS, once
    [text] = slack_delivered(stand)
    assert "999988887777" in text
    [alert] = stand.sns_messages()
    assert "untrusted-account" in alert["MessageAttributes"]["rule_id"]["Value"]
    # AND the two handled messages were deleted, the two others left, visible, each with one line naming it
    assert queued(sqs, url) == sorted([not_json, not_an_event])
    lines = err.splitlines()
    assert len(lines) == 2 and all(line.startswith(f"trustwatch: {url} message ") for line in lines)
    assert any(not_json in line and "not JSON" in line and "Task timed out" in line for line in lines)
    assert any(not_an_event in line and "not an event" in line for line in lines)
    assert "2 replayed and deleted, 2 left in the queue" in out
    assert "flush outbox" in out
    # AND the exit code says something was left
    assert code == 2


def test_an_empty_queue_or_a_drained_one_exits_0(
    stand: Stand, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sqs, url = dead_letter_queue(stand)
    eventbridge_dead_letter(sqs, url, json.dumps(scheduled_event() | {"resources": [FLUSH_RULE]}), FLUSH_RULE)
    monkeypatch.setattr(wiring, "_current", None)
    assert main(["replay", "--from-queue", url]) == 0
    assert queued(sqs, url) == []
    assert main(["replay", "--from-queue", url]) == 0
    assert "0 replayed and deleted, 0 left in the queue" in capsys.readouterr().out


def test_a_scheduled_event_of_another_rule_stays(stand: Stand, capsys: pytest.CaptureFixture[str]) -> None:
    sqs, url = dead_letter_queue(stand)
    other = "arn:aws:events:us-east-1:123456789012:rule/someone-elses-nightly"
    eventbridge_dead_letter(sqs, url, json.dumps(scheduled_event() | {"resources": [other]}), other)
    assert main(["replay", "--from-queue", url]) == 2
    assert "no Trustwatch schedule" in capsys.readouterr().err and len(queued(sqs, url)) == 1


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        pytest.param(["--from-queue", "URL", "events/x.json"], "give no EVENT_FILE", id="queue-and-files"),
        pytest.param([], "EVENT_FILE... (offline", id="neither"),
    ],
)
def test_replay_usage_errors(argv: list[str], says: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", *argv]) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1


def test_from_queue_without_the_stage_environment_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TRUSTWATCH_TABLE", raising=False)
    assert main(["replay", "--from-queue", "https://sqs.us-east-1.amazonaws.com/123456789012/q"]) == 2
    err = capsys.readouterr().err
    assert "TRUSTWATCH_TABLE" in err and err.count("\n") == 1
