"""A scan of the seed scenarios finds exactly what the seed articles teach, no more, no less.

Seed 001's account, seed 000's two accounts (foobar granted) and seed 004's three accounts, scanned together
with every seed account trusted (they belong to one owner in the articles), and once without configuration
(then only each role's own account is trusted).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.cli import main
from chalicelib.config import parse_config
from chalicelib.inventory.snapshot import load_snapshots
from chalicelib.rules.engine import audit_inventory
from tests.conftest import SNAPSHOTS

SEED_FILES = sorted(
    str(p) for d in ("seed-001", "seed-000-granted", "seed-004") for p in (SNAPSHOTS / d).glob("*.json")
)
SEED_ACCOUNTS = ["123456789012", "111111111111", "222222222222", "444444444444", "555555555555", "666666666666"]
A = "arn:aws:iam::123456789012"
ROLE_A = f"{A}:role/RoleA"
CROSS_RO = "role/CrossAccountReadOnlyRole"

# (rule, role or None for caller-side findings, principal, severity)
OWNER_FINDINGS = {
    ("trust-bypasses-caller-policy", f"{A}:role/RoleC", ROLE_A, "medium"),
    ("trust-bypasses-caller-policy", f"{A}:role/allowed-roles-path/RoleE", ROLE_A, "low"),
    ("account-root-trust", f"{A}:role/RoleB", f"{A}:root", "info"),
    ("account-root-trust", f"{A}:role/allowed-roles-path/RoleD", f"{A}:root", "info"),
    ("account-root-trust", "arn:aws:iam::111111111111:role/foobar", "arn:aws:iam::111111111111:root", "info"),
    ("account-root-trust", f"arn:aws:iam::555555555555:{CROSS_RO}", "arn:aws:iam::444444444444:root", "medium"),
    ("account-root-trust", f"arn:aws:iam::666666666666:{CROSS_RO}", "arn:aws:iam::444444444444:root", "medium"),
    ("broad-assume-permission", None, "arn:aws:iam::444444444444:user/cloudquery", "medium"),
    ("broad-assume-permission", None, "arn:aws:iam::111111111111:group/admins", "medium"),
}
UNTRUSTED_FINDINGS = {
    (rule, f"arn:aws:iam::{acct}:{role}", principal, "high")
    for rule in ("untrusted-account", "missing-external-id")
    for acct, role, principal in (
        ("222222222222", "role/foobaz", "arn:aws:iam::111111111111:role/foobar"),
        ("555555555555", CROSS_RO, "arn:aws:iam::444444444444:root"),
        ("666666666666", CROSS_RO, "arn:aws:iam::444444444444:root"),
    )
}


def scan(config: dict[str, object] | None) -> set[tuple[str, str | None, str | None, str]]:
    result = audit_inventory(load_snapshots(SEED_FILES), parse_config(config))
    assert result.roles == 10 and result.errors == ()
    return {(f.rule_id, f.role_arn, f.principal, f.severity.value) for f in result.findings}


def test_seed_scan_as_the_owner_of_every_seed_account() -> None:
    assert scan({"trusted_accounts": dict.fromkeys(SEED_ACCOUNTS, "seed")}) == OWNER_FINDINGS


def test_seed_scan_without_configuration_distrusts_other_accounts() -> None:
    assert scan(None) == OWNER_FINDINGS | UNTRUSTED_FINDINGS


def test_seed_004_wildcard_policy_lists_the_roles_it_reaches() -> None:
    result = audit_inventory(load_snapshots(SEED_FILES), parse_config(None))
    finding = next(
        f for f in result.findings if f.rule_id == "broad-assume-permission" and "cloudquery" in (f.principal or "")
    )
    assert set(finding.evidence["reachable_roles"]) == {
        f"arn:aws:iam::555555555555:{CROSS_RO}",
        f"arn:aws:iam::666666666666:{CROSS_RO}",
    }
    assert "arn:aws:iam::*:role/CrossAccountReadOnlyRole" in finding.explanation


def test_fingerprints_are_stable_across_runs_and_file_order() -> None:
    first = {f.id for f in audit_inventory(load_snapshots(SEED_FILES)).findings}
    second = {f.id for f in audit_inventory(load_snapshots(list(reversed(SEED_FILES)))).findings}
    assert first == second and len(first) == len(OWNER_FINDINGS | UNTRUSTED_FINDINGS)


def test_scan_cli_json_and_fail_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["scan", *(a for f in SEED_FILES for a in ("--snapshot", f)), "--format", "json"]
    assert main([*args, "--fail-on", "critical"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["summary"]["roles"] == 10
    assert report["summary"]["findings"] == len(OWNER_FINDINGS | UNTRUSTED_FINDINGS)
    assert {f["rule_id"] for f in report["findings"]} >= {"untrusted-account", "trust-bypasses-caller-policy"}
    assert main([*args, "--fail-on", "high"]) == 1
    capsys.readouterr()


def test_suppression_with_reason_and_expiry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "trustwatch.yaml"
    config.write_text(
        "suppressions:\n"
        "  - rule: untrusted-account\n    role: 'arn:aws:iam::*:role/CrossAccount*'\n    reason: SEC-1 vendor\n"
        "    expires: 2999-01-01\n"
        "  - rule: missing-external-id\n    role: '*'\n    reason: SEC-2\n    expires: 2001-01-01\n"
    )
    args = ["scan", *(a for f in SEED_FILES for a in ("--snapshot", f)), "--format", "json", "--config", str(config)]
    assert main(args) == 0
    findings = json.loads(capsys.readouterr().out)["findings"]
    suppressed = [f for f in findings if f["suppressed"] and not f["suppressed"]["expired"]]
    expired = [f for f in findings if f["suppressed"] and f["suppressed"]["expired"]]
    assert {f["rule_id"] for f in suppressed} == {"untrusted-account"} and len(suppressed) == 2
    assert {f["rule_id"] for f in expired} == {"missing-external-id"} and len(expired) == 3
    assert all("suppressed until 2001-01-01" in f["explanation"] for f in expired)


def test_config_naming_an_unknown_rule_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.json"
    config.write_text('{"rules": {"public-trsut": {"enabled": false}}}')
    assert main(["scan", "--snapshot", SEED_FILES[0], "--config", str(config)]) == 2
    assert "rules.public-trsut: unknown rule" in capsys.readouterr().err
