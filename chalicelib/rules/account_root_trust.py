"""account-root-trust: the trust policy delegates to a whole account.

Risk: ``arn:aws:iam::ID:root`` (or the bare ``ID``) does not mean the root user: it means every user and
role of that account whose own identity policies allow ``sts:AssumeRole`` on the role. Who can assume it is
then decided by policies in that account, which the role's owner may not see or control. Cross-account
this is medium.

Expected patterns are informational (so a privileged role's rise makes them low, never more): the role's own
account (seed 001: RoleB and RoleD); the standard roles ``OrganizationAccountAccessRole`` and
``AWSCloudFormationStackSetExecutionRole`` trusting the organization's management account (known from the
organization file or ``management_account_id`` in the configuration), which is how AWS Organizations and
StackSets administer member accounts; and a listed third party's account with a concrete ``sts:ExternalId``,
the pattern vendors document. Who in a vendor's account calls the role is the vendor's decision, and its
role names are not the customer's to know, so no fix here asks for them.

Failing example: ``{"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole"}``.

Fix: name the roles that need access, or add a restricting condition such as ``ArnLike aws:PrincipalArn``
(for your own accounts, whose role names you know); for a vendor, require the external id it gave you.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..iam.arn import Arn, account_root_arn
from .accounts import concrete_external_ids
from .context import AuditContext, RoleTarget
from .findings import Finding, Severity
from .grants import Grant, PrincipalKind
from .registry_types import RoleRule, RuleMeta, Scope
from .remediation import show, statement_dict, with_condition
from .trustmodel import AccountClass

META = RuleMeta(
    id="account-root-trust",
    severity=Severity.MEDIUM,
    title="Role trusts a whole account",
    summary=(
        "A grant names a whole account (:root or bare id) without a restricting condition; info when expected "
        "(own account, standard org roles, vendor with ExternalId)"
    ),
    scope=Scope.ROLE,
    doc=__doc__ or "",
)

# Roles AWS creates (or documents) for the management account to administer member accounts.
STANDARD_ROLES = {
    "organizationaccountaccessrole": "the role AWS Organizations creates in member accounts",
    "awscloudformationstacksetexecutionrole": "the execution role of CloudFormation StackSets",
}


def check(target: RoleTarget, ctx: AuditContext) -> Iterator[Finding]:
    for grant in target.grants:
        if grant.kind is not PrincipalKind.ACCOUNT or grant.restricted or grant.account_id is None:
            continue
        account = grant.account_id
        expected = _expected(target, grant, ctx)
        kind = ctx.trust_model.classify(account, target.account_id)
        where = "its own account" if kind is AccountClass.OWN else f"account {ctx.trust_model.name(account)}"
        explanation = (
            f"Trust policy {grant.statement.label(grant.index)} trusts {where} ({grant.entry!r}): every user and "
            f"role there whose own policies allow sts:AssumeRole on {target.arn} can assume it; the role's "
            "trust policy does not choose them."
        )
        yield ctx.role_finding(
            META,
            target,
            key=(account,),
            principal=account_root_arn(account),
            statement=grant.index,
            explanation=f"{explanation} {expected}" if expected else explanation,
            remediation=_remediation(grant, kind, expected is not None),
            evidence={"account": account, "same_account": kind is AccountClass.OWN, "class": kind.value},
        ).model_copy(update={"severity": Severity.INFO if expected or kind is AccountClass.OWN else Severity.MEDIUM})


def _expected(target: RoleTarget, grant: Grant, ctx: AuditContext) -> str | None:
    """Why this account grant is an expected pattern (then informational), or None."""
    account = grant.account_id
    management = ctx.trust_model.management_account
    role = STANDARD_ROLES.get(Arn.parse(target.arn).resource_name.lower())
    if role and account == management:
        return f"This is {role}, trusting the management account {account} of your organization: expected."
    ids = concrete_external_ids(grant)
    if account and ctx.trust_model.classify(account, target.account_id) is AccountClass.THIRD_PARTY and ids:
        return (
            f"{ctx.trust_model.name(account)} is a listed third party and must present the external id "
            f"{ids[0]!r}: the cross-account pattern vendors document; which of its principals call the role "
            "is the vendor's decision."
        )
    return None


def _remediation(grant: Grant, kind: AccountClass, expected: bool) -> str:
    account = grant.account_id
    statement = statement_dict(grant.statement)
    if kind is AccountClass.THIRD_PARTY and expected:
        return (
            "Nothing to change while you use this vendor: keep the external id unique to this account, and remove "
            "the grant when you stop using the vendor. If the vendor documents the exact role it calls from, you "
            "may name it instead of its account."
        )
    if kind is AccountClass.THIRD_PARTY:
        fixed = with_condition(statement, "StringEquals", "sts:ExternalId", "<the external id the vendor gave you>")
        return "Require the external id the vendor assigned to you (its role names are not yours to know):\n" + show(
            fixed
        )
    if kind is AccountClass.UNTRUSTED:
        return (
            f"Remove account {account} from the trust policy, or, if the access is intended, list the account in "
            "the configuration (see untrusted-account). Only that account's owner knows its role names: if they "
            "give you the exact role ARN, name it instead of the account."
        )
    pattern = f"arn:aws:iam::{account}:role/<role-name>"
    fixed = with_condition(statement, "ArnLike", "aws:PrincipalArn", pattern)
    prefix = "Optionally, name the roles of that account" if expected else "Name the principals that need the role"
    return f"{prefix}, or restrict the account grant (the account is yours, so you know its role names):\n" + show(
        fixed
    )


RULE = RoleRule(META, check)
