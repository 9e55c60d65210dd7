"""dangling-principal: the trust policy names a principal by its unique id, which means it was deleted.

Risk: IAM stores principals as unique ids and shows the ARN of every principal that exists. A raw
``AROA…`` (role) or ``AIDA…`` (user) id in a stored trust policy therefore names a principal that was
deleted: it matches nobody, and re-creating a principal with the same name does not restore access (the new
one gets a new id). The grant is dead weight that hides what the policy is meant to allow, and whoever
"fixes" it by re-creating the principal is surprised. One finding per id, whether it sits in an Allow or a
Deny statement (a Deny on a deleted principal protects nothing either). An id that belongs to a principal
in the loaded inventory is not dangling (a document not yet deployed may name one that way).

Failing example: ``{"Effect": "Allow", "Principal": {"AWS": "AROAEXAMPLEID1234567"}, "Action":
"sts:AssumeRole"}``.

Fix: remove the entry, or replace it with the ARN of the principal that should have access now.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..iam.policy import Statement
from ..iam.principal import is_unique_id, unique_id_kind
from .context import AuditContext, RoleTarget
from .findings import Finding, Severity
from .registry_types import RoleRule, RuleMeta, Scope
from .remediation import show, statement_dict

META = RuleMeta(
    id="dangling-principal",
    severity=Severity.LOW,
    title="Trust policy names a deleted principal",
    summary="A principal entry is a unique id (AROA…, AIDA…) instead of an ARN: the principal it named is gone",
    scope=Scope.ROLE,
    doc=__doc__ or "",
)


def check(target: RoleTarget, ctx: AuditContext) -> Iterator[Finding]:
    if target.trust is None:
        return
    places: dict[str, list[int]] = {}
    for index, statement in enumerate(target.trust.statements):
        for entry in statement.principal.aws if statement.principal else ():
            if is_unique_id(entry) and index not in places.setdefault(entry, []):
                places[entry].append(index)
    for unique_id, indexes in places.items():
        if unique_id not in ctx.live_unique_ids:
            yield _finding(target, ctx, unique_id, indexes)


def _finding(target: RoleTarget, ctx: AuditContext, unique_id: str, indexes: list[int]) -> Finding:
    assert target.trust is not None
    first = target.trust.statements[indexes[0]]
    kind = unique_id_kind(unique_id) or "principal"
    labels = ", ".join(target.trust.statements[i].label(i) for i in indexes)
    undeployed = (
        ""
        if target.role is not None
        else " (If this document is not deployed yet and the id belongs to a live principal, use its ARN instead.)"
    )
    return ctx.role_finding(
        META,
        target,
        key=(unique_id,),
        principal=unique_id,
        statement=indexes[0],
        explanation=(
            f"The trust policy of {target.arn} names the {kind} unique id {unique_id!r} ({labels}) instead of an "
            "ARN. IAM shows a unique id in place of the ARN when the principal it named was deleted: the entry "
            f"matches nobody, and re-creating a {kind} of the same name will not restore its access.{undeployed}"
        ),
        remediation=_remediation(first, unique_id),
        evidence={"unique_id": unique_id, "kind": kind, "statements": indexes},
    )


def _remediation(statement: Statement, unique_id: str) -> str:
    corrected = _without(statement, unique_id)
    instead = "or name the principal that should have access by its ARN"
    if corrected is None:
        return f"Remove the statement: {unique_id} is its only principal ({instead})."
    return f"Remove the entry ({instead}):\n" + show(corrected)


def _without(statement: Statement, unique_id: str) -> dict[str, Any] | None:
    corrected = statement_dict(statement)
    principal = corrected.get("Principal")
    if not isinstance(principal, dict):
        return corrected
    remaining = [e for e in (statement.principal.aws if statement.principal else ()) if e != unique_id]
    others = {kind: value for kind, value in principal.items() if kind != "AWS"}
    if remaining:
        others["AWS"] = remaining[0] if len(remaining) == 1 else remaining
    return {**corrected, "Principal": others} if others else None


RULE = RoleRule(META, check)
