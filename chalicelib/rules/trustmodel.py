"""Which accounts are internal, third-party or untrusted, from the configuration and the organization."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..config import Config
from ..iam.entities import Organization


class AccountClass(StrEnum):
    OWN = "own"  # the account that owns the role
    INTERNAL = "internal"  # trusted_accounts, the management account, or a member of the configured organization
    THIRD_PARTY = "third-party"  # a known vendor: access must use sts:ExternalId
    UNTRUSTED = "untrusted"


@dataclass(frozen=True, slots=True)
class TrustModel:
    config: Config
    organization: Organization

    def classify(self, account_id: str, own_account: str) -> AccountClass:
        if account_id == own_account:
            return AccountClass.OWN
        if account_id in self.config.trusted_accounts or account_id in self._org_accounts:
            return AccountClass.INTERNAL
        if account_id == self.config.management_account_id:
            return AccountClass.INTERNAL
        if account_id in self.config.third_party_accounts:
            return AccountClass.THIRD_PARTY
        return AccountClass.UNTRUSTED

    @property
    def management_account(self) -> str | None:
        """The organization's management account: from the configuration, else from the organization file."""
        loaded = self.organization.management_account_id if self._org_accounts else None
        return self.config.management_account_id or loaded

    def is_internal(self, account_id: str, own_account: str) -> bool:
        return self.classify(account_id, own_account) in (AccountClass.OWN, AccountClass.INTERNAL)

    def is_own_org(self, org_id: str) -> bool:
        return org_id == self.config.organization_id or (
            self.organization.org_id is not None and org_id == self.organization.org_id
        )

    def name(self, account_id: str) -> str:
        """A readable label: ``999999999999 (example-vendor)`` when the configuration names it."""
        label = self.config.trusted_accounts.get(account_id) or self.config.third_party_accounts.get(account_id)
        return f"{account_id} ({label})" if label else account_id

    @property
    def _org_accounts(self) -> frozenset[str]:
        # Members count as internal only when the loaded organization is the configured one (or none is set).
        org = self.organization
        if not org.account_ids:
            return frozenset()
        if self.config.organization_id and org.org_id and org.org_id != self.config.organization_id:
            return frozenset()
        return org.account_ids
