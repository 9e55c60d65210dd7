"""The ``trustwatch`` command: one module per subcommand, this file only wires them.

Exit codes (CONTRACTS.md §2): 0 ran; 1 findings at or above ``--fail-on``; 2 bad usage or bad input, with a
one-line reason on stderr naming the file and the place.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..report.escape import escape_terminal
from ..report.version import TOOL_VERSION
from . import can_assume, check_template, check_trust, demo, replay, rules_cmd, scan, who_can_assume
from .common import EXIT_BAD_INPUT, BadInputError, one_line


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trustwatch", description="Audit who can assume your AWS IAM roles, and why.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {TOOL_VERSION}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (demo, scan, check_trust, check_template, can_assume, who_can_assume, replay, rules_cmd):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except BadInputError as exc:
        print(f"trustwatch: {escape_terminal(one_line(exc))}", file=sys.stderr)  # file names, keys: hostile text
        return EXIT_BAD_INPUT
    return code
