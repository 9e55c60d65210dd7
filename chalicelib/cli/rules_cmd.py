"""``trustwatch rules``: the rule catalog (id, default severity, one line)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from chalicelib.cli.common import add_output_options, emit
from chalicelib.rules.registry import RULES


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser("rules", help="list the rule catalog")
    parser.add_argument("--verbose", action="store_true", help="also print each rule's risk, example and fix")
    add_output_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.format == "json":
        catalog = [
            {"id": r.meta.id, "severity": r.meta.severity.value, "title": r.meta.title, "summary": r.meta.summary,
             "scope": r.meta.scope.value, "description": r.meta.description}
            for r in RULES
        ]  # fmt: skip
        emit(args, json.dumps(catalog, indent=2))
        return 0
    width = max(len(r.meta.id) for r in RULES)
    lines: list[str] = []
    for rule in RULES:
        lines.append(f"{rule.meta.id:<{width}}  {rule.meta.severity.value:<8}  {rule.meta.summary}")
        if args.verbose:
            lines += ["", *("    " + line for line in rule.meta.description.splitlines()), ""]
    emit(args, "\n".join(lines))
    return 0
