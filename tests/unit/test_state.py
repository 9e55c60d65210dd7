"""Finding state: the tracker's transitions and both stores' promises (in memory, and DynamoDB on moto)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from moto import mock_aws

from chalicelib.auditor.memory import DynamoTrustHistory, InMemoryTrustHistory
from chalicelib.rules.findings import Finding, Severity, Suppressed
from chalicelib.state import (
    TABLE_SCHEMA,
    Change,
    Delivery,
    DynamoFindingStore,
    FindingRecord,
    FindingStore,
    InMemoryFindingStore,
    StaleRecordError,
    dynamo,
    reconcile,
)

ACCOUNT = "111111111111"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/foo"
OTHER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/bar"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)
T2 = T0 + timedelta(hours=2)


def finding(
    fid: str = "tw-1",
    severity: Severity = Severity.HIGH,
    role: str | None = ROLE,
    account: str = ACCOUNT,
    suppressed: Suppressed | None = None,
) -> Finding:
    return Finding(
        id=fid,
        rule_id="untrusted-account",
        severity=severity,
        title="Trusts an unknown account",
        account_id=account,
        role_arn=role,
        principal="arn:aws:iam::999999999999:root",
        statement=0,
        explanation="Account 999999999999 can assume this role.",
        remediation='Remove the account.\n{"Effect": "Allow"}',
        evidence={"account": "999999999999", "nested": {"n": 1.5, "list": [1, 2]}},
        suppressed=suppressed,
    )


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def table(aws_env: None) -> Iterator[Any]:
    with mock_aws():
        yield boto3.resource("dynamodb").create_table(TableName="trustwatch-state", **TABLE_SCHEMA)


@pytest.fixture(params=["memory", "dynamo"])
def store(request: pytest.FixtureRequest) -> FindingStore:
    if request.param == "memory":
        return InMemoryFindingStore()
    return DynamoFindingStore(request.getfixturevalue("table"))


def kinds(changes: list[Change]) -> list[tuple[str, str]]:
    return [(c.kind, c.finding.id) for c in changes]


# -- tracker -----------------------------------------------------------------------------------------------
def test_a_finding_seen_for_the_first_time_is_new(store: FindingStore) -> None:
    changes = reconcile(store, [finding()], [ROLE], T0)
    assert kinds(changes) == [("new", "tw-1")]
    record = store.get("tw-1")
    assert record is not None and record.status == "open" and record.first_seen == record.last_seen == T0
    assert (record.scope, record.account_id, record.version) == (ROLE, ACCOUNT, 1)
    assert changes[0].record == record


def test_a_repeat_announces_nothing_and_only_moves_last_seen(store: FindingStore) -> None:
    reconcile(store, [finding()], [ROLE], T0)
    assert reconcile(store, [finding()], [ROLE], T1) == []
    assert reconcile(store, [finding()], [ROLE], T2) == []
    record = store.get("tw-1")
    assert record is not None and (record.first_seen, record.last_seen, record.status) == (T0, T2, "open")


def test_a_severity_change_is_announced_with_the_previous_severity(store: FindingStore) -> None:
    reconcile(store, [finding(severity=Severity.MEDIUM)], [ROLE], T0)
    [change] = reconcile(store, [finding(severity=Severity.CRITICAL)], [ROLE], T1)
    assert (change.kind, change.previous_severity, change.finding.severity) == (
        "severity-changed",
        Severity.MEDIUM,
        Severity.CRITICAL,
    )
    record = store.get("tw-1")
    assert record is not None and record.severity is Severity.CRITICAL
    assert reconcile(store, [finding(severity=Severity.CRITICAL)], [ROLE], T2) == []


def test_an_open_finding_gone_from_its_scope_is_resolved_once(store: FindingStore) -> None:
    reconcile(store, [finding()], [ROLE], T0)
    [change] = reconcile(store, [], [ROLE], T1)
    assert (change.kind, change.finding.id, change.record.resolved_at) == ("resolved", "tw-1", T1)
    record = store.get("tw-1")
    assert record is not None and record.status == "resolved" and store.open_in([ROLE]) == []
    assert reconcile(store, [], [ROLE], T2) == []


def test_a_resolved_finding_that_comes_back_is_new_again(store: FindingStore) -> None:
    reconcile(store, [finding()], [ROLE], T0)
    reconcile(store, [], [ROLE], T1)
    [change] = reconcile(store, [finding()], [ROLE], T2)
    assert change.kind == "new" and change.record.first_seen == T2 and change.record.resolved_at is None
    assert change.record.version == 3


def test_open_findings_outside_the_rechecked_scopes_stay_open(store: FindingStore) -> None:
    reconcile(store, [finding("tw-foo"), finding("tw-bar", role=OTHER_ROLE)], [ROLE, OTHER_ROLE], T0)
    assert kinds(reconcile(store, [], [ROLE], T1)) == [("resolved", "tw-foo")]
    assert [r.id for r in store.open_in([OTHER_ROLE])] == ["tw-bar"]
    assert reconcile(store, [], [], T2) == []  # no scope re-checked: nothing can be declared gone


def test_an_account_rescan_resolves_findings_of_roles_that_no_longer_exist(store: FindingStore) -> None:
    reconcile(store, [finding("tw-deleted", role=OTHER_ROLE), finding("tw-kept")], [ROLE, OTHER_ROLE], T0)
    changes = reconcile(store, [finding("tw-kept")], [ROLE], T1, accounts=[ACCOUNT])
    assert kinds(changes) == [("resolved", "tw-deleted")]


def test_a_finding_without_a_role_is_scoped_to_its_account(store: FindingStore) -> None:
    reconcile(store, [finding("tw-acct", role=None)], [f"account:{ACCOUNT}"], T0)
    record = store.get("tw-acct")
    assert record is not None and record.scope == f"account:{ACCOUNT}"
    assert kinds(reconcile(store, [], [f"account:{ACCOUNT}"], T1)) == [("resolved", "tw-acct")]


def test_suppressed_findings_are_stored_but_never_announced(store: FindingStore) -> None:
    accepted = Suppressed(reason="SEC-123")
    assert reconcile(store, [finding(suppressed=accepted)], [ROLE], T0) == []
    assert reconcile(store, [finding(severity=Severity.CRITICAL, suppressed=accepted)], [ROLE], T1) == []
    record = store.get("tw-1")
    assert record is not None and record.status == "open" and record.severity is Severity.CRITICAL
    assert reconcile(store, [], [ROLE], T2) == []  # never announced, so its going away is not news either
    resolved = store.get("tw-1")
    assert resolved is not None and resolved.status == "resolved"


def test_a_lapsed_suppression_is_announced_as_new(store: FindingStore) -> None:
    reconcile(store, [finding(suppressed=Suppressed(reason="SEC-123", until="2026-01-01"))], [ROLE], T0)
    lapsed = finding(suppressed=Suppressed(reason="SEC-123", until="2026-01-01", expired=True))
    assert kinds(reconcile(store, [lapsed], [ROLE], T1)) == [("new", "tw-1")]
    assert reconcile(store, [lapsed], [ROLE], T2) == []


def test_context_rides_on_every_change(store: FindingStore) -> None:
    reconcile(store, [finding("tw-old")], [ROLE], T0)
    context = {"actor": "arn:aws:iam::111111111111:user/alice", "event_name": "UpdateAssumeRolePolicy"}
    changes = reconcile(store, [finding("tw-new")], [ROLE], T1, context=context)
    assert kinds(changes) == [("new", "tw-new"), ("resolved", "tw-old")]
    assert all(c.context == context for c in changes)


def test_a_finding_listed_twice_is_recorded_once_first_wins(store: FindingStore) -> None:
    changes = reconcile(store, [finding(severity=Severity.LOW), finding(severity=Severity.HIGH)], [ROLE], T0)
    assert [(c.kind, c.finding.severity) for c in changes] == [("new", Severity.LOW)]


def test_two_lambdas_racing_on_a_new_finding_announce_it_once(
    store: FindingStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN another Lambda records the same finding between our read and our write
    competitor: list[Change] = []
    real_get = store.get

    def racing_get(finding_id: str) -> FindingRecord | None:
        seen = real_get(finding_id)
        if not competitor:
            monkeypatch.setattr(store, "get", real_get)
            competitor.extend(reconcile(store, [finding()], [ROLE], T0))
        return seen

    monkeypatch.setattr(store, "get", racing_get)
    # WHEN we reconcile THEN our conditional write loses, we re-read, and only the competitor announces it
    assert reconcile(store, [finding()], [ROLE], T0) == []
    assert kinds(competitor) == [("new", "tw-1")]


def test_two_lambdas_racing_on_a_resolution_announce_it_once(
    store: FindingStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    reconcile(store, [finding()], [ROLE], T0)
    competitor: list[Change] = []
    real_get = store.get

    def racing_get(finding_id: str) -> FindingRecord | None:
        seen = real_get(finding_id)
        monkeypatch.setattr(store, "get", real_get)
        competitor.extend(reconcile(store, [], [ROLE], T1))
        return seen

    monkeypatch.setattr(store, "get", racing_get)
    assert reconcile(store, [], [ROLE], T1) == []
    assert kinds(competitor) == [("resolved", "tw-1")]


# -- store -------------------------------------------------------------------------------------------------
def test_a_record_round_trips_intact(store: FindingStore) -> None:
    record = FindingRecord.opened(finding(suppressed=Suppressed(reason="r", until="2027-01-31")), T0)
    store.put(record)
    assert store.get("tw-1") == record
    assert store.get("tw-unknown") is None


def test_writes_are_conditional_on_the_version_read(store: FindingStore) -> None:
    first = FindingRecord.opened(finding(), T0)
    store.put(first)
    with pytest.raises(StaleRecordError):
        store.put(first)  # a second "first" writer
    store.put(first.seen(finding(), T1))
    with pytest.raises(StaleRecordError):
        store.put(first.resolved(T1))  # built from version 1, but version 2 is stored
    stored = store.get("tw-1")
    assert stored is not None and (stored.version, stored.status) == (2, "open")


def test_open_in_filters_by_scope_or_account(store: FindingStore) -> None:
    for f in (finding("tw-a"), finding("tw-b", role=OTHER_ROLE), finding("tw-c", account="222222222222", role=None)):
        store.put(FindingRecord.opened(f, T0))
    gone = FindingRecord.opened(finding("tw-gone"), T0)
    store.put(gone)
    store.put(gone.resolved(T1))

    def ids(records: list[FindingRecord]) -> list[str]:
        return sorted(r.id for r in records)

    assert ids(store.open_in([ROLE])) == ["tw-a"]
    assert ids(store.open_in(accounts=[ACCOUNT])) == ["tw-a", "tw-b"]
    assert ids(store.open_in(["account:222222222222"], [ACCOUNT])) == ["tw-a", "tw-b", "tw-c"]
    assert ids(store.open_in()) == ["tw-a", "tw-b", "tw-c"]
    assert store.open_in([], []) == []


def delivery(fid: str = "tw-1", channel: str = "slack", at: datetime = T0, version: int = 1) -> Delivery:
    record = FindingRecord.opened(finding(fid), at).model_copy(update={"version": version})
    return Delivery.for_changes(
        channel, [Change(kind="new", finding=record.finding, record=record)], at, claimed_until=at
    )


def test_the_outbox_lists_due_deliveries_oldest_first_per_channel(store: FindingStore) -> None:
    late, early, sns = delivery("tw-2", at=T1), delivery("tw-1", at=T0), delivery("tw-1", channel="sns", at=T0)
    for d in (late, early, sns):
        store.enqueue(d)
    assert [d.id for d in store.pending("slack")] == [early.id, late.id]
    assert [d.id for d in store.pending("slack", now=T0)] == [early.id]
    assert {d.id for d in store.pending()} == {early.id, late.id, sns.id}
    assert store.pending("slack")[0] == early


def test_enqueueing_a_queued_delivery_again_keeps_its_history(store: FindingStore) -> None:
    queued = delivery()
    store.enqueue(queued)
    store.failed(queued.id, "HTTP 500", T1)
    store.enqueue(queued)
    [kept] = store.pending()
    assert (kept.attempts, kept.last_error, kept.next_attempt_at) == (1, "HTTP 500", T1)


def test_only_one_retrier_claims_a_delivery(store: FindingStore) -> None:
    store.enqueue(delivery())
    [seen_by_a] = store.pending(now=T0)
    [seen_by_b] = store.pending(now=T0)
    assert store.claim(seen_by_a, T0 + timedelta(minutes=5)) is True
    assert store.claim(seen_by_b, T0 + timedelta(minutes=5)) is False
    assert store.pending(now=T0) == []


def test_failed_counts_attempts_and_delivered_removes(store: FindingStore) -> None:
    queued = delivery()
    store.enqueue(queued)
    store.failed(queued.id, "HTTP 503", T1)
    store.failed(queued.id, "no answer", T2)
    [retried] = store.pending()
    assert (retried.attempts, retried.last_error, retried.next_attempt_at) == (2, "no answer", T2)
    store.delivered(queued.id)
    store.failed(queued.id, "late failure report", T2)  # another retrier's failure must not resurrect it
    assert store.pending() == []


# -- DynamoDB layout ---------------------------------------------------------------------------------------
def test_the_documented_schema_has_no_secondary_index(table: Any) -> None:
    description = table.meta.client.describe_table(TableName=table.name)["Table"]
    assert [(k["AttributeName"], k["KeyType"]) for k in description["KeySchema"]] == [("pk", "HASH"), ("sk", "RANGE")]
    assert not description.get("GlobalSecondaryIndexes") and not description.get("LocalSecondaryIndexes")


def test_open_in_reads_records_in_batches_and_comes_back_for_unprocessed_keys(
    table: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN batches of 4 keys (DynamoDB's are 100) and a DynamoDB that leaves one key of each first answer unread
    monkeypatch.setattr(dynamo, "_BATCH", 4)
    store = DynamoFindingStore(table)
    for n in range(10):
        store.put(FindingRecord.opened(finding(f"tw-{n}", role=f"arn:aws:iam::{ACCOUNT}:role/r{n}"), T0))
    real_batch_get, calls = table.meta.client.batch_get_item, []

    def throttled(**kwargs: Any) -> dict[str, Any]:
        request = kwargs["RequestItems"][table.name]
        calls.append(len(request["Keys"]))
        if len(calls) % 2:  # answer all but the last key, and hand that one back
            answer = real_batch_get(RequestItems={table.name: {**request, "Keys": request["Keys"][:-1]}})
            return {**answer, "UnprocessedKeys": {table.name: {"Keys": request["Keys"][-1:]}}}
        return dict(real_batch_get(**kwargs))

    monkeypatch.setattr(table.meta.client, "batch_get_item", throttled)
    # WHEN every open finding of the account is read  THEN all ten come back
    assert sorted(r.id for r in store.open_in(accounts=[ACCOUNT])) == [f"tw-{n}" for n in range(10)]
    assert calls == [4, 1, 4, 1, 2, 1]


def test_trust_history_put_many_writes_only_what_changed(table: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the trust history of two roles, as a first scan leaves it
    history = DynamoTrustHistory(table)
    history.put_many({ROLE: "v1", OTHER_ROLE: "w1"}, T0)
    puts: list[str] = []
    real_update = table.update_item

    def counted_update(**kwargs: Any) -> Any:
        puts.append(kwargs["Key"]["pk"])
        return real_update(**kwargs)

    monkeypatch.setattr(table, "update_item", counted_update)
    # WHEN a re-scan sees one role unchanged, one changed and a new one
    third = f"arn:aws:iam::{ACCOUNT}:role/baz"
    history.put_many({ROLE: "v1", OTHER_ROLE: "w2", third: "x1"}, T1)
    # THEN only the changed and the new one are written, and every policy reads back
    assert sorted(puts) == sorted(f"TRUST#{arn}" for arn in (OTHER_ROLE, third))
    assert [history.get(arn) for arn in (ROLE, OTHER_ROLE, third)] == ["v1", "w2", "x1"]


@pytest.mark.parametrize("kind", ["memory", "dynamo"])
def test_trust_history_change_times_only_move_forward(kind: str, request: pytest.FixtureRequest) -> None:
    history = DynamoTrustHistory(request.getfixturevalue("table")) if kind == "dynamo" else InMemoryTrustHistory()
    assert history.changed_at(ROLE) is None
    history.put(ROLE, "v2", T1, T1)
    history.put(ROLE, "v1", T1, T0)  # an older change arriving late does not move the time back
    assert history.changed_at(ROLE) == T1 and history.get(ROLE) == "v1"
    history.put_many({ROLE: "v3"}, T1)  # a re-scan keeps the change time
    assert history.changed_at(ROLE) == T1 and history.get(ROLE) == "v3"
    later = T1 + timedelta(hours=1)
    history.forget(ROLE, later)  # deleted: no policy, the deletion's time stays
    assert history.get(ROLE) is None and history.changed_at(ROLE) == later


def test_index_items_exist_exactly_while_a_finding_is_open(table: Any) -> None:
    store = DynamoFindingStore(table)
    record = FindingRecord.opened(finding(), T0)
    store.put(record)

    def index_keys() -> set[str]:
        items = table.scan()["Items"]
        return {f"{i['pk']}|{i['sk']}" for i in items if i["sk"] != "RECORD"}

    assert index_keys() == {f"SCOPE#{ROLE}|FINDING#tw-1", f"ACCOUNT#{ACCOUNT}|FINDING#tw-1"}
    stored = table.get_item(Key={"pk": "FINDING#tw-1", "sk": "RECORD"})["Item"]
    assert (stored["status"], int(stored["version"]), stored["severity"]) == ("open", 1, "high")
    store.put(record.resolved(T1))
    assert index_keys() == set()
