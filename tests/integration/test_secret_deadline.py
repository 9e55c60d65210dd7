"""The webhook secret fetch is bounded by the invocation's remaining time (issue 9, item 1): a Secrets Manager that
takes the connection and never answers costs the Slack send its time, not the invocation its life; the alert
waits in the outbox and goes out once the secret can be read, and no piece of the URL reaches a log."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from chalicelib import wiring
from tests.integration import test_handlers as handlers
from tests.integration.test_delivery_faults import ASSUMPTION, RUNTIME, flush_later, invoke_bounded, quiet
from tests.integration.test_handlers import Stand, event
from tests.integration.test_secrets import PIECES, every_log_line

stand = handlers.stand  # the fixtures
__all__ = ["quiet", "stand"]


def table_text(stand: Stand) -> str:
    """Every item of the state table, binary attributes (the stored graphs) included, as text."""
    client = stand.session.client("dynamodb", endpoint_url=stand.endpoint)
    return json.dumps(client.scan(TableName=stand.resources.table)["Items"], default=repr)


@pytest.fixture
def silent_secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    """A TCP socket in place of Secrets Manager: the kernel completes every connection (backlog), nobody reads."""
    with socket.create_server(("127.0.0.1", 0), backlog=64) as server:
        host, port = server.getsockname()[:2]
        monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", f"http://{host}:{port}")
        monkeypatch.setattr(wiring, "_current", None)  # a fresh container: the secret is not cached yet
        yield server


def test_a_secrets_manager_that_never_answers_leaves_the_alert_to_the_outbox(
    quiet: Stand,
    silent_secrets: socket.socket,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    # WHEN an alert is raised in a 3-second invocation while the secret cannot be read, every logger at DEBUG
    with every_log_line() as logs:
        summary, elapsed = invoke_bounded("on_role_assumption", event(ASSUMPTION))
    # THEN the invocation returned within its time (the fetch's timeouts and retries fitted what was left), SNS has
    # the alert, and Slack's message is kept in the outbox, unsent, not parked
    assert elapsed < RUNTIME and summary["changes"] == {"new": 1}
    assert len(quiet.sns_messages()) == 1 and quiet.slack.posts == []
    [queued] = wiring.current().store.pending(channel="slack")
    assert not queued.parked and "Slack webhook URL unavailable" in (queued.last_error or "")
    # AND no piece of the webhook URL is in a log line, the captured output, the summary or the table
    exposed = logs.getvalue() + capfd.readouterr().out + json.dumps(summary) + table_text(quiet)
    assert "secretsmanager" in logs.getvalue().lower() or "secrets manager" in logs.getvalue().lower()
    for piece in PIECES:
        assert piece not in exposed, piece
    # WHEN Secrets Manager answers again and flush_outbox runs on its schedule
    monkeypatch.delenv("AWS_ENDPOINT_URL_SECRETS_MANAGER")
    flushed = flush_later(monkeypatch, 10)
    # THEN the alert reaches Slack, once, and nothing is owed
    assert flushed["delivery"]["slack"]["messages"] == 1 and [p.status for p in quiet.slack.posts] == [200]
    assert "unexpected-assumption" in json.dumps(quiet.slack.posts[0].body)
    assert wiring.current().store.pending() == []


def test_a_dynamodb_that_never_answers_cannot_outlive_the_invocation(
    quiet: Stand, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the state table behind a socket that never answers, in a fresh 3-second container
    with socket.create_server(("127.0.0.1", 0), backlog=64) as server:
        host, port = server.getsockname()[:2]
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", f"http://{host}:{port}")
        monkeypatch.setattr(wiring, "_current", None)
        outcome: dict[str, object] = {}

        def run() -> None:
            try:
                outcome["summary"] = handlers.invoke("on_role_assumption", event(ASSUMPTION))
            except Exception as exc:  # the idempotency record cannot be written: the invocation fails
                outcome["error"] = exc

        started = time.monotonic()
        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        worker.join(RUNTIME + 5)
        elapsed = time.monotonic() - started
    # THEN it ended within its time (each call's timeouts and retries fitted what was left), failing, not hanging;
    # EventBridge retries the event later
    assert not worker.is_alive(), f"still running after {elapsed:.1f} s"
    assert elapsed < RUNTIME + 0.5, elapsed
    assert "error" in outcome or "error" in json.dumps(outcome.get("summary")), outcome
