"""A GitHub-flavoured Markdown report (a pull-request comment, a job summary, a wiki page).

Everything that comes from the audited accounts — role and principal ARNs, explanations that quote policy
values, suppression reasons, error messages — goes through `escape_markdown` (one line, literal, no mention)
or, for the JSON of a remediation, into a `code_fence` that its content cannot close.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..rules.engine import AuditResult, ErrorRecord
from ..rules.findings import Finding
from .escape import code_fence, escape_markdown
from .json_report import severity_counts, split_json
from .text import summary_line

SUMMARY_TOP = 20
SUMMARY_BUDGET = 60_000  # characters, under the 65,536 of a GitHub pull-request comment


def render(result: AuditResult) -> str:
    active = result.active
    blocks = ["# Trustwatch report", escape_markdown(f"{summary_line(result)}. Generated {result.generated_at}.")]
    blocks += _summary(result)
    if active:
        blocks.append("## Findings")
        for number, finding in enumerate(active, start=1):
            blocks += _finding(number, finding)
    blocks += _suppressed([f for f in result.findings if not f.active])
    blocks += _errors(result.errors)
    return "\n\n".join(blocks) + "\n"


def render_summary(result: AuditResult, *, top: int = SUMMARY_TOP, budget: int = SUMMARY_BUDGET) -> str:
    """Counts and the most severe findings, one line each, always shorter than ``budget`` characters (a
    pull-request comment holds 65,536): whole lines are left out, never cut, and the rest is counted."""
    active = sorted(result.active, key=lambda f: -f.severity.rank)  # most severe first (replay keeps event order)
    head = ["# Trustwatch summary", escape_markdown(f"{summary_line(result)}."), *_summary(result)]
    lines: list[str] = []
    used = sum(len(block) + 2 for block in head) + 200  # room for the heading and the "more" line
    for finding in active[:top]:
        subject, title = escape_markdown(finding.role_arn or finding.account_id), escape_markdown(finding.title)
        line = f"- **{finding.severity.value}** `{finding.rule_id}` {subject}: {title} ({finding.id})"
        if used + len(line) + 1 > budget:
            break
        lines.append(line)
        used += len(line) + 1
    blocks = head + ([f"## Top findings ({len(lines)} of {len(active)})", "\n".join(lines)] if lines else [])
    if len(active) > len(lines):
        blocks.append(f"{len(active) - len(lines)} more: run `trustwatch` with `--format markdown` for every finding.")
    return "\n\n".join(blocks) + "\n"


def _summary(result: AuditResult) -> list[str]:
    rows = [f"| {s.value.capitalize()} | {n} |" for s, n in severity_counts(result.active).items()]
    rows.append(f"| Suppressed | {len(result.findings) - len(result.active)} |")
    return ["## Summary", "\n".join(["| Severity | Findings |", "|---|---:|", *rows])]


def _finding(number: int, finding: Finding) -> list[str]:
    fields = [
        ("Rule", finding.rule_id),
        ("Role", finding.role_arn or "-"),
        ("Principal", finding.principal or "-"),
        ("Account", finding.account_id),
        ("Statement", "-" if finding.statement is None else str(finding.statement)),
        ("Finding id", finding.id),
    ]
    blocks = [
        f"### {number}. {finding.severity.value.capitalize()}: {escape_markdown(finding.title)}",
        _table(("Field", "Value"), fields),
        f"**Explanation.** {escape_markdown(finding.explanation)}",
        *_remediation(finding.remediation),
    ]
    record = finding.suppressed
    if record and record.expired:
        note = f"suppression expired on {record.until} ({record.reason}); the finding is active again."
        blocks.append(f"> **Note:** {escape_markdown(note)}")
    return blocks


def _remediation(remediation: str) -> list[str]:
    prose, document = split_json(remediation)
    blocks = [f"**Remediation.** {escape_markdown(prose)}" if prose.strip() else "**Remediation.**"]
    return [*blocks, code_fence(document, "json")] if document is not None else blocks


def _suppressed(findings: Sequence[Finding]) -> list[str]:
    if not findings:
        return []
    rows = [
        (
            f.rule_id,
            f.role_arn or f.principal or f.account_id,
            f.suppressed.reason if f.suppressed else "",
            (f.suppressed.until if f.suppressed else None) or "no expiry",
        )
        for f in findings
    ]
    return [f"## Suppressed ({len(findings)})", _table(("Rule", "Role", "Reason", "Until"), rows)]


def _errors(errors: Sequence[ErrorRecord]) -> list[str]:
    if not errors:
        return []
    rows = [(e.source, e.message) for e in errors]
    return [f"## Could not read ({len(errors)})", _table(("Source", "Message"), rows)]


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(escape_markdown(c) for c in cells) + " |"

    return "\n".join([line(header), "|" + "---|" * len(header), *(line(r) for r in rows)])
