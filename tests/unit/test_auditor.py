"""The auditor's use cases over in-memory state and snapshot accounts (the Lambda path minus AWS)."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from chalicelib.auditor.auditor import Auditor
from chalicelib.auditor.memory import InMemoryDeniedLog, InMemoryTrustHistory
from chalicelib.config import Config
from chalicelib.events.models import parse_event
from chalicelib.iam.entities import Inventory
from chalicelib.inventory.port import LoadResult
from chalicelib.inventory.snapshot import load_snapshots
from chalicelib.state.store import InMemoryFindingStore
from tests.conftest import SNAPSHOTS

EVENTS = Path(__file__).resolve().parents[2] / "events"
FILES = [*(SNAPSHOTS / "seed-001").glob("*.json"), *(SNAPSHOTS / "seed-000-granted").glob("*.json")]
TRUSTED = Config(trusted_accounts={"123456789012": "x", "111111111111": "a", "222222222222": "b"})


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


def auditor(clock: Clock | None = None) -> Auditor:
    inventory = load_snapshots(FILES)

    def load(accounts: Sequence[str] | None, organization: bool) -> LoadResult:
        chosen = [a for k, a in inventory.accounts.items() if accounts is None or k in accounts]
        return LoadResult(Inventory(chosen))

    return Auditor(
        load=load,
        store=InMemoryFindingStore(),
        history=InMemoryTrustHistory(),
        denied=InMemoryDeniedLog(),
        notifiers=(),
        config=TRUSTED,
        clock=clock or Clock(),
    )


def sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return data


def test_a_burst_of_denied_assumptions_is_reported_once_at_the_threshold() -> None:
    clock = Clock()
    subject = auditor(clock)
    raw = sample("sts-assume-role-denied.json")
    kinds = []
    for attempt in range(7):
        event = copy.deepcopy(raw)
        event["detail"]["eventID"] = f"denied-{attempt}"
        clock.now += dt.timedelta(seconds=20)
        kinds.append(subject.handle(parse_event(event)).summary()["changes"])
    # the fifth attempt within five minutes crosses the threshold; later ones repeat the same open finding
    assert kinds == [{}, {}, {}, {}, {"new": 1}, {}, {}]


def test_denied_attempts_spread_over_time_are_not_a_burst() -> None:
    clock = Clock()
    subject = auditor(clock)
    raw = sample("sts-assume-role-denied.json")
    for attempt in range(6):
        event = copy.deepcopy(raw)
        event["detail"]["eventID"] = f"slow-{attempt}"
        clock.now += dt.timedelta(minutes=10)
        assert subject.handle(parse_event(event)).summary()["changes"] == {}


def test_an_assumption_the_trust_model_denies_is_unexpected() -> None:
    # GIVEN RoleA's session assuming RoleB, which seed 001 says RoleA cannot (RoleB trusts the account and
    # RoleA's identity policy covers only /allowed-roles-path/)
    raw = sample("sts-assume-role-same-account.json")
    raw["detail"]["requestParameters"]["roleArn"] = "arn:aws:iam::123456789012:role/RoleB"
    raw["detail"]["eventID"] = "stale-inventory"
    outcome = auditor().handle(parse_event(raw))
    findings = [c.finding for c in outcome.changes]
    assert [f.rule_id for f in findings] == ["unexpected-assumption"]
    assert "the trust model says this call is denied" in findings[0].explanation


def test_an_assumption_the_model_allows_is_quiet() -> None:
    outcome = auditor().handle(parse_event(sample("sts-assume-role-same-account.json")))
    assert outcome.changes == []


def test_a_trust_change_is_diffed_against_the_last_policy_seen() -> None:
    subject = auditor()
    subject.rescan_accounts(["222222222222"])  # the daily scan remembers foobaz's trust (foobar only)
    outcome = subject.handle(parse_event(sample("iam-update-assume-role-policy-untrusted-account.json")))
    new_access = next(c.finding for c in outcome.changes if c.finding.rule_id == "new-access")
    assert new_access.evidence["added"] == ["arn:aws:iam::999988887777:root (sts:AssumeRole)"]
    assert "compared with the trust policy Trustwatch last saw" in new_access.explanation
    assert outcome.changes[0].context["actor"].startswith("carol")
