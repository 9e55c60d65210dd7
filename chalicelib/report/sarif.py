"""SARIF 2.1.0 for code-scanning UIs (GitHub code scanning, Azure DevOps, IDE viewers).

One run; the driver lists the rule catalog (plus any rule id a finding names that the catalog lacks, so
``ruleIndex`` always points at the right descriptor); one result per finding, suppressed ones included with
a SARIF ``suppressions`` entry so viewers show them as dismissed rather than forgetting them. What could not
be read is reported as tool execution notifications of the run's invocation.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..rules.engine import AuditResult
from ..rules.findings import Finding, Severity
from ..rules.registry import RULES
from ..rules.registry_types import Rule, RuleMeta
from .escape import escape_sarif_text, neutralise
from .version import information_uri

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "Trustwatch"
INFORMATION_URI: str | None = information_uri()  # the package's home page; omitted while it declares none
RULES_ANCHOR = "#rules"  # the README's rule table, on the home page: each rule's helpUri
FINGERPRINT_KEY = "trustwatchFinding/v1"
TAGS = ("security", "iam")

# GitHub reads `security-severity` (a number as a string, 0.0-10.0) to rank alerts critical/high/medium/low.
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
                     Severity.LOW: "3.0", Severity.INFO: "1.0"}  # fmt: skip
LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
         Severity.LOW: "note", Severity.INFO: "note"}  # fmt: skip


def render(
    result: AuditResult,
    *,
    rules: Sequence[Rule] = RULES,
    tool_version: str,
    information_uri: str | None = INFORMATION_URI,
) -> str:
    help_uri = information_uri + RULES_ANCHOR if information_uri else None
    descriptors = [d | {"helpUri": help_uri} if help_uri else d for d in _descriptors(rules, result.findings)]
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    driver: dict[str, Any] = {"name": TOOL_NAME, "version": tool_version, "rules": descriptors}
    if information_uri:
        driver["informationUri"] = information_uri
    run = {
        "tool": {"driver": driver},
        "invocations": [_invocation(result)],
        "results": [_result(f, index[f.rule_id]) for f in result.findings],
    }
    return json.dumps({"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}, indent=2) + "\n"


def _descriptors(rules: Sequence[Rule], findings: Sequence[Finding]) -> list[dict[str, Any]]:
    metas: dict[str, RuleMeta | Finding] = {}
    for rule in rules:
        metas.setdefault(rule.meta.id, rule.meta)
    for finding in findings:  # a rule id outside the catalog (e.g. added by the engine) still gets a descriptor
        metas.setdefault(finding.rule_id, finding)
    return [_descriptor(m) for m in metas.values()]


def _descriptor(source: RuleMeta | Finding) -> dict[str, Any]:
    if isinstance(source, RuleMeta):
        rule_id, severity, title, summary = source.id, source.severity, source.title, source.summary
        help_text = source.description or source.summary
    else:
        rule_id, severity, title, summary, help_text = (
            source.rule_id, source.severity, source.title, source.title, source.title
        )  # fmt: skip
    return {
        "id": rule_id,
        "name": "".join(part.capitalize() for part in rule_id.split("-")),
        "shortDescription": {"text": title},
        "fullDescription": {"text": summary},
        "help": {"text": help_text, "markdown": help_text},
        "defaultConfiguration": {"level": LEVEL[severity]},
        "properties": {"security-severity": SECURITY_SEVERITY[severity], "tags": list(TAGS)},
    }


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": LEVEL[finding.severity],
        "message": {"text": escape_sarif_text(finding.explanation)},
        "partialFingerprints": {FINGERPRINT_KEY: finding.id},
        "locations": [_location(finding)],
        "properties": _properties(finding),
    }
    if finding.suppressed and not finding.suppressed.expired:
        out["suppressions"] = [{"kind": "external", "justification": neutralise(finding.suppressed.reason)}]
    return out


def _location(finding: Finding) -> dict[str, Any]:
    # GitHub code scanning rejects a result without a physicalLocation whose artifactLocation.uri is a
    # repository-relative path ("unrecognized SARIF location URI scheme" for an `arn:` URI), and matches
    # alerts across runs by that path. A finding is about a cloud resource, not a file, so the path is a
    # stable pseudo-path derived from the ARN; the ARN itself is the logical location.
    # A finding read from a file the user gave (check-template) points at that file and line instead.
    where = finding.location
    uri = file_uri(where.file) if where else artifact_uri(finding)
    line = where.line if where and where.line else 1
    return {
        "physicalLocation": {"artifactLocation": {"uri": uri}, "region": {"startLine": line}},
        "logicalLocations": [
            {"fullyQualifiedName": finding.role_arn or finding.principal or finding.account_id, "kind": "resource"}
        ],
    }


def artifact_uri(finding: Finding) -> str:
    """``iam/<account>/role/<path/name>`` for a role, ``iam/<account>/principal/<value>`` for a bare
    principal, ``iam/<account>`` otherwise; every segment percent-encoded, ``.``/``..`` included."""
    subject = finding.role_arn or finding.principal
    parts = subject.split(":", 5) if subject else []
    if len(parts) == 6 and parts[0] == "arn":
        segments = [parts[4] or finding.account_id, *parts[5].split("/")]
    elif subject:
        segments = [finding.account_id, "principal", subject]
    else:
        segments = [finding.account_id]
    return "/".join(["iam", *(_segment(s) for s in segments if s)])


def file_uri(path: str) -> str:
    """A file as a relative URI (what code scanning resolves against the checkout): relative to the working
    directory when it lies under it (a ``file:`` URI otherwise), percent-encoded per segment."""
    given = Path(path)
    if given.is_absolute():
        if not given.is_relative_to(Path.cwd()):
            return given.as_uri()
        given = given.relative_to(Path.cwd())
    return "/".join(quote(part, safe="+=,@-_~.") for part in given.as_posix().split("/") if part not in ("", "."))


def _segment(value: str) -> str:
    encoded = quote(value, safe="+=,@-_~")  # IAM name characters stay readable
    return encoded.replace(".", "%2E") if set(value) == {"."} else encoded


def _properties(finding: Finding) -> dict[str, Any]:
    dumped = finding.model_dump(mode="json")  # evidence as JSON values, exactly as in the JSON report
    keys = ("severity", "title", "account_id", "role_arn", "principal", "statement", "remediation", "evidence")
    values = {key: dumped[key] for key in keys} | {"suppression": dumped["suppressed"]}
    # GitHub ranks each alert by its result's own score: a finding raised above its rule's default (an
    # administrator role) must not keep the rule's lower one.
    values["security-severity"] = SECURITY_SEVERITY[finding.severity]
    return {key: value for key, value in values.items() if value is not None}


def _invocation(result: AuditResult) -> dict[str, Any]:
    notifications = [
        {
            "level": "error",
            "message": {"text": escape_sarif_text(f"{e.source}: {e.message}")},
            "properties": {"source": e.source},
        }
        for e in result.errors
    ]
    return {"executionSuccessful": True, "toolExecutionNotifications": notifications}
