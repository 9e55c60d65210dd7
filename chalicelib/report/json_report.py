"""The findings JSON of CONTRACTS.md §4: ``{"findings": [...], "errors": [...], "warnings": [...], "summary": {...}}``.

``warnings`` lists what deserves a look but is no finding: a suppression that matched nothing in a scan
(``{"kind": "unused-suppression", "index", "criteria", "reason", "message"}``).

Every finding is listed, suppressed ones included (their ``suppressed`` record says so); ``summary.findings``
counts the active ones only, as ``--fail-on`` does. Key order is fixed: the model's field order for findings,
and critical → info for ``by_severity`` (every severity present, zeros included), so diffs stay small.
"""

from __future__ import annotations

import json
from typing import Any

from ..rules.engine import AuditResult
from ..rules.findings import Finding, Severity
from .version import SCHEMA_VERSION, TOOL_VERSION

SEVERITIES: tuple[Severity, ...] = tuple(sorted(Severity, key=lambda s: -s.rank))  # critical first


def render(result: AuditResult) -> str:
    document = {
        "findings": [f.model_dump(mode="json") for f in result.findings],
        "errors": [e.model_dump(mode="json") for e in result.errors],
        "warnings": [{"kind": "unused-suppression", **u.model_dump(mode="json")} for u in result.unused_suppressions],
        "summary": summary(result),
        "schema_version": SCHEMA_VERSION,  # after the contract's keys: consumers that read them by position still work
        "tool": {"name": "trustwatch", "version": TOOL_VERSION},
    }
    return json.dumps(document, indent=2) + "\n"


def summary(result: AuditResult) -> dict[str, Any]:
    active = result.active
    return {
        "roles": result.roles,
        "findings": len(active),
        "suppressed": len(result.findings) - len(active),
        "errors": len(result.errors),
        "by_severity": {s.value: n for s, n in severity_counts(active).items()},
    }


def severity_counts(findings: tuple[Finding, ...]) -> dict[Severity, int]:
    """Count per severity, critical first, every severity present."""
    return {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}


def split_json(text: str) -> tuple[str, str | None]:
    """Split a remediation into its prose and the JSON that follows it (``None`` when there is none)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if not line.lstrip().startswith(("{", "[")):
            continue
        candidate = "\n".join(lines[i:])
        try:
            json.loads(candidate)
        except ValueError:
            continue
        return "\n".join(lines[:i]), candidate
    return text, None
