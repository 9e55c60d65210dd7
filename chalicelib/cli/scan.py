"""``trustwatch scan``: audit every role of some accounts, from snapshots or live.

Live: ``--profile NAME`` / default credentials / ``--endpoint-url URL``; many accounts through an audit role
with ``--assume-role-name NAME`` and ``--account ID...`` or ``--organization``. An account that cannot be read
becomes an ``audit-error`` finding; the others are still audited.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..gc_pause import collector_paused
from ..inventory.errors import InventoryError
from ..inventory.port import InventorySource, LoadResult, SnapshotSource
from ..inventory.snapshot import SnapshotError
from ..rules.engine import ErrorRecord, audit_inventory
from .audit_output import add_audit_options, config_from, finish
from .common import BadInputError, add_files_option, one_line
from .progress import ProgressBar, wants_progress


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser("scan", help="audit every role of one or more accounts")
    add_files_option(parser, "--snapshot", help="snapshot files")
    parser.add_argument("--profile", metavar="NAME", help="AWS profile for a live scan")
    parser.add_argument("--endpoint-url", metavar="URL", help="AWS endpoint (e.g. a local stand-in)")
    parser.add_argument("--region", metavar="REGION", help="region for STS and Organizations calls")
    parser.add_argument("--assume-role-name", metavar="NAME", help="audit role to assume in each account")
    parser.add_argument("--external-id", metavar="ID", help="external id the audit role requires")
    parser.add_argument(
        "--account", action="extend", nargs="+", metavar="ID", help="accounts to scan through the audit role"
    )
    parser.add_argument("--organization", action="store_true", help="scan every active account of the organization")
    add_audit_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config = config_from(args)
    source = _source(args)
    with collector_paused():
        loaded = _load(source, args)
        records = [ErrorRecord(source=e.source, message=e.message, account_id=e.account_id) for e in loaded.errors]
        result = audit_inventory(loaded.inventory, config, errors=records)
    return finish(args, result)


def _source(args: argparse.Namespace) -> InventorySource:
    live = args.profile or args.endpoint_url or args.assume_role_name or args.account or args.organization
    if args.snapshot and live:
        raise BadInputError("scan: give --snapshot files or live options, not both")
    if args.snapshot:
        return SnapshotSource(args.snapshot)
    if (args.account or args.organization) and not args.assume_role_name:
        raise BadInputError("scan: --account and --organization need --assume-role-name")
    from ..inventory.live import LiveSource  # noqa: PLC0415  (boto3 loads only for live scans)

    return LiveSource(
        profile=args.profile,
        endpoint_url=args.endpoint_url,
        accounts=args.account,
        organization=args.organization,
        assume_role_name=args.assume_role_name,
        external_id=args.external_id,
        region=args.region,
    )


def _load(source: InventorySource, args: argparse.Namespace) -> LoadResult:
    bar = ProgressBar(total=len(args.account) if args.account else None) if _live_on_terminal(args) else None
    try:
        return source.load(progress=bar)
    except (SnapshotError, InventoryError) as exc:
        raise BadInputError(one_line(exc)) from None
    finally:
        if bar is not None:
            bar.close()


def _live_on_terminal(args: argparse.Namespace) -> bool:
    return not args.snapshot and wants_progress(args.format, args.output)
