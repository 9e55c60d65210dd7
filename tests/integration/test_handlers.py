"""The Lambda handlers through Chalice's test client, against moto's HTTP server, a Slack stand-in and SNS→SQS.

GIVEN the seed accounts built in the stand-in through boto3 (123456789012 is the auditor's own account,
111111111111 and 222222222222 are reached through their audit roles) and the auditor's resources provisioned
as the deployment template would, every sample event goes through the function whose rule matches it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from chalice.test import Client

from app import app
from chalicelib import service, wiring
from chalicelib.devtools.routing import functions_for
from chalicelib.devtools.seed import seed_from_snapshots
from chalicelib.devtools.slack_standin import SlackStandIn
from chalicelib.devtools.standin import Provisioned, apply_trust_change, provision, read_queue
from chalicelib.events.changes import classify
from chalicelib.events.models import parse_event
from chalicelib.notify.base import deliver
from tests.conftest import SNAPSHOTS

EVENTS = Path(__file__).resolve().parents[2] / "events"
SAMPLES = sorted(EVENTS.glob("*.json"))
SEED_FILES = [*(SNAPSHOTS / "seed-001").glob("*.json"), *(SNAPSHOTS / "seed-000-granted").glob("*.json")]
CONFIG = {"trusted_accounts": {"123456789012": "auditor", "111111111111": "a", "222222222222": "b"}}
FOOBAZ = "arn:aws:iam::222222222222:role/foobaz"
SEVERITY_RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


class Stand:
    def __init__(self, endpoint: str, session: Any, resources: Provisioned, slack: SlackStandIn) -> None:
        self.endpoint, self.session, self.resources, self.slack = endpoint, session, resources, slack

    def sns_messages(self) -> list[dict[str, Any]]:
        return read_queue(self.session, self.resources.queue_url, endpoint_url=self.endpoint)


@pytest.fixture
def stand(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stand]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    session = boto3.session.Session(region_name="us-east-1")
    seed_from_snapshots(session, SEED_FILES, endpoint_url=moto_endpoint)
    with SlackStandIn() as slack:
        resources = provision(session, endpoint_url=moto_endpoint, slack_url=slack.url, config=CONFIG)
        for name, value in resources.environment().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(wiring, "_current", None)  # a fresh container for each test
        monkeypatch.setattr(service, "_seen_locally", {})
        yield Stand(moto_endpoint, session, resources, slack)


def invoke(function: str, payload: Any) -> Any:
    with Client(app, stage_name="dev") as client:
        return client.lambda_.invoke(function, payload).payload


def happened(stand: Stand, raw: dict[str, Any]) -> dict[str, Any]:
    """``raw``, after making the stand-in's IAM what the recorded call left in AWS (the auditor reads it)."""
    apply_trust_change(stand.session, raw, endpoint_url=stand.endpoint)
    return raw


