"""Out-of-order CloudTrail events give no false all-clear and no false alert (issue 9, item 3).

GIVEN foobaz trusting an account nobody trusts (its findings open after the daily re-scan), two recorded
UpdateAssumeRolePolicy calls: one at 16:00 that fixed it, one at 17:00 that opened it again (what is live).
CloudTrail may deliver them in either order; neither order may resolve the findings or announce them anew.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib import wiring
from chalicelib.devtools.seed import iam_client
from tests.integration import test_handlers as handlers
from tests.integration.test_handlers import Stand, event, invoke, rescan_seed_accounts

stand = handlers.stand  # the fixture
FOOBAZ = handlers.FOOBAZ


def at(name: str, when: str) -> dict[str, Any]:
    raw = event(name)
    raw["time"] = raw["detail"]["eventTime"] = when
    return raw


FIXED = at("iam-update-assume-role-policy-fixed.json", "2026-11-24T16:00:00Z")
OPENED = at("iam-update-assume-role-policy-untrusted-account.json", "2026-11-24T17:00:00Z")


@pytest.fixture
def opened(stand: Stand) -> Stand:
    policy = OPENED["detail"]["requestParameters"]["policyDocument"]
    iam = iam_client(stand.session, "222222222222", endpoint_url=stand.endpoint)
    iam.update_assume_role_policy(RoleName="foobaz", PolicyDocument=policy)  # both calls made: 17:00's is live
    rescan_seed_accounts()
    stand.slack.reset()
    stand.sns_messages()
    return stand


def open_rules() -> set[str]:
    return {r.rule_id for r in wiring.current().store.open_in(scopes=[FOOBAZ])}


@pytest.mark.parametrize("order", [(OPENED, FIXED), (FIXED, OPENED)], ids=["newer-first", "older-first"])
def test_events_in_either_order_leave_the_live_findings_open_and_announce_nothing(
    opened: Stand, order: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    before = open_rules()
    assert "untrusted-account" in before
    summaries = [invoke("on_iam_change", raw) for raw in order]
    # THEN nothing was resolved or announced, and the live role's findings are still open
    assert [s["changes"] for s in summaries] == [{}, {}], json.dumps(summaries)
    assert opened.slack.posts == [] and opened.sns_messages() == []
    assert open_rules() == before


def test_an_event_older_than_the_change_applied_is_ignored_with_its_reason(opened: Stand) -> None:
    invoke("on_iam_change", OPENED)
    summary = invoke("on_iam_change", FIXED)
    assert summary["action"] == "ignored"
    assert "2026-11-24T16:00:00Z is older than the change of 2026-11-24T17:00:00Z" in summary["reason"]
