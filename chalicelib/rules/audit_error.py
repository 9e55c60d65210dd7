"""audit-error: Trustwatch could not evaluate something it should have.

Risk: an audit that silently skips is worse than none. This rule reports (a) a role whose stored trust policy
could not be parsed (no trust rule could evaluate it, so who can assume it is unknown); (b) a condition
operator or key in a trust policy that Trustwatch does not know: Trustwatch then assumes the wider access (the
clause narrows nothing, a Deny it belongs to does not apply) and says so here, because a misspelt key such as
``aws:PrincipleOrgID`` is absent from every request and may make the policy mean something else entirely;
(c) through the engine (`error_finding`), everything a scan could not read: an account it could not enter
(AccessDenied, throttling), a policy document that did not parse, a truncated snapshot.

Failing example: ``"Condition": {"StringEquals": {"aws:PrincipleOrgID": "o-a1b2c3d4e5"}}`` (the key is
misspelt), or a snapshot whose ``IsTruncated`` is true.

Fix: correct the document or the key; grant the audit role read access (``iam:GetAccountAuthorizationDetails``)
or re-run after throttling.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..iam.condition import is_known_key, is_known_operator
from .context import AuditContext, RoleTarget
from .findings import Finding, Severity
from .registry_types import RoleRule, RuleMeta, Scope

if TYPE_CHECKING:
    from .engine import ErrorRecord

META = RuleMeta(
    id="audit-error",
    severity=Severity.MEDIUM,
    title="Trustwatch could not evaluate something",
    summary="A policy that does not parse, an unknown condition operator or key, an account that could not be read",
    scope=Scope.ROLE,
    doc=__doc__ or "",
)

WIDER = "Trustwatch assumes the wider access and says so"
_ACCOUNT_ID = re.compile(r"(?<!\d)\d{12}(?!\d)")
# Parts of AWS error messages that change from run to run; left out of the fingerprint.
_VOLATILE = (
    (re.compile(r"(assumed-role/[^/\s]+/)[^\s:]+"), r"\1*"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE), "*"),
)

_REMEDIES = (
    ("IsTruncated", "Save every page of get-account-authorization-details (the CLI fetches them all unless "
     "--max-items or --no-paginate is given), then re-scan."),
    ("AccessDenied", "Grant the audit role iam:GetAccountAuthorizationDetails (for an organization also "
     "organizations:List*/Describe*) and let it be assumed, then re-scan."),
    ("Throttl", "AWS throttled the reads: re-run the scan later, or fewer accounts at a time."),
    ("left out", "Correct the document the message names, then re-scan."),
)  # fmt: skip


def check(target: RoleTarget, ctx: AuditContext) -> Iterator[Finding]:
    if target.trust is None:
        if target.trust_error:
            yield ctx.role_finding(
                META,
                target,
                key=("trust-policy",),
                explanation=(
                    f"The trust policy of {target.arn} could not be parsed ({target.trust_error}); no trust rule "
                    "evaluated the role, so who can assume it is unknown."
                ),
                remediation="Correct the trust policy document (the error names the place), then re-scan.",
                evidence={"error": target.trust_error},
            )
        return
    yield from _unknown_conditions(target, ctx)


def _unknown_conditions(target: RoleTarget, ctx: AuditContext) -> Iterator[Finding]:
    assert target.trust is not None
    seen: dict[tuple[str, str], list[int]] = {}
    for index, statement in enumerate(target.trust.statements):
        for condition in statement.condition:
            if not is_known_operator(condition.operator):
                seen.setdefault(("operator", condition.operator), []).append(index)
            if not is_known_key(condition.key):
                seen.setdefault(("key", condition.key), []).append(index)
    for (kind, name), indexes in seen.items():
        labels = ", ".join(f"statement {i}" for i in dict.fromkeys(indexes))
        if kind == "operator":
            meaning = "IAM has no such operator (names are case-sensitive), so the clause cannot hold as written"
        else:
            meaning = "a key no request carries is absent: positive operators on it never match, negated ones always do"
        yield ctx.role_finding(
            META,
            target,
            key=(kind, name.lower() if kind == "key" else name),
            statement=indexes[0],
            explanation=(
                f"The trust policy of {target.arn} uses the condition {kind} {name!r} ({labels}), which Trustwatch "
                f"does not know: {meaning}. {WIDER}: it treats the clause as not narrowing who can assume the "
                "role, and a Deny statement containing it as not applying, so other findings may overstate the risk."
            ),
            remediation=f"Check the spelling of {name!r} against the IAM condition reference and correct it.",
            evidence={kind: name, "statements": list(dict.fromkeys(indexes))},
        )


def error_finding(record: ErrorRecord, ctx: AuditContext) -> Finding:
    """An `ErrorRecord` (what a scan could not read) as an audit-error finding, with a fingerprint that is
    stable across runs: the source and the message, without session names and request ids."""
    stable = record.message
    for pattern, replacement in _VOLATILE:
        stable = pattern.sub(replacement, stable)
    found = _ACCOUNT_ID.search(record.source) or _ACCOUNT_ID.search(record.message)
    return ctx.finding(
        META,
        account_id=record.account_id or (found.group(0) if found else "unknown"),
        subject=record.source,
        key=(stable,),
        explanation=(
            f"Trustwatch could not read everything it should have audited ({record.source}): {record.message}. "
            "What it could not read was not evaluated; the rest of the audit stands."
        ),
        remediation=next((fix for word, fix in _REMEDIES if word in record.message), "Make it readable, then re-scan."),
        evidence={"source": record.source, "message": record.message},
    )


RULE = RoleRule(META, check)
