"""The configuration file: YAML or JSON, validated with errors that name the field."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from chalicelib.config import Config, ConfigError, load_config, parse_config
from chalicelib.rules.findings import Severity

EXAMPLE_YAML = """\
organization_id: o-a1b2c3d4e5
trusted_accounts:
  "111111111111": prod
  "222222222222": tooling
third_party_accounts:
  "999999999999": example-vendor
rules:
  account-root-trust: {enabled: false}
  public-trust: {severity: high}
suppressions:
  - rule: untrusted-account
    role: "arn:aws:iam::111111111111:role/vendor-*"
    reason: "Approved in SEC-123"
    expires: 2027-01-31
notify:
  min_severity: medium
  sns_topic_arn: arn:aws:sns:us-east-1:111111111111:trustwatch
  slack_webhook_secret: trustwatch/slack-webhook
"""


def test_the_contract_example_loads_from_yaml(tmp_path: Path) -> None:
    path = tmp_path / "trustwatch.yaml"
    path.write_text(EXAMPLE_YAML)
    config = load_config(path)
    assert config.organization_id == "o-a1b2c3d4e5"
    assert config.trusted_accounts == {"111111111111": "prod", "222222222222": "tooling"}
    assert config.rule("account-root-trust").enabled is False
    assert config.rule("public-trust").severity is Severity.HIGH
    assert config.rule("untrusted-account").enabled is True
    assert config.suppressions[0].expires == dt.date(2027, 1, 31)
    assert config.notify.slack_webhook_secret == "trustwatch/slack-webhook"


def test_json_config_loads(tmp_path: Path) -> None:
    path = tmp_path / "trustwatch.json"
    path.write_text('{"trusted_accounts": {"111111111111": "prod"}}')
    assert load_config(path).trusted_accounts == {"111111111111": "prod"}


def test_no_config_trusts_nothing_but_the_role_account() -> None:
    config = parse_config(None)
    assert config == Config()
    assert config.trusted_accounts == {} and config.organization_id is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        pytest.param({"trusted_accounts": {"12345": "x"}}, "trusted_accounts", id="short-account-id"),
        pytest.param({"organization_id": "org-1"}, "organization_id", id="bad-org-id"),
        pytest.param(
            {"rules": {"public-trust": {"severity": "urgent"}}}, "rules.public-trust.severity", id="bad-severity"
        ),
        pytest.param(
            {"suppressions": [{"rule": "public-trust", "reason": " "}]}, "suppressions.0.reason", id="blank-reason"
        ),
        pytest.param({"suppressions": [{"rule": "public-trust"}]}, "suppressions.0.reason", id="missing-reason"),
        pytest.param(
            {"suppressions": [{"rule": "x", "reason": "r", "expires": "soon"}]}, "suppressions.0.expires", id="bad-date"
        ),
        pytest.param(
            {"notify": {"slack_webhook_url": "https://hooks"}}, "notify.slack_webhook_url", id="webhook-url-not-allowed"
        ),
        pytest.param({"trusted_acounts": {}}, "trusted_acounts", id="typo-in-a-setting"),
    ],
)
def test_errors_name_the_field(data: object, field: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(data, source="cfg.yaml")
    assert str(raised.value).startswith(f"cfg.yaml: {field}: ")


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        pytest.param("bad.yaml", "rules: [unclosed", "not YAML", id="yaml"),
        pytest.param("bad.json", "{", "not JSON", id="json"),
    ],
)
def test_unparsable_file_is_a_config_error(tmp_path: Path, name: str, text: str, expected: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigError, match=expected):
        load_config(path)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "nope.yaml")
