"""Suppressions by finding id and by principal/account pattern; scans report the ones that match nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.cli import main
from chalicelib.config import ConfigError, parse_config
from chalicelib.iam.entities import Inventory
from chalicelib.iam.policy import parse_policy
from chalicelib.inventory.snapshot import parse_authorization_details
from chalicelib.rules.engine import AuditResult, audit_inventory, audit_trust_document

ROLE = "arn:aws:iam::111111111111:role/vendor-access"
VENDOR, STRANGER = "999999999999", "888888888888"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{VENDOR}:root", f"arn:aws:iam::{STRANGER}:role/x"]},
         "Action": "sts:AssumeRole"},
    ],
}  # fmt: skip


def _check(suppressions: list[dict[str, Any]]) -> AuditResult:
    config = parse_config({"suppressions": suppressions})
    return audit_trust_document(parse_policy(TRUST), ROLE, config)


def _untrusted(result: AuditResult) -> dict[str, bool]:
    """Account -> still active, for the untrusted-account findings."""
    return {f.evidence["account"]: f.active for f in result.findings if f.rule_id == "untrusted-account"}


def test_without_suppressions_both_accounts_are_untrusted() -> None:
    assert _untrusted(_check([])) == {VENDOR: True, STRANGER: True}


@pytest.mark.parametrize(
    "criteria",
    [
        pytest.param({"rule": "untrusted-account", "role": ROLE, "account": VENDOR}, id="account"),
        pytest.param({"rule": "untrusted-account", "account": "9999*"}, id="account-pattern"),
        pytest.param({"rule": "*", "principal": f"arn:aws:iam::{VENDOR}:*"}, id="principal-pattern"),
    ],
)
def test_accepting_one_vendor_does_not_hide_a_new_account_on_the_same_role(criteria: dict[str, Any]) -> None:
    # GIVEN a role that trusts the accepted vendor and an unknown account, and a suppression for the vendor only
    result = _check([{**criteria, "reason": "SEC-123"}])
    # THEN the vendor's finding is suppressed and the unknown account still alerts
    assert _untrusted(result) == {VENDOR: False, STRANGER: True}


def test_a_suppression_by_id_covers_exactly_that_finding() -> None:
    # GIVEN the id of the vendor's untrusted-account finding, as a report shows it
    vendor_id = next(f.id for f in _check([]).findings if f.evidence.get("account") == VENDOR)
    # WHEN suppressed by that id alone (no rule, no role)
    result = _check([{"id": vendor_id, "reason": "SEC-124"}])
    # THEN that finding only is suppressed, not the other account's nor the vendor's other rules
    suppressed = [f for f in result.findings if not f.active]
    assert [f.id for f in suppressed] == [vendor_id]
    assert _untrusted(result)[STRANGER] is True


@pytest.mark.parametrize(
    ("entry", "field", "message"),
    [
        pytest.param({"reason": "r"}, "suppressions.0", "a suppression needs a rule", id="neither-rule-nor-id"),
        pytest.param({"id": "06cdb7aa", "reason": "r"}, "suppressions.0.id", "is not a finding id", id="bad-id"),
        pytest.param({"rule": "*", "acount": VENDOR, "reason": "r"}, "suppressions.0.acount", "unknown setting",
                     id="misspelt-criterion"),
    ],
)  # fmt: skip
def test_a_bad_suppression_names_its_field(entry: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config({"suppressions": [entry]}, source="c.yml")
    assert str(raised.value).startswith(f"c.yml: {field}: ") and message in str(raised.value)


# --- unused suppressions, in scans ---------------------------------------------------------------------


def _gaad() -> dict[str, Any]:
    role = {"RoleName": "vendor-access", "RoleId": "AROAVENDORACCESS0001", "Arn": ROLE, "Path": "/",
            "AssumeRolePolicyDocument": TRUST}  # fmt: skip
    return {"RoleDetailList": [role]}


STALE = {"rule": "untrusted-account", "role": "arn:aws:iam::111111111111:role/old-*", "reason": "SEC-9"}
USED = {"rule": "untrusted-account", "account": VENDOR, "reason": "SEC-123"}


def test_a_scan_reports_the_suppressions_that_matched_nothing() -> None:
    inventory = Inventory([parse_authorization_details(_gaad(), source="a.json")])
    result = audit_inventory(inventory, parse_config({"suppressions": [USED, STALE]}))
    assert [(u.index, u.criteria) for u in result.unused_suppressions] == [
        (1, "rule untrusted-account, role arn:aws:iam::111111111111:role/old-*")
    ]


def test_check_trust_sees_one_role_and_reports_no_unused_suppression() -> None:
    assert _check([STALE]).unused_suppressions == ()


def _scan(tmp_path: Path, *extra: str) -> list[str]:
    (tmp_path / "a.json").write_text(json.dumps(_gaad()))
    (tmp_path / "c.json").write_text(json.dumps({"suppressions": [USED, STALE]}))
    return ["scan", "--snapshot", str(tmp_path / "a.json"), "--config", str(tmp_path / "c.json"), *extra]


def test_scan_text_shows_each_finding_id_and_the_unused_suppression(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_scan(tmp_path)) == 0
    out = capsys.readouterr().out
    stranger = next(f for f in _check([]).findings if f.evidence.get("account") == STRANGER)
    assert f"      id: {stranger.id}\n" in out
    assert "UNUSED SUPPRESSIONS (1)\n  warning: suppressions.1 (rule untrusted-account, role " in out


def test_scan_json_lists_the_unused_suppression_and_warns_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_scan(tmp_path, "--format", "json")) == 0
    captured = capsys.readouterr()
    warnings = json.loads(captured.out)["warnings"]
    assert [(w["kind"], w["index"], w["reason"]) for w in warnings] == [("unused-suppression", 1, "SEC-9")]
    assert captured.err.startswith(f"trustwatch: warning: {tmp_path / 'c.json'}: suppressions.1 (")
