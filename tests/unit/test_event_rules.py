"""The change and runtime rules (new-access, unexpected-assumption, denied-assumption-burst, auditor-tampering)."""

from __future__ import annotations

from typing import Any

from chalicelib.config import Config
from chalicelib.iam.policy import parse_policy
from chalicelib.rules import new_access, runtime
from chalicelib.rules.context import AuditContext, RoleTarget
from chalicelib.rules.engine import audit_trust_document
from chalicelib.rules.findings import Finding, Severity

FOOBAZ = "arn:aws:iam::222222222222:role/foobaz"
FOOBAR = "arn:aws:iam::111111111111:role/foobar"
CONFIG = Config(trusted_accounts={"111111111111": "a", "222222222222": "b"})


def trust(*principals: Any) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": "sts:AssumeRole"}],
    }


def change(old: dict[str, Any] | None, new: dict[str, Any]) -> Finding | None:
    document = parse_policy(new)
    verdicts = audit_trust_document(document, FOOBAZ, CONFIG).findings
    return new_access.check(
        RoleTarget(FOOBAZ, document),
        AuditContext(CONFIG),
        previous=parse_policy(old) if old else None,
        verdicts=verdicts,
        change="UpdateAssumeRolePolicy by alice",
    )


def test_adding_an_untrusted_account_is_new_access_at_the_rules_severity() -> None:
    finding = change(trust(FOOBAR), trust(FOOBAR, "arn:aws:iam::999988887777:root"))
    assert finding is not None
    assert finding.severity is Severity.HIGH  # untrusted-account and missing-external-id say high
    assert finding.principal == "arn:aws:iam::999988887777:root"
    assert "UpdateAssumeRolePolicy by alice" in finding.explanation
    assert finding.evidence["added"] == ["arn:aws:iam::999988887777:root (sts:AssumeRole)"]


def test_the_same_change_has_the_same_id_and_no_change_has_no_finding() -> None:
    first = change(trust(FOOBAR), trust(FOOBAR, "999988887777"))
    second = change(trust(FOOBAR), trust(FOOBAR, "999988887777"))
    assert first is not None and second is not None and first.id == second.id
    assert change(trust(FOOBAR), trust(FOOBAR)) is None


def test_removing_access_is_not_new_access() -> None:
    assert change(trust(FOOBAR, "999988887777"), trust(FOOBAR)) is None


def test_dropping_a_narrowing_condition_counts_as_added_access() -> None:
    narrowed = trust("*")
    narrowed["Statement"][0]["Condition"] = {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}
    finding = change(narrowed, trust("*"))
    assert finding is not None and finding.severity is Severity.CRITICAL


def test_a_new_role_reports_all_its_grants_and_same_account_names_are_info() -> None:
    finding = change(None, trust("arn:aws:iam::222222222222:role/deployer"))
    assert finding is not None and finding.severity is Severity.INFO
    assert "the role is new" in finding.explanation


def test_runtime_findings_are_stable_and_name_the_caller() -> None:
    ctx = AuditContext(CONFIG)
    caller = "arn:aws:sts::999988887777:assumed-role/x/s"
    one = runtime.unexpected_assumption(
        ctx, role_arn=FOOBAZ, caller=caller, caller_account="999988887777", why="untrusted account", key="untrusted"
    )
    two = runtime.unexpected_assumption(
        ctx, role_arn=FOOBAZ, caller=caller, caller_account="999988887777", why="untrusted account", key="untrusted"
    )
    assert one.id == two.id and one.severity is Severity.HIGH and caller in one.explanation
    burst = runtime.denied_burst(ctx, caller=caller, account_id="222222222222", roles=[FOOBAZ] * 5, count=5, window=300)
    assert burst.severity is Severity.MEDIUM and "5 times within 300 seconds" in burst.explanation
    tamper = runtime.tampering(
        ctx, account_id="222222222222", resource="trustwatch-dev-on_iam_change", action="DisableRule", actor="bob"
    )
    assert tamper.severity is Severity.CRITICAL and tamper.rule_id == "auditor-tampering"
