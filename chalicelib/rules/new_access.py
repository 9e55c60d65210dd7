"""new-access: a CreateRole or UpdateAssumeRolePolicy gave someone access the role did not have.

Risk: every change of a trust policy is a change of who can take the role's permissions. This rule compares
the new trust policy with the last one Trustwatch saw and lists the grants that were added and removed —
principals, accounts, and grants whose narrowing conditions were dropped. Its severity is that of the riskiest
added grant (the trust-side rules' verdict on it; info for a same-account named principal), and the finding
says who made the change, when, and through which deployment tool.

Failing example: UpdateAssumeRolePolicy adding ``{"AWS": "arn:aws:iam::999988887777:root"}`` to a role that
trusted only ``arn:aws:iam::111111111111:role/foobar``.

Fix: revert the change, or accept it (then the added principals are part of the known state).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..iam.policy import PolicyDocument
from .context import AuditContext, RoleTarget
from .findings import Finding, Severity
from .grants import Grant, PrincipalKind, trust_grants
from .registry_types import RuleMeta, Scope
from .remediation import show, statement_dict

META = RuleMeta(
    id="new-access",
    severity=Severity.INFO,
    title="Trust policy change added access",
    summary="CreateRole or UpdateAssumeRolePolicy added principals, accounts or condition-free grants",
    scope=Scope.EVENT,
    doc=__doc__ or "",
)


def grant_label(grant: Grant) -> str:
    """A grant as a reader sees it: the principal, the APIs, and what narrows it."""
    narrowed = "; ".join(limit.describe() for limit in grant.limits)
    return f"{grant.entry} ({', '.join(grant.actions)})" + (f" only if {narrowed}" if narrowed else "")


def _key(grant: Grant) -> tuple[str, tuple[str, ...], bool]:
    return grant.entry, grant.actions, grant.restricted


def diff_grants(old: PolicyDocument | None, new: PolicyDocument) -> tuple[list[Grant], list[Grant]]:
    """Grants in ``new`` but not ``old`` (a grant that lost its narrowing conditions counts as added), and back."""
    before = trust_grants(old) if old is not None else []
    after = trust_grants(new)
    old_keys, new_keys = {_key(g) for g in before}, {_key(g) for g in after}
    added = [g for g in after if _key(g) not in old_keys]
    removed = [g for g in before if _key(g) not in new_keys]
    return added, removed


def check(
    target: RoleTarget,
    ctx: AuditContext,
    *,
    previous: PolicyDocument | None,
    verdicts: Sequence[Finding],
    change: str,
    baseline: str | None = None,
) -> Finding | None:
    """``verdicts`` are the trust-side rules' findings on the new policy; ``change`` describes the event."""
    if target.trust is None:
        return None
    added, removed = diff_grants(previous, target.trust)
    if not added:
        return None
    severity = max((_severity(g, target, verdicts) for g in added), key=lambda s: s.rank)
    gained = "; ".join(grant_label(g) for g in added)
    lost = "; ".join(grant_label(g) for g in removed) or "nothing"
    baseline = baseline or (
        "the role is new" if previous is None else "compared with the trust policy Trustwatch last saw"
    )
    return ctx.role_finding(
        META,
        target,
        key=tuple(sorted(grant_label(g) for g in added)),
        principal=added[0].entry,
        statement=added[0].index,
        explanation=f"{change}: {target.arn} can now be assumed by {gained} ({baseline}). Removed: {lost}.",
        remediation="If the change was not intended, restore the previous statements; the added ones are:\n"
        + show([statement_dict(g.statement) for g in _unique_statements(added)]),
        evidence={"added": [grant_label(g) for g in added], "removed": [grant_label(g) for g in removed]},
    ).model_copy(update={"severity": severity})


def _severity(grant: Grant, target: RoleTarget, verdicts: Sequence[Finding]) -> Severity:
    about = [f.severity for f in verdicts if f.principal == grant.entry or f.statement == grant.index]
    if about:
        return max(about, key=lambda s: s.rank)
    same_account = grant.account_id == target.account_id and grant.kind is not PrincipalKind.WILDCARD
    return Severity.INFO if same_account else Severity.LOW


def _unique_statements(grants: list[Grant]) -> list[Grant]:
    seen: dict[int, Grant] = {}
    for grant in grants:
        seen.setdefault(grant.index, grant)
    return list(seen.values())
