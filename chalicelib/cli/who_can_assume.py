"""``trustwatch who-can-assume``: every principal that can assume a role, directly or through a chain of roles.

``--snapshot FILE... --role ARN [--max-depth N]``; the JSON form is CONTRACTS.md §4:
``{"role": ..., "principals": [{"principal", "path", "conditions"}]}``, shortest paths first. ``--fail-on
outside`` exits 1 when a principal outside the trusted accounts (the role's own account, ``trusted_accounts``
of ``--config``, the organization) reaches the role.
"""

from __future__ import annotations

import argparse
import json
import re
from typing import Any

from ..iam.graph import DEFAULT_MAX_DEPTH, Reach, build_graph
from ..report.reach import RENDERERS
from ..rules.trustmodel import TrustModel
from .audit_output import EXIT_FINDINGS, config_from
from .common import BadInputError, add_files_option, emit, load_inventory, one_line

FORMATS = ("text", "json", "markdown", "mermaid")
_ACCOUNT_IN_ARN = re.compile(r"^arn:[^:]+:(?:iam|sts)::(\d{12}):")


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "who-can-assume", help="list every principal that can assume a role, directly or through other roles"
    )
    add_files_option(parser, "--snapshot", required=True, help="get-account-authorization-details JSON files")
    parser.add_argument("--role", required=True, metavar="ARN", help="the role to assume")
    parser.add_argument(
        "--max-depth",
        type=int,
        default=DEFAULT_MAX_DEPTH,
        metavar="N",
        help=f"longest chain of role assumptions to follow (default {DEFAULT_MAX_DEPTH})",
    )
    parser.add_argument("--config", metavar="FILE", help="configuration file: which accounts are trusted")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    parser.add_argument("--output", metavar="FILE", help="write the output to FILE instead of stdout")
    parser.add_argument(
        "--fail-on",
        choices=("outside",),
        help="exit 1 when a principal outside the trusted accounts reaches the role",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.max_depth < 1:
        raise BadInputError(f"--max-depth must be at least 1, not {args.max_depth}")
    config = config_from(args)
    inventory = load_inventory(args.snapshot)
    role = inventory.role(args.role)
    if role is None:
        raise BadInputError(f"--role {args.role}: no such role in the loaded snapshots")
    if role.trust_policy is None:
        raise BadInputError(f"trust policy of {role.arn} could not be read: {one_line(role.trust_policy_error)}")
    reaches = build_graph(inventory).who_can_assume(role.arn, max_depth=args.max_depth)
    model = TrustModel(config, inventory.organization)

    def outside(reach: Reach) -> bool:
        account = _account(reach.principal)
        return account is not None and not model.is_internal(account, role.account_id)

    if args.format == "json":
        emit(args, json.dumps({"role": role.arn, "principals": [_json(r) for r in reaches]}, indent=2))
    else:  # principals are marked outside only when asked about trust (without a config, every other account is)
        marked = outside if args.config or args.fail_on else (lambda _: False)
        emit(args, RENDERERS[args.format](role.arn, reaches, marked))
    return EXIT_FINDINGS if args.fail_on and any(outside(r) for r in reaches) else 0


def _account(principal: str) -> str | None:
    """The account a principal belongs to; ``*`` is anyone's (the empty account); a service is none."""
    if principal == "*":
        return ""
    if principal.isdigit() and len(principal) == 12:
        return principal
    match = _ACCOUNT_IN_ARN.match(principal)
    return match.group(1) if match else None


def _json(reach: Reach) -> dict[str, object]:
    return {"principal": reach.principal, "path": list(reach.path), "conditions": list(reach.conditions)}
