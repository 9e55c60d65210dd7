"""Reports of an AuditResult: the findings JSON contract, SARIF 2.1.0, the text table and the Markdown report.

Results are built by hand from Finding objects, so these tests do not depend on which rules exist.
"""

from __future__ import annotations

import html
import importlib
import json
import re
from typing import Any

import pytest
from pydantic_sarif.model import (  # type: ignore[import-untyped]  # the package ships no py.typed
    StaticAnalysisResultsFormatSarifVersion210JsonSchema as SarifLog,
)

from chalicelib.report import FORMATS, render
from chalicelib.report.sarif import artifact_uri
from chalicelib.rules.engine import AuditResult, ErrorRecord
from chalicelib.rules.findings import Finding, Severity, Suppressed, fingerprint
from chalicelib.rules.registry import RULES

ACCOUNT = "111111111111"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"
EVIL_ROLE = f"arn:aws:iam::{ACCOUNT}:role/x|<img src=x onerror=alert(1)>[a](http://e)@channel"
FIX = 'Name the account instead:\n{\n  "Effect": "Allow",\n  "Principal": {"AWS": "arn:aws:iam::222222222222:root"}\n}'


def finding(
    rule_id: str = "untrusted-account",
    severity: Severity = Severity.HIGH,
    role: str | None = ROLE,
    principal: str | None = "arn:aws:iam::999999999999:root",
    *,
    explanation: str = "Account 999999999999 is not one of yours.",
    remediation: str = FIX,
    suppressed: Suppressed | None = None,
) -> Finding:
    return Finding(
        id=fingerprint(rule_id, role or principal or ACCOUNT, principal or ""),
        rule_id=rule_id,
        severity=severity,
        title=f"Title of {rule_id}",
        account_id=ACCOUNT,
        role_arn=role,
        principal=principal,
        statement=0,
        explanation=explanation,
        remediation=remediation,
        evidence={"actions": ["sts:AssumeRole"]},
        suppressed=suppressed,
    )


ACCEPTED = Suppressed(reason="Approved in SEC-123", until="2027-01-31")
EXPIRED = Suppressed(reason="Approved in SEC-9", until="2020-01-01", expired=True)
MIXED = AuditResult(
    findings=(
        finding("dangling-principal", Severity.LOW, principal="AROAEXAMPLE"),
        finding("public-trust", Severity.CRITICAL, principal="*"),
        finding("untrusted-account", Severity.HIGH),
        finding("public-trust", Severity.CRITICAL, role=f"arn:aws:iam::{ACCOUNT}:role/other", principal="*"),
        finding("missing-external-id", Severity.HIGH, suppressed=ACCEPTED),
        finding("account-root-trust", Severity.MEDIUM, suppressed=EXPIRED),
        finding("rule-not-in-catalog", Severity.INFO, role=None, principal="arn:aws:iam::111111111111:user/u"),
    ),
    errors=(ErrorRecord(source="222222222222", message="AccessDenied reading roles"),),
    roles=5,
    generated_at="2026-01-01T00:00:00+00:00",
)
EMPTY = AuditResult(roles=2, generated_at="2026-01-01T00:00:00+00:00")
HOSTILE = AuditResult(
    findings=(
        finding(
            "public-trust",
            Severity.CRITICAL,
            role=EVIL_ROLE,
            principal="*|<b>x</b>\n| injected | row |\x1b]8;;http://e\x07",  # and an OSC 8 terminal hyperlink
            explanation="Hostile @here [a](http://e) <img src=x>\x1b[2J\u202e",
            remediation='Fix it:\n{"Sid": "```\\n# closed?"}',
        ),
    ),
    roles=1,
)
RESULTS = [pytest.param(r, id=i) for r, i in ((MIXED, "mixed"), (EMPTY, "empty"), (HOSTILE, "hostile"))]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("result", RESULTS)
def test_every_format_renders_every_result_ending_with_a_newline(fmt: str, result: AuditResult) -> None:
    # GIVEN a result  WHEN rendered in a format  THEN there is output ending with exactly one newline
    out = render(result, fmt)
    assert out.strip() and out.endswith("\n") and not out.endswith("\n\n")


def test_unknown_format_is_refused_naming_the_formats() -> None:
    with pytest.raises(ValueError, match="text, json, sarif, markdown"):
        render(EMPTY, "html")


# --- JSON (CONTRACTS.md §4) ---------------------------------------------------------------------------

CONTRACT_KEYS = ["id", "rule_id", "severity", "title", "account_id", "role_arn", "principal", "statement",
                 "explanation", "remediation", "evidence", "suppressed"]  # fmt: skip


