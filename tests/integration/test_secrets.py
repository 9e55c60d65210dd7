"""No credential reaches a log (at any level), a finding, the outbox or an error; a permanent error is not
retried (issue 9, item 6). The webhook URL in the stand-in's secret holds a tab or a newline, which slipped past
the scrubber in its escaped form; the log level is DEBUG, where botocore logs every response body.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from chalicelib import wiring
from chalicelib.devtools.standin import SLACK_SECRET
from chalicelib.observability import logger
from tests.integration import test_handlers as handlers
from tests.integration.test_delivery_faults import flush_later
from tests.integration.test_handlers import Stand, event, invoke

stand = handlers.stand  # the fixture
PIECES = ("standin-sec", "ret-token", "B00000000/standin")  # parts of the webhook URL's secret path


@contextmanager
def every_log_line() -> Iterator[io.StringIO]:
    """Everything any logger emits at DEBUG and above, formatted (JSON for Powertools' loggers, plain otherwise)."""
    stream = io.StringIO()
    plain, powertools = logging.StreamHandler(stream), logging.StreamHandler(stream)
    powertools.setFormatter(logger.registered_formatter)
    root = logging.getLogger()
    names = [name for name, log in logging.root.manager.loggerDict.items() if isinstance(log, logging.Logger)]
    islands = [logging.getLogger(n) for n in names if not logging.getLogger(n).propagate]
    saved = root.level, [(log, log.level) for log in islands]
    root.setLevel(logging.DEBUG)
    root.addHandler(plain)
    for log in islands:
        log.setLevel(logging.DEBUG)
        log.addHandler(powertools)
    try:
        yield stream
    finally:
        root.removeHandler(plain)
        root.setLevel(saved[0])
        for log, level in saved[1]:
            log.removeHandler(powertools)
            log.setLevel(level)


def table_items(stand: Stand) -> str:
    client = stand.session.client("dynamodb", endpoint_url=stand.endpoint)
    return json.dumps(client.scan(TableName=stand.resources.table)["Items"])


@pytest.mark.parametrize("control", ["\t", "\n"], ids=["tab", "newline"])
def test_a_webhook_url_with_a_control_character_never_leaks_and_is_not_retried(
    stand: Stand, control: str, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the Slack secret holds the stand-in's URL with a control character inside its secret path
    url = stand.slack.url.replace("secret-token", f"sec{control}ret-token")
    secrets = stand.session.client("secretsmanager", endpoint_url=stand.endpoint)
    secrets.put_secret_value(SecretId=SLACK_SECRET, SecretString=json.dumps({"url": url}))
    # WHEN an alert is raised with every logger at DEBUG
    with every_log_line() as logs:
        summary = invoke("on_role_assumption", event("sts-assume-role-untrusted-account.json"))
        flush_later(monkeypatch, 10)
        flush_later(monkeypatch, 120)
    exposed = logs.getvalue() + capfd.readouterr().out + json.dumps(summary) + table_items(stand)
    # THEN the alert went to SNS; Slack's message was refused for good: parked after one attempt, never retried
    assert summary["changes"] == {"new": 1} and len(stand.sns_messages()) == 1
    assert stand.slack.posts == [] and wiring.current().store.pending() == []
    outbox = [i for i in json.loads(table_items(stand)) if i["pk"]["S"] == "OUTBOX"]
    assert [(i["parked"]["BOOL"], i["attempts"]["N"]) for i in outbox] == [(True, "1")]
    assert "does not hold a valid http(s) URL" in outbox[0]["last_error"]["S"]
    # AND no piece of the URL is in any log line, the summary, a finding record or the outbox
    assert "GetSecretValue" in logs.getvalue() or "secretsmanager" in logs.getvalue()  # DEBUG was really on
    for piece in PIECES:
        assert piece not in exposed, piece
