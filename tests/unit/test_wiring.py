"""The composition root: settings from the environment, configuration from SSM, notifiers per channel."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator, Sequence
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from moto import mock_aws

from chalicelib.config import ConfigError
from chalicelib.iam.entities import Inventory
from chalicelib.inventory.port import AccountError, LoadResult
from chalicelib.notify.slack import SlackNotifier
from chalicelib.notify.sns import SnsNotifier
from chalicelib.rules.findings import Severity
from chalicelib.state.store import InMemoryFindingStore
from chalicelib.wiring import RecentLoads, Settings, Wiring

ENV = {
    "TRUSTWATCH_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:trustwatch-dev-findings",
    "TRUSTWATCH_SLACK_SECRET": "trustwatch/dev/slack-webhook",
    "TRUSTWATCH_MIN_SEVERITY": "low",
    "TRUSTWATCH_CONFIG_PARAMETER": "/trustwatch/dev/config",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


def wiring_with(config: object | None) -> Wiring:
    if config is not None:
        text = config if isinstance(config, str) else json.dumps(config)
        boto3.client("ssm", region_name="us-east-1").put_parameter(
            Name=ENV["TRUSTWATCH_CONFIG_PARAMETER"], Value=text, Type="SecureString"
        )
    return Wiring(Settings.from_env(ENV), session_factory=lambda: boto3.session.Session(region_name="us-east-1"))


def test_settings_come_from_the_environment() -> None:
    settings = Settings.from_env(ENV)
    assert settings.min_severity is Severity.LOW and settings.table is None
    assert settings.slack_secret == "trustwatch/dev/slack-webhook"


def test_without_a_table_state_is_in_memory_and_without_a_parameter_the_config_is_empty(aws: None) -> None:
    wiring = wiring_with(None)
    assert isinstance(wiring.store, InMemoryFindingStore)
    assert wiring.config.trusted_accounts == {}


def test_channels_take_the_stage_threshold_unless_the_config_refines_it(aws: None) -> None:
    wiring = wiring_with({"notify": {"slack_min_severity": "high"}})
    by_type = {type(n): n.min_severity for n in wiring.notifiers}
    assert by_type == {SnsNotifier: Severity.LOW, SlackNotifier: Severity.HIGH}


def test_the_config_threshold_overrides_the_stage_for_every_channel(aws: None) -> None:
    wiring = wiring_with("notify:\n  min_severity: critical\n")  # YAML in the parameter works too
    assert {n.min_severity for n in wiring.notifiers} == {Severity.CRITICAL}


def test_a_bad_configuration_parameter_is_a_config_error_naming_the_field(aws: None) -> None:
    wiring = wiring_with({"trusted_accounts": {"123": "x"}})
    with pytest.raises(ConfigError, match="SSM parameter /trustwatch/dev/config: trusted_accounts"):
        _ = wiring.config


@pytest.mark.parametrize(
    ("text", "field"),
    [
        pytest.param("suppressions:\n- {rule: '*', reason: r, expires: 2027-13-01}\n", "suppressions.0.expires",
                     id="yaml-bad-date"),
        pytest.param('{"rules": {"service-confused-deputy": {"options": {"exempt_service": []}}}}',
                     "rules.service-confused-deputy.options.exempt_service", id="misspelt-option"),
    ],
)  # fmt: skip
def test_the_parameter_is_checked_like_a_config_file(aws: None, text: str, field: str) -> None:
    wiring = wiring_with(text)
    with pytest.raises(ConfigError, match=f"SSM parameter /trustwatch/dev/config: {field}: "):
        _ = wiring.config


def test_recent_loads_are_reused_within_the_ttl_and_errors_never_are() -> None:
    calls: list[tuple[str, ...]] = []
    now = [dt.datetime(2026, 1, 1, tzinfo=dt.UTC)]

    def load(accounts: Sequence[str] | None, organization: bool) -> LoadResult:
        calls.append(tuple(accounts or ()))
        errors = [AccountError("999999999999", "iam", "AccessDenied")] if accounts == ["999999999999"] else []
        return LoadResult(Inventory([]), errors)

    recent = RecentLoads(load, ttl=dt.timedelta(minutes=5), clock=lambda: now[0])
    recent(["111111111111"], False)
    recent(["111111111111"], False)
    now[0] += dt.timedelta(minutes=6)
    recent(["111111111111"], False)
    recent(["999999999999"], False)
    recent(["999999999999"], False)
    assert calls == [("111111111111",), ("111111111111",), ("999999999999",), ("999999999999",)]


def test_a_fresh_load_refreshes_what_assumption_checks_reuse() -> None:
    now = [dt.datetime(2026, 1, 1, tzinfo=dt.UTC)]

    def load(accounts: Sequence[str] | None, organization: bool) -> LoadResult:
        return LoadResult(Inventory([]))  # a new result on every real load

    recent = RecentLoads(load, ttl=dt.timedelta(minutes=5), clock=lambda: now[0])
    first = recent(["111111111111"], False)
    fresh = recent.remember(["111111111111"], False, LoadResult(Inventory([])))
    assert recent(["111111111111"], False) is fresh and fresh is not first
    now[0] += dt.timedelta(minutes=6)
    assert recent(["111111111111"], False) is not fresh  # expired: loaded again


class _Context:
    """A Lambda context with ``seconds`` left when it was made."""

    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._end - time.monotonic()) * 1000))


def _throttled(**_: Any) -> tuple[Any, dict[str, Any]]:
    """A before-call answer: IAM throttles every GetAccountAuthorizationDetails."""
    from botocore.awsrequest import AWSResponse  # type: ignore[import-untyped]  # noqa: PLC0415

    error = {"Error": {"Code": "Throttling", "Message": "Rate exceeded"}, "ResponseMetadata": {"HTTPStatusCode": 400}}
    return AWSResponse("https://iam.amazonaws.com/", 400, {}, None), error


def test_no_throttling_wait_outlives_the_invocation(aws: None) -> None:
    # GIVEN an invocation with 3 s left and an IAM that throttles every read of the account
    session = boto3.session.Session(region_name="us-east-1")
    session.events.register("before-call.iam.GetAccountAuthorizationDetails", _throttled)
    wiring = Wiring(Settings.from_env(ENV), session_factory=lambda: session)
    wiring.begin(_Context(3.0))

    # WHEN the account is loaded
    started = time.monotonic()
    result = wiring.load(None, False)

    # THEN the load gives up in time (the waits alone would be 0.5-1 + 1-2 + 2-4 s) and says why
    assert time.monotonic() - started < 3.0
    assert [error.message for error in result.errors] == [
        "Throttling: Rate exceeded (still throttled after up to 4 attempts)"
    ]
