"""``trustwatch replay EVENT_FILE... [--snapshot FILE...]``: saved CloudTrail/EventBridge events through the
auditor's pipeline, offline (`chalicelib.cli.replay_run`). ``trustwatch replay --from-queue URL``: the
deployed stage's dead-letter queue through the functions' own path, against the stage
(`chalicelib.cli.replay_queue`).

The pipeline's event models come from Powertools, a Lambda library the other commands never load: it is
imported only when replay runs, and an install without it (``pip install trustwatch`` without the
``[replay]`` extra) gets a one-line message saying what to install.
"""

from __future__ import annotations

import argparse
from typing import Any

from .audit_output import add_audit_options
from .common import BadInputError, add_files_option

REPLAY_EXTRA = "pip install 'trustwatch[replay]'"


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "replay", help="run saved CloudTrail events through the auditor offline"
    )
    parser.add_argument("events", nargs="*", metavar="EVENT_FILE", help="EventBridge/CloudTrail event JSON files")
    parser.add_argument(
        "--from-queue",
        metavar="URL",
        help="replay the dead-letter queue's messages into the deployed stage (its TRUSTWATCH_* environment), "
        "deleting each once handled",
    )
    add_files_option(parser, "--snapshot", help="account snapshot files")
    add_audit_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.from_queue and (args.events or args.snapshot):
        raise BadInputError("--from-queue replays the queue into the deployed stage: give no EVENT_FILE nor --snapshot")
    if not args.from_queue and not args.events:
        raise BadInputError("replay needs EVENT_FILE... (offline, over --snapshot files) or --from-queue URL")
    try:
        from . import replay_queue, replay_run  # noqa: PLC0415  (loads the Lambda pipeline and Powertools)
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("aws_lambda_powertools"):
            raise
        raise BadInputError(f"replay needs the Lambda event models of aws-lambda-powertools: {REPLAY_EXTRA}") from None
    return replay_queue.run(args) if args.from_queue else replay_run.run(args)
