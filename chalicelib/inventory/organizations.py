"""The organization through boto3: its id, member accounts, org paths and the SCP and RCP chains of each member.

Best effort by design: a member account may describe its organization but not list it, RCPs may not be enabled,
and none of that may stop a scan. What cannot be read is left out and said in ``OrganizationResult.notes``. A
policy type whose chains cannot all be read is left out entirely, which the evaluator takes as "not in effect":
a scan then over-reports (more findings) rather than hiding access behind a chain it only half knows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

from ..iam.entities import NamedPolicy, Organization, PolicyLevel
from ..iam.errors import PolicyParseError
from ..iam.policy import parse_policy
from .boto3_iam import Backoff, Client, describe_client_error

SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"
_LABELS = {SCP: "SCPs", RCP: "RCPs"}
_MAX_DEPTH = 8  # a root and at most five levels of OUs, with room to spare: a guard against a parent cycle

_T = TypeVar("_T")
Chains = dict[str, tuple[PolicyLevel, ...]]


class _UnreadableError(Exception):
    """Internal: one part of the organization could not be read; the message says why."""


@dataclass(frozen=True, slots=True)
class OrganizationResult:
    organization: Organization | None  # None: not in an organization, or not allowed to see it
    active_account_ids: tuple[str, ...] = ()  # in list_accounts order; empty when the accounts were not readable
    notes: tuple[str, ...] = ()


class OrganizationReader:
    """Reads the organization through the Organizations client it is given (built with ``RETRY_CONFIG``)."""

    def __init__(self, client: Client, *, backoff: Backoff | None = None) -> None:
        self._client = client
        self._backoff = backoff or Backoff()
        self._parents: dict[str, str] = {}  # child id -> parent id: OUs are shared by many accounts
        self._attached: dict[tuple[str, str], tuple[str, ...]] = {}  # (target, policy type) -> policy ids
        self._policies: dict[str, NamedPolicy] = {}  # policy id -> content

    def read(self) -> OrganizationResult:
        try:
            header = self._call(lambda: self._client.describe_organization()["Organization"])
        except _UnreadableError as exc:
            return OrganizationResult(None, notes=(f"organization not readable: {exc}",))
        org_id: str = header["Id"]
        management: str | None = header.get("MasterAccountId")
        try:
            accounts = self._accounts()
        except _UnreadableError as exc:
            # Member accounts may describe their organization but only the management account (or a delegated
            # administrator) may list it: the org id alone still serves aws:PrincipalOrgID.
            known = frozenset([management] if management else [])
            organization = Organization(org_id=org_id, management_account_id=management, account_ids=known)
            return OrganizationResult(organization, notes=(f"organization accounts not readable: {exc}",))
        return self._members(org_id, management, accounts)

    def _members(self, org_id: str, management: str | None, accounts: list[dict[str, Any]]) -> OrganizationResult:
        notes: list[str] = []
        active = tuple(a["Id"] for a in accounts if (a.get("State") or a.get("Status")) == "ACTIVE")
        # SCPs and RCPs never restrict the management account: it gets no chain, as in snapshot files.
        members = [a for a in active if a != management]
        organization = Organization(
            org_id=org_id,
            management_account_id=management,
            account_ids=frozenset(a["Id"] for a in accounts) | frozenset([management] if management else []),
            org_paths=self._best_effort("org paths", lambda: self._org_paths(org_id, active), notes) or {},
            scps=self._best_effort(_LABELS[SCP], lambda: self._chains(members, SCP), notes) or {},
            rcps=self._best_effort(_LABELS[RCP], lambda: self._chains(members, RCP), notes) or {},
        )
        return OrganizationResult(organization, active, tuple(notes))

    def _best_effort(self, what: str, read: Callable[[], _T], notes: list[str]) -> _T | None:
        try:
            return read()
        except _UnreadableError as exc:
            notes.append(f"{what} not readable, left out: {exc}")
            return None

    def _accounts(self) -> list[dict[str, Any]]:
        def pages() -> list[dict[str, Any]]:
            paginator = self._client.get_paginator("list_accounts")
            return [account for page in paginator.paginate() for account in page["Accounts"]]

        return self._call(pages)

    def _org_paths(self, org_id: str, accounts: Iterable[str]) -> dict[str, str]:
        """``o-x/r-y/ou-z/``: what aws:PrincipalOrgPaths holds for principals of the account."""
        return {account: "".join(f"{node}/" for node in [org_id, *self._ancestors(account)]) for account in accounts}

    def _ancestors(self, account_id: str) -> list[str]:
        """The root, then each OU down to the account's parent."""
        chain: list[str] = []
        child = account_id
        while not child.startswith("r-"):
            if len(chain) >= _MAX_DEPTH:
                raise _UnreadableError(f"no root above account {account_id} after {_MAX_DEPTH} parents")
            child = self._parent(child)
            chain.append(child)
        return chain[::-1]

    def _parent(self, child: str) -> str:
        if child not in self._parents:
            parents = self._call(lambda: self._client.list_parents(ChildId=child)["Parents"])
            if not parents:
                raise _UnreadableError(f"{child} has no parent")
            self._parents[child] = parents[0]["Id"]  # every account and OU has exactly one parent
        return self._parents[child]

    def _chains(self, accounts: Iterable[str], policy_type: str) -> Chains:
        """Root first, then each OU down the path, then the account: the order the chain is evaluated in."""
        chains: Chains = {}
        for account in accounts:
            targets = [*self._ancestors(account), account]
            chains[account] = tuple(PolicyLevel(t, self._attached_policies(t, policy_type)) for t in targets)
        return chains

    def _attached_policies(self, target: str, policy_type: str) -> tuple[NamedPolicy, ...]:
        key = (target, policy_type)
        if key not in self._attached:

            def pages() -> tuple[str, ...]:
                paginator = self._client.get_paginator("list_policies_for_target")
                found = paginator.paginate(TargetId=target, Filter=policy_type)
                return tuple(policy["Id"] for page in found for policy in page["Policies"])

            self._attached[key] = self._call(pages)
        return tuple(self._policy(policy_id) for policy_id in self._attached[key])

    def _policy(self, policy_id: str) -> NamedPolicy:
        if policy_id not in self._policies:
            policy = self._call(lambda: self._client.describe_policy(PolicyId=policy_id)["Policy"])
            name: str = policy["PolicySummary"]["Name"]
            try:
                document = parse_policy(policy["Content"], source=f"organization policy {name} ({policy_id})")
            except PolicyParseError as exc:
                raise _UnreadableError(str(exc)) from exc
            self._policies[policy_id] = NamedPolicy(name, document)
        return self._policies[policy_id]

    def _call(self, operation: Callable[[], _T]) -> _T:
        """The call, retried when throttled; any botocore error becomes `_UnreadableError` with a readable reason."""
        try:
            return self._backoff.call(operation)
        except ClientError as exc:
            raise _UnreadableError(describe_client_error(exc)) from exc
        except BotoCoreError as exc:
            raise _UnreadableError(str(exc)) from exc
