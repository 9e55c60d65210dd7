"""``trustwatch check-template PATH...``: the rules of ``scan`` over what templates would deploy, before deploying.

PATH is a CloudFormation/SAM template (YAML or JSON), a CDK cloud assembly (``cdk.out``), a Terraform plan
(``terraform show -json``) or a directory of them. Each template is audited on its own, as an inventory of the
roles, users, groups and policies it creates; every finding carries its ``location`` (file, line, resource).
With ``--baseline-snapshot``, each role is also compared with the deployed one: ``new-access`` findings say
what the template would add. No AWS call and no credentials.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..config import Config
from ..rules.engine import AuditResult, audit_inventory
from ..rules.findings import Finding
from ..templates import PLACEHOLDER_ACCOUNT, TemplateError, discover, error_records, extract, inventory_of, locate
from .audit_output import add_audit_options, config_from, finish
from .common import BadInputError, add_files_option, one_line
from .template_baseline import Baseline


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "check-template", help="check the IAM of CloudFormation/SAM/CDK templates and Terraform plans, offline"
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="template, plan, cdk.out or directory")
    parser.add_argument("--account-id", metavar="ID", help=f"the deploying account (default: {PLACEHOLDER_ACCOUNT})")
    add_files_option(
        parser, "--baseline-snapshot", help="snapshots of the deployed accounts: report what the templates would add"
    )
    live = parser.add_argument_group("the live account as the baseline (instead of --baseline-snapshot)")
    live.add_argument("--baseline-live", action="store_true", help="compare with the roles deployed in the account")
    live.add_argument("--profile", metavar="NAME", help="AWS profile for --baseline-live")
    live.add_argument("--endpoint-url", metavar="URL", help="AWS endpoint for --baseline-live (e.g. a local stand-in)")
    live.add_argument("--region", metavar="REGION", help="region for --baseline-live")
    add_audit_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.account_id is not None and not (args.account_id.isdigit() and len(args.account_id) == 12):
        raise BadInputError(f"--account-id: {args.account_id!r} is not a 12-digit AWS account id")
    config = config_from(args)
    if args.baseline_snapshot and args.baseline_live:
        raise BadInputError("check-template: give --baseline-snapshot files or --baseline-live, not both")
    if (args.profile or args.endpoint_url or args.region) and not args.baseline_live:
        raise BadInputError("check-template: --profile, --endpoint-url and --region need --baseline-live")
    baseline = Baseline.load(args.baseline_snapshot) if args.baseline_snapshot else None
    if args.baseline_live:
        baseline = Baseline.load_live(profile=args.profile, endpoint_url=args.endpoint_url, region=args.region)
    account = args.account_id or (baseline.only_account() if baseline else None)
    try:
        inputs = discover(args.paths)
        if not inputs:
            raise BadInputError(f"{', '.join(args.paths)}: no CloudFormation/SAM template, CDK assembly or plan found")
        results = [_audit(extract(item, account), config, baseline) for item in inputs]
    except TemplateError as exc:
        raise BadInputError(one_line(exc)) from None
    return finish(args, merge(results))


def _audit(extracted: Any, config: Config, baseline: Baseline | None) -> AuditResult:
    inventory = inventory_of(extracted)
    result = audit_inventory(inventory, config, errors=error_records(extracted))
    findings: list[Finding] = list(result.findings)
    if baseline is not None:
        findings += baseline.new_access(extracted, inventory, config, result.findings)
    roles = sum(1 for i in extracted.identities if i.kind == "role" and not i.stub)
    return result.model_copy(update={"findings": tuple(locate(findings, extracted)), "roles": roles})


def merge(results: list[AuditResult]) -> AuditResult:
    """One result for all the templates: findings most severe first; a suppression is unused if no template used it."""
    findings = sorted(
        (f for r in results for f in r.findings),
        key=lambda f: (
            -f.severity.rank,
            f.location.file if f.location else "",
            f.location.line or 0 if f.location else 0,
        ),
    )
    unused = [u for u in results[0].unused_suppressions if all(u in r.unused_suppressions for r in results)]
    return AuditResult(
        findings=tuple(findings),
        errors=tuple(e for r in results for e in r.errors),
        roles=sum(r.roles for r in results),
        unused_suppressions=tuple(unused),
    )
