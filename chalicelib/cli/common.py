"""What the subcommands share: reading input files, output destination and format, bad-input errors."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


class BadInputError(Exception):
    """Bad usage or input: the command prints the one-line message and exits 2."""


def one_line(message: object) -> str:
    return " ".join(str(message).split())


def read_json(path: str) -> object:
    """A JSON file, with errors that name the file and the line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputError(f"{path}: cannot read: {one_line(exc)}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInputError(f"{path}: not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise BadInputError(f"{path}: not JSON: nested too deeply") from None


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
