"""The seven outcomes observed on real AWS in the seed articles, each a named test.

They run twice: from the seed accounts written as get-account-authorization-details snapshots (through
`trustwatch can-assume --snapshot`), and as the spec's self-contained vectors T01-T07 (through `can_assume`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.cli import main
from chalicelib.iam.cases import request_from_case
from chalicelib.iam.evaluate import can_assume
from tests.conftest import EXPECTED_DECISION, SNAPSHOTS, load_vectors

ACCOUNT = "arn:aws:iam::123456789012"
ROLE_A = f"{ACCOUNT}:role/RoleA"
FOOBAR = "arn:aws:iam::111111111111:role/foobar"
FOOBAZ = "arn:aws:iam::222222222222:role/foobaz"
SSO_ADMIN = (
    "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_dc4bb76cf910dcda"
)


def snapshot_decision(snapshot_dir: str, principal: str, role: str, capsys: pytest.CaptureFixture[str]) -> str:
    files = [str(p) for p in sorted((SNAPSHOTS / snapshot_dir).glob("*.json"))]
    code = main(["can-assume", "--snapshot", *files, "--principal", principal, "--role", role, "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["reasons"], "every decision carries its reasons"
    assert "gaps" not in out, out.get("gaps")
    decision: str = out["decision"]
    return decision


def vector_decision(name: str) -> tuple[str, str]:
    case = next(c for c in load_vectors() if c["name"] == name)
    _, request = request_from_case(case)
    return can_assume(request).decision.value, EXPECTED_DECISION[case["expect"]]


def test_role_a_cannot_assume_role_b_outside_its_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert snapshot_decision("seed-001", ROLE_A, f"{ACCOUNT}:role/RoleB", capsys) == "implicit-deny"
    assert vector_decision("T01") == ("implicit-deny", "implicit-deny")


def test_role_a_assumes_role_c_because_the_trust_policy_names_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert snapshot_decision("seed-001", ROLE_A, f"{ACCOUNT}:role/RoleC", capsys) == "allow"
    assert vector_decision("T02") == ("allow", "allow")


def test_role_a_assumes_role_d_inside_its_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert snapshot_decision("seed-001", ROLE_A, f"{ACCOUNT}:role/allowed-roles-path/RoleD", capsys) == "allow"
    assert vector_decision("T03") == ("allow", "allow")


def test_role_a_assumes_role_e_named_and_inside_its_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert snapshot_decision("seed-001", ROLE_A, f"{ACCOUNT}:role/allowed-roles-path/RoleE", capsys) == "allow"
    assert vector_decision("T04") == ("allow", "allow")


def test_foobar_cannot_assume_foobaz_without_identity_permission(capsys: pytest.CaptureFixture[str]) -> None:
    assert snapshot_decision("seed-000-denied", FOOBAR, FOOBAZ, capsys) == "implicit-deny"
    assert vector_decision("T05") == ("implicit-deny", "implicit-deny")


def test_foobar_assumes_foobaz_with_identity_permission(capsys: pytest.CaptureFixture[str]) -> None:
    assert snapshot_decision("seed-000-granted", FOOBAR, FOOBAZ, capsys) == "allow"
    assert vector_decision("T06") == ("allow", "allow")


def test_sso_administrator_cannot_assume_foobaz(capsys: pytest.CaptureFixture[str]) -> None:
    assert snapshot_decision("seed-000-granted", SSO_ADMIN, FOOBAZ, capsys) == "implicit-deny"
    assert vector_decision("T07") == ("implicit-deny", "implicit-deny")


@pytest.mark.parametrize(
    ("snapshot_dir", "principal", "role"),
    [
        pytest.param("seed-001", ROLE_A, f"{ACCOUNT}:role/RoleC", id="same-account-role-grant"),
        pytest.param("seed-000-granted", FOOBAR, FOOBAZ, id="cross-account"),
    ],
)
def test_session_arn_principal_decides_like_its_role(
    snapshot_dir: str, principal: str, role: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the caller written as a session of the role instead of the role ARN  THEN the same decision
    account, name = principal.split(":")[4], principal.rsplit("/", 1)[1]
    session = f"arn:aws:sts::{account}:assumed-role/{name}/demo-session"
    assert snapshot_decision(snapshot_dir, session, role, capsys) == snapshot_decision(
        snapshot_dir, principal, role, capsys
    )


def test_snapshot_directories_exist() -> None:
    for name in ("seed-001", "seed-000-denied", "seed-000-granted"):
        assert list(Path(SNAPSHOTS / name).glob("*.json")), name