@pytest.mark.parametrize("result", RESULTS)
def test_json_has_the_contract_shape_and_round_trips(result: AuditResult) -> None:
    # GIVEN a result  WHEN rendered as JSON
    document = json.loads(render(result, "json"))
    # THEN the top level, every finding and every error have the contract's keys in the contract's order
    assert list(document) == ["findings", "errors", "warnings", "summary", "schema_version", "tool"]
    assert all(list(f) == CONTRACT_KEYS for f in document["findings"])
    assert document["errors"] == [{"source": e.source, "message": e.message} for e in result.errors]
    # AND every finding, suppressed ones included, reads back as the same Finding
    assert [Finding.model_validate(f) for f in document["findings"]] == list(result.findings)


def test_json_summary_counts_active_findings_by_severity_critical_first() -> None:
    # GIVEN findings of which one is suppressed and one's suppression expired  WHEN rendered as JSON
    summary = json.loads(render(MIXED, "json"))["summary"]
    # THEN the suppressed one is counted apart, the expired one as active
    assert summary["roles"] == 5 and summary["findings"] == 6 and summary["suppressed"] == 1
    assert summary["by_severity"] == {"critical": 2, "high": 1, "medium": 1, "low": 1, "info": 1}
    assert list(summary["by_severity"]) == ["critical", "high", "medium", "low", "info"]


# --- SARIF -----------------------------------------------------------------------------------------------


def sarif_run(result: AuditResult) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(render(result, "sarif", tool_version="9.9.9"))
    SarifLog.model_validate(log)  # the official schema, extra keys forbidden
    assert log["version"] == "2.1.0" and log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert len(log["runs"]) == 1
    run: dict[str, Any] = log["runs"][0]
    return run


@pytest.mark.parametrize("result", RESULTS)
def test_sarif_is_valid_with_one_result_per_finding_pointing_at_its_rule(result: AuditResult) -> None:
    # GIVEN a result  WHEN rendered as SARIF (validated against the schema by sarif_run)
    run = sarif_run(result)
    rules, results = run["tool"]["driver"]["rules"], run["results"]
    # THEN every finding is one result, in order, fingerprinted by the finding id
    assert [r["partialFingerprints"]["trustwatchFinding/v1"] for r in results] == [f.id for f in result.findings]
    # AND ruleIndex points at the descriptor of ruleId, the catalog's rules included, each listed once
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)
    ids = [d["id"] for d in rules]
    assert len(ids) == len(set(ids)) and {rule.meta.id for rule in RULES} <= set(ids)
    assert run["tool"]["driver"]["name"] == "Trustwatch" and run["tool"]["driver"]["version"] == "9.9.9"
    # AND each result is located at its pseudo-path (what code scanning needs) and, logically, at its ARN
    for sarif_result, f in zip(results, result.findings, strict=True):
        (location,) = sarif_result["locations"]
        assert location["physicalLocation"]["artifactLocation"]["uri"] == artifact_uri(f)
        assert location["logicalLocations"] == [{"fullyQualifiedName": f.role_arn or f.principal, "kind": "resource"}]


@pytest.mark.parametrize(
    ("severity", "level", "score"),
    [("critical", "error", "9.5"), ("high", "error", "8.0"), ("medium", "warning", "5.5"),
     ("low", "note", "3.0"), ("info", "note", "1.0")],
)  # fmt: skip
def test_sarif_level_and_security_severity_follow_severity(severity: str, level: str, score: str) -> None:
    # GIVEN a finding of a rule outside the catalog (its descriptor comes from the finding)
    result = AuditResult(findings=(finding("custom-rule", Severity(severity)),))
    # WHEN rendered as SARIF  THEN the result's level and the rule's security-severity follow the severity
    run = sarif_run(result)
    (sarif_result,) = run["results"]
    assert sarif_result["level"] == level
    descriptor = run["tool"]["driver"]["rules"][sarif_result["ruleIndex"]]
    assert descriptor["properties"]["security-severity"] == score
    assert descriptor["defaultConfiguration"]["level"] == level


def test_sarif_marks_only_active_suppressions() -> None:
    # GIVEN an accepted and an expired suppression  WHEN rendered as SARIF
    by_rule = {r["ruleId"]: r for r in sarif_run(MIXED)["results"]}
    # THEN the accepted one carries an external suppression with its reason; the expired one none
    assert by_rule["missing-external-id"]["suppressions"] == [{"kind": "external", "justification": ACCEPTED.reason}]
    assert "suppressions" not in by_rule["account-root-trust"]
    assert by_rule["account-root-trust"]["properties"]["suppression"]["expired"] is True


