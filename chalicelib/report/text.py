"""The plain-text report: findings grouped by severity (critical first), then suppressions, errors, a summary.

Every value is passed through `escape_terminal`, so the output is printable ASCII whatever a role name, tag
or policy value holds; colour (ANSI, one per severity) is added afterwards and only when asked for.
Long values are never truncated (an ARN cut short is an ARN one cannot look up); prose is wrapped at word
boundaries only, so ARNs stay whole for copy and paste, and a remediation's JSON is not wrapped at all.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from ..rules.engine import AuditResult, ErrorRecord
from ..rules.findings import Finding, Severity
from .escape import escape_terminal, neutralise
from .json_report import SEVERITIES, split_json

DEFAULT_WIDTH = 100
MIN_WIDTH = 40
INDENT = " " * 6
FIX = "Fix: "
MAX_ALIGN = 48  # columns align up to this width; a longer value pushes its row out instead of being cut
ANSI = {Severity.CRITICAL: "\x1b[1;31m", Severity.HIGH: "\x1b[31m", Severity.MEDIUM: "\x1b[33m",
        Severity.LOW: "\x1b[36m", Severity.INFO: "\x1b[2m"}  # fmt: skip
RESET = "\x1b[0m"


def render(result: AuditResult, *, width: int = DEFAULT_WIDTH, color: bool = False) -> str:
    width = max(width, MIN_WIDTH)
    active = result.active
    sections = [_group(s, [f for f in active if f.severity == s], width, color) for s in SEVERITIES]
    sections += [_suppressed([f for f in result.findings if not f.active]), _errors(result.errors, width)]
    sections += [_unused(result, width)]
    lines = [] if active else ["No findings.", ""]
    for section in sections:
        lines += [*section, ""] if section else []
    return "\n".join([*lines, summary_line(result)]) + "\n"


def summary_line(result: AuditResult) -> str:
    """``5 roles, 3 findings (1 critical, 2 high), 1 suppressed`` (suppressed and errors only when any)."""
    active = result.active
    counts = [f"{n} {s.value}" for s in SEVERITIES if (n := sum(1 for f in active if f.severity == s))]
    line = f"{_plural(result.roles, 'role')}, {_plural(len(active), 'finding')}"
    line += f" ({', '.join(counts)})" if counts else ""
    suppressed = len(result.findings) - len(active)
    line += f", {suppressed} suppressed" if suppressed else ""
    return line + (f", {_plural(len(result.errors), 'error')}" if result.errors else "")


def _group(severity: Severity, findings: Sequence[Finding], width: int, color: bool) -> list[str]:
    if not findings:
        return []
    header = f"{severity.value.upper()} ({len(findings)})"
    lines = [f"{ANSI[severity]}{header}{RESET}" if color else header]
    rows = [_cells(f) for f in findings]
    for finding, row in zip(findings, _aligned(rows), strict=True):
        lines.append(row)
        lines += _details(finding, width)
    return lines


def _cells(finding: Finding) -> list[str]:
    subject = finding.role_arn or finding.principal or finding.account_id
    principal = finding.principal if finding.role_arn and finding.principal else "-"
    return [escape_terminal(v) for v in (finding.rule_id, subject, principal, finding.title)]


def _aligned(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [min(max(len(row[i]) for row in rows), MAX_ALIGN) for i in range(len(rows[0]) - 1)]
    return ["  " + "  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[-1]]) for row in rows]


def _details(finding: Finding, width: int) -> list[str]:
    lines = _wrap(neutralise(finding.explanation), width)  # an attacker's line break must not start a line
    lines += _remediation(finding.remediation, width)
    lines.append(f"{INDENT}id: {finding.id}")  # what a suppression names to accept exactly this finding
    record = finding.suppressed
    if record and record.expired:
        note = f"suppression expired on {record.until} ({record.reason}); the finding is active again."
        lines += _wrap(neutralise(note), width, first="Note: ")
    return lines


def _remediation(remediation: str, width: int) -> list[str]:
    """``Fix:`` and the prose wrapped; the JSON after it verbatim (a wrap could split a JSON string)."""
    prose, document = split_json(remediation)
    lines = _wrap(prose, width, first=FIX) if prose.strip() else []
    if document is None:
        return lines
    hang = INDENT + " " * len(FIX)
    for i, line in enumerate(escape_terminal(document, multiline=True).split("\n")):
        lines.append((hang if lines or i else INDENT + FIX) + line)
    return lines


def _suppressed(findings: Sequence[Finding]) -> list[str]:
    if not findings:
        return []
    rows = [
        [escape_terminal(v) for v in (f.rule_id, f.role_arn or f.principal or f.account_id, _suppression(f))]
        for f in findings
    ]
    return [f"SUPPRESSED ({len(findings)})", *_aligned(rows)]


def _suppression(finding: Finding) -> str:
    record = finding.suppressed
    if record is None:
        return ""
    return f"{record.reason} ({f'until {record.until}' if record.until else 'no expiry'})"


def _errors(errors: Sequence[ErrorRecord], width: int) -> list[str]:
    if not errors:
        return []
    lines = [f"Could not read ({len(errors)})"]
    for e in errors:
        lines += _wrap(neutralise(f"{e.source}: {e.message}"), width, indent="  ")
    return lines


def _unused(result: AuditResult, width: int) -> list[str]:
    if not result.unused_suppressions:
        return []
    lines = [f"UNUSED SUPPRESSIONS ({len(result.unused_suppressions)})"]
    for u in result.unused_suppressions:
        lines += _wrap(f"warning: {u.message}", width, indent="  ")
    return lines


def _wrap(text: str, width: int, *, first: str = "", indent: str = INDENT) -> list[str]:
    """Wrap each line on its own, keeping its leading spaces (JSON in a remediation stays indented)."""
    out: list[str] = []
    for i, line in enumerate(escape_terminal(text, multiline=True).split("\n")):
        body = line.lstrip(" ")
        lead = " " * (len(line) - len(body))
        hang = indent + " " * len(first) + lead
        wrapped = textwrap.wrap(
            body,
            width,
            initial_indent=(indent + first + lead) if i == 0 else hang,
            subsequent_indent=hang,
            break_long_words=False,
            break_on_hyphens=False,
        )
        out += wrapped or [""]
    return out


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
