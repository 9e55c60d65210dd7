"""transitive-external-access: an outsider who gets into one role reaches further roles through role chaining.

Risk: a role whose trust policy admits an outside principal (the *entry*) is itself reported by the direct
rules; what they cannot show is how far the outsider goes from there. The entry role may assume other roles,
whose trust policies name only internal principals: reading those suggests no outside access, yet the outsider
reaches them in two or more hops (seed 000's chain foobar -> foobaz, seen from the far end). Each hop is
decided by the full evaluator, so a hop counts only if its trust policy *and* (across accounts) the
intermediate role's own permissions allow it. One finding per (outside account, entry role): the place where
one change cuts every chain through it. A hop that admits outsiders only when they belong to the configured
organization or to an internal account (``aws:PrincipalOrgID``, ``aws:PrincipalOrgPaths``,
``aws:PrincipalAccount``, ``aws:PrincipalArn``) admits insiders only, so it is no entry.

Failing example: ``ci-deployer`` trusts ``arn:aws:iam::999988887777:root`` (a vendor) and may assume
``prod-admin``, which trusts only ``role/ci-deployer``: the vendor reaches ``prod-admin`` through ``ci-deployer``.

Fix: cut the chain at the entry: stop the outside account from assuming the entry role (or require what it
cannot provide), or stop the entry role from assuming the roles behind it; or accept it with a suppression.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator

from ..iam.arn import is_account_id, try_parse
from ..iam.entities import Inventory
from ..iam.graph import Reach
from ..iam.graph_closure import ForwardClosure
from ..iam.graph_edges import EdgeGroup
from ..iam.graph_outside import Entry, Reached, entries, reached_from
from .context import AuditContext, RoleTarget
from .findings import Finding, Severity
from .privilege import privilege_reason
from .registry_types import InventoryRule, RuleMeta, Scope

META = RuleMeta(
    id="transitive-external-access",
    severity=Severity.HIGH,
    title="Outside principal reaches further roles through a chain",
    summary="An outside principal that can assume a role reaches further roles from it through role chaining",
    scope=Scope.INVENTORY,
    doc=__doc__ or "",
)
LISTED = 20  # reached roles listed in a finding's evidence; the count covers them all
# Keys that, when a hop needs them to hold a value, say the caller is one of yours.
_MEMBERSHIP_KEYS = ("aws:principalorgid", "aws:principalorgpaths", "aws:principalaccount", "aws:principalarn")


def check(ctx: AuditContext, only: Collection[str] | None = None) -> Iterator[Finding]:
    """Every entry's finding; with ``only``, those of the entry roles it holds (an update after a change)."""
    assert ctx.inventory is not None
    found = entries(ctx.graph, _OutsideJudge(ctx))
    if not found:
        return
    closure = ctx.closure
    privilege = _Privilege(ctx.inventory)
    privileged = closure.bits({role.arn for role in ctx.inventory.roles() if privilege(role.arn)})
    excluded = _excluded(ctx, closure, found)
    for entry in found if only is None else [e for e in found if e.role in only]:
        # Beyond the entry, neither entered directly by the same outsider (that entry's own finding) nor in
        # an account that counts the outsider as internal.
        bits = closure.reach(entry.role) & ~(1 << closure.index[entry.role]) & ~excluded[entry.account]
        if bits:
            must = frozenset(closure.members(bits & privileged)[:LISTED])
            result = reached_from(ctx.graph, entry, _member_of(closure, bits), must=must, enough=LISTED)
            yield _finding(ctx, result, bits.bit_count(), privilege)


def _member_of(closure: ForwardClosure, bits: int) -> Callable[[str], bool]:
    return lambda role: bool(bits >> closure.index[role] & 1)


def _excluded(ctx: AuditContext, closure: ForwardClosure, found: list[Entry]) -> dict[str, int]:
    assert ctx.inventory is not None
    by_account: dict[str, set[str]] = {}
    for role in ctx.inventory.roles():
        by_account.setdefault(role.account_id, set()).add(role.arn)
    account_bits = {account: closure.bits(roles) for account, roles in by_account.items()}
    excluded: dict[str, int] = {}
    for entry in found:
        if entry.account not in excluded:
            inside = [a for a in account_bits if entry.account != "*" and ctx.trust_model.is_internal(entry.account, a)]
            excluded[entry.account] = sum(account_bits[a] for a in inside)
        excluded[entry.account] |= 1 << closure.index[entry.role]
    return excluded


