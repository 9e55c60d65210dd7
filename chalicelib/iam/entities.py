"""IAM entities of one or more accounts, as the evaluator needs them (users, groups, roles, policies).

These are plain data: the inventory layer fills them from snapshots or live accounts, and the evaluator
and the reachability graph read them. A trust policy that could not be parsed is kept as its error so a
scan can report it beside everything that was fine.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .arn import Arn, try_parse
from .policy import PolicyDocument


@dataclass(frozen=True, slots=True)
class NamedPolicy:
    """A policy document and the name that reasons use for it (inline name or managed policy ARN)."""

    name: str
    document: PolicyDocument


@dataclass(frozen=True, slots=True)
class PolicyLevel:
    """One level of an SCP or RCP chain (root, an OU, or the account) and the policies attached there."""

    name: str
    policies: tuple[NamedPolicy, ...]


@dataclass(frozen=True, slots=True)
class Identity:
    """What users, groups and roles share: identity policies, a boundary, tags."""

    arn: str
    name: str
    unique_id: str
    path: str = "/"
    inline_policies: tuple[NamedPolicy, ...] = ()
    managed_policy_arns: tuple[str, ...] = ()
    boundary_arn: str | None = None
    tags: tuple[tuple[str, str], ...] = ()

    @property
    def account_id(self) -> str:
        return Arn.parse(self.arn).account


@dataclass(frozen=True, slots=True)
class User(Identity):
    group_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Group(Identity):
    pass


@dataclass(frozen=True, slots=True)
class Role(Identity):
    trust_policy: PolicyDocument | None = None
    trust_policy_error: str | None = None  # why the stored trust policy could not be parsed


@dataclass(slots=True)
class Account:
    """Everything loaded for one account. ``errors`` lists what could not be read; it never hides the rest."""

    account_id: str
    users: dict[str, User] = field(default_factory=dict)  # by ARN
    groups: dict[str, Group] = field(default_factory=dict)  # by group name
    roles: dict[str, Role] = field(default_factory=dict)  # by ARN
    managed_policies: dict[str, NamedPolicy] = field(default_factory=dict)  # by ARN (default version)
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Organization:
    """What is known of the organization: its id, member accounts and SCP/RCP chains per account."""

    org_id: str | None = None
    management_account_id: str | None = None
    account_ids: frozenset[str] = frozenset()
    scps: dict[str, tuple[PolicyLevel, ...]] = field(default_factory=dict)  # account id -> root-first chain
    rcps: dict[str, tuple[PolicyLevel, ...]] = field(default_factory=dict)
    org_paths: dict[str, str] = field(default_factory=dict)  # account id -> "o-x/r-y/ou-z/"


class Inventory:
    """Several accounts (and optionally their organization), looked up by ARN."""

    def __init__(self, accounts: Iterable[Account], organization: Organization | None = None) -> None:
        self.accounts: dict[str, Account] = {a.account_id: a for a in accounts}
        self.organization = organization or Organization()
        # What is derived from the loaded data, kept for the inventory's life (it is not changed once loaded):
        # a caller's policies are assembled once, not once per role it is checked against.
        self.memo: dict[tuple[str, ...], object] = {}
        self._role_by_name = {
            (acct.account_id, role.name.lower()): role
            for acct in self.accounts.values()
            for role in acct.roles.values()
        }

    def roles(self) -> Iterator[Role]:
        for account in self.accounts.values():
            yield from account.roles.values()

    def users(self) -> Iterator[User]:
        for account in self.accounts.values():
            yield from account.users.values()

    def role(self, arn: str) -> Role | None:
        """A role by its exact ARN (the path is part of it, as in AssumeRole's RoleArn)."""
        parsed = try_parse(arn)
        account = self.accounts.get(parsed.account) if parsed else None
        return account.roles.get(arn) if account else None

    def role_by_name(self, account_id: str, name: str) -> Role | None:
        """A role by account and name: how session ARNs, which carry no path, name their role."""
        return self._role_by_name.get((account_id, name.lower()))

    def user(self, arn: str) -> User | None:
        parsed = try_parse(arn)
        if parsed is None or parsed.account not in self.accounts:
            return None
        return self.accounts[parsed.account].users.get(arn)

    def managed_policy(self, account_id: str, arn: str) -> NamedPolicy | None:
        account = self.accounts.get(account_id)
        found = account.managed_policies.get(arn) if account else None
        if found is None and "::aws:policy/" in arn:
            # AWS managed policies are the same in every account; any snapshot that has one will do.
            found = next((a.managed_policies[arn] for a in self.accounts.values() if arn in a.managed_policies), None)
        return found
