"""What ``trustwatch replay --from-queue URL`` runs: the stage's dead-letter queue drained through the functions'
own path (`chalicelib.service`, wired from the same environment variables as the Lambdas), against the
deployed table, topic and Slack channel.

Lambda and EventBridge both put the original EventBridge event in a dead-letter message's body (Lambda adds
``ErrorMessage``, EventBridge ``ERROR_MESSAGE``, as attributes). A CloudTrail event goes where the three event
functions send it (`service.handle_event`); a scheduled event goes by its rule's name to the daily re-scan or
to the outbox flush. A message is deleted only once it was handled; one that cannot be (not JSON, not an
event, an error again) stays in the queue, visible again when the command ends, with one line on stderr
saying why. The command then exits 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from .. import service
from ..report.escape import escape_terminal
from ..wiring import Settings, Wiring
from .common import EXIT_BAD_INPUT, BadInputError, one_line

# A message being handled stays invisible this long: longer than the slowest function (900 s), so that it is
# never received twice in one run. The ones left are made visible again at the end.
VISIBILITY_SECONDS = 900
RULE_SUFFIXES: dict[str, Callable[[Wiring], dict[str, Any]]] = {
    "-scheduled_rescan-event": lambda wiring: service.rescan({"scheduled": True}, wiring, ReplayContext()),
    "-flush_outbox-event": lambda wiring: service.flush(wiring, ReplayContext()),
}


class ReplayContext:
    """What the functions' path reads of a Lambda context: a name for the idempotency key (a replay is its own
    invocation) and the time left, which ends before the message being handled could be received again."""

    function_name = "trustwatch-replay"

    def __init__(self, seconds: float = VISIBILITY_SECONDS - 60) -> None:
        self._ends = time.monotonic() + seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self._ends - time.monotonic()) * 1000), 0)


class MessageError(Exception):
    """This message cannot be handled (yet): it stays in the queue."""


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if not settings.table:
        raise BadInputError(
            "--from-queue replays into the deployed stage: set its environment first (TRUSTWATCH_TABLE, "
            "TRUSTWATCH_TOPIC_ARN, TRUSTWATCH_SLACK_SECRET, TRUSTWATCH_CONFIG_PARAMETER, TRUSTWATCH_AUDIT_ROLE_NAME; "
            "docs/deployment.md, Dead letters)"
        )
    wiring = Wiring(settings)
    sqs = wiring.session.client("sqs", region_name=settings.region)
    url: str = args.from_queue
    handled, left = 0, []
    while (message := _receive(sqs, url)) is not None:
        where = f"{url} message {message['MessageId']}"
        try:
            summary = handle(message, wiring)
        except MessageError as exc:
            left.append(message["ReceiptHandle"])
            print(
                f"trustwatch: {escape_terminal(one_line(f'{where}: {exc}{_failed_before(message)}'))}", file=sys.stderr
            )
            continue
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        handled += 1
        print(escape_terminal(one_line(f"{where}: replayed and deleted: {_describe(summary)}")))
    for receipt in left:  # visible again at once, for the next run once the cause is fixed
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=receipt, VisibilityTimeout=0)
    print(f"{handled} replayed and deleted, {len(left)} left in the queue")
    return EXIT_BAD_INPUT if left else 0


def _receive(sqs: Any, url: str) -> dict[str, Any] | None:
    """One message at a time, so that each is invisible exactly while it is handled."""
    try:
        answer = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=1,
            VisibilityTimeout=VISIBILITY_SECONDS,
            WaitTimeSeconds=1,  # a long poll asks every SQS server: a short one may answer "empty" too early
            MessageAttributeNames=["All"],
        )
    except Exception as exc:  # botocore's ClientError or an endpoint error: the queue is unusable, say which
        raise BadInputError(f"{url}: cannot receive from the queue: {one_line(exc)}") from None
    messages: list[dict[str, Any]] = answer.get("Messages", [])
    return messages[0] if messages else None


def handle(message: dict[str, Any], wiring: Wiring) -> dict[str, Any]:
    """Run one dead-letter message through the path its function takes; `MessageError` when it cannot be."""
    try:
        event = json.loads(message.get("Body", ""))
    except json.JSONDecodeError as exc:
        raise MessageError(f"the body is not JSON ({exc}), so not an EventBridge event") from None
    if not isinstance(event, dict):
        raise MessageError(f"the body is JSON {type(event).__name__}, not an EventBridge event object")
    try:
        if event.get("detail-type") == "Scheduled Event" and event.get("source") == "aws.events":
            summary = _scheduled(event, message)(wiring)
        else:
            summary = service.handle_event(event, ReplayContext(), wiring)
    except MessageError:
        raise
    except Exception as exc:  # what made the function fail, most likely: the message waits for the fix
        raise MessageError(f"failed again: {type(exc).__name__}: {exc}") from None
    if "error" in summary:
        raise MessageError(f"not an event Trustwatch can handle: {summary['error']}")
    return summary


def _scheduled(event: dict[str, Any], message: dict[str, Any]) -> Callable[[Wiring], dict[str, Any]]:
    resources = event.get("resources")
    rules = [str(r) for r in resources if isinstance(r, str)] if isinstance(resources, list) else []
    rules.append(_attribute(message, "RULE_ARN"))
    for rule in rules:
        for suffix, work in RULE_SUFFIXES.items():
            if rule.endswith(suffix):
                return work
    raise MessageError(f"a scheduled event of no Trustwatch schedule (rules: {[r for r in rules if r] or 'none'})")


def _attribute(message: dict[str, Any], name: str) -> str:
    value = message.get("MessageAttributes", {}).get(name, {}).get("StringValue")
    return str(value) if value is not None else ""


def _failed_before(message: dict[str, Any]) -> str:
    why = _attribute(message, "ErrorMessage") or _attribute(message, "ERROR_MESSAGE")
    return f" (it had failed with: {why[:300]})" if why else ""


def _describe(summary: dict[str, Any]) -> str:
    changes = summary.get("changes") or {}
    counts = ", ".join(f"{n} {kind}" for kind, n in sorted(changes.items())) or "no change"
    return f"{summary.get('action', 'done')}, {counts}" + (" (already handled)" if summary.get("duplicate") else "")
