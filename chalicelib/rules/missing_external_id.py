"""missing-external-id: a third-party (or untrusted) account can assume the role without an external id.

Risk: the confused-deputy problem. A vendor that assumes roles in many customers' accounts can be tricked
by another customer into using *your* role unless the trust policy requires the ``sts:ExternalId`` the
vendor gave you. An empty or wildcard value, ``StringLike`` with ``*``, or an ``…IfExists`` form requires
nothing.

Failing example: ``{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
"Action": "sts:AssumeRole"}`` for a vendor account 999999999999.

Fix: add ``"Condition": {"StringEquals": {"sts:ExternalId": "<the id the vendor gave you>"}}``.
"""

from __future__ import annotations

from collections.abc import Iterator

from .accounts import concrete_external_ids, describe_grants, grants_by_account
from .context import AuditContext, RoleTarget
from .findings import Finding, Severity
from .registry_types import RoleRule, RuleMeta, Scope
from .remediation import show, statement_dict, with_condition
from .trustmodel import AccountClass

META = RuleMeta(
    id="missing-external-id",
    severity=Severity.HIGH,
    title="Third-party access without an external id",
    summary="A grant to a third-party or untrusted account does not require a concrete sts:ExternalId",
    scope=Scope.ROLE,
    doc=__doc__ or "",
)


def check(target: RoleTarget, ctx: AuditContext) -> Iterator[Finding]:
    for account, grants in grants_by_account(target).items():
        kind = ctx.trust_model.classify(account, target.account_id)
        if kind not in (AccountClass.THIRD_PARTY, AccountClass.UNTRUSTED):
            continue
        lacking = [g for g in grants if not concrete_external_ids(g)]
        if not lacking:
            continue
        first = lacking[0]
        fixed = with_condition(statement_dict(first.statement), "StringEquals", "sts:ExternalId", "<external id>")
        who = "third-party" if kind is AccountClass.THIRD_PARTY else "untrusted"
        yield ctx.role_finding(
            META,
            target,
            key=(account,),
            principal=first.entry,
            statement=first.index,
            explanation=(
                f"The {who} account {ctx.trust_model.name(account)} can assume {target.arn} without presenting an "
                f"external id ({describe_grants(lacking)}), so anyone who can make that account's service act for "
                "them can reach your role (confused deputy)."
            ),
            remediation="Require the external id the vendor assigned to you:\n" + show(fixed),
            evidence={"account": account, "class": kind.value, "grants": [g.entry for g in lacking]},
        )


RULE = RoleRule(META, check)