def event(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return data


def rescan_seed_accounts() -> None:
    for account in ("123456789012", "111111111111", "222222222222"):
        summary = invoke("rescan", {"account_id": account})
        assert summary["errors"] == [], summary


@pytest.mark.parametrize("path", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_every_sample_event_goes_through_its_handlers(stand: Stand, path: Path) -> None:
    raw = happened(stand, json.loads(path.read_text()))
    functions = functions_for(raw)
    for function in functions:
        summary = invoke(function, raw)
        assert "error" not in summary, summary
        assert summary["action"] != "ignored", summary
    if not functions:
        # events no rule matches never reach a function; the auditor would ignore them too
        assert classify(parse_event(raw)) is None


def test_the_seed_story_alerts_once_resolves_and_flags_the_unexpected_assumption(stand: Stand) -> None:
    # GIVEN the daily scan has run once: what the seed accounts already hold is reported once...
    rescan_seed_accounts()
    assert stand.slack.posts and stand.sns_messages()
    stand.slack.reset()
    # ...and a second scan, finding the same, reports nothing
    rescan_seed_accounts()
    assert stand.slack.posts == [] and stand.sns_messages() == []

    # WHEN foobaz's trust is changed to add an account nobody trusts
    first = invoke("on_iam_change", happened(stand, event("iam-update-assume-role-policy-untrusted-account.json")))
    # THEN Slack and SNS each get one message about the change, listing its findings, most severe first:
    # new-access and untrusted-account among them
    [message] = stand.sns_messages()
    rules = set(json.loads(message["MessageAttributes"]["rule_id"]["Value"]))
    assert {"new-access", "untrusted-account"} <= rules
    listed = json.loads(message["Message"])["changes"]
    assert first["changes"] == {"new": len(listed)} and {c["rule_id"] for c in listed} == rules
    ranks = [SEVERITY_RANK[c["severity"]] for c in listed]
    assert ranks == sorted(ranks, reverse=True)
    [text] = [json.dumps(p.body) for p in stand.slack.posts if p.status == 200]
    assert "999988887777" in text and all(finding["id"] in text for finding in listed)

    # WHEN the same event is delivered again (an EventBridge retry)
    invoke("on_iam_change", happened(stand, event("iam-update-assume-role-policy-untrusted-account.json")))
    # THEN nothing more is sent
    assert len(stand.slack.posts) == 1 and stand.sns_messages() == []

    # WHEN the trust is fixed
    fixed = invoke("on_iam_change", happened(stand, event("iam-update-assume-role-policy-fixed.json")))
    # THEN the findings are resolved, and said so, in one message
    assert fixed["changes"] == {"resolved": len(listed)}
    [resolved] = stand.sns_messages()
    assert json.loads(resolved["MessageAttributes"]["change"]["Value"]) == ["resolved"]

    # WHEN a caller from the untrusted account assumes foobaz
    invoke("on_role_assumption", event("sts-assume-role-untrusted-account.json"))
    # THEN unexpected-assumption is raised
    [alert] = stand.sns_messages()
    assert json.loads(alert["MessageAttributes"]["rule_id"]["Value"]) == ["unexpected-assumption"]
    assert json.loads(alert["Message"])["changes"][0]["role_arn"] == FOOBAZ


def test_a_slack_outage_is_queued_and_delivered_by_the_next_invocation(stand: Stand) -> None:
    rescan_seed_accounts()
    stand.slack.reset()
    stand.sns_messages()
    # GIVEN Slack answering 500 to everything (Retry-After 0 keeps the retries fast)
    stand.slack.fail_next(500, times=50, retry_after=0)
    summary = invoke("on_iam_change", happened(stand, event("iam-update-assume-role-policy-untrusted-account.json")))
    # THEN nothing reached Slack, SNS still got its message, and Slack's is queued, not dropped
    assert summary["changes"]["new"] >= 2
    assert not [p for p in stand.slack.posts if p.status == 200]
    assert len(stand.sns_messages()) == 1
    assert len(summary["delivery"]["slack"]["queued"]) == summary["changes"]["new"]
    # WHEN Slack is back and the outbox is flushed at once
    stand.slack.reset()
    flushed = invoke("flush_outbox", scheduled_event())
    # THEN the message whose attempt failed waits for its backoff, still queued (never dropped)
    store = wiring.current().store
    assert flushed["delivery"]["slack"]["delivered"] == [] and stand.slack.posts == []
    assert len(store.pending(channel="slack")) == 1
    # WHEN its backoff has passed
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)
    deliver([], wiring.current().notifiers, store, later)
    # THEN the message reached Slack exactly once
    assert [p.status for p in stand.slack.posts] == [200]
    assert store.pending(channel="slack") == []


def scheduled_event() -> dict[str, Any]:
    with Client(app, stage_name="dev") as client:
        scheduled: dict[str, Any] = client.events.generate_cw_event("aws.events", "Scheduled Event", {}, [])
    scheduled["version"] = "0"  # Chalice generates int 0; EventBridge sends "0"
    return scheduled


def test_slack_throttling_is_retried_honouring_retry_after(stand: Stand) -> None:
    rescan_seed_accounts()
    stand.slack.reset()
    stand.sns_messages()
    # GIVEN Slack throttles the first post (429, Retry-After 0 so the test does not wait)
    stand.slack.fail_next(429, times=1, retry_after=0)
    summary = invoke("on_role_assumption", event("sts-assume-role-untrusted-account.json"))
    # THEN the same message is posted again and accepted: nothing queued
    statuses = [p.status for p in stand.slack.posts]
    assert statuses == [429, 200]
    assert stand.slack.posts[0].body == stand.slack.posts[1].body
    assert summary["changes"] == {"new": 1} and '"queued": []' in json.dumps(summary["delivery"])
