"""Give each finding of a template audit its `Location`: the statement's line, else the resource's."""

from __future__ import annotations

from collections.abc import Iterable

from ..rules.engine import ErrorRecord
from ..rules.findings import Finding, Location
from .model import Extracted, Policy, Problem, Where


def error_records(extracted: Extracted) -> list[ErrorRecord]:
    return [_record(extracted, p) for p in extracted.problems]


def _record(extracted: Extracted, problem: Problem) -> ErrorRecord:
    # No line in the source: the fingerprint must not change when lines above move.
    source = f"{problem.where.file} {problem.where.resource or ''}".strip()
    return ErrorRecord(source=source, message=problem.message, account_id=extracted.account_id)


def locate(findings: Iterable[Finding], extracted: Extracted) -> list[Finding]:
    policies: dict[str, Policy] = {arn: p for arn, p in extracted.managed.items()}
    trusts: dict[str, Policy | Where] = {}
    for identity in extracted.identities:
        policies |= {f"{identity.arn}/inline/{p.name}": p for p in identity.inline}
        if identity.kind == "role" and not identity.stub:
            trusts[identity.arn] = identity.trust or identity.where
    problems = {(_record(extracted, p).source, p.message): p.where for p in extracted.problems}
    return [f.model_copy(update={"location": _where(f, policies, trusts, problems, extracted.file)}) for f in findings]


def _where(
    finding: Finding,
    policies: dict[str, Policy],
    trusts: dict[str, Policy | Where],
    problems: dict[tuple[str, str], Where],
    file: str,
) -> Location:
    evidence = finding.evidence
    place: Policy | Where | None = None
    if finding.rule_id == "audit-error" and "source" in evidence:
        place = problems.get((str(evidence["source"]), str(evidence.get("message"))))
    policy = evidence.get("policy")
    if place is None and isinstance(policy, str) and policy in policies:
        place = policies[policy]
    if place is None and finding.role_arn:
        place = trusts.get(finding.role_arn)
    if isinstance(place, Policy):
        return Location(file=file, line=place.line(finding.statement), resource=place.where.resource)
    if isinstance(place, Where):
        return Location(file=place.file, line=place.line, resource=place.resource)
    return Location(file=file)
