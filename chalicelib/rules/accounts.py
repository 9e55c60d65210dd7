"""Which accounts a role's grants reach, grouped per account: shared by the account-level rules."""

from __future__ import annotations

from collections import defaultdict

from .context import RoleTarget
from .grants import POSITIVE, Grant, Operator, PrincipalKind, null_guarded

AWS_KINDS = frozenset(
    {PrincipalKind.WILDCARD, PrincipalKind.ACCOUNT, PrincipalKind.USER, PrincipalKind.ROLE, PrincipalKind.SESSION}
)


def grants_by_account(target: RoleTarget, *, kinds: frozenset[PrincipalKind] = AWS_KINDS) -> dict[str, list[Grant]]:
    """Account id → the grants that reach principals of it (by principal, or by a restricting condition)."""
    found: dict[str, list[Grant]] = defaultdict(list)
    for grant in target.grants:
        if grant.kind not in kinds:
            continue
        for account in sorted(grant.accounts() or ()):
            found[account].append(grant)
    return dict(found)


def concrete_external_ids(grant: Grant) -> list[str]:
    """ExternalId values a caller must present; empty if no condition requires a concrete one.

    A condition requires one when it is positive, not ``ForAllValues``, not ``…IfExists`` unless a ``Null``
    guard makes the key mandatory, and every one of its values (they are ORed) is non-empty and wildcard-free.
    Separate conditions are ANDed, so one such condition is enough.
    """
    guarded = "sts:externalid" in null_guarded(grant.statement)
    for condition in grant.statement.condition:
        op = Operator.parse(condition.operator)
        if condition.key.lower() != "sts:externalid" or op.base not in POSITIVE or op.set_prefix == "ForAllValues":
            continue
        if op.if_exists and not guarded:
            continue
        if condition.values and all(v.strip() and "*" not in v and "?" not in v for v in condition.values):
            return list(condition.values)
    return []


def describe_grants(grants: list[Grant]) -> str:
    return "; ".join(f"{g.statement.label(g.index)} grants {g.entry!r}" for g in grants)
