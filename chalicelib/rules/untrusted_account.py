"""untrusted-account: a grant reaches principals of an account you do not trust.

Risk: the role can be assumed from an account that is neither the role's own, nor in ``trusted_accounts``,
nor in your organization, nor a known third party — by its root (every principal that account allows), a
user, a role, a session, or an account named by a restricting condition on ``"*"``. One finding per account.

Failing example: ``{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
"Action": "sts:AssumeRole"}`` where 999988887777 is unknown.

Fix: remove the account, or, if it is legitimate, add it to ``trusted_accounts`` or ``third_party_accounts``.
"""

from __future__ import annotations

from collections.abc import Iterator

from .accounts import describe_grants, grants_by_account
from .context import AuditContext, RoleTarget
from .findings import Finding, Severity
from .grants import PrincipalKind
from .registry_types import RoleRule, RuleMeta, Scope
from .trustmodel import AccountClass

META = RuleMeta(
    id="untrusted-account",
    severity=Severity.HIGH,
    title="Role trusts an untrusted account",
    summary="A grant reaches principals of an account that is not yours, internal or a known third party",
    scope=Scope.ROLE,
    doc=__doc__ or "",
)


def check(target: RoleTarget, ctx: AuditContext) -> Iterator[Finding]:
    kinds = frozenset(PrincipalKind) - {PrincipalKind.FEDERATED, PrincipalKind.UNIQUE_ID, PrincipalKind.INVALID}
    for account, grants in grants_by_account(target, kinds=kinds).items():
        if ctx.trust_model.classify(account, target.account_id) is not AccountClass.UNTRUSTED:
            continue
        first = grants[0]
        yield ctx.role_finding(
            META,
            target,
            key=(account,),
            principal=first.entry,
            statement=first.index,
            explanation=(
                f"{target.arn} can be assumed from account {account}, which is not the role's account, not in "
                f"trusted_accounts, not in your organization and not a known third party: {describe_grants(grants)}."
            ),
            remediation=(
                f"Remove account {account} from the trust policy, or, if the access is intended, list it in the "
                f'configuration: trusted_accounts: {{"{account}": "<name>"}} (your own) or third_party_accounts '
                "(a vendor, which must then use sts:ExternalId)."
            ),
            evidence={"account": account, "grants": [g.entry for g in grants], "statements": [g.index for g in grants]},
        )
    yield from _foreign_orgs(target, ctx)


def _foreign_orgs(target: RoleTarget, ctx: AuditContext) -> Iterator[Finding]:
    if not (ctx.config.organization_id or ctx.trust_model.organization.org_id):
        return  # without knowing your organization, an org condition cannot be judged: no guesses, no noise
    for grant in target.grants:
        for org in sorted(grant.limited_orgs or ()):
            if ctx.trust_model.is_own_org(org):
                continue
            yield ctx.role_finding(
                META,
                target,
                key=(org,),
                principal=grant.entry,
                statement=grant.index,
                explanation=(
                    f"Trust policy {grant.statement.label(grant.index)} admits every principal of organization "
                    f"{org}, which is not your organization ({ctx.config.organization_id or 'none configured'})."
                ),
                remediation=f"Replace {org} with your organization id, or remove the grant.",
                evidence={"organization": org},
            )


RULE = RoleRule(META, check)
