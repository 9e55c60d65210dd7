"""IAM changes audited in proportion to them (issue 7 #3), on the Lambda's shape: the finding store and the
graph cache in a DynamoDB table (moto), the event's account loaded fresh each time. After every change the
incremental auditor holds exactly the open findings, and announces exactly the changes, of an auditor that
re-audits the whole account; a cold, damaged or foreign stored graph falls back to the whole account."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import random
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from moto import mock_aws

from benchmarks.generate import generate_inventory
from benchmarks.mutate import mutate
from chalicelib.auditor import auditor as auditor_module
from chalicelib.auditor.account_graph import AccountGraphs
from chalicelib.auditor.auditor import Auditor, Outcome
from chalicelib.auditor.graph_cache import CHUNK, GRAPH_PREFIX, DynamoGraphCache
from chalicelib.auditor.memory import InMemoryDeniedLog, InMemoryTrustHistory
from chalicelib.config import Config
from chalicelib.events.models import parse_event
from chalicelib.iam.entities import Inventory
from chalicelib.inventory.port import LoadResult
from chalicelib.rules.engine import audit_inventory
from chalicelib.state.dynamo import TABLE_SCHEMA, DynamoFindingStore
from chalicelib.state.store import FindingStore, InMemoryFindingStore

EVENTS = Path(__file__).resolve().parents[2] / "events"
CONFIG = Config.model_validate({"organization_id": "o-bench12345"})
ACCOUNT = "500000000000"


class World:
    """The live accounts: what a fresh GetAccountAuthorizationDetails of the event's account returns."""

    def __init__(self) -> None:
        self.inventory = generate_inventory(150, 40, accounts=1, seed=3)  # 10 chains from outside
        self.now = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)

    def load(self, accounts: Sequence[str] | None, organization: bool) -> LoadResult:
        chosen = [a for k, a in self.inventory.accounts.items() if accounts is None or k in accounts]
        return LoadResult(Inventory(chosen, self.inventory.organization))

    def clock(self) -> dt.datetime:
        return self.now


@pytest.fixture
def table() -> Iterator[Any]:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        yield boto3.resource("dynamodb", region_name="us-east-1").create_table(TableName="state", **TABLE_SCHEMA)


def auditor(world: World, store: FindingStore, graphs: AccountGraphs | None, config: Config = CONFIG) -> Auditor:
    return Auditor(load=world.load, store=store, history=InMemoryTrustHistory(), denied=InMemoryDeniedLog(),
                   notifiers=(), config=config, clock=world.clock, prefer_live_trust=True, graphs=graphs)  # fmt: skip


def identity_event(account: str, n: int) -> Any:
    raw: dict[str, Any] = json.loads((EVENTS / "iam-put-user-policy.json").read_text())
    raw["account"] = raw["detail"]["recipientAccountId"] = account
    raw["detail"]["eventID"] = f"change-{n}"
    return parse_event(raw)


def trust_event(role_arn: str, n: int) -> Any:
    raw: dict[str, Any] = json.loads((EVENTS / "iam-update-assume-role-policy-fixed.json").read_text())
    account = role_arn.split(":")[4]
    raw["account"] = raw["detail"]["recipientAccountId"] = account
    raw["detail"]["eventID"] = f"trust-{n}"
    raw["detail"]["requestParameters"]["roleName"] = role_arn.rsplit("/", 1)[1]
    raw["detail"]["eventTime"] = f"2026-11-24T12:{n:02d}:00Z"
    return parse_event(raw)


def state(store: FindingStore, account: str) -> dict[str, Any]:
    return {r.id: (r.severity, r.finding.evidence) for r in store.open_in(accounts=[account])}


def announced(outcome: Outcome) -> list[tuple[str, str]]:
    return sorted((c.kind, c.finding.id) for c in outcome.changes)


@pytest.mark.parametrize("scope_reads", [0, 10**6])  # the account's index read at once, or scope by scope
def test_every_change_leaves_the_state_of_a_whole_account_audit(
    table: Any, scope_reads: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auditor_module, "SCOPE_READS", scope_reads)
    world = World()
    fast = auditor(world, DynamoFindingStore(table), AccountGraphs(DynamoGraphCache(table)))
    whole = auditor(world, InMemoryFindingStore(), None)
    first = fast.handle(identity_event(ACCOUNT, 0))
    whole.handle(identity_event(ACCOUNT, 0))
    assert "(whole account)" in first.action  # nothing stored yet: the whole account, and its graph kept
    rng = random.Random(11)
    incremental = 0
    for n in range(1, 13):
        world.inventory, what = mutate(world.inventory, rng)
        account = what.split()[1].split(":")[4]
        world.now += dt.timedelta(minutes=5)
        outcome = fast.handle(identity_event(account, n))
        expected = whole.handle(identity_event(account, n))
        incremental += "(incremental)" in outcome.action
        assert announced(outcome) == announced(expected), what
        assert state(fast.store, account) == state(whole.store, account), what
    assert incremental >= 8  # the first event of each account is the whole account


