"""account-root-trust: the trust policy delegates to a whole account.

Risk: ``arn:aws:iam::ID:root`` (or the bare ``ID``) does not mean the root user: it means every user and
role of that account whose own identity policies allow ``sts:AssumeRole`` on the role. Who can assume it is
then decided by policies in that account, which the role's owner may not see or control. Cross-account
this is medium; inside the role's own account it is informational (seed 001: RoleB and RoleD).

Failing example: ``{"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole"}``.

Fix: name the roles that need access, or add a restricting condition such as ``ArnLike aws:PrincipalArn``.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..iam.arn import account_root_arn
from .context import AuditContext, RoleTarget
from .findings import Finding, Severity
from .grants import PrincipalKind
from .registry_types import RoleRule, RuleMeta, Scope
from .remediation import show, statement_dict, with_condition

META = RuleMeta(
    id="account-root-trust",
    severity=Severity.MEDIUM,
    title="Role trusts a whole account",
    summary="A grant names an account principal (:root or bare id) without a restricting condition",
    scope=Scope.ROLE,
    doc=__doc__ or "",
)


def check(target: RoleTarget, ctx: AuditContext) -> Iterator[Finding]:
    for grant in target.grants:
        if grant.kind is not PrincipalKind.ACCOUNT or grant.restricted or grant.account_id is None:
            continue
        account = grant.account_id
        same = account == target.account_id
        pattern = f"arn:aws:iam::{account}:role/<role-name>"
        fixed = with_condition(statement_dict(grant.statement), "ArnLike", "aws:PrincipalArn", pattern)
        where = "its own account" if same else f"account {ctx.trust_model.name(account)}"
        yield ctx.role_finding(
            META,
            target,
            key=(account,),
            principal=account_root_arn(account),
            statement=grant.index,
            explanation=(
                f"Trust policy {grant.statement.label(grant.index)} trusts {where} ({grant.entry!r}): every user and "
                f"role there whose own policies allow sts:AssumeRole on {target.arn} can assume it; the role's "
                "trust policy does not choose them."
            ),
            remediation="Name the principals that need the role, or restrict the account grant:\n" + show(fixed),
            evidence={"account": account, "same_account": same},
        ).model_copy(update={"severity": Severity.INFO if same else Severity.MEDIUM})


RULE = RoleRule(META, check)
