"""What a rule is: its metadata and its check. Rules are plain module-level values, listed in `registry`."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from .findings import Finding, Severity

if TYPE_CHECKING:
    from .context import AuditContext, RoleTarget


class Scope(StrEnum):
    ROLE = "role"  # trust-side: evaluated for every role (scans, events, check-trust)
    INVENTORY = "inventory"  # needs the whole inventory (caller-side policies, chains)
    EVENT = "event"  # change and runtime rules, evaluated on CloudTrail events


@dataclass(frozen=True, slots=True)
class RuleMeta:
    """``doc`` states the risk, a failing example and the fix; it feeds notifications and the README table."""

    id: str
    severity: Severity
    title: str
    summary: str
    scope: Scope
    doc: str = ""
    options: dict[str, object] = field(default_factory=dict)  # defaults of the rule's configurable options

    @property
    def description(self) -> str:
        return textwrap.dedent(self.doc).strip()


@dataclass(frozen=True, slots=True)
class RoleRule:
    meta: RuleMeta
    check: Callable[[RoleTarget, AuditContext], Iterable[Finding]]


@dataclass(frozen=True, slots=True)
class InventoryRule:
    meta: RuleMeta
    check: Callable[[AuditContext], Iterable[Finding]]


Rule = RoleRule | InventoryRule
