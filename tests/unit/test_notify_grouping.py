"""Notifications go out per change (issue 8 #13): one message per role for a re-scan, listing its findings most
severe first, within Slack's block limits; the findings themselves stay separate (the outcome, JSON)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from chalicelib.auditor.auditor import Auditor
from chalicelib.auditor.memory import InMemoryDeniedLog, InMemoryTrustHistory
from chalicelib.config import Config
from chalicelib.devtools import SlackStandIn
from chalicelib.iam.entities import Inventory
from chalicelib.inventory.port import LoadResult
from chalicelib.inventory.snapshot import load_snapshots
from chalicelib.notify import SlackNotifier
from chalicelib.notify.render import MAX_BLOCKS, slack_payload
from chalicelib.rules.findings import Finding, Severity
from chalicelib.state import Change, FindingRecord, InMemoryFindingStore

ACCOUNT = "111111111111"
NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
RANK = {s.value.upper(): s.rank for s in Severity}
LABEL = re.compile(r"^\*([A-Z]+)\* · (\S+) · ")
TEXT_LIMIT = 3000  # Slack: characters of a section's text


def trust(*principals: str) -> dict[str, Any]:
    statements = [{"Effect": "Allow", "Principal": {"AWS": p}, "Action": "sts:AssumeRole"} for p in principals]
    return {"Version": "2012-10-17", "Statement": statements}


def role(name: str, *principals: str) -> dict[str, Any]:
    return {
        "Path": "/",
        "RoleName": name,
        "RoleId": f"AROA{name.upper()}".ljust(21, "0"),
        "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
        "AssumeRolePolicyDocument": trust(*principals),
        "RolePolicyList": [],
        "AttachedManagedPolicies": [],
        "Tags": [],
    }


@pytest.fixture
def inventory(tmp_path: Path) -> Inventory:
    # alpha: public (critical), an unknown account without ExternalId (high, high, medium), its own account (info);
    # beta: the same without the public grant
    vendor, own = "arn:aws:iam::999999999999:root", f"arn:aws:iam::{ACCOUNT}:root"
    roles = [role("alpha", "*", vendor, own), role("beta", vendor, own)]
    path = tmp_path / f"{ACCOUNT}.json"
    document = {"UserDetailList": [], "GroupDetailList": [], "Policies": [], "RoleDetailList": roles}
    path.write_text(json.dumps(document), encoding="utf-8")
    return load_snapshots([path])


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        yield standin


def auditor(inventory: Inventory, slack: SlackStandIn) -> Auditor:
    def load(accounts: Sequence[str] | None, organization: bool) -> LoadResult:
        return LoadResult(inventory)

    return Auditor(
        load=load,
        store=InMemoryFindingStore(),
        history=InMemoryTrustHistory(),
        denied=InMemoryDeniedLog(),
        notifiers=(SlackNotifier(lambda _: slack.url, Severity.INFO, sleep=lambda _: None),),
        clock=lambda: NOW,
        config=Config(),
    )


def listed(payload: dict[str, Any]) -> list[tuple[str, str]]:
    """(severity label, rule) of each finding a Slack message shows, in order."""
    texts = [b["text"]["text"] for b in payload["blocks"] if b["type"] == "section" and "text" in b]
    return [(m[1], m[2]) for t in texts if (m := LABEL.match(t))]


def test_a_rescan_sends_one_message_per_role_most_severe_first(inventory: Inventory, slack: SlackStandIn) -> None:
    # WHEN the account is re-scanned for the first time
    outcome = auditor(inventory, slack).rescan_accounts([ACCOUNT])
    # THEN every finding is its own change (nine), but Slack gets exactly one message per role
    by_role: dict[str, list[Change]] = {}
    for found in outcome.changes:
        by_role.setdefault(found.finding.role_arn or "", []).append(found)
    assert sorted(by_role) == [f"arn:aws:iam::{ACCOUNT}:role/alpha", f"arn:aws:iam::{ACCOUNT}:role/beta"]
    assert len(outcome.changes) == 9 and len({c.finding.id for c in outcome.changes}) == 9
    posts = [p for p in slack.posts if p.status == 200]
    assert len(posts) == 2
    for post in posts:
        [arn] = [a for a in by_role if a.rsplit("/", 1)[1] in post.body["blocks"][0]["text"]["text"]]
        shown = listed(post.body)
        # each lists exactly its role's findings, critical before high before medium before info
        assert sorted(rule for _, rule in shown) == sorted(c.finding.rule_id for c in by_role[arn])
        ranks = [RANK[label] for label, _ in shown]
        assert ranks == sorted(ranks, reverse=True) and len(set(ranks)) >= 3, shown
        assert all(c.finding.id in json.dumps(post.body) for c in by_role[arn])
    alpha = next(p for p in posts if "role/alpha" in p.body["blocks"][0]["text"]["text"])
    assert listed(alpha.body)[0] == ("CRITICAL", "public-trust")


def change(index: int) -> Change:
    severity = list(Severity)[index % len(Severity)]
    finding = Finding(
        id=f"tw-{index:03d}",
        rule_id="untrusted-account",
        severity=severity,
        title=f"Account {index:012d} can assume role/many",
        account_id=ACCOUNT,
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/many",
        principal=f"arn:aws:iam::{index:012d}:root",
        statement=index,
        explanation="An account outside the trusted ones is trusted. " * 20,
        remediation="Remove the account from the trust policy.",
    )
    return Change(kind="new", finding=finding, record=FindingRecord.opened(finding, NOW))


def test_many_findings_fit_slacks_block_limits_and_say_how_many_more(slack: SlackStandIn) -> None:
    # GIVEN 80 findings on one role, of every severity, most severe first (as `deliver` orders them)
    changes = sorted((change(i) for i in range(80)), key=lambda c: -c.finding.severity.rank)
    payload = slack_payload(changes)
    blocks = payload["blocks"]
    # THEN the message stays within 50 blocks and Slack's text limits
    assert len(blocks) <= MAX_BLOCKS
    assert all(len(b["text"]["text"]) <= TEXT_LIMIT for b in blocks if b["type"] == "section" and "text" in b)
    shown = listed(payload)
    assert [RANK[label] for label, _ in shown] == [c.finding.severity.rank for c in changes[: len(shown)]]
    # AND it ends (before the footer of ids) with "And N more", N being exactly the findings not shown, by id
    more = blocks[-2]["text"]["text"]
    count = re.match(r"^\*And (\d+) more:\* ", more)
    assert count is not None and int(count[1]) == 80 - len(shown) > 0
    assert re.findall(r"tw-\d{3}", more) == [c.finding.id for c in changes[len(shown) :]]
    # AND the Slack stand-in takes it as one message
    SlackNotifier(lambda _: slack.url, Severity.INFO, sleep=lambda _: None).send(changes)
    assert [p.status for p in slack.posts] == [200] and len(slack.posts[0].body["blocks"]) <= MAX_BLOCKS
