"""Hostile text in a Sid, a path and a principal is neutralised in every output of every command (issue 9 #7).

The snapshot's user and role live under a path holding an OSC-8 hyperlink, a colour code, U+202E and a
Markdown link; the trust statement's Sid adds DEL, a C1 control and an attacker line break that would print
a fake line of its own; a trusted role session's name carries the same (session-principal-trust quotes it).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from chalicelib.cli import main

ESC_LINK = "\x1b]8;;javascript:alert(1)\x07click\x1b]8;;\x07"
SID = f"{ESC_LINK}\u202egnp\x7f\x9b[x](javascript:alert(1))\r\nFAKE ALLOW line"
PATH = "/ops\x1b[31m\u202e\u2066[x](javascript:alert(1))/"
USER = f"arn:aws:iam::111111111111:user{PATH}alice"
ROLE = f"arn:aws:iam::111111111111:role{PATH}target"
SESSION = f"arn:aws:sts::111111111111:assumed-role/ci/{ESC_LINK}\u202e[x](javascript:alert(1))\r\nFAKE"  # no '/'
TRUST = {"Version": "2012-10-17", "Statement": [{"Sid": SID, "Effect": "Allow", "Action": "sts:AssumeRole",
         "Principal": {"AWS": [USER, "arn:aws:iam::999999999999:root", SESSION]}}]}  # fmt: skip
SNAPSHOT = {
    "UserDetailList": [{"UserName": "alice", "Path": PATH, "UserId": "AIDAEXAMPLE", "Arn": USER,
                        "UserPolicyList": [], "GroupList": [], "AttachedManagedPolicies": [], "Tags": []}],
    "GroupDetailList": [],
    "Policies": [],
    "RoleDetailList": [{"RoleName": "target", "Path": PATH, "RoleId": "AROAEXAMPLE", "Arn": ROLE,
                        "AssumeRolePolicyDocument": TRUST, "RolePolicyList": [], "AttachedManagedPolicies": [],
                        "InstanceProfileList": [], "Tags": []}],
}  # fmt: skip
EVENT = Path(__file__).resolve().parents[2] / "events" / "iam-update-assume-role-policy-untrusted-account.json"
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
COMMANDS = {
    "scan": ["scan", "--snapshot", "{snap}"],
    "can-assume": ["can-assume", "--snapshot", "{snap}", "--principal", USER, "--role", ROLE],
    "who-can-assume": ["who-can-assume", "--snapshot", "{snap}", "--role", ROLE],
    "check-trust": ["check-trust", "{trust}", "--role-arn", "arn:aws:iam::111111111111:role/target"],
    "replay": ["replay", "{event}", "--snapshot", "{snap}"],
}
FORMATS = {
    "scan": ("text", "json", "sarif", "markdown"),
    "can-assume": ("text", "json"),
    "who-can-assume": ("text", "json", "markdown", "mermaid"),
    "check-trust": ("text", "json", "sarif", "markdown"),
    "replay": ("text", "json", "sarif", "markdown"),
}
CASES = [(c, f) for c, formats in FORMATS.items() for f in formats]


def hostile_event(tmp_path: Path) -> Path:
    """A trust change on the hostile role whose new policy carries the hostile Sid."""
    event = json.loads(EVENT.read_text())
    event["detail"]["requestParameters"]["roleName"] = "target"
    changed = json.loads(json.dumps(TRUST))
    changed["Statement"][0]["Principal"]["AWS"].append("arn:aws:iam::888888888888:root")  # a new grant
    event["detail"]["requestParameters"]["policyDocument"] = json.dumps(changed)
    event["account"] = event["detail"]["recipientAccountId"] = "111111111111"
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    return path


@pytest.mark.parametrize(("command", "fmt"), CASES, ids=[f"{c}-{f}" for c, f in CASES])
def test_every_output_neutralises_hostile_text(
    command: str, fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "snap.json").write_text(json.dumps(SNAPSHOT))
    (tmp_path / "trust.json").write_text(json.dumps(TRUST, indent=2))
    paths = {"snap": tmp_path / "snap.json", "trust": tmp_path / "trust.json", "event": hostile_event(tmp_path)}
    argv = [a.format(**paths) for a in COMMANDS[command]]
    code = main([*argv, "--format", fmt])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "target" in out  # the hostile role is in the output...
    if command in ("scan", "check-trust"):
        assert "names a role session" in out  # ...and the finding quoting the hostile session name (its title)
    if fmt in ("json", "sarif"):
        document = json.loads(out)  # ...JSON stays JSON (the values are escaped by the encoder)
        assert not CONTROL.search(out)
        if fmt == "sarif":
            texts = [r["message"]["text"] for run in document["runs"] for r in run["results"]]
            assert texts and not any("[x](javascript:" in t or CONTROL.search(t) for t in texts)
        return
    assert not CONTROL.search(out), repr(CONTROL.search(out))  # ...with no escape, control or bidi character
    assert not any(line.startswith("FAKE") for line in out.splitlines())  # no line of the attacker's own
    if fmt == "markdown":
        assert "](javascript:" not in _outside_fences(out)  # inside a fence it is inert code


def _outside_fences(markdown: str) -> str:
    return re.sub(r"(`{3,})[^\n]*\n.*?\n\1", "", markdown, flags=re.S)


def test_the_fixture_is_hostile() -> None:
    raw: Any = json.dumps(SNAPSHOT, ensure_ascii=False)
    assert CONTROL.search(raw) and "\n" in SID
