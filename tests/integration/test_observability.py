"""What the README promises of the handlers' logs and metrics: Powertools JSON with the CloudTrail event id as
correlation id, and EMF metrics for events processed and new findings by severity."""

from __future__ import annotations

import io
import json
import logging

import pytest

from chalicelib.observability import logger
from tests.integration import test_handlers as handlers
from tests.integration.test_handlers import Stand, event, happened, invoke, rescan_seed_accounts

stand = handlers.stand  # the fixture


def json_lines(text: str) -> list[dict[str, object]]:
    lines = []
    for line in text.splitlines():
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            lines.append(value)
    return lines


def test_logs_carry_the_cloudtrail_event_id_and_metrics_count_events_and_findings(
    stand: Stand, capfd: pytest.CaptureFixture[str]
) -> None:
    rescan_seed_accounts()
    capfd.readouterr()
    # the Powertools logger keeps the stream it started with; listen with its own JSON formatter instead
    stream = io.StringIO()
    listener = logging.StreamHandler(stream)
    listener.setFormatter(logger.registered_formatter)
    logging.getLogger(logger.service).addHandler(listener)
    raw = happened(stand, event("iam-update-assume-role-policy-untrusted-account.json"))
    try:
        summary = invoke("on_iam_change", raw)
    finally:
        logging.getLogger(logger.service).removeHandler(listener)
    records = json_lines(capfd.readouterr().out)
    # THEN the handler's log lines are JSON with the CloudTrail event id as correlation id
    logs = [r for r in json_lines(stream.getvalue()) if r.get("message") == "event processed"]
    assert logs and logs[0]["correlation_id"] == raw["detail"]["eventID"]
    assert logs[0]["function_name"] == "on_iam_change"
    # AND the EMF blob counts the event and the new findings by severity
    metrics = next(r for r in records if "_aws" in r)
    assert metrics["EventsProcessed"] == [1.0]
    new_high = metrics.get("NewFindingsHigh")
    assert isinstance(new_high, list) and sum(new_high) >= 2
    assert summary["changes"]["new"] >= 2
