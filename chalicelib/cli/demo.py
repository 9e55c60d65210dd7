"""``trustwatch demo``: what ``make demo`` runs, ending by itself.

Part 1 asks the evaluator the questions that were put to real AWS in the seed articles and prints its
decisions and reasons beside what AWS answered. Part 2 runs the serverless auditor against a local AWS
stand-in (`chalicelib.devtools.demo`): seed accounts, a Slack stand-in, SNS with an SQS subscriber, and every
file of ``events/`` through the Lambda handlers.
"""

from __future__ import annotations

import argparse
import io
import sys
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from types import ModuleType
from typing import Any

from ..iam.assemble import request_for
from ..iam.evaluate import can_assume
from ..inventory.snapshot import load_snapshots
from .common import BadInputError, emit

SNAPSHOTS = Path(__file__).resolve().parent.parent / "data" / "snapshots"
CHECKOUT = Path(__file__).resolve().parents[2]  # app.py and events/ beside chalicelib/, in a source checkout
NEEDS_CHECKOUT = (
    "demo part 2 runs the Chalice app of a source checkout with its dev dependencies: run `make demo` there"
    " (`trustwatch demo --seeds-only` runs part 1 from any install)"
)
SSO_ADMIN = "AWSReservedSSO_AdministratorAccess_dc4bb76cf910dcda"


@dataclass(frozen=True, slots=True)
class SeedQuestion:
    story: str
    snapshot_dir: str
    principal: str
    role: str
    observed: str  # what real AWS answered: "allow" or "deny"


SEED_QUESTIONS = (
    SeedQuestion(
        "RoleA -> RoleB (trusts the account; RoleB outside RoleA's allowed path)",
        "seed-001",
        "arn:aws:iam::123456789012:role/RoleA",
        "arn:aws:iam::123456789012:role/RoleB",
        "deny",
    ),
    SeedQuestion(
        "RoleA -> RoleC (trusts RoleA by ARN; outside the allowed path)",
        "seed-001",
        "arn:aws:iam::123456789012:role/RoleA",
        "arn:aws:iam::123456789012:role/RoleC",
        "allow",
    ),
    SeedQuestion(
        "RoleA -> RoleD (trusts the account; inside the allowed path)",
        "seed-001",
        "arn:aws:iam::123456789012:role/RoleA",
        "arn:aws:iam::123456789012:role/allowed-roles-path/RoleD",
        "allow",
    ),
    SeedQuestion(
        "RoleA -> RoleE (trusts RoleA by ARN; inside the allowed path)",
        "seed-001",
        "arn:aws:iam::123456789012:role/RoleA",
        "arn:aws:iam::123456789012:role/allowed-roles-path/RoleE",
        "allow",
    ),
    SeedQuestion(
        "foobar -> foobaz across accounts, foobar without sts:AssumeRole",
        "seed-000-denied",
        "arn:aws:iam::111111111111:role/foobar",
        "arn:aws:iam::222222222222:role/foobaz",
        "deny",
    ),
    SeedQuestion(
        "foobar -> foobaz across accounts, foobar granted sts:AssumeRole",
        "seed-000-granted",
        "arn:aws:iam::111111111111:role/foobar",
        "arn:aws:iam::222222222222:role/foobaz",
        "allow",
    ),
    SeedQuestion(
        "SSO administrator of account A -> foobaz (trusts only foobar)",
        "seed-000-granted",
        f"arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/{SSO_ADMIN}",
        "arn:aws:iam::222222222222:role/foobaz",
        "deny",
    ),
)


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "demo", help="replay the seed experiments through the evaluator and show the decisions"
    )
    parser.add_argument("--output", metavar="FILE", help="write the output to FILE instead of stdout")
    parser.add_argument("--seeds-only", action="store_true", help="only part 1 (no AWS stand-in)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    blocks = [_answer(q) for q in SEED_QUESTIONS]
    agree = sum(1 for _, ok in blocks if ok)
    summary = f"{agree} of {len(SEED_QUESTIONS)} decisions agree with what AWS was observed to do."
    title = "== Part 1: the seed experiments, decided by the evaluator\n\n"
    emit(args, title + "\n\n".join(text for text, _ in blocks) + "\n\n" + summary)
    code = 0 if agree == len(SEED_QUESTIONS) else 1
    if args.seeds_only:
        return code
    serverless_demo = _serverless_demo()
    story = io.StringIO() if args.output else sys.stdout
    print("\n== Part 2: the serverless auditor against a local AWS stand-in", file=story)
    code = max(code, int(serverless_demo.run(story)))
    if isinstance(story, io.StringIO):
        with open(args.output, "a", encoding="utf-8") as target:
            target.write(story.getvalue())
    return code


def _serverless_demo() -> ModuleType:
    if not (CHECKOUT / "app.py").is_file() or not (CHECKOUT / "events").is_dir():
        raise BadInputError(NEEDS_CHECKOUT)
    missing = [name for name in ("chalice", "moto", "aws_lambda_powertools") if find_spec(name) is None]
    if missing:
        raise BadInputError(f"{NEEDS_CHECKOUT}; missing: {', '.join(missing)}")
    from ..devtools import demo  # noqa: PLC0415  (boto3, moto, chalice, Powertools: dev dependencies)

    return demo


def _answer(question: SeedQuestion) -> tuple[str, bool]:
    files = sorted((SNAPSHOTS / question.snapshot_dir).glob("*.json"))
    assembled = request_for(load_snapshots(files), question.principal, question.role)
    decision = can_assume(assembled.request)
    ours = "allow" if decision.allowed else "deny"
    mark = "agrees with AWS" if ours == question.observed else f"DISAGREES: AWS answered {question.observed}"
    lines = [f"{question.story}", f"  Trustwatch: {decision.decision.value.upper()} ({mark})"]
    lines += [f"    - {reason}" for reason in decision.reasons]
    return "\n".join(lines), ours == question.observed