def test_a_trust_change_updates_the_chains_through_the_role(table: Any) -> None:
    world = World()
    fast = auditor(world, DynamoFindingStore(table), AccountGraphs(DynamoGraphCache(table)))
    fast.rescan_accounts([ACCOUNT])  # the daily re-scan keeps the account's graph
    roles = sorted(world.inventory.accounts[ACCOUNT].roles)
    rng = random.Random(3)
    for n, role in enumerate(rng.sample(roles, 6), start=1):
        world.inventory, _ = _retrust(world.inventory, role, rng)
        world.now += dt.timedelta(minutes=5)
        outcome = fast.handle(trust_event(role, n))
        assert "trust of" in outcome.action
        full = audit_inventory(world.load([ACCOUNT], False).inventory, CONFIG, today=world.now.date())
        wanted = {f.id for f in full.findings if f.rule_id in ("transitive-external-access", "broad-assume-permission")}
        have = {r.id for r in fast.store.open_in(accounts=[ACCOUNT]) if r.rule_id in
                ("transitive-external-access", "broad-assume-permission")}  # fmt: skip
        assert have == wanted


def _retrust(inventory: Inventory, role: str, rng: random.Random) -> tuple[Inventory, str]:
    for _ in range(50):
        changed, what = mutate(inventory, rng, "trust")
        if what.endswith(role):
            return changed, what
    account = inventory.accounts[role.split(":")[4]]
    from dataclasses import replace  # noqa: PLC0415

    from chalicelib.iam.policy import parse_policy  # noqa: PLC0415

    trust = parse_policy({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                          "Principal": {"AWS": "arn:aws:iam::600000000000:root"}}]})  # fmt: skip
    accounts = {k: copy.copy(a) for k, a in inventory.accounts.items()}
    accounts[account.account_id].roles = {**account.roles, role: replace(account.roles[role], trust_policy=trust)}
    return Inventory(accounts.values(), inventory.organization), role


@pytest.mark.parametrize("damage", ["chunk", "head", "config"])
def test_a_damaged_or_foreign_stored_graph_audits_the_whole_account(table: Any, damage: str) -> None:
    world = World()
    fast = auditor(world, DynamoFindingStore(table), AccountGraphs(DynamoGraphCache(table)))
    fast.handle(identity_event(ACCOUNT, 0))
    items = table.query(KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": GRAPH_PREFIX + ACCOUNT})
    chunks = [i for i in items["Items"] if i["sk"].startswith("CHUNK#")]
    if damage == "chunk":
        table.put_item(Item={**chunks[0], "data": b"not gzip"})
    elif damage == "head":
        table.delete_item(Key={"pk": chunks[0]["pk"], "sk": chunks[0]["sk"]})
    else:
        fast = auditor(world, fast.store, fast.graphs, Config.model_validate({"organization_id": "o-otherorg123"}))
    world.inventory, _ = mutate(world.inventory, random.Random(2), "user-policy")
    outcome = fast.handle(identity_event(ACCOUNT, 1))
    assert "(whole account)" in outcome.action
    full = audit_inventory(world.load([ACCOUNT], False).inventory, fast.config, today=world.now.date())
    assert set(state(fast.store, ACCOUNT)) == {f.id for f in full.findings}
    assert "(incremental)" in fast.handle(identity_event(ACCOUNT, 2)).action  # and it is stored again


def test_the_dynamodb_cache_cuts_a_large_graph_into_items_and_checks_it(table: Any) -> None:
    cache = DynamoGraphCache(table)
    blob = random.Random(1).randbytes(CHUNK * 2 + 17)
    cache.put(ACCOUNT, blob)
    cache.put(ACCOUNT, blob[::-1])  # a new generation replaces the old one, whose items are deleted
    assert cache.get(ACCOUNT) == blob[::-1]
    items = table.query(KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": GRAPH_PREFIX + ACCOUNT})
    assert len(items["Items"]) == 4  # the head and three chunks
    last = max(i["sk"] for i in items["Items"] if i["sk"].startswith("CHUNK#"))
    table.put_item(Item={"pk": GRAPH_PREFIX + ACCOUNT, "sk": last, "data": b"x"})
    assert cache.get(ACCOUNT) is None  # the digest does not match: never half a graph
    assert cache.get("999999999999") is None


def test_findings_about_roles_the_change_did_not_touch_stay_open(table: Any) -> None:
    """A role-scoped audit-error (a condition key nobody knows) of an untouched role is not the change's to
    resolve: an identity change elsewhere leaves it open, as a whole-account audit would."""
    from dataclasses import replace  # noqa: PLC0415

    from chalicelib.iam.policy import parse_policy  # noqa: PLC0415

    world = World()
    account = world.inventory.accounts[ACCOUNT]
    role = sorted(account.roles)[0]
    odd = parse_policy({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                        "Condition": {"StringEquals": {"aws:PrincipalTagg/team": "a"}}}]})  # fmt: skip
    changed = copy.copy(account)
    changed.roles = {**account.roles, role: replace(account.roles[role], trust_policy=odd)}
    world.inventory = Inventory([changed], world.inventory.organization)
    fast = auditor(world, DynamoFindingStore(table), AccountGraphs(DynamoGraphCache(table)))
    fast.handle(identity_event(ACCOUNT, 0))
    odd_findings = {r.id for r in fast.store.open_in(scopes=[role]) if r.rule_id == "audit-error"}
    assert odd_findings
    world.inventory, _ = mutate(world.inventory, random.Random(4), "user-policy")
    outcome = fast.handle(identity_event(ACCOUNT, 1))
    assert "(incremental)" in outcome.action
    assert odd_findings <= {r.id for r in fast.store.open_in(scopes=[role])}
    assert not [c for c in outcome.changes if c.finding.id in odd_findings]
