"""``trustwatch replay EVENT_FILE... [--snapshot FILE...]``: saved CloudTrail/EventBridge events through the
auditor's pipeline, offline: the accounts come from snapshot files, state is kept in memory for the run, and
the result is the findings each event produced (new, changed or resolved), in any report format.

A file that cannot be read or parsed is reported beside the others and never stops them.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..auditor.auditor import Auditor
from ..auditor.memory import InMemoryDeniedLog, InMemoryTrustHistory
from ..events.models import EventParseError, parse_event
from ..iam.entities import Account, Inventory
from ..inventory.port import LoadResult
from ..inventory.snapshot import SnapshotError, load_snapshots
from ..rules.engine import AuditResult, ErrorRecord
from ..state.store import InMemoryFindingStore
from .audit_output import add_audit_options, config_from, finish
from .common import BadInputError, one_line


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "replay", help="run saved CloudTrail events through the auditor offline"
    )
    parser.add_argument("events", nargs="+", metavar="EVENT_FILE", help="EventBridge/CloudTrail event JSON files")
    parser.add_argument("--snapshot", action="append", default=[], metavar="FILE", help="account snapshot (repeatable)")
    add_audit_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        inventory = load_snapshots(args.snapshot) if args.snapshot else Inventory([])
    except SnapshotError as exc:
        raise BadInputError(one_line(exc)) from None
    auditor = Auditor(
        load=_loader(inventory),
        store=InMemoryFindingStore(),
        history=InMemoryTrustHistory(),
        denied=InMemoryDeniedLog(),
        notifiers=(),
        config=config_from(args),
    )
    if inventory.accounts:
        auditor.rescan_accounts(sorted(inventory.accounts), action="baseline")  # what the snapshots already hold
    findings, errors = [], []
    for path in args.events:
        try:
            outcome = auditor.handle(parse_event(_read(path)))
        except (OSError, ValueError, EventParseError) as exc:
            errors.append(ErrorRecord(source=path, message=one_line(exc)))
            continue
        findings += [change.finding for change in outcome.changes if change.kind != "resolved"]
        errors += [ErrorRecord(source=path, message=e) for e in outcome.errors]
    result = AuditResult(findings=tuple(findings), errors=tuple(errors), roles=sum(1 for _ in inventory.roles()))
    return finish(args, result)


def _read(path: str) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _loader(inventory: Inventory) -> Any:
    """The snapshots stand in for live accounts: a load returns the requested accounts that were loaded."""

    def load(accounts: Sequence[str] | None, organization: bool) -> LoadResult:
        wanted = (
            inventory.accounts
            if accounts is None
            else {a: inventory.accounts[a] for a in accounts if a in inventory.accounts}
        )
        chosen: list[Account] = list(wanted.values())
        return LoadResult(Inventory(chosen, inventory.organization))

    return load
