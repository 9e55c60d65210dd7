"""Consistent options (issue 8 #4), gaps for an unloaded caller account (#8), Markdown summary and versioned
JSON (#15)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from chalicelib.cli import main
from chalicelib.report import render
from chalicelib.report.markdown import SUMMARY_BUDGET
from chalicelib.report.version import SCHEMA_VERSION, TOOL_VERSION
from chalicelib.rules.engine import AuditResult
from chalicelib.rules.findings import Finding, Severity
from tests.conftest import SNAPSHOTS

CHAIN = [str(p) for p in sorted((Path(__file__).resolve().parents[1] / "data" / "snapshots" / "chain").glob("*.json"))]
DEEP, FOOBAZ = "arn:aws:iam::333333333333:role/deep", "arn:aws:iam::222222222222:role/foobaz"
A, B = (str(p) for p in sorted((SNAPSHOTS / "seed-000-granted").glob("*.json")))
FOOBAR = "arn:aws:iam::111111111111:role/foobar"
SEED_001 = str(SNAPSHOTS / "seed-001" / "123456789012.json")


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def config(tmp_path: Path, trusted: list[str]) -> str:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"trusted_accounts": {a: "ours" for a in trusted}}))
    return str(path)


def test_who_can_assume_fail_on_outside(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["who-can-assume", "--snapshot", *CHAIN, "--role", DEEP, "--fail-on", "outside"]
    code, out, _ = run(base, capsys)
    assert code == 1 and "(outside the trusted accounts)" in out
    code, out, _ = run([*base, "--config", config(tmp_path, ["111111111111", "222222222222"])], capsys)
    assert code == 0 and "outside" not in out
    code, _, _ = run([*base, "--config", config(tmp_path, ["222222222222"])], capsys)  # alice's account is not
    assert code == 1


def test_who_can_assume_markdown_and_mermaid(capsys: pytest.CaptureFixture[str]) -> None:
    code, md, _ = run(["who-can-assume", "--snapshot", *CHAIN, "--role", DEEP, "--format", "markdown"], capsys)
    assert code == 0 and md.startswith("# Who can assume") and "| Principal | Path |" in md
    code, graph, _ = run(["who-can-assume", "--snapshot", *CHAIN, "--role", DEEP, "--format", "mermaid"], capsys)
    lines = graph.splitlines()
    assert code == 0 and lines[0] == "flowchart LR"
    labels = dict(re.findall(r'^\s+(n\d+)\["(.*)"\]$', graph, re.M))
    edges = re.findall(r"^\s+(n\d+) --> (n\d+)$", graph, re.M)
    named = {(labels[a].split("/")[-1], labels[b].split("/")[-1]) for a, b in edges}
    assert named == {("alice", "foobar"), ("foobar", "foobaz"), ("foobaz", "deep")}


def test_rules_formats(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["rules", "--format", "json"], capsys)
    ids = [r["id"] for r in json.loads(out)]
    code, md, _ = run(["rules", "--format", "markdown"], capsys)
    assert code == 0 and re.findall(r"^\| `([a-z-]+)` \|", md, re.M) == ids


def test_can_assume_names_an_unloaded_caller_account_as_a_gap(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["can-assume", "--snapshot", B, "--principal", FOOBAR, "--role", FOOBAZ]
    code, out, _ = run([*argv, "--format", "json"], capsys)
    decision = json.loads(out)
    assert code == 0 and any("111111111111 is not in the loaded snapshots" in g for g in decision["gaps"])
    _, text, _ = run(argv, capsys)
    assert "snapshot gap: the caller's account 111111111111" in text and "may be wrong" in text
    _, loaded, _ = run([*argv, "--snapshot", A, "--format", "json"], capsys)
    assert "gaps" not in json.loads(loaded)


def finding(i: int, severity: Severity) -> Finding:
    return Finding(id=f"tw-{i:020x}", rule_id="untrusted-account", severity=severity, title="t" * 200,
                   account_id="111111111111", role_arn=f"arn:aws:iam::111111111111:role/{'r' * 60}{i}",
                   explanation="e" * 2000, remediation="r")  # fmt: skip


def test_markdown_summary_stays_under_a_pull_request_comment(capsys: pytest.CaptureFixture[str]) -> None:
    many = AuditResult(findings=tuple(finding(i, Severity.LOW if i % 2 else Severity.CRITICAL) for i in range(5000)))
    full = render(many, "markdown")
    summary = render(many, "markdown", summary=True)
    assert len(full) > 65_536 and len(summary) <= SUMMARY_BUDGET < 65_536
    top = re.findall(r"^- \*\*(\w+)\*\*", summary, re.M)
    assert top and set(top) == {"critical"} and "more: run" in summary  # most severe first, the rest counted
    tiny = render(many, "markdown", summary=True)
    assert tiny.count("```") % 2 == 0


def test_summary_needs_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["scan", "--snapshot", SEED_001, "--summary"], capsys)
    assert code == 2 and "--summary goes with --format markdown" in err
    code, out, _ = run(["scan", "--snapshot", SEED_001, "--format", "markdown", "--summary"], capsys)
    assert code == 0 and out.startswith("# Trustwatch summary")


def test_findings_json_carries_tool_and_schema_versions(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(["scan", "--snapshot", SEED_001, "--format", "json"], capsys)
    document = json.loads(out)
    assert document["schema_version"] == SCHEMA_VERSION and document["tool"] == {
        "name": "trustwatch", "version": TOOL_VERSION
    }  # fmt: skip


def test_version_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.strip() == f"trustwatch {TOOL_VERSION}"
