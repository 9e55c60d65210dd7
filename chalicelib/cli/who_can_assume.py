"""``trustwatch who-can-assume``: every principal that can assume a role, directly or through a chain of roles.

``--snapshot FILE... --role ARN [--max-depth N]``; the JSON form is CONTRACTS.md §4:
``{"role": ..., "principals": [{"principal", "path", "conditions"}]}``, shortest paths first.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..iam.graph import DEFAULT_MAX_DEPTH, Reach, build_graph
from ..inventory.snapshot import SnapshotError, load_snapshots
from .common import BadInputError, add_files_option, add_output_options, emit, one_line


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
    add_output_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.max_depth < 1:
        raise BadInputError(f"--max-depth must be at least 1, not {args.max_depth}")
    try:
        inventory = load_snapshots(args.snapshot)
    except SnapshotError as exc:
        raise BadInputError(one_line(exc)) from None
    role = inventory.role(args.role)
    if role is None:
        raise BadInputError(f"--role {args.role}: no such role in the loaded snapshots")
    if role.trust_policy is None:
        raise BadInputError(f"trust policy of {role.arn} could not be read: {one_line(role.trust_policy_error)}")
    reaches = build_graph(inventory).who_can_assume(role.arn, max_depth=args.max_depth)
    if args.format == "json":
        emit(args, json.dumps({"role": role.arn, "principals": [_json(r) for r in reaches]}, indent=2))
    else:
        emit(args, _text(role.arn, reaches))
    return 0


def _json(reach: Reach) -> dict[str, object]:
    return {"principal": reach.principal, "path": list(reach.path), "conditions": list(reach.conditions)}


def _text(role_arn: str, reaches: list[Reach]) -> str:
    if not reaches:
        return f"no principal in the loaded snapshots can assume {role_arn}"
    lines = []
    for reach in reaches:
        line = " -> ".join(reach.path)
        if reach.conditions:
            line += "  [" + "; ".join(reach.conditions) + "]"
        lines.append(line)
    return "\n".join(lines)
