"""transitive-external-access: an outsider reaches the role through a chain of role assumptions.

Risk: the role's own trust policy names only internal principals, so reading it suggests no outside access.
But one of those principals is a role that an outside account can assume, and that role may assume this
one: the outsider reaches it in two or more hops (seed 000's chain foobar → foobaz, seen from the far end).
Each hop is decided by the full evaluator, so a hop counts only if its trust policy *and* (across accounts)
the intermediate role's own permissions allow it.

Failing example: ``prod-admin`` trusts ``role/ci-deployer`` (internal); ``ci-deployer`` trusts
``arn:aws:iam::999988887777:root`` (a vendor) and may assume ``prod-admin``.

Fix: cut the chain at its weakest hop — stop the intermediate role from assuming this one, or stop the
outside account from assuming the intermediate role — or accept it with a suppression.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache, partial

from ..iam.arn import is_account_id, try_parse
from ..iam.graph import Reach
from .accounts import grants_by_account
from .context import AuditContext, RoleTarget
from .findings import Finding, Severity
from .grants import PrincipalKind
from .registry_types import InventoryRule, RuleMeta, Scope

META = RuleMeta(
    id="transitive-external-access",
    severity=Severity.HIGH,
    title="Outside principal reaches the role through a chain",
    summary="A principal outside the internal accounts can reach the role through role chaining",
    scope=Scope.INVENTORY,
    doc=__doc__ or "",
)


def check(ctx: AuditContext) -> Iterator[Finding]:
    assert ctx.inventory is not None
    outside = cache(partial(_outside_account, ctx))  # the same principals reach many roles: judge each once
    for role in ctx.inventory.roles():
        target = RoleTarget(role.arn, role.trust_policy, role)
        if role.trust_policy is not None and _trusts_only_internal(target, ctx):
            yield from _chains(target, ctx, outside)


def _trusts_only_internal(target: RoleTarget, ctx: AuditContext) -> bool:
    if any(g.kind is PrincipalKind.WILDCARD and not g.restricted for g in target.grants):
        return False
    return all(ctx.trust_model.is_internal(a, target.account_id) for a in grants_by_account(target))


def _outside_account(ctx: AuditContext, principal: str, own: str) -> str | None:
    """The outside account a reaching principal belongs to ("*" for anyone), or None when it is internal."""
    if principal == "*":
        return "*"
    parsed = try_parse(principal)
    if parsed is None or parsed.service not in ("iam", "sts") or not is_account_id(parsed.account):
        return None  # services and identity providers are judged by their own rules
    if parsed.resource_type in ("oidc-provider", "saml-provider"):
        return None
    return None if ctx.trust_model.is_internal(parsed.account, own) else parsed.account


def _chains(target: RoleTarget, ctx: AuditContext, outside: Callable[[str, str], str | None]) -> Iterator[Finding]:
    """One finding per outside account, about its shortest chain; the others are listed in the evidence."""
    by_account: dict[str, list[Reach]] = {}
    for reach in ctx.graph.who_can_assume(target.arn):
        account = outside(reach.principal, target.account_id) if reach.hops >= 2 else None
        if account is not None:
            by_account.setdefault(account, []).append(reach)
    for account, reaches in by_account.items():
        yield _finding(target, ctx, account, reaches)


def _finding(target: RoleTarget, ctx: AuditContext, account: str, reaches: list[Reach]) -> Finding:
    reach = reaches[0]
    needs = f" It still requires: {'; '.join(reach.conditions)}." if reach.conditions else ""
    who = "anyone" if account == "*" else f"account {ctx.trust_model.name(account)}"
    more = f" {len(reaches) - 1} more principal(s) of it reach the role by longer chains." if len(reaches) > 1 else ""
    return ctx.role_finding(
        META,
        target,
        key=(account,),
        principal=reach.principal,
        explanation=(
            f"{reach.principal} ({who}, outside your accounts) can reach {target.arn} in {reach.hops} hops: "
            f"{' -> '.join(reach.path)}. The role's own trust policy names only internal principals, so this "
            f"access is invisible when reading it.{needs}{more}"
        ),
        remediation=(
            f"Cut the chain: remove the grant that lets {reach.path[-2]} assume {target.arn}, or stop "
            f"{reach.principal} from assuming {reach.path[1]}; or, if intended, suppress it with a reason."
        ),
        evidence={
            "account": account,
            "path": list(reach.path),
            "conditions": list(reach.conditions),
            "chains": [{"principal": r.principal, "path": list(r.path)} for r in reaches],
        },
    )


RULE = InventoryRule(META, check)
