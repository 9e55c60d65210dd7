"""trust-bypasses-caller-policy: a same-account trust grant makes the caller's own policies irrelevant.

Risk: inside one account, a trust policy that names a user or role ARN lets that principal assume the role
whether or not its identity policies allow ``sts:AssumeRole`` on it (seed 001: RoleA, allowed only roles
under ``/allowed-roles-path/``, still assumes RoleC because RoleC's trust names RoleA). Whoever restricts
RoleA's identity policy believes they have limited it; they have not. Medium when the identity policy does
not allow the role (the bypass is in effect); low when it happens to allow it too (the identity policy no
longer matters for this role, and tightening it later would change nothing).

Failing example: RoleC's trust ``{"Effect": "Allow", "Principal": {"AWS":
"arn:aws:iam::123456789012:role/RoleA"}, "Action": "sts:AssumeRole"}`` with RoleA's identity policy
allowing ``sts:AssumeRole`` only on ``role/allowed-roles-path/*``.

Fix: trust the account (``arn:aws:iam::123456789012:root``) with an ``ArnEquals aws:PrincipalArn``
condition instead, so the caller's identity policy must also allow it, or accept the grant knowingly.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..iam.assemble import request_for
from ..iam.errors import InvalidRequestError
from ..iam.evaluate import can_assume, identity_grant
from ..iam.request import ASSUME_ROLE
from .context import AuditContext, RoleTarget
from .findings import Finding, Severity
from .grants import Grant, PrincipalKind
from .registry_types import RoleRule, RuleMeta, Scope
from .remediation import show, statement_dict, with_condition

META = RuleMeta(
    id="trust-bypasses-caller-policy",
    severity=Severity.MEDIUM,
    title="Trust policy bypasses the caller's own policy",
    summary="A same-account trust names a user or role, which then needs no identity-policy permission",
    scope=Scope.ROLE,
    doc=__doc__ or "",
)


def check(target: RoleTarget, ctx: AuditContext) -> Iterator[Finding]:
    if ctx.inventory is None or target.role is None:
        return  # needs the callers' policies: only a scan has them
    for grant in target.grants:
        if grant.kind in (PrincipalKind.USER, PrincipalKind.ROLE) and grant.account_id == target.account_id:
            finding = _check_grant(target, ctx, grant)
            if finding is not None:
                yield finding


def _check_grant(target: RoleTarget, ctx: AuditContext, grant: Grant) -> Finding | None:
    assert ctx.inventory is not None
    try:
        request = request_for(ctx.inventory, grant.entry, target.arn, action=ASSUME_ROLE).request
    except InvalidRequestError:
        return None  # the named principal is not in the loaded accounts
    if not can_assume(request).allowed:
        return None
    allowed_by = identity_grant(request)
    account_trust = {**statement_dict(grant.statement), "Principal": {"AWS": f"arn:aws:iam::{target.account_id}:root"}}
    fixed = with_condition(account_trust, "ArnEquals", "aws:PrincipalArn", grant.entry)
    if allowed_by is None:
        state = f"although none of its identity policies allows sts:AssumeRole on {target.arn}"
    else:
        state = f"whatever its identity policies say (today {allowed_by.describe()} also allows it)"
    return ctx.role_finding(
        META,
        target,
        key=(grant.entry,),
        principal=grant.entry,
        statement=grant.index,
        explanation=(
            f"Trust policy {grant.statement.label(grant.index)} names {grant.entry} in the role's own account, so "
            f"it can assume {target.arn} {state}: a same-account trust grant to a principal ARN needs no "
            "identity permission."
        ),
        remediation="Trust the account and pin the principal, so the caller's policy must also allow it:\n"
        + show(fixed),
        evidence={"identity_allows": allowed_by is not None},
    ).model_copy(update={"severity": Severity.MEDIUM if allowed_by is None else Severity.LOW})


RULE = RoleRule(META, check)
