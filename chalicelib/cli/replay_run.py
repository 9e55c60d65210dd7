"""What ``trustwatch replay`` runs: saved events through the auditor's pipeline, offline. The accounts come from
snapshot files, state is kept in memory for the run, and the result is the findings each event produced (new,
changed or resolved), in any report format.

A file that cannot be read or parsed is reported beside the others and never stops them; the command then
exits 2 (bad input) after the report, whatever ``--fail-on`` says.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from ..auditor.auditor import Auditor
from ..auditor.memory import InMemoryDeniedLog, InMemoryTrustHistory
from ..events.models import EventParseError, parse_event
from ..iam.entities import Account, Inventory
from ..inventory.port import LoadResult
from ..report.escape import escape_terminal
from ..rules.engine import AuditResult, ErrorRecord
from ..state.store import InMemoryFindingStore
from .audit_output import config_from, finish
from .common import EXIT_BAD_INPUT, BadInputError, load_inventory, one_line, read_json


def run(args: argparse.Namespace) -> int:
    inventory = load_inventory(args.snapshot) if args.snapshot else Inventory([])
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
    findings, errors, bad_files = [], [], []
    for path in args.events:
        try:
            outcome = auditor.handle(parse_event(_event(path)))
        except (BadInputError, EventParseError, ValueError) as exc:
            message = one_line(exc).removeprefix(f"{path}: ")
            errors.append(ErrorRecord(source=path, message=message))
            bad_files.append(f"{path}: {message}")
            continue
        findings += [change.finding for change in outcome.changes if change.kind != "resolved"]
        errors += [ErrorRecord(source=path, message=e) for e in outcome.errors]
    result = AuditResult(findings=tuple(findings), errors=tuple(errors), roles=sum(1 for _ in inventory.roles()))
    code = finish(args, result)
    for line in bad_files:  # the report lists them too; stderr says why the exit code is 2
        print(f"trustwatch: {escape_terminal(line)}", file=sys.stderr)
    return EXIT_BAD_INPUT if bad_files else code


def _event(path: str) -> dict[str, Any]:
    data = read_json(path)
    if not isinstance(data, dict):
        raise BadInputError(f"{path}: top level: an event is a JSON object, not {type(data).__name__}")
    return data


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
