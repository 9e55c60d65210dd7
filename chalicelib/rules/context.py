"""What a rule sees: the role under audit (`RoleTarget`) and the audit around it (`AuditContext`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..config import Config
from ..iam.arn import Arn
from ..iam.entities import Inventory, Organization, Role
from ..iam.graph import AssumeGraph, build_graph
from ..iam.graph_closure import ForwardClosure
from ..iam.policy import PolicyDocument
from .findings import Finding, fingerprint
from .grants import Grant, trust_grants
from .registry_types import RuleMeta
from .trustmodel import TrustModel


@dataclass(frozen=True)
class RoleTarget:
    """A role's trust policy as the rules read it. ``role`` is None when only a document is checked."""

    arn: str
    trust: PolicyDocument | None
    role: Role | None = None
    trust_error: str | None = None

    @property
    def account_id(self) -> str:
        return Arn.parse(self.arn).account

    @cached_property
    def grants(self) -> list[Grant]:
        return trust_grants(self.trust) if self.trust is not None else []


@dataclass
class AuditContext:
    config: Config = field(default_factory=Config)
    inventory: Inventory | None = None
    exhaustive: bool = False  # the reachability graph by brute force (the reference), not by decision class
    compiled: AssumeGraph | None = None  # a graph compiled already (a stored one brought up to date)
    # What a rule computed from the inventory alone, kept for the rest of this audit, under the rule's id.
    memo: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def trust_model(self) -> TrustModel:
        organization = self.inventory.organization if self.inventory else Organization()
        return TrustModel(self.config, organization)

    @cached_property
    def graph(self) -> AssumeGraph:
        """Who can assume what, through chains too; built once per audit, on first use."""
        if self.compiled is not None:
            return self.compiled
        if self.inventory is None:
            raise ValueError("the reachability graph needs an inventory")
        return build_graph(self.inventory, prefilter=not self.exhaustive)

    @cached_property
    def closure(self) -> ForwardClosure:
        """Which roles each role reaches through chains of any length."""
        return ForwardClosure(self.graph)

    @cached_property
    def role_order(self) -> dict[str, int]:
        """The position of every loaded role in inventory order, to list roles in a stable order."""
        return {role.arn: i for i, role in enumerate(self.inventory.roles())} if self.inventory else {}

    @cached_property
    def live_unique_ids(self) -> frozenset[str]:
        """Unique ids (``AROA…``, ``AIDA…``) of the loaded users and roles; empty without an inventory."""
        if self.inventory is None:
            return frozenset()
        identities = [*self.inventory.users(), *self.inventory.roles()]
        return frozenset(identity.unique_id for identity in identities if identity.unique_id)

    def option(self, meta: RuleMeta, name: str) -> Any:
        return self.config.rule(meta.id).options.get(name, meta.options.get(name))

    def finding(
        self,
        meta: RuleMeta,
        *,
        account_id: str,
        subject: str,
        key: tuple[str, ...] = (),
        explanation: str,
        remediation: str,
        role_arn: str | None = None,
        principal: str | None = None,
        statement: int | None = None,
        evidence: dict[str, Any] | None = None,
        title: str | None = None,
    ) -> Finding:
        """A finding of this rule at its default severity (the engine applies overrides and raises)."""
        return Finding(
            id=fingerprint(meta.id, subject, *key),
            rule_id=meta.id,
            severity=meta.severity,
            title=title or meta.title,
            account_id=account_id,
            role_arn=role_arn,
            principal=principal,
            statement=statement,
            explanation=explanation,
            remediation=remediation,
            evidence=evidence or {},
        )

    def role_finding(self, meta: RuleMeta, target: RoleTarget, *, key: tuple[str, ...] = (), **kwargs: Any) -> Finding:
        return self.finding(
            meta, account_id=target.account_id, subject=target.arn, role_arn=target.arn, key=key, **kwargs
        )
