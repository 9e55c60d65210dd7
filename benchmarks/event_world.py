"""The live account of the per-event benchmark (`bench_event`): what GetAccountAuthorizationDetails returns.

The world keeps one account of a generated organization (the others only matter as the outside of its trust
boundary, which the organization's account list already says), changes it as CloudTrail events do
(`benchmarks.mutate`), and serialises it as the API's JSON after each change, outside the measured time, so
that each event parses the account afresh, as the Lambda does.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.mutate import mutate
from benchmarks.snapshot_files import write_snapshots
from chalicelib.auditor.account_graph import AccountGraphs
from chalicelib.auditor.auditor import Auditor
from chalicelib.auditor.graph_cache import DynamoGraphCache
from chalicelib.auditor.memory import InMemoryDeniedLog, InMemoryTrustHistory
from chalicelib.config import Config
from chalicelib.events.models import CloudTrailEvent, parse_event
from chalicelib.iam.entities import Account, Inventory
from chalicelib.inventory.boto3_iam import GAAD_PAGE_SIZE
from chalicelib.inventory.gaad import parse_authorization_details
from chalicelib.inventory.port import LoadResult
from chalicelib.state.dynamo import DynamoFindingStore

EVENTS = Path(__file__).resolve().parents[1] / "events"
CONFIG = Config.model_validate({"organization_id": "o-bench12345"})


class World:
    def __init__(self, organization: Inventory) -> None:
        self.account_id = min(organization.accounts)
        self.inventory = Inventory([organization.accounts[self.account_id]], organization.organization)
        self.now = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
        self.rng = random.Random(5)
        self.events = 0
        self._body = self._serialise()

    def account(self) -> Account:
        return self.inventory.accounts[self.account_id]

    def pages(self) -> int:
        a = self.account()
        return math.ceil((len(a.users) + len(a.groups) + len(a.roles) + len(a.managed_policies)) / GAAD_PAGE_SIZE)

    def _serialise(self) -> bytes:
        with tempfile.TemporaryDirectory() as directory:
            return write_snapshots(Inventory([self.account()]), Path(directory))[0].read_bytes()

    def load(self, accounts: object, organization: bool) -> LoadResult:
        account = parse_authorization_details(json.loads(self._body), source=f"{self.account_id} (benchmark)")
        return LoadResult(Inventory([account], self.inventory.organization))

    def clock(self) -> dt.datetime:
        return self.now

    def auditor(self, table: Any) -> Auditor:
        return Auditor(load=self.load, store=DynamoFindingStore(table), history=InMemoryTrustHistory(),
                       denied=InMemoryDeniedLog(), notifiers=(), config=CONFIG, clock=self.clock,
                       prefer_live_trust=True, graphs=AccountGraphs(DynamoGraphCache(table)))  # fmt: skip

    def change(self, kind: str) -> CloudTrailEvent:
        """Change the account (``user-policy`` or ``trust``) and return the event CloudTrail sends for it."""
        self.inventory, what = mutate(self.inventory, self.rng, kind)
        self._body = self._serialise()
        self.now += dt.timedelta(minutes=5)
        return self.trust_event(what.split()[1]) if kind == "trust" else self.identity_event()

    def _event(self, name: str) -> dict[str, Any]:
        self.events += 1
        raw: dict[str, Any] = json.loads((EVENTS / name).read_text())
        raw["account"] = raw["detail"]["recipientAccountId"] = self.account_id
        raw["detail"]["eventID"] = f"bench-{self.events}"
        raw["detail"]["eventTime"] = self.now.strftime("%Y-%m-%dT%H:%M:%SZ")
        return raw

    def identity_event(self) -> CloudTrailEvent:
        return parse_event(self._event("iam-put-user-policy.json"))

    def trust_event(self, role_arn: str) -> CloudTrailEvent:
        raw = self._event("iam-update-assume-role-policy-fixed.json")
        raw["detail"]["requestParameters"]["roleName"] = role_arn.rsplit("/", 1)[1]
        return parse_event(raw)
