"""Cheap indexes that keep the reachability graph from running the evaluator on every (principal, role) pair.

`TrustIndex` reads each Allow statement of a trust policy once: which loaded principals its ``Principal``
element can admit (a user or role it names, every principal of an account it names, everyone for ``*``) and
which principals outside the snapshot it names. `IdentityIndex` reads each loaded principal's identity
policies once: the ``Resource`` patterns of the statements that allow ``sts:AssumeRole``. A candidate that
needs its own policies to allow the call (cross-account, or admitted only through its account) and whose
patterns cannot match the role is dropped before the evaluator sees it. Both only ever drop candidates the
evaluator would deny; conditions are left to the evaluator.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .arn import Arn, account_root_arn, is_account_id, try_parse
from .entities import Identity, Inventory, Role, User
from .policy import PolicyDocument, Statement
from .principal import unique_id_kind
from .request import API_ACTIONS, ASSUME_ROLE, ASSUME_ROLE_WITH_SAML, ASSUME_ROLE_WITH_WEB_IDENTITY
from .statements import covers
from .wildcard import arn_matches


@dataclass(frozen=True, slots=True)
class Grant:
    """One Allow statement of a trust policy and the principals its Principal element can admit."""

    index: int
    statement: Statement
    direct: frozenset[str]  # loaded users and roles it names (by ARN, name or unique id)
    sessions: frozenset[tuple[str, str]]  # (loaded role, session ARN of it) for the role sessions it names
    accounts: frozenset[str]  # loaded accounts it names: all their principals are candidates
    anyone: bool  # "*" or NotPrincipal: every loaded principal is a candidate
    external: tuple[tuple[str, str], ...]  # (principal outside the snapshot, STS action it would call)


@dataclass(frozen=True, slots=True)
class RoleTrust:
    role: Role
    document: PolicyDocument
    grants: tuple[Grant, ...]  # Allow statements covering an AssumeRole* action, in policy order
    denies: tuple[Statement, ...]


@dataclass(slots=True)
class IdentityIndex:
    """Per loaded principal, the Resource patterns its identity policies allow sts:AssumeRole on."""

    inventory: Inventory
    _patterns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _matches: dict[tuple[tuple[str, ...], str], bool] = field(default_factory=dict)

    def may_allow(self, principal: str, role_arn: str) -> bool:
        """False only when no identity Allow of ``principal`` covers sts:AssumeRole on ``role_arn``."""
        patterns = self.patterns(principal)
        key = (patterns, role_arn)
        if key not in self._matches:
            self._matches[key] = any(arn_matches(p, role_arn) for p in patterns)
        return self._matches[key]

    def patterns(self, principal: str) -> tuple[str, ...]:
        if principal not in self._patterns:
            identity = self.inventory.user(principal) or self.inventory.role(principal)
            documents = _identity_documents(self.inventory, identity) if identity else []
            found = (_assume_resources(s) for d in documents for s in d.statements if s.effect == "Allow")
            self._patterns[principal] = tuple(sorted({p for patterns in found for p in patterns}))
        return self._patterns[principal]


def _assume_resources(statement: Statement) -> tuple[str, ...]:
    if not covers(statement, ASSUME_ROLE):
        return ()
    resources = statement.resource
    # NotResource and policy variables depend on more than the pattern: count them as matching anything.
    if resources is None or any("${" in r for r in resources):
        return ("*",)
    return resources


def _identity_documents(inventory: Inventory, identity: Identity) -> list[PolicyDocument]:
    owners: list[Identity] = [identity]
    if isinstance(identity, User):
        groups = inventory.accounts[identity.account_id].groups
        owners += [groups[name] for name in identity.group_names if name in groups]
    documents = [p.document for owner in owners for p in owner.inline_policies]
    for owner in owners:
        managed = (inventory.managed_policy(identity.account_id, arn) for arn in owner.managed_policy_arns)
        documents += [found.document for found in managed if found is not None]
    return documents


class TrustIndex:
    """Reads the trust policies of an inventory into `RoleTrust` records, one per readable role."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        self._by_unique_id = {i.unique_id: i.arn for i in (*inventory.users(), *inventory.roles()) if i.unique_id}

    def trust(self, role: Role) -> RoleTrust | None:
        document = role.trust_policy
        if document is None:
            return None
        partition = Arn.parse(role.arn).partition
        grants = [
            self._grant(i, s, partition)
            for i, s in enumerate(document.statements)
            if s.effect == "Allow" and any(covers(s, a) for a in API_ACTIONS)
        ]
        denies = tuple(s for s in document.statements if s.effect == "Deny")
        return RoleTrust(role, document, tuple(grants), denies)

    def principals_of(self, account_id: str) -> list[str]:
        account = self.inventory.accounts[account_id]
        return [*account.users, *account.roles]

    def _grant(self, index: int, statement: Statement, partition: str) -> Grant:
        principal = statement.principal
        anyone = statement.not_principal is not None or (principal is not None and "*" in principal.aws_entries)
        entries = [e for e in (principal.aws_entries if principal else ()) if e != "*"]
        assume = covers(statement, ASSUME_ROLE)
        direct = {arn for e in entries if (arn := self._loaded_principal(e)) is not None} if assume else set()
        accounts = {a for e in entries if (a := _account_of(e)) is not None and a in self.inventory.accounts}
        return Grant(
            index=index,
            statement=statement,
            direct=frozenset(direct),
            sessions=frozenset(s for e in entries if assume and (s := self._loaded_session(e)) is not None),
            accounts=frozenset(accounts) if assume else frozenset(),
            anyone=anyone and assume,
            external=tuple(self._external(statement, partition, anyone)),
        )

    def _loaded_session(self, entry: str) -> tuple[str, str] | None:
        """A session of a loaded role (``arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION``): the role and the entry."""
        parsed = try_parse(entry)
        if parsed is None or parsed.service != "sts" or parsed.resource_type != "assumed-role" or "*" in entry:
            return None
        parts = parsed.resource.split("/")
        role = self.inventory.role_by_name(parsed.account, parts[1]) if len(parts) == 3 and all(parts) else None
        return (role.arn, entry) if role else None

    def _loaded_principal(self, entry: str) -> str | None:
        return loaded_principal(self.inventory, self._by_unique_id, entry)

    def _external(self, statement: Statement, partition: str, anyone: bool) -> Iterator[tuple[str, str]]:
        """Principals outside the snapshot that the statement names, each with the STS action it would use."""
        principal = statement.principal
        aws = [e for e in (principal.aws_entries if principal else ()) if e != "*"]
        names = [(_external_name(e, partition, self.inventory), ASSUME_ROLE) for e in aws]
        names += [("*", ASSUME_ROLE)] if anyone else []
        names += [(s, ASSUME_ROLE) for s in (principal.service if principal else ())]
        names += [(f, _federated_action(f)) for f in (principal.federated if principal else ())]
        yield from ((n, a) for n, a in names if n is not None and covers(statement, a))