class _OutsideJudge:
    """The outside account of an edge's sources relative to the role they reach ("*" for anyone)."""

    def __init__(self, ctx: AuditContext) -> None:
        self.ctx = ctx
        # Every edge group is judged, hundreds of thousands at 10,000 roles, from few distinct ARNs: parse once.
        self._owns: dict[str, str] = {}
        self._outside: dict[tuple[str, str], str | None] = {}

    def __call__(self, group: EdgeGroup) -> str | None:
        own = self._owns.get(group.target)
        if own is None:
            own = self._owns[group.target] = _account(group.target)
        key = (group.sources[0], own)
        if key in self._outside:
            account = self._outside[key]
        else:
            account = self._outside[key] = self._account_of(*key)
        if account is None or self._insiders_only(group, own):
            return None
        return account

    def _account_of(self, principal: str, own: str) -> str | None:
        if principal == "*":
            return "*"
        parsed = try_parse(principal)
        if parsed is None or parsed.service not in ("iam", "sts") or not is_account_id(parsed.account):
            return None  # services and identity providers are judged by their own rules
        if parsed.resource_type in ("oidc-provider", "saml-provider"):
            return None
        return None if self.ctx.trust_model.is_internal(parsed.account, own) else parsed.account

    def _insiders_only(self, group: EdgeGroup, own: str) -> bool:
        model = self.ctx.trust_model
        for key, values in group.assumed:
            lowered = key.lower()
            if lowered not in _MEMBERSHIP_KEYS or not values:
                continue
            if lowered == "aws:principalorgid" and all(model.is_own_org(v) for v in values):
                return True
            if lowered == "aws:principalorgpaths" and all(model.is_own_org(v.split("/", 1)[0]) for v in values):
                return True
            accounts = [v if lowered == "aws:principalaccount" else _account(v) for v in values]
            if lowered in ("aws:principalaccount", "aws:principalarn") and all(
                is_account_id(a) and model.is_internal(a, own) for a in accounts
            ):
                return True
        return False


class _Privilege:
    """Why a role is privileged (None when it is not), judged once per role per audit."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        self._known: dict[str, str | None] = {}

    def __call__(self, arn: str) -> str | None:
        if arn not in self._known:
            role = self.inventory.role(arn)
            self._known[arn] = privilege_reason(role, self.inventory) if role else None
        return self._known[arn]


def _finding(ctx: AuditContext, result: Reached, count: int, privilege: _Privilege) -> Finding:
    entry = result.entry
    roles = result.roles
    privileged = {role: reason for role in roles if (reason := privilege(role))}
    # Breadth-first order is chain-length order: the privileged first, then the nearest.
    listed = [r for r in roles if r in privileged][:LISTED]
    listed += [r for r in roles if r not in privileged][: LISTED - len(listed)]
    chains = [result.chain(role) for role in listed]
    who = "anyone" if entry.account == "*" else f"account {ctx.trust_model.name(entry.account)}"
    top = chains[0]
    needs = f" That chain still requires: {'; '.join(top.conditions)}." if top.conditions else ""
    worst = next(iter(privileged.items()), None)
    rise = f" It reaches the privileged role {worst[0]} ({worst[1]})." if worst else ""
    finding = ctx.role_finding(
        META,
        RoleTarget(entry.role, None),
        key=(entry.account,),
        principal=entry.principal,
        explanation=(
            f"{entry.principal} ({who}, outside your accounts) can assume {entry.role} and, through role chaining "
            f"from it, {count} more role(s) whose own trust policies do not admit it, e.g. "
            f"{' -> '.join(top.path)}.{needs}{rise}"
        ),
        remediation=(
            f"Cut the chain at the entry: stop {entry.principal} from assuming {entry.role}, or remove what lets "
            f"{entry.role} assume {top.path[2]}; or, if intended, suppress it with a reason."
        ),
        evidence={
            "account": entry.account,
            "entry_role": entry.role,
            "principals": list(entry.principals)[:LISTED],
            "reached_count": count,
            "privileged_reached": sorted(privileged),
            "reached": [_chain(chain, privileged) for chain in chains],
        },
    )
    return finding.model_copy(update={"severity": Severity.CRITICAL}) if worst else finding


def _chain(chain: Reach, privileged: dict[str, str]) -> dict[str, object]:
    role = chain.path[-1]
    shown: dict[str, object] = {"role": role, "path": list(chain.path), "conditions": list(chain.conditions)}
    if role in privileged:
        shown["privileged"] = privileged[role]
    return shown


def _account(arn: str) -> str:
    parsed = try_parse(arn)
    return parsed.account if parsed else ""


RULE = InventoryRule(META, check)
