"""Commands that print no audit-error findings still say what the snapshots' loading left out (issue 8).

`scan` reports each entry dropped from a snapshot (and each policy that does not parse) as an audit-error
finding; `can-assume`, `who-can-assume`, `replay` and `check-template --baseline-snapshot` answer from the
same inventory, so each such entry is one warning line on stderr naming the file and the entry, and the answer
itself is unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.cli import main

A = "123456789012"
ROLE = f"arn:aws:iam::{A}:role/app"
ALICE = f"arn:aws:iam::{A}:user/alice"
TEMPLATE = Path(__file__).resolve().parents[1] / "data" / "templates" / "app.yaml"
EVENT = Path(__file__).resolve().parents[2] / "events" / "sts-assume-role-same-account.json"
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": ALICE},
                                                 "Action": "sts:AssumeRole"}]}  # fmt: skip


def _user(name: str, arn: str, **extra: Any) -> dict[str, Any]:
    return {"UserName": name, "UserId": f"AIDA{name.upper().replace('-', ''):0<16}", "Arn": arn, "Path": "/", **extra}


APP = {"RoleName": "app", "RoleId": "AROAAPP0000000000000", "Arn": ROLE, "Path": "/", "AssumeRolePolicyDocument": TRUST}
SNAPSHOT = {
    "UserDetailList": [
        _user("alice", ALICE),
        _user("aws-demo-1", "arn:aws:iam::aws:user/aws-demo-1"),  # a public demo file's entry: left out
        _user("bob", f"arn:aws:iam::{A}:user/bob", UserPolicyList=[{"PolicyName": "broken", "PolicyDocument": "{"}]),
    ],
    "GroupDetailList": [],
    "RoleDetailList": [APP],
    "Policies": [],
}
COMMANDS = {
    "can-assume": ["can-assume", "--snapshot", "{snap}", "--principal", ALICE, "--role", ROLE],
    "who-can-assume": ["who-can-assume", "--snapshot", "{snap}", "--role", ROLE],
    "replay": ["replay", str(EVENT), "--snapshot", "{snap}"],
    "check-template": ["check-template", str(TEMPLATE), "--baseline-snapshot", "{snap}"],
}


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_each_entry_left_out_is_one_warning_naming_file_and_entry(
    command: str, fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a snapshot with a user of the "aws" account and a user whose inline policy does not parse
    snap = tmp_path / "demo.json"
    snap.write_text(json.dumps(SNAPSHOT))
    # WHEN a command that prints no audit-error findings answers from it
    code = main([*(a.format(snap=snap) for a in COMMANDS[command]), "--format", fmt])
    out, err = capsys.readouterr()
    # THEN it still answers (stdout stays the answer: JSON stays JSON)...
    assert code == 0, err
    if fmt == "json":
        json.loads(out)
    # ...and stderr has one line per entry left out, naming the file and the entry
    warnings = [line for line in err.splitlines() if line.startswith("trustwatch: warning: ")]
    assert len(warnings) == 2, err
    assert all(str(snap) in line for line in warnings)
    assert any("UserDetailList[1]" in line and "aws-demo-1" in line for line in warnings)
    assert any("'broken'" in line and "bob" in line for line in warnings)


def test_a_clean_snapshot_warns_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = {**SNAPSHOT, "UserDetailList": [_user("alice", ALICE)]}
    snap = tmp_path / "clean.json"
    snap.write_text(json.dumps(clean))
    assert main(["who-can-assume", "--snapshot", str(snap), "--role", ROLE]) == 0
    assert capsys.readouterr().err == ""


def test_a_hostile_entry_name_cannot_forge_a_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hostile = {**SNAPSHOT, "UserDetailList": [_user("x\nFAKE \x1b[31m", "arn:aws:iam::aws:user/x")]}
    snap = tmp_path / "hostile.json"
    snap.write_text(json.dumps(hostile))
    assert main(["who-can-assume", "--snapshot", str(snap), "--role", ROLE]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "\x1b" not in err