def loaded_principal(inventory: Inventory, by_unique_id: dict[str, str], entry: str) -> str | None:
    """The loaded user or role an entry names (role entries match by name: session ARNs carry no path)."""
    if entry in by_unique_id or unique_id_kind(entry):
        return by_unique_id.get(entry)  # an id no loaded principal has is a deleted one
    parsed = try_parse(entry)
    if parsed is None or parsed.service != "iam" or parsed.account not in inventory.accounts:
        return None  # "*", a bare account id, sessions and outside principals name no loaded principal
    if parsed.resource_type == "user":
        return entry if inventory.user(entry) else None
    if parsed.resource_type == "role":
        role = inventory.role_by_name(parsed.account, parsed.resource_name)
        return role.arn if role else None
    return None


def _account_of(entry: str) -> str | None:
    """The account an account entry names (bare id or ``arn:…:iam::ID:root``), else None."""
    if is_account_id(entry):
        return entry
    parsed = try_parse(entry)
    return parsed.account if parsed and parsed.service == "iam" and parsed.resource == "root" else None


def _external_name(entry: str, partition: str, inventory: Inventory) -> str | None:
    """How a principal outside the snapshot appears: an account as its root ARN, any other ARN as itself.
    Entries of loaded accounts and unique ids (loaded, or of deleted principals) are not external."""
    if unique_id_kind(entry):
        return None
    account = _account_of(entry)
    if account is not None:
        return None if account in inventory.accounts else account_root_arn(account, partition)
    parsed = try_parse(entry)
    return entry if parsed is not None and parsed.account not in inventory.accounts else None


def _federated_action(provider: str) -> str:
    return ASSUME_ROLE_WITH_SAML if ":saml-provider/" in provider else ASSUME_ROLE_WITH_WEB_IDENTITY


def group_by_patterns(index: IdentityIndex, principals: Iterable[str]) -> dict[tuple[str, ...], list[str]]:
    """Principals sharing the same AssumeRole resource patterns, so each pattern set is matched once per role."""
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for principal in principals:
        groups[index.patterns(principal)].append(principal)
    return groups
