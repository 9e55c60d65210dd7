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
from ..rules.engine import AuditResult, audit_trust_document
from ..rules.findings import Location
from .audit_output import add_audit_options, config_from, finish
from .common import BadInputError, one_line, parse_json, read_text
from .json_lines import statement_lines


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
    text = read_text(args.file)
    # The URL-encoded form (what IAM's API returns) is decoded by parse_policy; JSON is parsed strictly here.
    raw = text if text.lstrip().startswith("%") else parse_json(text, args.file)
    try:
        document = parse_policy(raw, source=args.file)
    except PolicyParseError as exc:
        raise BadInputError(one_line(exc)) from None
    result = audit_trust_document(document, args.role_arn, config_from(args))
    return finish(args, _located(result, args.file, statement_lines(text) if raw is not text else []))


def _located(result: AuditResult, path: str, lines: list[int]) -> AuditResult:
    """Each finding points at the file, and at its statement's line when the text shows it."""

    def line(statement: int | None) -> int | None:
        return lines[statement] if statement is not None and 0 <= statement < len(lines) else None

    findings = tuple(
        f.model_copy(update={"location": Location(file=path, line=line(f.statement))}) for f in result.findings
    )
    return result.model_copy(update={"findings": findings})