@pytest.mark.parametrize(
    ("role", "principal", "expected"),
    [
        pytest.param(ROLE, None, f"iam/{ACCOUNT}/role/app", id="role"),
        pytest.param(
            f"arn:aws:iam::{ACCOUNT}:role/service-role/Ops",
            None,
            f"iam/{ACCOUNT}/role/service-role/Ops",
            id="role-with-path",
        ),
        pytest.param(
            f"arn:aws:iam::{ACCOUNT}:role/../../etc/x",
            None,
            f"iam/{ACCOUNT}/role/%2E%2E/%2E%2E/etc/x",
            id="dot-dot-path",
        ),
        pytest.param(None, "*", f"iam/{ACCOUNT}/principal/%2A", id="principal-only"),
        pytest.param(None, None, f"iam/{ACCOUNT}", id="account-only"),
        pytest.param(
            EVIL_ROLE,
            None,
            f"iam/{ACCOUNT}/role/x%7C%3Cimg%20src=x%20onerror=alert%281%29%3E%5Ba%5D%28http%3A/e%29@channel",
            id="hostile-name",
        ),
    ],
)
def test_sarif_artifact_uri_is_a_stable_relative_path(role: str | None, principal: str | None, expected: str) -> None:
    # GIVEN a finding about a role or principal  WHEN its SARIF artifact location is derived
    uri = artifact_uri(finding(role=role, principal=principal))
    # THEN it is a repository-relative path (no scheme, no dot segment) that code scanning accepts
    assert uri == expected
    assert ":" not in uri and ".." not in uri.split("/")


# --- text ------------------------------------------------------------------------------------------------


def test_text_groups_findings_by_severity_critical_first() -> None:
    # GIVEN findings of every severity in no particular order  WHEN rendered as text
    lines = render(MIXED, "text").splitlines()
    # THEN the group headers come critical first, with their counts (the expired suppression counts as active)
    headers = [line for line in lines if re.fullmatch(r"[A-Z]+ \(\d+\)", line)]
    assert headers == ["CRITICAL (2)", "HIGH (1)", "MEDIUM (1)", "LOW (1)", "INFO (1)", "SUPPRESSED (1)"]
    # AND each row sits under its own header: rule id, role, principal, title
    critical = lines[lines.index("CRITICAL (2)") : lines.index("HIGH (1)")]
    rows = [line.split() for line in critical if line.startswith("  ") and not line.startswith("   ")]
    assert [row[:3] for row in rows] == [["public-trust", ROLE, "*"], ["public-trust", rows[1][1], "*"]]
    assert all(" ".join(row[3:]) == "Title of public-trust" for row in rows)


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        pytest.param(
            MIXED,
            "5 roles, 6 findings (2 critical, 1 high, 1 medium, 1 low, 1 info), 1 suppressed, 1 error",
            id="mixed",
        ),
        pytest.param(EMPTY, "2 roles, 0 findings", id="empty"),
        pytest.param(AuditResult(findings=(finding(),), roles=1), "1 role, 1 finding (1 high)", id="singular"),
    ],
)
def test_text_ends_with_the_summary_line(result: AuditResult, expected: str) -> None:
    # GIVEN a result  WHEN rendered as text  THEN the last line is the summary
    assert render(result, "text").splitlines()[-1] == expected


def test_text_lists_suppressions_expired_notes_and_unreadable_sources() -> None:
    # GIVEN an accepted suppression, an expired one and a read error  WHEN rendered as text
    out = render(MIXED, "text")
    tail = out[out.index("SUPPRESSED (1)") :]
    # THEN the suppressed finding is only in the short section at the end, with its reason and expiry
    assert out.count("missing-external-id") == 1 and "missing-external-id" in tail
    assert "Approved in SEC-123 (until 2027-01-31)" in tail
    # AND the expired one is active with a note; the error is listed under "Could not read"
    assert "Note: suppression expired on 2020-01-01 (Approved in SEC-9)" in out[: out.index("SUPPRESSED")]
    assert "Could not read (1)\n  222222222222: AccessDenied reading roles\n" in out


