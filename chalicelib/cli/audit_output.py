"""Options and output shared by the commands that produce findings (scan, check-trust, replay)."""

from __future__ import annotations

import argparse

from ..config import Config, ConfigError, load_config
from ..report import FORMATS, render
from ..rules.engine import AuditResult
from ..rules.findings import Severity
from ..rules.registry import CATALOG
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


def config_from(args: argparse.Namespace) -> Config:
    if not args.config:
        return Config()
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        raise BadInputError(one_line(exc)) from None
    known = {meta.id for meta in CATALOG}
    for field, rule_id in _rule_references(config):
        if rule_id not in known:
            raise BadInputError(f"{args.config}: {field}: unknown rule {rule_id!r} (see `trustwatch rules`)")
    return config


def _rule_references(config: Config) -> list[tuple[str, str]]:
    refs = [(f"rules.{rule_id}", rule_id) for rule_id in config.rules]
    refs += [(f"suppressions.{i}.rule", s.rule) for i, s in enumerate(config.suppressions) if s.rule != "*"]
    return refs


def finish(args: argparse.Namespace, result: AuditResult) -> int:
    emit(args, render(result, args.format))
    if args.fail_on is None:
        return 0
    threshold = Severity(args.fail_on)
    return EXIT_FINDINGS if any(f.severity.at_least(threshold) for f in result.active) else 0
