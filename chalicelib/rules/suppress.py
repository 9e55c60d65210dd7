"""Suppressions: accepted risks from the configuration, matched against findings after the rules ran.

A suppression covers a finding when every criterion it gives holds: ``id`` equal to the finding's id, ``rule``
equal to its rule (or ``*``), and the patterns ``role`` (the role ARN, or the principal of a finding about no
role), ``principal`` and ``account`` (the account of the principal, or the account the finding names). So
``{rule: untrusted-account, role: …/vendor-*, account: "999999999999"}`` accepts that vendor on those roles
and nothing else: a new grant to an unknown account on the same role still alerts. The first suppression that
covers a finding is recorded on it; an expired one no longer suppresses, and says so. A suppression that
covers no finding of a scan is returned as unused, so that a stale or misspelt one does not go unnoticed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from ..config import Suppression
from ..iam.wildcard import glob_matches
from .findings import Finding, Suppressed

_ACCOUNT = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")


class UnusedSuppression(BaseModel):
    """A configured suppression that covered no finding: stale (the risk is gone) or misspelt."""

    model_config = ConfigDict(frozen=True)
    index: int  # its place in the configuration's ``suppressions`` list
    criteria: str  # what it matches, as written (``rule untrusted-account, role …``)
    reason: str
    message: str


def principal_account(finding: Finding) -> str | None:
    """The account the finding's principal is in: the one the rule names, else the principal ARN's."""
    named = finding.evidence.get("account")
    if isinstance(named, str):
        return named
    found = _ACCOUNT.search(finding.principal or "")
    return found.group(0) if found else None


def covers(suppression: Suppression, finding: Finding) -> bool:
    s = suppression
    if s.id is not None and s.id != finding.id:
        return False
    if s.rule is not None and s.rule not in (finding.rule_id, "*"):
        return False
    if not glob_matches(s.role, finding.role_arn or finding.principal or ""):
        return False
    if s.principal is not None and not glob_matches(s.principal, finding.principal or ""):
        return False
    return s.account is None or glob_matches(s.account, principal_account(finding) or "")


def suppress(finding: Finding, suppressions: Sequence[Suppression], today: dt.date) -> Finding:
    """The finding with the first suppression that covers it recorded (an expired one says it has expired)."""
    record = next((s for s in suppressions if covers(s, finding)), None)
    if record is None:
        return finding
    until = record.expires.isoformat() if record.expires else None
    expired = record.expires is not None and record.expires < today
    note = f" It was suppressed until {until} ({record.reason}); that suppression has expired." if expired else ""
    return finding.model_copy(
        update={
            "suppressed": Suppressed(reason=record.reason, until=until, expired=expired),
            "explanation": finding.explanation + note,
        }
    )


def unused(suppressions: Sequence[Suppression], findings: Sequence[Finding]) -> tuple[UnusedSuppression, ...]:
    """The suppressions that cover none of ``findings`` (those of a whole scan)."""
    return tuple(
        UnusedSuppression(
            index=index,
            criteria=s.describe(),
            reason=s.reason,
            message=f"suppressions.{index} ({s.describe()}) matched no finding: remove it, or correct it",
        )
        for index, s in enumerate(suppressions)
        if not any(covers(s, f) for f in findings)
    )
