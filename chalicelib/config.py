"""Trustwatch's configuration (CONTRACTS.md §5): one YAML or JSON file, validated by pydantic.

Errors name the field (``rules.public-trust.severity: Input should be 'critical', …``). With no file, the
account that owns a role is the only trusted account.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .rules.findings import Severity

_ACCOUNT = re.compile(r"^\d{12}$")
_ORG = re.compile(r"^o-[a-z0-9]{10,32}$")


class ConfigError(ValueError):
    """The configuration file is unreadable or invalid; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class RuleSettings(_Strict):
    enabled: bool = True
    severity: Severity | None = None
    options: dict[str, Any] = Field(default_factory=dict)


class Suppression(_Strict):
    """An accepted risk. ``role`` is an ARN pattern (``*`` and ``?`` wildcards); ``reason`` is mandatory."""

    rule: str
    role: str = "*"
    reason: str = Field(min_length=1)
    expires: dt.date | None = None

    @field_validator("reason")
    @classmethod
    def _reason_has_words(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a suppression needs a reason")
        return value


class NotifySettings(_Strict):
    min_severity: Severity = Severity.MEDIUM
    sns_topic_arn: str | None = None
    slack_webhook_secret: str | None = None  # a Secrets Manager id or SSM parameter name, never the URL
    sns_min_severity: Severity | None = None  # per channel; default: min_severity
    slack_min_severity: Severity | None = None


def _accounts(value: object) -> object:
    if isinstance(value, dict):
        for key in value:
            if not _ACCOUNT.match(str(key)):
                raise ValueError(f"{key!r} is not a 12-digit account id")
        return {str(k): str(v) for k, v in value.items()}
    return value


class Config(_Strict):
    organization_id: str | None = None
    trusted_accounts: dict[str, str] = Field(default_factory=dict)
    third_party_accounts: dict[str, str] = Field(default_factory=dict)
    rules: dict[str, RuleSettings] = Field(default_factory=dict)
    suppressions: tuple[Suppression, ...] = ()
    notify: NotifySettings = Field(default_factory=NotifySettings)

    _check_accounts = field_validator("trusted_accounts", "third_party_accounts", mode="before")(_accounts)

    @field_validator("organization_id")
    @classmethod
    def _org_id(cls, value: str | None) -> str | None:
        if value is not None and not _ORG.match(value):
            raise ValueError(f"{value!r} is not an organization id (o-…)")
        return value

    def rule(self, rule_id: str) -> RuleSettings:
        return self.rules.get(rule_id, RuleSettings())


def _field_path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


def parse_config(data: object, *, source: str = "config") -> Config:
    try:
        return Config.model_validate(data if data is not None else {})
    except ValidationError as exc:
        first = exc.errors()[0]
        message = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = "unknown setting"
        raise ConfigError(f"{source}: {_field_path(tuple(first['loc']))}: {message}") from None


def load_config(path: str | Path) -> Config:
    """Read a YAML (``.yml``/``.yaml``) or JSON file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return parse_config(_decode(text, str(path)), source=str(path))


def _decode(text: str, source: str) -> object:
    if source.endswith((".yml", ".yaml")):
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{source}: not YAML: {' '.join(str(exc).split())}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{source}: not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
