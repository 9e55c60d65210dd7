"""Findings: what a rule reports, with a stable fingerprint id, an explanation and a remediation."""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse: info 0 … critical 4."""
        return _ORDER.index(self)

    def raised(self) -> Severity:
        """One level up (info → low → medium → high → critical), capped at critical."""
        return _ORDER[min(self.rank + 1, len(_ORDER) - 1)]

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank


_ORDER = (Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)


class Suppressed(BaseModel):
    """Why a finding is (or was) suppressed: the accepted-risk record from the configuration."""

    model_config = ConfigDict(frozen=True)
    reason: str
    until: str | None = None  # ISO date; None means no expiry
    expired: bool = False  # the suppression ran out: the finding is active again and says so


class Location(BaseModel):
    """Where a finding is in a file the user gave: the path as given, the 1-based line, the template resource."""

    model_config = ConfigDict(frozen=True)
    file: str
    line: int | None = None  # of the statement, or of the attribute holding an embedded JSON document
    resource: str | None = None  # template logical id or Terraform address


class Finding(BaseModel):
    """One problem on one role (or identity policy). ``id`` is the same for the same problem across runs."""

    model_config = ConfigDict(frozen=True)
    id: str
    rule_id: str
    severity: Severity
    title: str
    account_id: str
    role_arn: str | None = None
    principal: str | None = None
    statement: int | None = None
    explanation: str
    remediation: str
    evidence: dict[str, Any] = Field(default_factory=dict)
    suppressed: Suppressed | None = None
    # Only for findings about a file (check-trust, check-template); absent, not null, in the JSON otherwise.
    location: Location | None = Field(default=None, exclude_if=lambda value: value is None)

    @property
    def active(self) -> bool:
        """Not suppressed (or suppressed by an expired record)."""
        return self.suppressed is None or self.suppressed.expired


def fingerprint(rule_id: str, subject: str, *key: str) -> str:
    """Stable id from the rule, what the finding is about (a role ARN, a policy) and a rule-specific key.

    Statement indexes and wording are left out on purpose: reordering a policy or rewording an explanation
    must not turn an old problem into a new alert.
    """
    material = "\x1f".join((rule_id, subject, *key))
    return "tw-" + hashlib.sha256(material.encode("utf-8")).hexdigest()[:20]
