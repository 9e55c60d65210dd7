"""An IAM change, audited in proportion to it: the account's stored graph brought up to date, and only the
findings the change can alter recomputed (`rules.incremental`). No stored graph yet, another configuration,
a different organization or too many changes at once: the caller audits the whole account instead, and the
graph it compiles is stored for the next event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from ..config import Config
from ..iam.graph import AssumeGraph
from ..iam.graph_fingerprint import fingerprints
from ..iam.graph_patch import patch_graph
from ..inventory.port import LoadResult
from ..rules.engine import ErrorRecord
from ..rules.findings import Finding
from ..rules.incremental import ChangeAudit, audit_changes, config_digest
from .graph_cache import GraphCache, decode, encode

CHANGED_SHARE = 0.1  # more changed principals and roles than this share: a fresh compile is cheaper
MIN_CHANGES = 20


@dataclass
class AccountGraphs:
    cache: GraphCache

    def update(
        self,
        loaded: LoadResult,
        config: Config,
        previous: Sequence[Finding],
        *,
        now: dt.datetime,
        role_rules: bool = True,
    ) -> ChangeAudit | None:
        """The findings the changes since the stored graph can alter, or None: audit the account instead."""
        account = _only_account(loaded)
        if account is None:
            return None
        digest = config_digest(config)
        stored = decode(self.cache.get(account), digest)
        if stored is None:
            return None
        size = len(stored.fingerprints.principals) + len(stored.fingerprints.roles)
        patched = patch_graph(loaded.inventory, stored, now=now, limit=max(MIN_CHANGES, int(size * CHANGED_SHARE)))
        if patched is None:
            return None
        errors = [ErrorRecord(source=e.source, message=e.message, account_id=e.account_id) for e in loaded.errors]
        update = audit_changes(loaded.inventory, config, patched, previous, errors=errors, role_rules=role_rules)
        if patched.delta.principals or patched.delta.roles:
            self.cache.put(account, encode(patched.fingerprints, patched.graph.rows(), digest))
        return update

    def save(self, loaded: LoadResult, graph: AssumeGraph, config: Config) -> None:
        """Keep a graph compiled by a whole-account audit, when it is one account's (what events load)."""
        account = _only_account(loaded)
        if account is not None:
            prints = fingerprints(loaded.inventory)
            self.cache.put(account, encode(prints, graph.rows(), config_digest(config)))


def _only_account(loaded: LoadResult) -> str | None:
    accounts = list(loaded.inventory.accounts)
    return accounts[0] if len(accounts) == 1 else None
