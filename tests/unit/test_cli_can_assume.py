"""`trustwatch can-assume`: output formats, context options and bad input (exit 2, one line naming the place)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chalicelib.cli import main
from chalicelib.cli.can_assume import _context
from tests.conftest import SNAPSHOTS, VECTORS_FILE, load_vectors

SEED_001 = str(SNAPSHOTS / "seed-001" / "123456789012.json")
ROLE_A = "arn:aws:iam::123456789012:role/RoleA"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def write(tmp_path: Path, name: str, content: Any) -> str:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def vector(name: str) -> dict[str, Any]:
    return next(c for c in load_vectors() if c["name"] == name)


def test_snapshot_json_output_has_the_contract_fields(capsys: pytest.CaptureFixture[str]) -> None:
    role = "arn:aws:iam::123456789012:role/RoleB"
    code, out, _ = run(
        ["can-assume", "--snapshot", SEED_001, "--principal", ROLE_A, "--role", role, "--format", "json"], capsys
    )
    payload = json.loads(out)
    assert code == 0
    assert payload["decision"] == "implicit-deny"
    assert payload["principal"] == ROLE_A and payload["role"] == role
    assert any("no identity policy" in r for r in payload["reasons"])


def test_text_output_names_the_decision_and_each_reason(capsys: pytest.CaptureFixture[str]) -> None:
    role = "arn:aws:iam::123456789012:role/RoleC"
    code, out, _ = run(["can-assume", "--snapshot", SEED_001, "--principal", ROLE_A, "--role", role], capsys)
    assert code == 0
    assert out.startswith("ALLOW ")
    assert "  - trust grant: trust policy statement 0 via role principal " + ROLE_A in out


def test_a_case_without_the_context_its_trust_requires_is_denied(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN case T36 (trust requires ExternalId "abc") stripped of its context
    cases = write(tmp_path, "t36.json", {**vector("T36"), "context": {}})
    code, out, _ = run(["can-assume", "--request", cases, "--format", "json"], capsys)
    assert code == 0 and json.loads(out)[0]["decision"] == "implicit-deny"


def external_id_snapshot(tmp_path: Path) -> str:
    """Seed 001, with RoleD's trust requiring ExternalId abc or def."""
    data = json.loads(Path(SEED_001).read_text())
    role_d = next(r for r in data["RoleDetailList"] if r["RoleName"] == "RoleD")
    role_d["AssumeRolePolicyDocument"] = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": ["abc", "def"]}},
            }
        ],
    }
    return write(tmp_path, "123456789012.json", data)


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        pytest.param([], "implicit-deny", id="no-external-id"),
        pytest.param(["--context", "sts:ExternalId=zzz"], "implicit-deny", id="wrong-external-id"),
        pytest.param(["--context", "sts:ExternalId=def"], "allow", id="right-external-id"),
    ],
)
def test_context_option_feeds_the_conditions(
    context: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snapshot = external_id_snapshot(tmp_path)
    role_d = "arn:aws:iam::123456789012:role/allowed-roles-path/RoleD"
    argv = ["can-assume", "--snapshot", snapshot, "--principal", ROLE_A, "--role", role_d, "--format", "json"]
    code, out, _ = run([*argv, *context], capsys)
    assert code == 0 and json.loads(out)["decision"] == expected


def test_repeated_context_keys_become_one_multivalued_key() -> None:
    assert _context(["k=1", "k=2", "j=a=b"]) == {"k": ["1", "2"], "j": "a=b"}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param("{not json", "not JSON: ", id="invalid-json"),
        pytest.param(
            [{**vector("T01"), "trust": {"Statement": {"Effect": "Alow"}}}],
            "trust: Statement[0].Effect",
            id="bad-effect",
        ),
        pytest.param([{**vector("T01"), "trust": {"Statement": "x"}}], "trust: Statement", id="statement-not-object"),
        pytest.param(
            [
                {
                    **vector("T01"),
                    "trust": {
                        "Statement": [
                            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Resource": "*"}
                        ]
                    },
                }
            ],
            "Statement[0].Resource: a trust policy may not contain Resource",
            id="resource-in-trust",
        ),
        pytest.param(
            [
                {
                    **vector("T01"),
                    "trust": {
                        "Statement": [{"Effect": "Allow", "NotPrincipal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]
                    },
                }
            ],
            "Statement[0].NotPrincipal",
            id="not-principal",
        ),
        pytest.param(
            [
                {
                    **vector("T01"),
                    "trust": {
                        "Statement": [
                            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::*:root"}, "Action": "sts:AssumeRole"}
                        ]
                    },
                }
            ],
            "Statement[0].Principal.AWS[0]: partial wildcard",
            id="partial-wildcard",
        ),
        pytest.param([{**vector("T01"), "principal": "bob"}], "not a principal ARN", id="bad-principal"),
        pytest.param([], "no cases", id="empty-list"),
    ],
)
def test_bad_request_file_exits_2_with_one_line_naming_file_and_place(
    content: Any, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "cases.json", content)
    code, out, err = run(["can-assume", "--request", path], capsys)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"trustwatch: {path}")
    assert expected in err


def test_unreadable_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = str(tmp_path / "missing.json")
    code, _, err = run(["can-assume", "--request", missing], capsys)
    assert code == 2 and err.startswith(f"trustwatch: {missing}: cannot read")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        pytest.param(["--principal", ROLE_A], "needs --principal ARN and --role ARN", id="missing-role"),
        pytest.param(
            ["--principal", ROLE_A, "--role", "arn:aws:iam::123456789012:role/Nope"],
            "not in the loaded",
            id="unknown-role",
        ),
        pytest.param(
            ["--principal", ROLE_A, "--role", "arn:aws:iam::123456789012:role/RoleB", "--context", "novalue"],
            "expected KEY=VALUE",
            id="bad-context",
        ),
    ],
)
def test_bad_snapshot_usage_exits_2(argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["can-assume", "--snapshot", SEED_001, *argv], capsys)
    assert code == 2 and expected in err


def test_invalid_snapshot_file_exits_2_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "snap.json", {"RoleDetailList": [{"RoleName": "x"}]})
    code, _, err = run(["can-assume", "--snapshot", path, "--principal", ROLE_A, "--role", ROLE_A], capsys)
    assert code == 2 and path in err and "RoleDetailList[0]" in err


def test_output_option_writes_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out.json"
    code, out, _ = run(
        ["can-assume", "--request", str(VECTORS_FILE), "--format", "json", "--output", str(target)], capsys
    )
    assert code == 0 and out == ""
    assert len(json.loads(target.read_text())) == 63


def test_installed_console_script_runs_the_request_form() -> None:
    # The `trustwatch` entry point that `make install` puts into .venv/bin, not only the function.
    script = shutil.which("trustwatch", path=str(Path(sys.executable).parent))
    assert script is not None
    result = subprocess.run(
        [script, "can-assume", "--request", str(VECTORS_FILE), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)) == 63
