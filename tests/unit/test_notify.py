"""Notifications: wording and escaping, SNS on moto, Slack against the local stand-in, the outbox, the secret."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from moto import mock_aws

from chalicelib.devtools import SlackStandIn
from chalicelib.notify import (
    DeliveryError,
    SlackNotifier,
    SnsNotifier,
    StdoutNotifier,
    deliver,
    webhook_url_provider,
)
from chalicelib.notify.deadline import Deadline
from chalicelib.notify.render import fit, slack_payload, sns_message, subject
from chalicelib.rules.findings import Finding, Severity
from chalicelib.state import (
    TABLE_SCHEMA,
    Change,
    ChangeKind,
    DynamoFindingStore,
    FindingRecord,
    FindingStore,
    InMemoryFindingStore,
)

ACCOUNT = "111111111111"
HOSTILE = "x<!channel>@here<http://evil|click>"
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CONTRACT_KEYS = {"id", "rule_id", "severity", "title", "account_id", "role_arn", "principal", "statement"}
CONTRACT_KEYS |= {"explanation", "remediation", "evidence"}


def finding(
    fid: str = "tw-1", severity: Severity = Severity.CRITICAL, name: str = "foo", remediation: str | None = None
) -> Finding:
    role = f"arn:aws:iam::{ACCOUNT}:role/{name}"
    return Finding(
        id=fid,
        rule_id="public-trust",
        severity=severity,
        title=f"Anyone can assume {role}",
        account_id=ACCOUNT,
        role_arn=role,
        principal=f"arn:aws:sts::999999999999:assumed-role/{name}/session",
        statement=0,
        explanation=f"The trust policy of {name} allows Principal *.",
        remediation=remediation or f'Restrict the principal of {name}:\n{{"Principal": {{"AWS": "{name}"}}}}',
    )


def change(
    kind: ChangeKind = "new",
    f: Finding | None = None,
    previous: Severity | None = None,
    context: dict[str, str] | None = None,
) -> Change:
    f = f or finding()
    record = FindingRecord.opened(f, NOW)
    if kind == "resolved":
        record = record.resolved(NOW + timedelta(hours=1))
    return Change(kind=kind, finding=f, previous_severity=previous, record=record, context=context or {})


def slack_payload_of(one: Change) -> dict[str, Any]:
    return slack_payload([one])


def sns_message_of(one: Change) -> tuple[str, str, dict[str, Any]]:
    return sns_message([one])


def strings(value: Any) -> Iterator[str]:
    """Every string in a JSON-like value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


# -- wording -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "previous", "expected"),
    [
        ("new", None, "[CRITICAL] public-trust: role/foo in 111111111111"),
        ("severity-changed", Severity.MEDIUM, "[CRITICAL, was MEDIUM] public-trust: role/foo in 111111111111"),
        ("resolved", None, "[RESOLVED CRITICAL] public-trust: role/foo in 111111111111"),
    ],
    ids=["new", "severity-changed", "resolved"],
)
def test_subject_says_what_happened_where(kind: ChangeKind, previous: Severity | None, expected: str) -> None:
    assert subject(change(kind, previous=previous)) == expected


def test_subject_is_short_printable_ascii_whatever_the_role_name() -> None:
    text = subject(change(f=finding(name="a" * 60 + "\n\x1b[31m\u202e" + "b" * 60)))
    assert len(text) <= 99 and text.endswith("...")
    assert text.isascii() and text.isprintable()


def test_sns_message_is_the_contract_finding_plus_the_change() -> None:
    context = {"actor": "arn:aws:iam::111111111111:user/alice", "event_name": "UpdateAssumeRolePolicy"}
    title, body, attributes = sns_message_of(change("severity-changed", previous=Severity.HIGH, context=context))
    message = json.loads(body)
    [entry] = message["changes"]
    assert entry.keys() >= CONTRACT_KEYS
    assert (entry["change"], entry["previous_severity"], message["context"]) == ("severity-changed", "high", context)
    assert title.startswith("[CRITICAL, was HIGH]")
    assert attributes["severity"] == {"DataType": "String", "StringValue": "critical"}
    assert attributes["rule_id"] == {"DataType": "String.Array", "StringValue": '["public-trust"]'}


