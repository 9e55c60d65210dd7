"""broad-assume-permission: an identity policy lets its holder assume roles in any account.

Risk: ``sts:AssumeRole`` on ``*``, on an ARN with a wildcard account (``arn:aws:iam::*:role/Name``, seed 004) or
with ``NotResource`` hands the decision to every other account's trust policies: the holder can assume any
role anywhere that trusts its account, including roles created later and same-named roles in accounts you
do not control. Checked: inline policies of users, groups and roles, and customer managed policies attached
to any of them. Only ``sts:AssumeRole`` counts (identity policies do not authorize the web identity and SAML
APIs). A concrete ``aws:ResourceAccount``/``aws:ResourceOrgID``/``aws:ResourceOrgPaths`` condition keeps
the rule quiet. One finding per policy, listing the roles of the loaded accounts that the pattern names and
that a holder can assume, decided with all of its policies (Denies, boundary, SCPs: what ``can-assume`` says)
(``evidence["reachable_roles"]``, the first 50, and ``reachable_count``).

Failing example: a customer managed policy attached to a user, ``{"Effect": "Allow", "Action":
"sts:AssumeRole", "Resource": "arn:aws:iam::*:role/CrossAccountReadOnlyRole"}``.

Fix: list the role ARNs it needs (``arn:aws:iam::222222222222:role/CrossAccountReadOnlyRole``), or scope it with
``"StringEquals": {"aws:ResourceOrgID": "o-…"}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..iam.entities import Group, Identity, Inventory, NamedPolicy
from ..iam.policy import Statement
from ..iam.request import ASSUME_ROLE
from ..iam.wildcard import arn_matches, glob_matches
from .context import AuditContext
from .findings import Finding, Severity
from .grants import covered_apis, positive_values
from .registry_types import InventoryRule, RuleMeta, Scope
from .remediation import show, statement_dict

META = RuleMeta(
    id="broad-assume-permission",
    severity=Severity.MEDIUM,
    title="Identity policy may assume roles in any account",
    summary="An identity policy allows sts:AssumeRole on '*', on a wildcard-account role ARN, or with NotResource",
    scope=Scope.INVENTORY,
    doc=__doc__ or "",
)

SHOWN, LISTED = 10, 50  # reachable roles named in the explanation and listed in the evidence (the count has all)
RESOURCE_SCOPE_KEYS = ("aws:ResourceAccount", "aws:ResourceOrgID", "aws:ResourceOrgPaths")


@dataclass(frozen=True, slots=True)
class PolicyUse:
    """A policy and the identities it applies to: its holder (inline) or everything it is attached to."""

    subject: str  # the managed policy ARN, or <identity-arn>/inline/<policy-name>
    account_id: str
    policy: NamedPolicy
    holders: tuple[Identity, ...]


@dataclass(frozen=True, slots=True)
class BroadStatement:
    index: int
    statement: Statement
    patterns: tuple[str, ...]  # the Resource patterns that reach any account (empty for NotResource)


def check(ctx: AuditContext, wanted: Callable[[PolicyUse], bool] | None = None) -> Iterator[Finding]:
    """A finding per broad policy use; with ``wanted``, of the uses it accepts (an update after a change)."""
    if ctx.inventory is None:
        return
    for use in policy_uses(ctx.inventory):
        if wanted is not None and not wanted(use):
            continue
        broad = [b for i, s in enumerate(use.policy.document.statements) if (b := broad_statement(i, s))]
        if broad:
            yield _finding(ctx, ctx.inventory, use, broad)


def policy_uses(inventory: Inventory) -> Iterator[PolicyUse]:
    for account in inventory.accounts.values():
        identities: list[Identity] = [*account.users.values(), *account.groups.values(), *account.roles.values()]
        for identity in identities:
            for policy in identity.inline_policies:
                yield PolicyUse(f"{identity.arn}/inline/{policy.name}", account.account_id, policy, (identity,))
        for arn, policy in account.managed_policies.items():
            holders = tuple(i for i in identities if arn in i.managed_policy_arns)
            if holders and "::aws:policy/" not in arn:
                yield PolicyUse(arn, account.account_id, policy, holders)


def broad_statement(index: int, statement: Statement) -> BroadStatement | None:
    if statement.effect != "Allow" or ASSUME_ROLE not in covered_apis(statement) or _scoped(statement):
        return None
    if statement.not_resource is not None:
        return None if "*" in statement.not_resource else BroadStatement(index, statement, ())
    patterns = tuple(r for r in statement.resource or () if any_account_pattern(r))
    return BroadStatement(index, statement, patterns) if patterns else None


def any_account_pattern(pattern: str) -> bool:
    """``*``, or an IAM ARN pattern with a wildcard account that can name roles."""
    if pattern == "*":
        return True
    parts = pattern.split(":", 5)
    if len(parts) != 6 or not glob_matches(parts[2], "iam") or not re.search(r"[*?]", parts[4]):
        return False
    literal = re.split(r"[*?]", parts[5], maxsplit=1)[0]
    return literal.startswith("role/") or (literal != parts[5] and "role/".startswith(literal))


def _scoped(statement: Statement) -> bool:
    for key in RESOURCE_SCOPE_KEYS:
        values = positive_values(statement, key)
        heads = [v.split("/", 1)[0] if key == "aws:ResourceOrgPaths" else v for v in values or ()]
        if heads and all(h and not re.search(r"[*?]", h) for h in heads):
            return True
    return False


def _finding(ctx: AuditContext, inventory: Inventory, use: PolicyUse, broad: list[BroadStatement]) -> Finding:
    first = broad[0]
    reachable = reachable_roles(ctx, use, broad)
    holders = [h.arn for h in use.holders]
    resources = [_describe(b) for b in broad]
    more = f" and {len(reachable) - SHOWN} more" if len(reachable) > SHOWN else ""
    reach = (
        f" In the loaded accounts it reaches: {', '.join(reachable[:SHOWN])}{more}."
        if reachable
        else " No role of the loaded accounts is reachable through it today."
    )
    return ctx.finding(
        META,
        account_id=use.account_id,
        subject=use.subject,
        principal=holders[0],
        statement=first.index,
        explanation=(
            f"{use.subject} allows sts:AssumeRole on {'; '.join(resources)} ({first.statement.label(first.index)}) "
            f"to {_who(holders)}: it may assume any role, in any AWS account, whose trust policy admits it, so what it "
            f"reaches is decided by other accounts' trust policies, not by this policy.{reach}"
        ),
        remediation=_remediation(first, reachable if len(reachable) <= SHOWN else []),
        evidence={
            "policy": use.subject,
            "attached_to": holders,
            "statements": [b.index for b in broad],
            "resources": resources,
            "reachable_roles": reachable[:LISTED],
            "reachable_count": len(reachable),
        },
    )


def _who(holders: list[str]) -> str:
    others = len(holders) - 1
    return holders[0] + (f" and {others} other {'identity' if others == 1 else 'identities'}" if others else "")


def _describe(broad: BroadStatement) -> str:
    if broad.statement.not_resource is not None:
        return "NotResource " + json.dumps(list(broad.statement.not_resource))
    return ", ".join(broad.patterns)


def reachable_roles(ctx: AuditContext, use: PolicyUse, broad: list[BroadStatement]) -> list[str]:
    """Roles the broad patterns name that a holder (a group: its members) can assume, decided with all of the
    holder's policies, boundary and SCPs, as `can-assume` decides it: read from the compiled graph."""
    assert ctx.inventory is not None
    targets: set[str] = set()
    for caller in callers(ctx.inventory, use):
        targets |= ctx.graph.targets_of(caller)
    if not any(b.statement.not_resource is None and "*" in b.patterns for b in broad):  # "*" names them all
        targets &= set().union(*(_named(ctx, b) for b in broad))
    return sorted(targets, key=ctx.role_order.__getitem__)


