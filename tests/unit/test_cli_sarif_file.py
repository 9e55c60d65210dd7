"""check-trust over a real file: URL-encoded documents (issue 8 #7); SARIF that points at the file and the
statement's line, scores each result by its own severity, and never carries an embedded link (issue 8 #14,
issue 9 #7)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from chalicelib.cli import main
from chalicelib.report import render
from chalicelib.report.sarif import SECURITY_SEVERITY
from chalicelib.rules.engine import AuditResult
from chalicelib.rules.findings import Finding, Severity

ROLE = "arn:aws:iam::111111111111:role/deploy"
TRUST = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "Ci", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:role/ci"},
     "Action": "sts:AssumeRole"},

    {"Sid": "Anyone", "Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}
  ]
}
"""


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_check_trust_accepts_a_url_encoded_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "trust.txt"
    path.write_text(quote(TRUST, safe="") + "\n")
    code, out, err = run(["check-trust", str(path), "--role-arn", ROLE, "--format", "json"], capsys)
    assert code == 0, err
    assert "public-trust" in {f["rule_id"] for f in json.loads(out)["findings"]}


def sarif_results(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> list[dict[str, Any]]:
    path = tmp_path / "trust.json"
    path.write_text(text)
    code, out, err = run(["check-trust", str(path), "--role-arn", ROLE, "--format", "sarif"], capsys)
    assert code == 0, err
    results: list[dict[str, Any]] = json.loads(out)["runs"][0]["results"]
    return results


def test_sarif_points_at_the_file_and_the_statement_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    results = sarif_results(tmp_path, capsys, TRUST)
    public = next(r for r in results if r["ruleId"] == "public-trust")
    physical = public["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "trust.json"
    assert physical["region"]["startLine"] == 7  # the "Anyone" statement
    assert all(not r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("iam/") for r in results)


def finding(severity: Severity, explanation: str = "e") -> Finding:
    return Finding(id="tw-0", rule_id="account-root-trust", severity=severity, title="t", account_id="111111111111",
                   role_arn=ROLE, explanation=explanation, remediation="r")  # fmt: skip


def test_each_result_carries_the_security_severity_of_its_own_severity() -> None:
    # account-root-trust defaults to info; an administrator role raises the finding: the score follows it.
    sarif = json.loads(render(AuditResult(findings=(finding(Severity.CRITICAL),)), "sarif"))
    result = sarif["runs"][0]["results"][0]
    assert result["properties"]["security-severity"] == SECURITY_SEVERITY[Severity.CRITICAL] == "9.5"


def test_sarif_message_text_carries_no_embedded_link_nor_control() -> None:
    hostile = "role [click](javascript:alert(1)) \x1b]8;;http://evil\x07x\x1b]8;;\x07 \u202egnp.exe\r\nFAKE: all clear"
    sarif = json.loads(render(AuditResult(findings=(finding(Severity.HIGH, hostile),)), "sarif"))
    text = sarif["runs"][0]["results"][0]["message"]["text"]
    assert "[click](" not in text and "\\[click\\](" in text
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F or ch == "\u202e" for ch in text)
    assert "\n" not in text and "\r" not in text