def test_sns_carries_a_hostile_name_verbatim_in_json_and_safely_in_the_subject() -> None:
    title, body, _ = sns_message_of(change(f=finding(name=HOSTILE + "\r\nBcc: x")))
    assert json.loads(body)["changes"][0]["role_arn"].endswith(HOSTILE + "\r\nBcc: x")  # machines get the real value
    assert title.isascii() and title.isprintable() and len(title) <= 99  # no header injection, no control bytes


def test_the_sns_body_carries_no_raw_control_or_bidi_character() -> None:
    _, body, _ = sns_message_of(change(f=finding(name="evil\u202ecod.exe\x1b]8;;http://x\x07\x7f")))
    assert body.isascii() and all(ch.isprintable() for ch in body)
    assert json.loads(body)["changes"][0]["role_arn"].endswith("evil\u202ecod.exe\x1b]8;;http://x\x07\x7f")


def test_slack_message_shows_severity_rule_role_account_principal_who_and_fix() -> None:
    context = {"actor": "alice", "event_name": "UpdateAssumeRolePolicy", "event_time": "2026-01-05T08:59:00Z"}
    payload = slack_payload_of(change(context={**context, "deployment": "CloudFormation stack app-prod"}))
    header, title, fields, explanation, fix, footer = payload["blocks"]
    assert header["text"]["text"] == ":red_circle: CRITICAL · public-trust"
    assert title["text"]["text"] == f"*Anyone can assume arn:aws:iam::{ACCOUNT}:role/foo*"
    texts = [f["text"] for f in fields["fields"]]
    assert texts[:2] == [f"*Role*\narn:aws:iam::{ACCOUNT}:role/foo", f"*Account*\n{ACCOUNT}"]
    assert texts[2].startswith("*Principal*\n") and "*Deployment*\nCloudFormation stack app-prod" in texts
    assert "*Changed*\nBy: alice\nCall: UpdateAssumeRolePolicy\nAt: 2026-01-05T08:59:00Z" in texts
    assert "allows Principal *" in explanation["text"]["text"]
    assert fix["text"]["text"].endswith('```{"Principal": {"AWS": "foo"}}```')
    assert "first seen 2026-01-05 09:00 UTC" in footer["elements"][0]["text"]
    assert payload["text"] == "[CRITICAL] public-trust: role/foo in 111111111111"


def test_a_resolved_slack_message_says_resolved_and_drops_the_fix() -> None:
    payload = slack_payload_of(change("resolved", context={"actor": "bob"}))
    assert [b["type"] for b in payload["blocks"]] == ["header", "section", "section", "context"]
    assert "RESOLVED" in payload["blocks"][0]["text"]["text"] and "*Resolved:*" in payload["blocks"][1]["text"]["text"]
    assert "resolved 2026-01-05 10:00 UTC" in payload["blocks"][-1]["elements"][0]["text"]


def test_hostile_text_can_neither_mention_nor_link_in_slack() -> None:
    hostile = finding(name=HOSTILE, remediation=f'Fix {HOSTILE}\n{{"Sid": "{HOSTILE}```<!here>"}}')
    context = {"actor": HOSTILE, "event_name": "<!everyone>", "deployment": "@channel <@U123>"}
    for kind in ("new", "resolved"):
        everything = list(strings(slack_payload_of(change(kind, f=hostile, context=context))))
        for text in everything:
            assert "<!" not in text and "<http" not in text and "<@" not in text, text
            assert "@here" not in text and "@channel" not in text, text
        assert any("&lt;!channel&gt;@\u200dhere&lt;http://evil|click&gt;" in text for text in everything)


def test_a_policy_value_cannot_close_the_code_block() -> None:
    payload = slack_payload_of(change(f=finding(remediation='Fix:\n{"Sid": "```*bold* <!here>"}')))
    fix = payload["blocks"][4]["text"]["text"]
    assert fix.count("```") == 2 and fix.endswith("```")


def test_long_texts_are_cut_to_slack_limits_without_splitting_an_entity() -> None:
    huge = "<" * 5000
    payload = slack_payload_of(change(f=finding(name=huge, remediation=f'{huge}\n{{"Sid": "{huge}"}}')))
    for block in payload["blocks"]:
        if "text" in block:
            assert len(block["text"]["text"]) <= (150 if block["type"] == "header" else 3000)
        assert all(len(f["text"]) <= 2000 for f in block.get("fields", []))
    assert fit(huge, 21) == "&lt;" * 5 + "…"


