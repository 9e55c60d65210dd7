"""No alert is lost to a slow channel, and a lost answer costs at most one duplicate (issue 9, items 1 and 2).

The probes of the issue, through Chalice's test client with a 3-second invocation (the client's own default):
a Slack answering 429 ``Retry-After: 30`` forever, an SNS endpoint that takes the request and never answers, a
Slack dribbling its answer one byte every 3 s, and a Slack that takes posts but whose answers never come. Each
time the invocation returns before its timeout, and flush_outbox delivers the alert later.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from chalicelib import wiring
from chalicelib.devtools.slack_standin import SlackStandIn
from tests.integration import test_handlers as handlers
from tests.integration.conftest import lambda_runtime
from tests.integration.test_handlers import Stand, event, invoke, rescan_seed_accounts, scheduled_event

stand = handlers.stand  # the fixture
RUNTIME = 3.0  # seconds: what Chalice's test client gives an invocation
ASSUMPTION = "sts-assume-role-untrusted-account.json"  # one new finding: unexpected-assumption


@pytest.fixture
def quiet(stand: Stand, monkeypatch: pytest.MonkeyPatch) -> Stand:
    """The stand after the baseline re-scans (with a minute each), its deliveries drained; then 3 s invocations."""
    rescan_seed_accounts()
    stand.slack.reset()
    stand.sns_messages()
    lambda_runtime(monkeypatch, RUNTIME)
    return stand


def invoke_bounded(function: str, payload: Any) -> tuple[dict[str, Any], float]:
    """Invoke in a thread, so that a handler that overruns fails the test at once instead of hanging it."""
    result: dict[str, Any] = {}

    def run() -> None:
        result["summary"] = invoke(function, payload)

    started = time.monotonic()
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(RUNTIME + 2)
    elapsed = time.monotonic() - started
    assert not worker.is_alive(), f"{function} still running after {elapsed:.1f} s (its timeout is {RUNTIME} s)"
    return result["summary"], elapsed


def flush_later(monkeypatch: pytest.MonkeyPatch, minutes: int) -> dict[str, Any]:
    """flush_outbox in a fresh container, ``minutes`` from now (its schedule ticks every 10 minutes)."""
    monkeypatch.setattr(wiring, "_current", None)
    container = wiring.current()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)
    monkeypatch.setattr(container.auditor, "clock", lambda: later)
    summary: dict[str, Any] = invoke("flush_outbox", scheduled_event())
    return summary


def bodies(slack: SlackStandIn) -> list[str]:
    return [json.dumps(p.body, sort_keys=True) for p in slack.posts]


@pytest.fixture
def silent_sns(monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackStandIn]:
    """An endpoint that takes every SNS request and never answers, in place of SNS."""
    with SlackStandIn() as endpoint:
        endpoint.misbehave_next("hang", times=100)
        parts = urlsplit(endpoint.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_SNS", f"{parts.scheme}://{parts.netloc}")
        monkeypatch.setattr(wiring, "_current", None)
        yield endpoint


def test_slack_answering_429_retry_after_30_forever(quiet: Stand, monkeypatch: pytest.MonkeyPatch) -> None:
    quiet.slack.fail_next(429, times=1000, retry_after=30)
    summary, elapsed = invoke_bounded("on_role_assumption", event(ASSUMPTION))
    # THEN it returned in time, SNS has the alert, and Slack's is queued for when Slack asked (30 s), not dropped
    assert elapsed < RUNTIME and summary["changes"] == {"new": 1}
    assert len(quiet.sns_messages()) == 1 and [p.status for p in quiet.slack.posts] == [429]
    [queued] = wiring.current().store.pending(channel="slack")
    assert queued.next_attempt_at >= dt.datetime.now(dt.UTC) + dt.timedelta(seconds=25)
    # WHEN Slack recovers and flush_outbox runs on its schedule
    quiet.slack.reset()
    flushed = flush_later(monkeypatch, 10)
    # THEN the alert is delivered, once
    assert flushed["delivery"]["slack"]["messages"] == 1 and [p.status for p in quiet.slack.posts] == [200]
    assert "unexpected-assumption" in bodies(quiet.slack)[0]
    assert wiring.current().store.pending() == []


def test_sns_that_never_answers(quiet: Stand, silent_sns: SlackStandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    summary, elapsed = invoke_bounded("on_role_assumption", event(ASSUMPTION))
    # THEN it returned in time, having published once (no retry of a publish whose answer may yet come)
    assert elapsed < RUNTIME and summary["changes"] == {"new": 1}
    assert len(silent_sns.posts) == 1
    assert {d.channel for d in wiring.current().store.pending()} >= {"sns"}
    # WHEN SNS is back and flush_outbox runs on its schedule
    monkeypatch.delenv("AWS_ENDPOINT_URL_SNS")
    flush_later(monkeypatch, 10)
    # THEN SNS and Slack have the alert (Slack's waited behind SNS or went out at once)
    [message] = quiet.sns_messages()
    assert json.loads(message["MessageAttributes"]["rule_id"]["Value"]) == ["unexpected-assumption"]
    assert [p.status for p in quiet.slack.posts] == [200]
    assert wiring.current().store.pending() == []


def test_slack_dribbling_its_answer_one_byte_every_3_s(quiet: Stand, monkeypatch: pytest.MonkeyPatch) -> None:
    quiet.slack.misbehave_next("dribble", times=1, interval=3)
    summary, elapsed = invoke_bounded("on_role_assumption", event(ASSUMPTION))
    # THEN the post was cut at the deadline and the invocation returned in time; the message stays owed
    assert elapsed < RUNTIME and summary["changes"] == {"new": 1}
    assert len(quiet.slack.posts) == 1 and len(wiring.current().store.pending(channel="slack")) == 1
    # WHEN flush_outbox runs on its schedule
    flush_later(monkeypatch, 10)
    # THEN the alert is delivered: sent again once, since the first answer never came
    assert len(bodies(quiet.slack)) == 2 and len(set(bodies(quiet.slack))) == 1
    assert wiring.current().store.pending() == []


def test_a_lost_answer_costs_at_most_one_duplicate(quiet: Stand, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a Slack that takes every post of this invocation but whose answers never come
    quiet.slack.misbehave_next("hang", times=100)
    summary, _ = invoke_bounded("on_role_assumption", event(ASSUMPTION))
    # THEN the message was posted once, not again within the invocation (Slack may have it)
    assert summary["changes"] == {"new": 1} and len(quiet.slack.posts) == 1
    first = bodies(quiet.slack)
    # WHEN Slack answers again, and flush_outbox runs on two ticks of its schedule
    quiet.slack.reset()
    flush_later(monkeypatch, 10)
    flush_later(monkeypatch, 20)
    # THEN the one lost answer cost exactly one duplicate, and nothing more is owed
    assert bodies(quiet.slack) == first
    assert wiring.current().store.pending() == []


def test_an_answered_post_is_never_sent_again(quiet: Stand, monkeypatch: pytest.MonkeyPatch) -> None:
    summary, _ = invoke_bounded("on_role_assumption", event(ASSUMPTION))
    assert summary["changes"] == {"new": 1} and [p.status for p in quiet.slack.posts] == [200]
    flush_later(monkeypatch, 10)
    flush_later(monkeypatch, 70)
    assert len(quiet.slack.posts) == 1 and len(quiet.sns_messages()) == 1
    assert wiring.current().store.pending() == []
