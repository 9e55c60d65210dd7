"""The embedded demo: the whole serverless auditor against a local AWS stand-in, ending by itself.

moto's server on 127.0.0.1 holds the seed accounts (123456789012 is the auditor's own; 111111111111 and
222222222222 are reached through their audit roles) and a few risky roles; a local Slack stand-in receives the
webhook posts; an SQS queue subscribed to the findings topic shows what SNS delivered. A first re-scan
records the known state; then every file of ``events/`` goes through the Lambda function(s) whose EventBridge
rule matches it, through Chalice's test client, exactly as deployed handlers would run.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .demo_acts import ACTS, acts, screens
from .routing import functions_for
from .seed import seed_from_snapshots
from .slack_standin import SlackStandIn
from .standin import apply_trust_change, provision, read_queue

ROOT = Path(__file__).resolve().parents[2]  # the source checkout: app.py and events/
SNAPSHOTS = Path(__file__).resolve().parents[1] / "data" / "snapshots"
SEED_DIRS = ("seed-001", "seed-000-granted", "demo-risky")
ACCOUNTS = ("123456789012", "111111111111", "222222222222")
CONFIG = {
    "trusted_accounts": {"123456789012": "platform", "111111111111": "workloads-a", "222222222222": "workloads-b"},
    "third_party_accounts": {"999999999999": "example-vendor"},
}
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "demo",
    "AWS_SECRET_ACCESS_KEY": "demo",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/nonexistent/trustwatch-demo",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/trustwatch-demo",
    "NO_PROXY": "127.0.0.1,localhost",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "ERROR",
}


@dataclass
class Tally:
    slack: int = 0
    sns: int = 0
    changes: dict[str, int] = field(default_factory=dict)

    def add(self, changes: dict[str, int]) -> None:
        for kind, count in changes.items():
            self.changes[kind] = self.changes.get(kind, 0) + count


def run(out: TextIO) -> int:
    """Run the demo, writing the story to ``out``; 0 when every event was handled."""
    import boto3  # type: ignore[import-untyped]  # noqa: PLC0415  (the demo is the only CLI path needing it)
    from moto.server import ThreadedMotoServer  # noqa: PLC0415

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        with SlackStandIn() as slack, _environment({**FAKE_AWS, "AWS_ENDPOINT_URL": endpoint}):
            session = boto3.session.Session(region_name="us-east-1")
            files = [p for d in SEED_DIRS for p in sorted((SNAPSHOTS / d).glob("*.json"))]
            skipped = seed_from_snapshots(session, files, endpoint_url=endpoint)
            resources = provision(session, endpoint_url=endpoint, slack_url=slack.url, config=CONFIG)
            os.environ.update(resources.environment())
            _say(out, f"AWS stand-in on {endpoint}: {len(files)} account snapshots loaded through boto3"
                      + (f" ({len(skipped)} AWS managed policy attachments skipped)" if skipped else ""))  # fmt: skip
            _say(out, f"Slack stand-in on {slack.url.split('/services')[0]}; SNS topic {resources.topic_arn} -> SQS")
            sns = lambda: read_queue(session, resources.queue_url, endpoint_url=endpoint)  # noqa: E731
            return _story(out, slack, sns, lambda raw: apply_trust_change(session, raw, endpoint_url=endpoint))
    finally:
        server.stop()


def _story(out: TextIO, slack: SlackStandIn, sns: Any, apply: Any) -> int:
    from chalice.test import Client  # noqa: PLC0415  (a dev dependency: `make demo` installs it)

    sys.path.insert(0, str(ROOT))
    from app import app  # noqa: PLC0415  (the project's Chalice app, beside chalicelib)

    tally, failures = Tally(), 0
    with Client(app, stage_name="dev") as client:
        _say(out, "\n== Baseline: the daily re-scan of every account (what exists is reported once)")
        for account in ACCOUNTS:
            summary = client.lambda_.invoke("rescan", {"account_id": account}).payload
            _say(out, f"  rescan {account}: {summary['findings']} findings, changes {summary['changes']}")
        for line in _deliveries(slack, sns(), tally, verbose=False):
            _say(out, line)
        for number, (title, paths) in enumerate(acts(ROOT / "events"), start=1):
            blocks = []
            for path in paths:
                failed, block = _replay(client, path, slack=slack, sns=sns, tally=tally, apply=apply)
                failures += failed
                blocks.append(block)
            for part in screens(f"Events {number}/{len(ACTS)}: {title}", blocks):
                _say(out, "\n" + "\n".join(part))
    delivered = f"{tally.slack} Slack messages and {tally.sns} SNS messages delivered"
    _say(out, f"\n== Done: changes {tally.changes}; {delivered}; {failures} events failed.")
    return 0 if failures == 0 else 1


def _replay(
    client: Any, path: Path, *, slack: SlackStandIn, sns: Any, tally: Tally, apply: Any
) -> tuple[int, list[str]]:
    """How many of the event's functions failed, and its lines: one for a quiet event, its deliveries else."""
    raw = json.loads(path.read_text())
    functions = functions_for(raw)
    if not functions:
        return 0, [f"{path.name}: no rule matches it (filtered out by the EventBridge pattern, costs nothing)"]
    apply(raw)  # what the recorded call did in AWS: the auditor reads the live role
    failed, lines = 0, []
    for function in functions:
        summary = client.lambda_.invoke(function, raw).payload
        if "error" in summary:
            failed += 1
            lines.append(f"{path.name} -> {function}: ERROR {summary['error']}")
            continue
        tally.add(summary["changes"])
        lines.append(f"{path.name} -> {function}: {summary['action']}; changes {summary['changes'] or 'none'}")
    deliveries = list(_deliveries(slack, sns(), tally, verbose=True))
    return failed, ["", *lines, *deliveries] if deliveries or failed else lines  # a blank line before news


def _deliveries(
    slack: SlackStandIn, sns_messages: list[dict[str, Any]], tally: Tally, *, verbose: bool
) -> Iterator[str]:
    posts = [p for p in slack.posts if p.status == 200]
    tally.slack += len(posts)
    tally.sns += len(sns_messages)
    for message in sns_messages:
        attributes = message.get("MessageAttributes", {})
        rule = attributes.get("rule_id", {}).get("Value")
        severity = attributes.get("severity", {}).get("Value")
        yield f"  SNS   [{severity}] {rule}: {message.get('Subject', '')}"
    for post in posts:
        body = post.body if isinstance(post.body, dict) else {}
        yield f"  Slack {body.get('text', '')}"
        if verbose:
            yield from (f"        {line}" for line in _slack_lines(body))
    slack.reset()


def _slack_lines(body: dict[str, Any]) -> Iterator[str]:
    """One whole line per section of the message: its first line, never cut (a cut could split a word or leave
    markup open), and none that only introduces a code block (``...the added ones are:``) that is not shown.
    Fields, explanations and the fixes' JSON are in the message itself."""
    for block in body.get("blocks", [])[1:]:
        first = next((line for line in block.get("text", {}).get("text", "").splitlines() if line.strip()), "")
        if first and not first.lstrip().startswith("```") and not first.rstrip().endswith(":"):
            yield first


def _say(out: TextIO, text: str) -> None:
    out.write(text + "\n")
    out.flush()


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(values)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
