"""``trustwatch can-assume``: the IAM decision for one caller and one role, with its reasons.

Two forms: ``--snapshot FILE... --principal ARN --role ARN [--context K=V ...]`` over
get-account-authorization-details snapshots, or ``--request FILE`` with cases in the format of
``assume-role-vectors.json``.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..iam.assemble import request_for
from ..iam.cases import decide_case, decision_json
from ..iam.errors import InvalidRequestError, PolicyParseError
from ..iam.evaluate import Decision, can_assume
from ..iam.request import AssumeRoleRequest
from ..iam.trust import trust_policy_problems
from ..report.escape import escape_terminal
from .common import BadInputError, add_files_option, add_output_options, emit, load_inventory, one_line, read_json


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "can-assume", help="decide whether a principal can assume a role, with the reasons"
    )
    source = parser.add_mutually_exclusive_group(required=True)
    add_files_option(source, "--snapshot", help="get-account-authorization-details JSON files")
    source.add_argument("--request", metavar="FILE", help="a JSON case or list of cases (assume-role-vectors format)")
    parser.add_argument("--principal", metavar="ARN", help="IAM user, IAM role (any session of it) or session ARN")
    parser.add_argument("--role", metavar="ARN", help="the role to assume")
    parser.add_argument("--action", default="sts:AssumeRole", help="STS action (default sts:AssumeRole)")
    parser.add_argument(
        "--context",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="request context key, e.g. sts:ExternalId=abc (repeat a key for several values)",
    )
    add_output_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.request:
        results = [_decide_case(args.request, i, case) for i, case in enumerate(_cases(args.request))]
        if args.format == "json":
            emit(args, json.dumps([decision_json(name, d) for name, _, d in results], indent=2))
        else:
            emit(args, "\n\n".join(_text(r, d, name) for name, r, d in results))
        return 0
    request, gaps = _snapshot_request(args)
    decision = can_assume(request)
    if args.format == "json":
        payload = {
            "decision": decision.decision.value,
            "principal": args.principal,
            "role": request.role_arn,
            "reasons": list(decision.reasons),
        }
        payload.update(_extras(decision, gaps))
        emit(args, json.dumps(payload, indent=2))
    else:
        emit(args, _text(request, decision, None, gaps))
    return 0


def _cases(path: str) -> list[object]:
    data = read_json(path)
    cases = data if isinstance(data, list) else [data]
    if not cases:
        raise BadInputError(f"{path}: no cases")
    return cases


def _decide_case(path: str, index: int, case: object) -> tuple[str, AssumeRoleRequest, Decision]:
    try:
        name, request, decision = decide_case(case, source=f"{path}: case {index}")
    except PolicyParseError as exc:
        raise BadInputError(one_line(exc)) from None
    except InvalidRequestError as exc:
        raise BadInputError(f"{path}: case {index}: {one_line(exc)}") from None
    return name or f"case {index}", request, decision


def _snapshot_request(args: argparse.Namespace) -> tuple[AssumeRoleRequest, tuple[str, ...]]:
    if not args.principal or not args.role:
        raise BadInputError("can-assume --snapshot needs --principal ARN and --role ARN")
    inventory = load_inventory(args.snapshot)
    try:
        assembled = request_for(
            inventory, args.principal, args.role, context=_context(args.context), action=args.action
        )
    except InvalidRequestError as exc:
        raise BadInputError(one_line(exc)) from None
    _refuse_invalid_trust(assembled.request, f"trust policy of {assembled.request.role_arn}")
    return assembled.request, assembled.gaps


def _context(pairs: list[str]) -> dict[str, str | list[str]]:
    context: dict[str, str | list[str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise BadInputError(f"--context {pair!r}: expected KEY=VALUE")
        previous = context.get(key)
        if previous is None:
            context[key] = value
        else:
            context[key] = [*([previous] if isinstance(previous, str) else previous), value]
    return context


def _refuse_invalid_trust(request: AssumeRoleRequest, where: str) -> None:
    problems = trust_policy_problems(request.trust_policy)
    if problems:
        raise BadInputError(f"{where}: {problems[0]} (IAM would refuse this trust policy)")


def _extras(decision: Decision, gaps: tuple[str, ...] = ()) -> dict[str, list[str]]:
    extras = {"unknown": list(decision.unknown), "gaps": list(gaps)}
    return {k: v for k, v in extras.items() if v}


def _text(request: AssumeRoleRequest, decision: Decision, name: str | None, gaps: tuple[str, ...] = ()) -> str:
    head = f"{name}: " if name else ""
    lines = [f"{head}{decision.decision.value.upper()}  {request.caller.arn} -> {request.role_arn} ({request.action})"]
    lines += [f"  - {reason}" for reason in decision.reasons]
    lines += [f"  ! could not evaluate: {item}" for item in decision.unknown]
    lines += [f"  ! snapshot gap: {gap}" for gap in gaps]
    if gaps and decision.decision.value != "allow":
        lines.append("  ! this denial may be wrong: the snapshots lack what the decision needed (see the gaps)")
    return "\n".join(escape_terminal(line) for line in lines)  # Sids, names and values are the accounts' text
