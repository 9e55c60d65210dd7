"""``trustwatch check-trust FILE --role-arn ARN``: audit one trust policy document, offline, before deploying it.

No AWS call and no credentials: only the rules that need nothing but the document and the configuration.
A document that is not policy grammar is bad input (exit 2); one IAM would refuse as a trust policy is an
``invalid-trust-policy`` finding.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..iam.arn import Arn
from ..iam.errors import ArnError, PolicyParseError
from ..iam.policy import parse_policy
from ..rules.engine import audit_trust_document
from .audit_output import add_audit_options, config_from, finish
from .common import BadInputError, one_line, read_json


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "check-trust", help="check one trust policy document offline (no AWS credentials needed)"
    )
    parser.add_argument("file", metavar="FILE", help="the trust policy (JSON object, JSON string or URL-encoded)")
    parser.add_argument("--role-arn", required=True, metavar="ARN", help="the role the policy is (or will be) on")
    add_audit_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        role = Arn.parse(args.role_arn)
    except ArnError as exc:
        raise BadInputError(f"--role-arn: {one_line(exc)}") from None
    if (role.service, role.resource_type) != ("iam", "role"):
        raise BadInputError(f"--role-arn: {args.role_arn!r} is not an IAM role ARN")
    try:
        document = parse_policy(read_json(args.file), source=args.file)
    except PolicyParseError as exc:
        raise BadInputError(one_line(exc)) from None
    return finish(args, audit_trust_document(document, args.role_arn, config_from(args)))