def test_stdout_notifier_prints_one_line_per_change() -> None:
    stream = io.StringIO()
    StdoutNotifier(stream).send([change()])
    assert stream.getvalue() == "[CRITICAL] public-trust: role/foo in 111111111111  (tw-1)\n"


# -- SNS ---------------------------------------------------------------------------------------------------
def test_sns_publishes_json_with_filterable_attributes_to_subscribers(aws: None) -> None:
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name="trustwatch")["TopicArn"]
    queue = sqs.create_queue(QueueName="subscriber")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)

    SnsNotifier(sns, topic, Severity.HIGH).send([change()])

    [message] = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    envelope = json.loads(message["Body"])
    assert envelope["Subject"] == "[CRITICAL] public-trust: role/foo in 111111111111"
    assert envelope["MessageAttributes"]["severity"] == {"Type": "String", "Value": "critical"}
    assert envelope["MessageAttributes"]["rule_id"] == {"Type": "String.Array", "Value": '["public-trust"]'}
    assert json.loads(envelope["Message"])["changes"][0]["change"] == "new"


def test_sns_failure_is_a_delivery_error(aws: None) -> None:
    missing = f"arn:aws:sns:us-east-1:{ACCOUNT}:nowhere"
    with pytest.raises(DeliveryError, match=r"SNS publish to .*nowhere"):
        SnsNotifier(boto3.client("sns"), missing).send([change()])


