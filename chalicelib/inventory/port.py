"""The inventory port: one small interface through which the Lambda handlers, the CLI and the tests get accounts.

Adapters: `SnapshotSource` (files), `InMemorySource` (an inventory built in code, for tests) and
``chalicelib.inventory.live.LiveSource`` (boto3). This module imports no AWS library, so the snapshot route and
the pure core stay importable without boto3.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..iam.entities import Inventory
from .snapshot import load_snapshots

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class AccountError:
    """Something a source could not read: an account (``account_id``) or, with None, the organization or setup.

    A scan reports each one as an ``audit-error`` finding beside the findings of everything that was read.
    """

    account_id: str | None
    source: str
    message: str


@dataclass(slots=True)
class LoadResult:
    inventory: Inventory
    errors: list[AccountError] = field(default_factory=list)


class InventorySource(Protocol):
    def load(self, progress: Progress | None = None) -> LoadResult:
        """Every account the source can read; ``progress(account_id)`` is called after each one."""
        ...


class SnapshotSource:
    """Snapshot files (see `chalicelib.inventory.snapshot`). A bad file is bad input: `SnapshotError` propagates."""

    def __init__(self, paths: Sequence[str | Path]) -> None:
        self._paths = list(paths)

    def load(self, progress: Progress | None = None) -> LoadResult:
        inventory = load_snapshots(self._paths)
        _report(progress, inventory)
        return LoadResult(inventory)


class InMemorySource:
    """An inventory that is already built, with optional errors: the fake that tests hand to the scan."""

    def __init__(self, inventory: Inventory, errors: Sequence[AccountError] = ()) -> None:
        self._inventory = inventory
        self._errors = list(errors)

    def load(self, progress: Progress | None = None) -> LoadResult:
        _report(progress, self._inventory)
        return LoadResult(self._inventory, list(self._errors))


def _report(progress: Progress | None, inventory: Inventory) -> None:
    if progress is not None:
        for account_id in inventory.accounts:
            progress(account_id)
