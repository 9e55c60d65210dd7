"""Snapshot files: accounts as ``aws iam get-account-authorization-details`` prints them, and an organization file.

Account files are read by `chalicelib.inventory.gaad` (one file may hold several accounts; an entry that cannot
be read is named in its account's errors, never hides the rest), the organization file by
`chalicelib.inventory.org_file`; docs/snapshots.md describes both. `load_snapshots` tells the two kinds apart by
their top-level keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..iam.entities import Account, Inventory, Organization
from ..safe_json import JsonInputError, loads
from .gaad import GAAD_LISTS, parse_accounts, parse_authorization_details
from .json_place import Place, SnapshotError, as_object
from .org_file import ORGANIZATION_KEYS, parse_organization

__all__ = ["GAAD_LISTS", "SnapshotError", "load_snapshots", "parse_authorization_details", "parse_organization"]


def _read_json(path: Path, source: str) -> object:
    """The file's JSON (UTF-8, -16 or -32, with or without BOM); SnapshotError when unreadable or not JSON."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SnapshotError(f"cannot read the file: {exc.strerror or exc}", source=source) from None
    try:
        return loads(raw)
    except JsonInputError as exc:
        raise SnapshotError(exc.reason, source=source, location=exc.where or "") from None


# --- loading files ---------------------------------------------------------------------------------------


def _is_organization(data: object, source: str) -> bool:
    top = as_object(data, Place(source))
    is_org = any(key in top for key in ORGANIZATION_KEYS)
    is_account = any(key in top for key in GAAD_LISTS)
    if is_org and is_account:
        raise SnapshotError("mixes account keys (RoleDetailList, ...) with organization keys", source=source)
    if not is_org and not is_account:
        expected = ", ".join(GAAD_LISTS)
        raise SnapshotError(f"neither an account snapshot ({expected}) nor an organization file", source=source)
    return is_org


def load_snapshots(paths: Sequence[str | Path]) -> Inventory:
    """Account files and at most one organization file, in any order, as one `Inventory`.

    An account file may hold several accounts (each becomes its own). Raises `SnapshotError` (naming the
    file) for an unreadable file, bad JSON, a file of neither kind, an account found in two files or two
    organization files.
    """
    accounts: dict[str, tuple[Account, str]] = {}
    organization: tuple[Organization, str] | None = None
    for path in paths:
        source = str(path)
        data = _read_json(Path(path), source)
        if not _is_organization(data, source):
            for account in parse_accounts(data, source=source):
                if account.account_id in accounts:
                    other = accounts[account.account_id][1]
                    raise SnapshotError(f"account {account.account_id} is also loaded from {other}", source=source)
                accounts[account.account_id] = (account, source)
        elif organization is not None:
            raise SnapshotError(f"a second organization file (the first is {organization[1]})", source=source)
        else:
            organization = (parse_organization(data, source=source), source)
    return Inventory((a for a, _ in accounts.values()), organization[0] if organization else None)