# -- Slack -------------------------------------------------------------------------------------------------
class Sleeps:
    """Records the waits instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        yield standin


def notifier(standin: SlackStandIn, sleeps: Sleeps, **options: Any) -> SlackNotifier:
    return SlackNotifier(lambda _: standin.url, Severity.MEDIUM, sleep=sleeps, **options)


def test_slack_posts_block_kit_json(slack: SlackStandIn) -> None:
    sleeps = Sleeps()
    notifier(slack, sleeps).send([change()])
    [post] = slack.posts
    assert post.status == 200 and post.body == json.loads(json.dumps(slack_payload_of(change())))
    assert post.headers["Content-Type"].startswith("application/json") and sleeps.waits == []


@pytest.mark.parametrize(("retry_after", "wait"), [(7, 7.0), (120, 30.0)], ids=["honoured", "capped"])
def test_slack_429_waits_as_told_then_succeeds(slack: SlackStandIn, retry_after: int, wait: float) -> None:
    sleeps = Sleeps()
    slack.fail_next(429, times=1, retry_after=retry_after)
    notifier(slack, sleeps).send([change()])
    assert [p.status for p in slack.posts] == [429, 200] and sleeps.waits == [wait]


def test_slack_5xx_backs_off_then_succeeds(slack: SlackStandIn) -> None:
    sleeps = Sleeps()
    slack.fail_next(500, times=2)
    notifier(slack, sleeps).send([change()])
    assert [p.status for p in slack.posts] == [500, 500, 200] and sleeps.waits == [1.0, 2.0]


def test_slack_that_keeps_failing_is_a_delivery_error_after_max_attempts(slack: SlackStandIn) -> None:
    sleeps = Sleeps()
    slack.fail_next(503, times=10)
    with pytest.raises(DeliveryError, match=r"HTTP 503 service_unavailable \(4 tries\)") as raised:
        notifier(slack, sleeps).send([change()])
    assert len(slack.posts) == 4 and sleeps.waits == [1.0, 2.0, 4.0]
    assert "standin-secret-token" not in str(raised.value) and "127.0.0.1" not in str(raised.value)


def test_slack_rejecting_the_message_is_not_retried(slack: SlackStandIn) -> None:
    with pytest.raises(DeliveryError, match="HTTP 400 no_text"):
        notifier(slack, Sleeps()).post({"blocks": []})
    assert len(slack.posts) == 1


def test_an_unreachable_slack_is_a_delivery_error_without_the_url(slack: SlackStandIn) -> None:
    url = slack.url
    slack.stop()
    with pytest.raises(DeliveryError, match="no answer") as raised:
        SlackNotifier(lambda _: url, sleep=Sleeps(), max_attempts=2).send([change()])
    assert "standin-secret-token" not in str(raised.value) and raised.value.__cause__ is None


def test_an_unavailable_or_odd_secret_is_a_delivery_error_without_its_value() -> None:
    def broken(deadline: Deadline) -> str:
        raise RuntimeError("cannot parse https://hooks.slack.com/services/T1/B2/secret")

    with pytest.raises(DeliveryError, match="unavailable") as raised:
        SlackNotifier(broken).send([change()])
    assert "secret" not in str(raised.value).replace("webhook", "") and "T1/B2" not in str(raised.value)
    with pytest.raises(DeliveryError, match="not hold a valid http"):
        SlackNotifier(lambda _: "file:///etc/passwd").send([change()])


def test_the_webhook_url_never_reaches_logs_errors_or_the_outbox(
    slack: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store = InMemoryFindingStore()
    slack.fail_next(500, times=100)
    report = deliver([[change()]], [notifier(slack, Sleeps())], store, NOW)
    assert report.queued == 1 and len(slack.posts) == 4
    [queued] = store.pending()
    exposed = caplog.text + str(queued.last_error) + json.dumps(report.as_dict())
    assert "standin-secret-token" not in exposed and slack.url not in exposed
    assert "HTTP 500" in exposed and "tw-1" in caplog.text


# -- deliver -----------------------------------------------------------------------------------------------
class FakeChannel:
    """A notifier that records what it was sent, and fails while told to."""

    def __init__(self, channel: str = "fake", min_severity: Severity = Severity.MEDIUM) -> None:
        self.channel = channel
        self.min_severity = min_severity
        self.sent: list[tuple[str, str]] = []
        self.failure: Exception | None = None
        self.attempts = 0

    def send(self, changes: Sequence[Change], deadline: Deadline | None = None) -> None:
        self.attempts += 1
        if self.failure is not None:
            raise self.failure
        self.sent += [(change.kind, change.finding.id) for change in changes]


@pytest.fixture(params=["memory", "dynamo"])
def store(request: pytest.FixtureRequest) -> FindingStore:
    if request.param == "memory":
        return InMemoryFindingStore()
    request.getfixturevalue("aws")
    return DynamoFindingStore(boto3.resource("dynamodb").create_table(TableName="state", **TABLE_SCHEMA))


def test_a_failed_delivery_is_queued_logged_and_retried_next_time(
    store: FindingStore, caplog: pytest.LogCaptureFixture
) -> None:
    channel = FakeChannel()
    channel.failure = DeliveryError("HTTP 503")
    report = deliver([[change()]], [channel], store, NOW)
    [queued] = store.pending(channel.channel)
    assert report.as_dict()["fake"]["queued"] == [{"finding_id": "tw-1", "change": "new", "retry": False}]
    assert (queued.attempts, queued.last_error, queued.next_attempt_at) == (1, "HTTP 503", NOW + timedelta(minutes=1))
    assert any(getattr(r, "finding_ids", None) == ["tw-1"] for r in caplog.records)

    channel.failure = None
    later = deliver([], [channel], store, NOW + timedelta(minutes=1))
    assert channel.sent == [("new", "tw-1")] and store.pending() == []
    assert later.channels_for("tw-1") == ["fake"] and later.channels["fake"].delivered[0].retry


def test_a_retry_that_fails_again_backs_off_further(store: FindingStore) -> None:
    channel = FakeChannel()
    channel.failure = DeliveryError("HTTP 500")
    deliver([[change()]], [channel], store, NOW)
    deliver([], [channel], store, NOW + timedelta(minutes=1))
    [queued] = store.pending()
    assert (queued.attempts, queued.next_attempt_at) == (2, NOW + timedelta(minutes=3))


def test_an_unexpected_error_is_queued_too(store: FindingStore) -> None:
    channel = FakeChannel()
    channel.failure = KeyError("bug")
    assert deliver([[change()]], [channel], store, NOW).queued == 1
    assert store.pending()[0].last_error == "KeyError: 'bug'"


def test_later_changes_wait_behind_a_queued_one_and_keep_their_order(store: FindingStore) -> None:
    channel = FakeChannel()
    channel.failure = DeliveryError("HTTP 500")
    deliver([[change("new")]], [channel], store, NOW)
    channel.failure = None
    # the retry is not due yet: the resolution must not overtake the announcement
    report = deliver([[change("resolved")]], [channel], store, NOW + timedelta(seconds=10))
    assert channel.sent == [] and report.queued == 1
    deliver([], [channel], store, NOW + timedelta(minutes=1))
    assert channel.sent == [("new", "tw-1"), ("resolved", "tw-1")] and store.pending() == []


def test_a_delivery_claimed_by_another_retrier_is_left_to_it(store: FindingStore) -> None:
    channel = FakeChannel()
    channel.failure = DeliveryError("HTTP 500")
    deliver([[change()]], [channel], store, NOW)
    channel.failure = None
    due = NOW + timedelta(minutes=1)
    [queued] = store.pending(now=due)
    assert store.claim(queued, due + timedelta(minutes=5))  # another Lambda took it
    deliver([], [channel], store, due)
    assert channel.sent == []


def test_each_channel_gets_what_reaches_its_min_severity(store: FindingStore) -> None:
    everything, serious = FakeChannel("all", Severity.INFO), FakeChannel("serious", Severity.HIGH)
    low, critical = finding("tw-low", Severity.LOW), finding("tw-crit", Severity.CRITICAL)
    downgraded = change("severity-changed", finding("tw-down", Severity.LOW), previous=Severity.CRITICAL)
    changes = [change(f=low), change(f=critical), change("resolved", f=low), downgraded]
    report = deliver([changes], [everything, serious], store, NOW)
    assert len(everything.sent) == 4
    assert serious.sent == [("new", "tw-crit"), ("severity-changed", "tw-down")]
    assert report.channels["serious"].below_threshold == 2


def test_a_channel_that_failed_is_not_tried_again_in_the_same_run(store: FindingStore) -> None:
    channel = FakeChannel()
    channel.failure = DeliveryError("no answer")
    report = deliver([[change(f=finding("tw-a"))], [change(f=finding("tw-b"))]], [channel], store, NOW)
    assert channel.attempts == 1 and report.queued == 2 and len(store.pending()) == 2
    channel.failure = None
    deliver([], [channel], store, NOW + timedelta(minutes=1))
    assert channel.sent == [("new", "tw-a"), ("new", "tw-b")] and store.pending() == []


def test_one_failing_channel_does_not_hold_up_another(store: FindingStore) -> None:
    up, down = FakeChannel("up"), FakeChannel("down")
    down.failure = DeliveryError("HTTP 500")
    report = deliver([[change()]], [up, down], store, NOW)
    assert report.channels_for("tw-1") == ["up"] and [d.channel for d in store.pending()] == ["down"]


# -- the webhook secret ------------------------------------------------------------------------------------
WEBHOOK = "https://hooks.slack.com/services/T000/B000/XXXXXXXX"


@pytest.mark.parametrize("stored", [WEBHOOK, json.dumps({"url": WEBHOOK})], ids=["plain", "json"])
def test_the_webhook_url_comes_from_secrets_manager(aws: None, stored: str) -> None:
    client = boto3.client("secretsmanager")
    client.create_secret(Name="trustwatch/slack-webhook", SecretString=stored)
    assert webhook_url_provider("trustwatch/slack-webhook", secrets_client=client)() == WEBHOOK


@pytest.mark.parametrize(
    ("name", "stored_as"), [("/trustwatch/slack", "/trustwatch/slack"), ("ssm:tw-slack", "tw-slack")]
)
def test_the_webhook_url_comes_from_an_ssm_secure_string(aws: None, name: str, stored_as: str) -> None:
    client = boto3.client("ssm")
    client.put_parameter(Name=stored_as, Value=WEBHOOK, Type="SecureString")
    assert webhook_url_provider(name, ssm_client=client)() == WEBHOOK


def test_the_webhook_url_is_cached_and_never_logged(aws: None, caplog: pytest.LogCaptureFixture) -> None:
    # botocore itself logs response bodies at DEBUG (secrets included): production must keep it above DEBUG
    for name in ("chalicelib", "aws_lambda_powertools"):
        caplog.set_level(logging.DEBUG, logger=name)
    client = boto3.client("secretsmanager")
    client.create_secret(Name="hook", SecretString=WEBHOOK)
    url = webhook_url_provider("hook", secrets_client=client)
    assert url() == WEBHOOK
    client.put_secret_value(SecretId="hook", SecretString=WEBHOOK + "-rotated")
    assert url() == WEBHOOK  # within max_age: no second call
    assert webhook_url_provider("hook", secrets_client=client, max_age=0)() == WEBHOOK + "-rotated"
    assert "XXXXXXXX" not in caplog.text


def test_a_missing_secret_reaches_slack_as_a_delivery_error(aws: None) -> None:
    url = webhook_url_provider("nope", secrets_client=boto3.client("secretsmanager"))
    with pytest.raises(DeliveryError, match="unavailable"):
        SlackNotifier(url).send([change()])
