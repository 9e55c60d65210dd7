"""A trust policy read as the grants it makes: who may assume the role, and what narrows it.

Rules judge the *effective* meaning of a policy, never its surface: an Allow counts if any AssumeRole API is
covered (``sts:*``, ``*``, ``sts:Assume*``, ``NotAction``, any letter case), every principal entry is a
grant of its own, and a condition narrows *who* only when an outsider cannot dodge it (RULES.md,
"restricting condition"; ASSUME_ROLE.md §8). Deny statements that carve the world down to an account or
an organization narrow every grant they cover.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..iam.arn import is_account_id, try_parse
from ..iam.policy import Condition, PolicyDocument, Statement
from ..iam.principal import is_unique_id
from ..iam.request import API_ACTIONS
from ..iam.wildcard import any_action_matches

WHO_KEYS = frozenset(
    {"aws:principalarn", "aws:principalaccount", "aws:principalorgid", "aws:principalorgpaths", "aws:userid",
     "aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths"}
)  # fmt: skip
POSITIVE = frozenset({"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike"})
NEGATED = frozenset({"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike"})
# Keys an AWS principal cannot set to dodge a Deny (data-perimeter policies exempt services this way); a
# clause on them is harmless only when it holds for every IAM principal (see `_holds_for_iam_principals`).
DENY_HARMLESS_KEYS = frozenset({"aws:principalisawsservice", "aws:principalservicename"})


class PrincipalKind(StrEnum):
    WILDCARD = "wildcard"
    ACCOUNT = "account"
    USER = "user"
    ROLE = "role"
    SESSION = "session"
    UNIQUE_ID = "unique-id"
    SERVICE = "service"
    FEDERATED = "federated"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class Operator:
    """An operator name taken apart: ``ForAnyValue:StringLikeIfExists`` → set, base, if_exists."""

    base: str
    set_prefix: str  # "", "ForAnyValue", "ForAllValues"
    if_exists: bool

    @classmethod
    def parse(cls, name: str) -> Operator:
        prefix, _, rest = name.rpartition(":")
        if_exists = rest.endswith("IfExists") and rest != "IfExists"
        return cls(rest.removesuffix("IfExists") if if_exists else rest, prefix, if_exists)


@dataclass(frozen=True, slots=True)
class WhoLimit:
    """A condition (or a Deny's negated condition) that pins down who can assume."""

    condition: Condition
    where: str  # "statement 0" or "Deny statement 2"
    accounts: frozenset[str] | None  # accounts it limits callers to, when it names accounts
    org_ids: frozenset[str] | None  # organizations it limits callers to, when it names orgs

    def describe(self) -> str:
        return f"{self.condition.describe()} ({self.where})"


@dataclass(frozen=True, slots=True)
class Grant:
    """One principal entry of one Allow statement covering an AssumeRole API."""

    index: int
    statement: Statement
    entry: str
    kind: PrincipalKind
    account_id: str | None
    actions: tuple[str, ...]
    limits: tuple[WhoLimit, ...]

    @property
    def restricted(self) -> bool:
        return bool(self.limits)

    @property
    def limited_accounts(self) -> frozenset[str] | None:
        sets = [limit.accounts for limit in self.limits if limit.accounts is not None]
        return frozenset.intersection(*sets) if sets else None

    @property
    def limited_orgs(self) -> frozenset[str] | None:
        sets = [limit.org_ids for limit in self.limits if limit.org_ids is not None]
        return frozenset.intersection(*sets) if sets else None

    def accounts(self) -> frozenset[str] | None:
        """The accounts this grant reaches; None when it is not bounded by accounts (anyone, an org…)."""
        own = frozenset({self.account_id}) if self.account_id else None
        limited = self.limited_accounts
        if own is None:
            return limited
        return own & limited if limited is not None else own


def covered_apis(statement: Statement) -> tuple[str, ...]:
    """Which AssumeRole APIs the statement's Action/NotAction covers."""
    if statement.action is not None:
        return tuple(api for api in API_ACTIONS if any_action_matches(statement.action, api))
    return tuple(api for api in API_ACTIONS if not any_action_matches(statement.not_action or (), api))


def trust_grants(document: PolicyDocument) -> list[Grant]:
    denies = [_deny_limits(i, s) for i, s in enumerate(document.statements) if s.effect == "Deny"]
    grants: list[Grant] = []
    for index, statement in enumerate(document.statements):
        actions = covered_apis(statement)
        if statement.effect != "Allow" or not actions:
            continue
        own_limits = statement_limits(statement, f"statement {index}")
        for entry, kind, account in _entries(statement):
            carved = [lim for covers, lims in denies for lim in lims if covers(entry, actions)]
            grants.append(Grant(index, statement, entry, kind, account, actions, (*own_limits, *carved)))
    return grants


def _entries(statement: Statement) -> list[tuple[str, PrincipalKind, str | None]]:
    if statement.principal is None:
        # NotPrincipal in an Allow admits everyone but the listed principals: as public as "*".
        return [("NotPrincipal", PrincipalKind.WILDCARD, None)] if statement.not_principal else []
    entries = [(e, *classify_aws_entry(e)) for e in statement.principal.aws_entries]
    entries += [(e, PrincipalKind.SERVICE, None) for e in statement.principal.service]
    entries += [(e, PrincipalKind.FEDERATED, _arn_account(e)) for e in statement.principal.federated]
    return entries


def classify_aws_entry(entry: str) -> tuple[PrincipalKind, str | None]:
    if entry == "*":
        return PrincipalKind.WILDCARD, None
    if is_account_id(entry):
        return PrincipalKind.ACCOUNT, entry
    if is_unique_id(entry):
        return PrincipalKind.UNIQUE_ID, None
    parsed = try_parse(entry)
    if parsed is None or "*" in entry or not is_account_id(parsed.account):
        return PrincipalKind.INVALID, None
    kinds = {"root": PrincipalKind.ACCOUNT, "user": PrincipalKind.USER, "role": PrincipalKind.ROLE,
             "assumed-role": PrincipalKind.SESSION, "federated-user": PrincipalKind.SESSION}  # fmt: skip
    return kinds.get(parsed.resource_type, PrincipalKind.INVALID), parsed.account


def _arn_account(entry: str) -> str | None:
    parsed = try_parse(entry)
    return parsed.account if parsed and is_account_id(parsed.account) else None


def statement_limits(statement: Statement, where: str) -> list[WhoLimit]:
    """The statement's own conditions that restrict who (positive, no IfExists unless Null-guarded)."""
    guarded = null_guarded(statement)
    limits: list[WhoLimit] = []
    for condition in statement.condition:
        op = Operator.parse(condition.operator)
        key = condition.key.lower()
        if key not in WHO_KEYS or op.base not in POSITIVE or op.set_prefix == "ForAllValues":
            continue
        if op.if_exists and key not in guarded:
            continue
        limit = who_limit(condition, where)
        if limit is not None:
            limits.append(limit)
    return limits


def null_guarded(statement: Statement) -> frozenset[str]:
    """Keys (lower case) that a ``Null: {key: "false"}`` clause requires to be present."""
    return frozenset(c.key.lower() for c in statement.condition if c.operator == "Null" and c.values == ("false",))


def who_limit(condition: Condition, where: str) -> WhoLimit | None:
    """What a who-key condition pins down, or None when its values admit anyone (a bare or account ``*``)."""
    key, values = condition.key.lower(), condition.values
    if not values or any(v == "*" for v in values):
        return None
    if key not in ("aws:principalarn", "aws:sourcearn") and any("${" in v for v in values):
        return None  # compared with a policy variable (``${aws:PrincipalOrgID}``): matches the caller's own value
    if key in ("aws:principalaccount", "aws:sourceaccount"):
        if any("*" in v or "?" in v for v in values):
            return None  # a wildcard account id admits accounts nobody chose
        exact = all(is_account_id(v) for v in values)
        return WhoLimit(condition, where, frozenset(values) if exact else None, None)
    if key in ("aws:principalarn", "aws:sourcearn"):
        return _arn_limit(condition, where)
    if key in ("aws:principalorgid", "aws:sourceorgid"):
        return (
            None if any("*" in v or "?" in v for v in values) else WhoLimit(condition, where, None, frozenset(values))
        )
    if key in ("aws:principalorgpaths", "aws:sourceorgpaths"):
        orgs = {v.split("/", 1)[0] for v in values}
        concrete = all(o.startswith("o-") and "*" not in o and "?" not in o for o in orgs)
        return WhoLimit(condition, where, None, frozenset(orgs)) if concrete else None
    # aws:userid: a whole unique id (``AROA…`` before ``:session``) pins the principal; a wildcard in it does not.
    ids = [v.split(":", 1)[0] for v in values]
    return None if any("*" in i or "?" in i for i in ids) else WhoLimit(condition, where, None, None)


def _arn_limit(condition: Condition, where: str) -> WhoLimit | None:
    accounts: list[str | None] = []
    for value in condition.values:
        parts = value.split(":", 5)
        # A ``*`` before the account can span colons (StringLike; ArnLike when it ends a segment, as in
        # Resource), matching an ARN of any account whose role path spells the rest (paths may hold ``:``).
        if len(parts) != 6 or any("*" in part for part in parts[:4]):
            return None
        if is_account_id(parts[4]):
            accounts.append(parts[4])
        elif parts[4] == "" and parts[2] not in ("iam", "sts"):
            accounts.append(None)  # a resource with no account in its ARN (an S3 bucket) is globally unique
        else:
            return None  # a wildcard account admits a same-named principal in any account
    exact = all(a is not None for a in accounts)
    return WhoLimit(condition, where, frozenset(a for a in accounts if a) if exact else None, None)


def _deny_limits(index: int, statement: Statement) -> tuple[_Covers, list[WhoLimit]]:
    """A Deny that refuses everyone outside some accounts/orgs narrows the grants it covers.

    Its negated clauses are ANDed, so the callers it spares are the *union* of what each clause names.
    Any other clause an outsider could make false (MFA, IP…) lets them dodge the Deny: then it narrows nothing.
    """
    actions = covered_apis(statement)
    where = f"Deny statement {index}"
    negated = [c for c in statement.condition if _negated_who(c)]
    others = [c for c in statement.condition if c not in negated and not _holds_for_iam_principals(c)]
    if not actions or statement.principal is None or others:
        return _Covers(statement, ()), []
    if not statement.condition:
        nobody = Condition(operator="Deny", key="everyone", values=())
        return _Covers(statement, actions), [WhoLimit(nobody, where, frozenset(), None)]
    limits = [who_limit(c, where) for c in negated]
    if not limits or any(limit is None for limit in limits):
        return _Covers(statement, ()), []
    return _Covers(statement, actions), [_union(limits, where)]


def _negated_who(condition: Condition) -> bool:
    """A Deny clause that holds for callers outside what it names, also when they lack the key.

    ``ForAnyValue:`` is false for an absent key (a caller in no organization has no ``aws:PrincipalOrgPaths``),
    so such a caller dodges the Deny.
    """
    op = Operator.parse(condition.operator)
    return op.base in NEGATED and op.set_prefix != "ForAnyValue" and condition.key.lower() in WHO_KEYS


def _holds_for_iam_principals(condition: Condition) -> bool:
    """A service-exemption clause that is true for every IAM user or role session (so none dodges the Deny)."""
    key = condition.key.lower()
    if key not in DENY_HARMLESS_KEYS:
        return False
    op = Operator.parse(condition.operator)
    if key == "aws:principalisawsservice":  # "false" for IAM principals, present in every signed request
        return op.base == "Bool" and op.set_prefix == "" and condition.values == ("false",)
    # aws:PrincipalServiceName is absent for IAM principals: true for …IfExists, negated operators and Null true.
    absent_is_true = op.if_exists or op.base in NEGATED
    return (absent_is_true and op.set_prefix != "ForAnyValue") or (op.base == "Null" and condition.values == ("true",))


def _union(limits: list[WhoLimit | None], where: str) -> WhoLimit:
    present = [limit for limit in limits if limit is not None]
    if len(present) == 1:
        return present[0]
    accounts = [lim.accounts for lim in present]
    orgs = [lim.org_ids for lim in present]
    only_accounts = all(a is not None for a in accounts) and all(o is None for o in orgs)
    only_orgs = all(o is not None for o in orgs) and all(a is None for a in accounts)
    return WhoLimit(
        present[0].condition,
        where,
        frozenset().union(*(a for a in accounts if a)) if only_accounts else None,
        frozenset().union(*(o for o in orgs if o)) if only_orgs else None,
    )


@dataclass(frozen=True, slots=True)
class _Covers:
    """Does a Deny statement cover a grant's principal entry and actions?"""

    statement: Statement
    actions: tuple[str, ...]

    def __call__(self, entry: str, grant_actions: tuple[str, ...]) -> bool:
        principal = self.statement.principal
        if principal is None or not set(grant_actions) <= set(self.actions):
            return False
        everyone = "*" in principal.aws_entries
        return everyone or entry in principal.aws_entries or entry in principal.service or entry in principal.federated


def positive_values(statement: Statement, key: str) -> tuple[str, ...] | None:
    """Values of positive, non-IfExists conditions on ``key`` (None when there is none): what must hold."""
    found: list[str] = []
    seen = False
    for condition in statement.condition:
        op = Operator.parse(condition.operator)
        wanted = condition.key.lower() == key.lower() and op.base in POSITIVE
        if wanted and not op.if_exists and op.set_prefix != "ForAllValues":
            seen = True
            found += condition.values
    return tuple(found) if seen else None
