"""What the subcommands share: reading input files, output destination and format, bad-input errors."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..iam.entities import Inventory
from ..inventory.snapshot import SnapshotError, load_snapshots
from ..report.escape import escape_terminal
from ..safe_json import JsonInputError, loads

EXIT_BAD_INPUT = 2


class BadInputError(Exception):
    """Bad usage or input: the command prints the one-line message and exits 2."""


def one_line(message: object) -> str:
    return " ".join(str(message).split())


def read_text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputError(f"{path}: cannot read: {one_line(exc)}") from None


def read_json(path: str) -> object:
    """A JSON file, strictly (`chalicelib.safe_json`), with errors that name the file and the place."""
    return parse_json(read_text(path), path)


def parse_json(text: str, path: str) -> object:
    try:
        return loads(text)
    except JsonInputError as exc:
        raise BadInputError(f"{path}: {exc}") from None


def load_inventory(paths: list[str]) -> Inventory:
    """The snapshots as one inventory; a file that cannot be read is bad input (exit 2), and each entry that was
    left out (a malformed user, a policy that does not parse) is one warning line on stderr, naming file and
    entry: the commands that print no audit-error findings must not drop them silently."""
    try:
        inventory = load_snapshots(paths)
    except SnapshotError as exc:
        raise BadInputError(one_line(exc)) from None
    for account in inventory.accounts.values():
        for message in account.errors:
            print(f"trustwatch: warning: {escape_terminal(one_line(message))}", file=sys.stderr)
    return inventory


def add_files_option(parser: argparse._ActionsContainer, flag: str, *, help: str, required: bool = False) -> None:
    """A list of files that takes both forms, ``--snapshot A B`` and ``--snapshot A --snapshot B`` (all kept)."""
    parser.add_argument(
        flag, action="extend", nargs="+", required=required, metavar="FILE", help=f"{help} (repeatable)"
    )


def add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json"), default=None, help="output format (default: text)")
    parser.add_argument("--output", metavar="FILE", help="write the output to FILE instead of stdout")


def emit(args: argparse.Namespace, text: str) -> None:
    if args.output:
        try:
            Path(args.output).write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            raise BadInputError(f"{args.output}: cannot write: {one_line(exc)}") from None
    else:
        sys.stdout.write(text + "\n")
