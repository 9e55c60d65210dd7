"""public-trust: the role can be assumed by principals of any AWS account.

Risk: an Allow of an AssumeRole action to ``"*"`` (or ``{"AWS": "*"}``, or ``NotPrincipal``) whose
conditions — together with any Deny statements — do not narrow *who* can call it. Any principal in any
account whose own policies allow ``sts:AssumeRole`` gets the role's permissions. ``sts:ExternalId`` alone
narrows nothing but knowledge of the id (severity high instead of critical); MFA, source IP, tags,
``…IfExists`` and ``ForAllValues`` forms do not narrow it at all.

Failing example: ``{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}``.

Fix: name the accounts or roles that need access, or add a restricting condition such as
``"StringEquals": {"aws:PrincipalOrgID": "o-…"}``.
"""

from __future__ import annotations

from collections.abc import Iterator

from .accounts import concrete_external_ids
from .context import AuditContext, RoleTarget
from .findings import Finding, Severity
from .grants import PrincipalKind
from .registry_types import RoleRule, RuleMeta, Scope
from .remediation import show, statement_dict, with_condition

META = RuleMeta(
    id="public-trust",
    severity=Severity.CRITICAL,
    title="Role can be assumed by anyone",
    summary="An AssumeRole grant to '*' that no condition or Deny narrows to known principals",
    scope=Scope.ROLE,
    doc=__doc__ or "",
)


def check(target: RoleTarget, ctx: AuditContext) -> Iterator[Finding]:
    for grant in target.grants:
        if grant.kind is not PrincipalKind.WILDCARD or grant.restricted:
            continue
        external_ids = concrete_external_ids(grant)
        conditions = [c.describe() for c in grant.statement.condition]
        considered = f" Its conditions ({'; '.join(conditions)}) do not narrow who can call it." if conditions else ""
        severity = Severity.HIGH if external_ids else Severity.CRITICAL
        only = " Only the external id stands in the way, and AWS does not treat it as a secret." if external_ids else ""
        org = ctx.config.organization_id or ctx.trust_model.organization.org_id or "o-xxxxxxxxxx"
        fixed = with_condition(statement_dict(grant.statement), "StringEquals", "aws:PrincipalOrgID", org)
        yield ctx.role_finding(
            META,
            target,
            key=(grant.entry,),
            principal=grant.entry,
            statement=grant.index,
            explanation=(
                f"Trust policy {grant.statement.label(grant.index)} allows {', '.join(grant.actions)} to principal "
                f"{grant.entry!r}: any principal in any AWS account whose own policies allow it can assume "
                f"{target.arn}.{considered}{only}"
            ),
            remediation="Restrict the statement to your organization (or name the accounts that need it):\n"
            + show(fixed),
            evidence={"actions": list(grant.actions), "conditions": conditions, "external_ids": external_ids},
        ).model_copy(update={"severity": severity})


RULE = RoleRule(META, check)
