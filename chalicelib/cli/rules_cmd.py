"""``trustwatch rules``: the rule catalog (id, default severity, one line)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..report.escape import escape_markdown
from ..rules.registry import CATALOG
from .common import emit


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser("rules", help="list the rule catalog")
    parser.add_argument("--verbose", action="store_true", help="also print each rule's risk, example and fix")
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text", help="default: text")
    parser.add_argument("--output", metavar="FILE", help="write the output to FILE instead of stdout")
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
    if args.format == "markdown":
        rows = [f"| `{m.id}` | {m.severity.value} | {escape_markdown(m.summary)} |" for m in CATALOG]
        emit(args, "\n".join(["| rule | default severity | fires when |", "|---|---|---|", *rows]))
        return 0
    width = max(len(meta.id) for meta in CATALOG)
    lines: list[str] = []
    for meta in CATALOG:
        lines.append(f"{meta.id:<{width}}  {meta.severity.value:<8}  {meta.summary}")
        if args.verbose:
            lines += ["", *("    " + line for line in meta.description.splitlines()), ""]
    emit(args, "\n".join(lines))
    return 0
