"""No window between recording a finding and queueing its alert (issue 9, the finding/outbox gap).

An announced change is written *owed* in the finding record's own transaction, and a message is queued in the
same transaction that settles what its changes owed. A kill between ``reconcile`` and ``deliver`` therefore
leaves the change owed, and a later ``deliver`` (``flush_outbox``) adopts it. Both stores, DynamoDB on moto.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from moto import mock_aws

from chalicelib.notify import deliver
from chalicelib.notify.base import ADOPT_AFTER
from chalicelib.rules.findings import Finding, Severity
from chalicelib.state import TABLE_SCHEMA, DynamoFindingStore, FindingStore, InMemoryFindingStore, reconcile
from tests.unit.test_notify import FakeChannel

ACCOUNT = "111111111111"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CONTEXT = {"actor": "arn:aws:iam::111111111111:user/alice", "event_name": "UpdateAssumeRolePolicy"}


def finding(fid: str = "tw-1", role: str = "foo") -> Finding:
    return Finding(
        id=fid,
        rule_id="untrusted-account",
        severity=Severity.HIGH,
        title="Trusts an unknown account",
        account_id=ACCOUNT,
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/{role}",
        principal="arn:aws:iam::999999999999:root",
        statement=0,
        explanation="Account 999999999999 can assume this role.",
        remediation="Remove the account.",
    )


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield boto3.resource("dynamodb").create_table(TableName="trustwatch-state", **TABLE_SCHEMA)


@pytest.fixture(params=["memory", "dynamo"])
def store(request: pytest.FixtureRequest) -> FindingStore:
    if request.param == "memory":
        return InMemoryFindingStore()
    return DynamoFindingStore(request.getfixturevalue("table"))


class Killed(BaseException):
    """What a Lambda timeout looks like from inside: the invocation stops, no handler runs."""


def test_a_kill_between_recording_the_finding_and_queueing_its_alert_loses_nothing(store: FindingStore) -> None:
    # GIVEN an event's findings recorded as open, and the invocation killed before it queued the message
    changes = reconcile(store, [finding()], [finding().role_arn or ""], T0, context=CONTEXT)
    assert [c.kind for c in changes] == ["new"]
    record = store.get("tw-1")
    assert record is not None and record.is_open
    channel = FakeChannel(min_severity=Severity.LOW)
    # WHEN the outbox is flushed while the writer could still be running THEN it is left to the writer
    assert deliver([], [channel], store, T0 + timedelta(minutes=10)).queued == 0 and channel.sent == []
    # WHEN it is flushed once no invocation can still be running
    report = deliver([], [channel], store, T0 + ADOPT_AFTER)
    # THEN the alert goes out, with what caused it, once
    assert channel.sent == [("new", "tw-1")]
    assert report.channels["fake"].messages == 1
    deliver([], [channel], store, T0 + ADOPT_AFTER + timedelta(hours=1))
    assert channel.sent == [("new", "tw-1")] and store.owed(T0 + timedelta(days=1)) == []
    assert store.pending() == []


def test_an_adopted_change_keeps_its_context(store: FindingStore) -> None:
    reconcile(store, [finding()], [finding().role_arn or ""], T0, context=CONTEXT)
    [owed] = store.owed(T0)
    assert owed.kind == "new" and owed.context == CONTEXT and owed.record == store.get("tw-1")


def test_the_usual_path_settles_what_it_owed_and_sends_no_duplicate(store: FindingStore) -> None:
    channel = FakeChannel(min_severity=Severity.LOW)
    changes = reconcile(store, [finding("tw-a"), finding("tw-b", role="bar")], ["x"], T0)
    deliver([changes], [channel], store, T0)
    assert sorted(channel.sent) == [("new", "tw-a"), ("new", "tw-b")]
    assert store.owed(T0 + timedelta(days=1)) == []
    deliver([], [channel], store, T0 + ADOPT_AFTER)
    assert len(channel.sent) == 2


def test_a_change_below_every_channel_is_settled_too(store: FindingStore) -> None:
    changes = reconcile(store, [finding()], ["x"], T0)
    deliver([changes], [FakeChannel(min_severity=Severity.CRITICAL)], store, T0)
    assert store.owed(T0 + timedelta(days=1)) == [] and store.pending() == []


def test_a_resolution_is_owed_like_an_announcement(store: FindingStore) -> None:
    role = finding().role_arn or ""
    deliver([reconcile(store, [finding()], [role], T0)], [], store, T0)
    [resolved] = reconcile(store, [], [role], T0 + timedelta(hours=1))
    [owed] = store.owed(T0 + timedelta(hours=1))
    assert (owed.kind, owed.record.version) == ("resolved", resolved.record.version)


def test_a_message_over_one_transaction_is_split_and_every_change_delivered_once(store: FindingStore) -> None:
    # GIVEN one event that changed 150 findings, and two channels (a transaction holds 100 items)
    everything = [finding(f"tw-{i:03d}", role=f"r{i}") for i in range(150)]
    changes = reconcile(store, everything, ["x"], T0)
    slack, sns = FakeChannel("slack", Severity.LOW), FakeChannel("sns", Severity.LOW)
    # WHEN it is delivered THEN each channel got every change once, in two messages, and nothing is owed
    report = deliver([changes], [slack, sns], store, T0)
    for channel in (slack, sns):
        assert sorted(channel.sent) == sorted(("new", f.id) for f in everything)
        assert report.channels[channel.channel].messages == 2
    assert store.owed(T0 + timedelta(days=1)) == []


def test_a_queueing_transaction_that_fails_leaves_the_change_owed(table: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN DynamoDB failing the transaction that queues the message (the record's went through)
    store = DynamoFindingStore(table)
    changes = reconcile(store, [finding()], ["x"], T0)
    client = table.meta.client
    real = client.transact_write_items

    def killed(**kwargs: Any) -> Any:
        raise Killed

    monkeypatch.setattr(client, "transact_write_items", killed)
    channel = FakeChannel(min_severity=Severity.LOW)
    with pytest.raises(Killed):
        deliver([changes], [channel], store, T0)
    # THEN nothing was queued nor sent, and the change is still owed: the next flush delivers it
    monkeypatch.setattr(client, "transact_write_items", real)
    assert store.pending() == [] and channel.sent == []
    deliver([], [channel], store, T0 + ADOPT_AFTER)
    assert channel.sent == [("new", "tw-1")]


def test_a_record_write_that_fails_owes_nothing_and_the_finding_is_new_next_time(
    table: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = DynamoFindingStore(table)
    client = table.meta.client
    real = client.transact_write_items

    def killed(**kwargs: Any) -> Any:
        raise Killed

    monkeypatch.setattr(client, "transact_write_items", killed)
    with pytest.raises(Killed):
        reconcile(store, [finding()], ["x"], T0)
    monkeypatch.setattr(client, "transact_write_items", real)
    assert store.get("tw-1") is None and store.owed(T0 + timedelta(days=1)) == []
    assert [c.kind for c in reconcile(store, [finding()], ["x"], T0)] == ["new"]
