"""``trustwatch rules``: the rule catalog (id, default severity, one line)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..rules.registry import CATALOG
from .common import add_output_options, emit


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser("rules", help="list the rule catalog")
    parser.add_argument("--verbose", action="store_true", help="also print each rule's risk, example and fix")
    add_output_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.format == "json":
        catalog = [
            {"id": m.id, "severity": m.severity.value, "title": m.title, "summary": m.summary,
             "scope": m.scope.value, "description": m.description}
            for m in CATALOG
        ]  # fmt: skip
        emit(args, json.dumps(catalog, indent=2))
        return 0
    width = max(len(meta.id) for meta in CATALOG)
    lines: list[str] = []
    for meta in CATALOG:
        lines.append(f"{meta.id:<{width}}  {meta.severity.value:<8}  {meta.summary}")
        if args.verbose:
            lines += ["", *("    " + line for line in meta.description.splitlines()), ""]
    emit(args, "\n".join(lines))
    return 0