def _named(ctx: AuditContext, broad: BroadStatement) -> frozenset[str]:
    """The loaded roles a broad statement names, matched once per audit and distinct pattern list (a managed
    policy's statement is shared by every use of it, and many policies repeat the same patterns)."""
    key = (broad.statement.not_resource is not None, broad.statement.not_resource or broad.patterns)
    memo: dict[object, frozenset[str]] = ctx.memo.setdefault(META.id, {})
    found = memo.get(key)
    if found is None:
        assert ctx.inventory is not None
        found = memo[key] = frozenset(role.arn for role in ctx.inventory.roles() if _names(broad, role.arn))
    return found


def callers(inventory: Inventory, use: PolicyUse) -> list[str]:
    """The principals that hold the policy: its holders, and the members of a group holder."""
    return [caller for holder in use.holders for caller in _callers(inventory, holder)]


def _callers(inventory: Inventory, holder: Identity) -> list[str]:
    if isinstance(holder, Group):
        members = inventory.accounts[holder.account_id].users.values()
        return [user.arn for user in members if holder.name in user.group_names]
    return [holder.arn]


def _names(broad: BroadStatement, arn: str) -> bool:
    if broad.statement.not_resource is not None:
        return not any(arn_matches(p, arn) for p in broad.statement.not_resource)
    return any(arn_matches(p, arn) for p in broad.patterns)


def _remediation(broad: BroadStatement, reachable: list[str]) -> str:
    resources = reachable or sorted({_example(p) for p in broad.patterns}) or [_example("*")]
    one_or_all = resources[0] if len(resources) == 1 else resources
    if all(a.lower().startswith("sts:") for a in broad.statement.action or ("*",)):
        fixed = {**statement_dict(broad.statement), "Resource": one_or_all}
        return "Name the roles it needs (or scope it with aws:ResourceOrgID):\n" + show(fixed)
    # The statement grants more than STS: keep the rest, deny AssumeRole on every role it does not need.
    deny = {"Effect": "Deny", "Action": "sts:AssumeRole", "NotResource": one_or_all}
    return "Add a statement that limits sts:AssumeRole to the roles it needs:\n" + show(deny)


def _example(pattern: str) -> str:
    parts = pattern.split(":", 5)
    name = parts[5] if len(parts) == 6 and not re.search(r"[*?]", parts[5]) else "role/<role-name>"
    return f"arn:aws:iam::<account-id>:{name}"


RULE = InventoryRule(META, check)
