"""`flush_outbox`, the 10-minute schedule that retries queued notifications, through Chalice's test client.

Same stand as test_handlers.py: moto's HTTP server with the seed accounts and the auditor's resources, the
Slack stand-in and SNS→SQS. The flush runs in a container of its own, as a separate Lambda function does.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib import wiring
from chalicelib.auditor import auditor as auditor_module
from chalicelib.notify.base import RETRY_FIRST
from tests.integration import test_handlers as handlers
from tests.integration.test_handlers import Stand, event, happened, invoke, rescan_seed_accounts

stand = handlers.stand  # the fixture
POLICY = Path(__file__).resolve().parents[2] / ".chalice" / "policy-flush_outbox.json"
EVERY = dt.timedelta(minutes=10)  # the schedule in app.py


def flush_outbox() -> dict[str, Any]:
    """One scheduled run of flush_outbox, with the event EventBridge sends."""
    with Client(app, stage_name="dev") as client:
        scheduled = client.events.generate_cw_event("aws.events", "Scheduled Event", {}, [])
        scheduled["version"] = "0"  # Chalice generates int 0; EventBridge sends "0"
        summary: dict[str, Any] = client.lambda_.invoke("flush_outbox", scheduled).payload
    return summary


def slack_delivered(stand: Stand) -> list[str]:
    return [json.dumps(p.body, sort_keys=True) for p in stand.slack.posts if p.status == 200]


def policy_actions() -> set[str]:
    document = json.loads(POLICY.read_text())
    return {action for statement in document["Statement"] for action in statement["Action"]}


def test_flush_outbox_delivers_what_a_slack_outage_queued(stand: Stand, monkeypatch: pytest.MonkeyPatch) -> None:
    rescan_seed_accounts()
    stand.slack.reset()
    stand.sns_messages()
    # GIVEN Slack down (500, Retry-After 0 keeps the retries fast) while on_iam_change reports new findings
    stand.slack.fail_next(500, times=50, retry_after=0)
    summary = invoke("on_iam_change", happened(stand, event("iam-update-assume-role-policy-untrusted-account.json")))
    new = summary["changes"]["new"]
    assert new >= 2 and slack_delivered(stand) == []
    assert len(stand.sns_messages()) == 1  # SNS took its message at once
    # AND Slack back, with no other invocation coming
    stand.slack.reset()

    # GIVEN flush_outbox's own container (a fresh wiring) that records every AWS call it makes, reads no account,
    # and runs at the times the schedule fires
    monkeypatch.setattr(wiring, "_current", None)
    container = wiring.current()
    calls: list[tuple[str, dict[str, Any]]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:  # params: the serialized request
        action = f"{model.service_model.signing_name}:{model.name}"
        calls.append((action, json.loads(params["body"]) if action.startswith("dynamodb:") else {}))

    container.session.events.register("before-call", record)  # before any client exists: all of them see it

    def no_account_reads(*_: Any) -> Any:
        raise AssertionError("flush_outbox must read no account: its role holds no IAM read")

    now = dt.datetime.now(dt.UTC)
    clock = [now]
    monkeypatch.setattr(container.auditor, "clock", lambda: clock[0])
    monkeypatch.setattr(container.auditor, "load", no_account_reads)
    monkeypatch.setattr(container.auditor, "load_recent", no_account_reads)

    # WHEN it runs at once
    first = flush_outbox()
    # THEN the message whose attempt failed waits for its backoff
    assert wiring.current() is container  # the handler ran in the container set up above
    assert first["action"] == "flush outbox" and first["errors"] == [] and first["changes"] == {}
    assert first["delivery"]["slack"]["delivered"] == [] and slack_delivered(stand) == []
    assert len(container.store.pending(channel="slack")) == 1

    # WHEN it runs again, on the next tick of its schedule (well past the 1-minute backoff)
    assert EVERY > RETRY_FIRST
    clock[0] = now + EVERY
    second = flush_outbox()
    # THEN the message goes out: it lists every new finding, reached Slack exactly once, and the outbox is empty
    assert [d["retry"] for d in second["delivery"]["slack"]["delivered"]] == [True] * new
    assert second["delivery"]["slack"]["messages"] == 1
    assert len(slack_delivered(stand)) == 1
    assert container.store.pending() == []
    # AND nothing went to SNS again (it had taken its message the first time)
    assert stand.sns_messages() == []

    # AND every AWS call it made is one its role allows, and the table calls stayed in the outbox partition
    made = {action for action, _ in calls}
    assert made >= {"dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "ssm:GetParameter"}
    assert "secretsmanager:GetSecretValue" in made  # the webhook URL, read by this container itself
    assert made <= policy_actions(), made - policy_actions()
    for action, body in calls:
        if action.startswith("dynamodb:"):
            key = body.get("Key") or {"pk": body["ExpressionAttributeValues"][":pk"]}
            assert key["pk"] == {"S": "OUTBOX"}, (action, body)


def test_flush_outbox_with_nothing_queued_sends_nothing(stand: Stand) -> None:
    summary = flush_outbox()
    assert summary["action"] == "flush outbox" and summary["errors"] == []
    nothing = {"delivered": [], "queued": [], "below_threshold": 0, "messages": 0, "parked": 0}
    assert all(c == nothing for c in summary["delivery"].values())
    assert stand.slack.posts == [] and stand.sns_messages() == []


class Killed(BaseException):
    """A Lambda timeout, seen from inside: the invocation stops where it is; no handler of ours runs."""


def test_an_invocation_killed_after_recording_its_findings_still_gets_them_announced(
    stand: Stand, monkeypatch: pytest.MonkeyPatch
) -> None:
    rescan_seed_accounts()
    stand.slack.reset()
    stand.sns_messages()

    # GIVEN on_iam_change killed after it recorded the new findings, before it queued their messages
    def killed(*_: Any, **__: Any) -> Any:
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr(auditor_module, "deliver", killed)
        with pytest.raises(Killed):
            invoke("on_iam_change", happened(stand, event("iam-update-assume-role-policy-untrusted-account.json")))
    assert any(r.is_open for r in wiring.current().store.open_in(None, None))
    assert slack_delivered(stand) == [] and stand.sns_messages() == []
    # WHEN flush_outbox runs in its own container once the killed invocation's time is surely over
    monkeypatch.setattr(wiring, "_current", None)
    container = wiring.current()
    calls: list[tuple[str, dict[str, Any]]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        action = f"{model.service_model.signing_name}:{model.name}"
        calls.append((action, json.loads(params["body"]) if action.startswith("dynamodb:") else {}))

    container.session.events.register("before-call", record)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=21)
    monkeypatch.setattr(container.auditor, "clock", lambda: later)
    flushed = flush_outbox()
    # AND adopting it took only what flush_outbox's role holds, all in the outbox partition (a transaction is
    # authorised per item: its Update and Delete items need UpdateItem and DeleteItem, no PutItem)
    made = {action for action, _ in calls}
    assert "dynamodb:TransactWriteItems" in made
    items = [
        item for action, body in calls if action == "dynamodb:TransactWriteItems" for item in body["TransactItems"]
    ]
    assert {kind for item in items for kind in item} == {"Update", "Delete"}
    assert all(item[kind]["Key"]["pk"] == {"S": "OUTBOX"} for item in items for kind in item)
    assert made - {"dynamodb:TransactWriteItems"} <= policy_actions(), made - policy_actions()
    # THEN the alert the killed invocation owed reaches Slack and SNS, once, naming the untrusted account
    [text] = slack_delivered(stand)
    assert "999988887777" in text
    [message] = stand.sns_messages()
    assert "untrusted-account" in message["MessageAttributes"]["rule_id"]["Value"]
    assert flushed["delivery"]["slack"]["messages"] == 1
    assert flush_outbox()["delivery"]["slack"]["messages"] == 0 and len(slack_delivered(stand)) == 1
