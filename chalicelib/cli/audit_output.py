"""Options and output shared by the commands that produce findings (scan, check-trust, replay)."""

from __future__ import annotations

import argparse
import sys

from ..config import Config, ConfigError, load_config
from ..report import FORMATS, render
from ..rules.engine import AuditResult
from ..rules.findings import Severity
from ..rules.settings import check_rule_settings
from .common import BadInputError, emit, one_line

EXIT_FINDINGS = 1


def add_audit_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", help="configuration file (YAML or JSON)")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    parser.add_argument("--output", metavar="FILE", help="write the report to FILE instead of stdout")
    parser.add_argument(
        "--fail-on",
        choices=[s.value for s in Severity],
        metavar="SEVERITY",
        help="exit 1 when a finding at or above SEVERITY remains (critical, high, medium, low, info)",
    )
    add_summary_option(parser)


def add_summary_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--summary",
        action="store_true",
        help="with --format markdown: counts and the top findings, short enough for a pull-request comment",
    )


def config_from(args: argparse.Namespace) -> Config:
    if not args.config:
        return Config()
    try:
        return check_rule_settings(load_config(args.config), source=args.config)
    except ConfigError as exc:
        raise BadInputError(one_line(exc)) from None


def finish(args: argparse.Namespace, result: AuditResult) -> int:
    summary = getattr(args, "summary", False)
    if summary and args.format != "markdown":
        raise BadInputError("--summary goes with --format markdown")
    emit(args, render(result, args.format, summary=summary))
    if args.format != "text" or args.output:  # a text report on the terminal already shows them
        for unused in result.unused_suppressions:
            print(f"trustwatch: warning: {args.config}: {unused.message}", file=sys.stderr)
    if args.fail_on is None:
        return 0
    threshold = Severity(args.fail_on)
    return EXIT_FINDINGS if any(f.severity.at_least(threshold) for f in result.active) else 0