def test_text_wraps_explanations_and_keeps_remediation_json_indented() -> None:
    # GIVEN a long explanation and a long remediation  WHEN rendered as text 60 columns wide
    long = finding(explanation=" ".join(["word"] * 60), remediation=" ".join(["fix"] * 40) + "\n" + FIX)
    lines = render(AuditResult(findings=(long,)), "text", width=60).splitlines()
    # THEN explanation lines are indented and fit; the remediation JSON keeps its own indentation
    explanation = [line for line in lines if line.strip().startswith("word")]
    assert len(explanation) > 1 and all(line.startswith("      word") and len(line) <= 60 for line in explanation)
    assert '             "Effect": "Allow",' in lines  # 6 indent + "Fix: " + the JSON's 2 spaces
    assert '             "Principal": {"AWS": "arn:aws:iam::222222222222:root"}' in lines  # never wrapped
    fix = [line for line in lines if "fix fix" in line]
    assert (
        len(fix) > 1
        and fix[0].startswith("      Fix: fix")
        and all(line.startswith("           fix") for line in fix[1:])
    )


def test_text_is_printable_ascii_and_coloured_only_on_request() -> None:
    # GIVEN a finding full of escape sequences and bidi characters
    plain, coloured = render(HOSTILE, "text"), render(HOSTILE, "text", color=True)
    # THEN the plain report is printable ASCII; the coloured one adds only its own codes around the header
    assert all(" " <= ch <= "~" or ch == "\n" for ch in plain)
    assert "\\x1b[2J" in plain and "\\u202e" in plain
    assert "\\x1b]8;;http://e\\x07" in plain
    assert coloured.count("\x1b") == 2 and "\x1b[1;31mCRITICAL (1)\x1b[0m" in coloured


# --- Markdown --------------------------------------------------------------------------------------------


def gfm(markdown: str) -> str:
    cmark: Any = importlib.import_module("cmarkgfm.cmark")  # GitHub's own Markdown parser (a dev dependency)
    rendered: str = cmark.github_flavored_markdown_to_html(markdown, options=cmark.Options.CMARK_OPT_UNSAFE)
    return rendered


def test_markdown_escapes_a_hostile_role_principal_and_explanation() -> None:
    # GIVEN a role named to inject HTML, a link and a mention, a principal that breaks table rows,
    # and a remediation whose JSON tries to close its code fence
    source = render(HOSTILE, "markdown")
    # THEN the Markdown source holds none of it unescaped
    assert not re.search(r"(?<!\\)[<>\[\]]", source), "an unescaped bracket"
    assert "@channel" not in source and "@here" not in source
    assert "\x1b" not in source and "\u202e" not in source
    # AND GitHub's parser renders it as text: no element from the values, every table row two cells wide
    rendered = gfm(source)
    assert not re.search(r"<(img|a|b|script)\b", rendered), rendered
    rows = re.findall(r"<tr>(.*?)</tr>", rendered, flags=re.S)
    assert rows and all(row.count("<td") in (0, 2) for row in rows)
    assert "<h1>closed?</h1>" not in rendered and "<h1>" in rendered  # only the report's own title
    (code,) = re.findall(r"<code[^>]*>(.*?)</code>", rendered, flags=re.S)
    assert html.unescape(code) == '{"Sid": "```\\n# closed?"}\n'


def test_markdown_summary_table_and_sections() -> None:
    # GIVEN findings of every severity, a suppression and a read error  WHEN rendered as Markdown
    source = render(MIXED, "markdown")
    # THEN the summary counts active findings per severity, and every section is there
    for row in ("| Critical | 2 |", "| High | 1 |", "| Medium | 1 |", "| Low | 1 |", "| Info | 1 |",
                "| Suppressed | 1 |"):  # fmt: skip
        assert row in source
    assert source.count("\n### ") == 6
    assert "## Suppressed (1)" in source and "Approved in SEC\\-123" in source
    assert "## Could not read (1)" in source and "AccessDenied reading roles" in source


@pytest.mark.parametrize(
    ("remediation", "fenced"),
    [
        pytest.param(FIX, '```json\n{\n  "Effect": "Allow",', id="prose-then-json"),
        pytest.param('{"Effect": "Deny"}', '```json\n{"Effect": "Deny"}\n```', id="json-only"),
        pytest.param("Delete the role.", None, id="prose-only"),
        pytest.param("Set it to {not json}.", None, id="braces-but-not-json"),
    ],
)
def test_markdown_puts_remediation_json_in_a_json_fence(remediation: str, fenced: str | None) -> None:
    # GIVEN a remediation  WHEN rendered as Markdown  THEN its JSON (only) is in a json fence
    source = render(AuditResult(findings=(finding(remediation=remediation),)), "markdown")
    assert (fenced in source) if fenced else ("```" not in source)
