"""Trustwatch's configuration (CONTRACTS.md §5): one YAML or JSON file, validated by pydantic.

Every error is one line that names the file and the field (``rules.public-trust.severity: Input should be
'critical', …``), never a traceback. With no file, the account that owns a role is the only trusted account.

YAML is read safely, with three changes that keep a value what the user wrote: dates stay text until pydantic
reads them (so ``expires: 2027-13-01`` names its field instead of failing inside the YAML library), a bare
12-digit number stays text (``012345670123`` would otherwise be an octal number, not that account id), and a
key given twice is an error instead of the last one silently winning.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .rules.findings import Severity
from .safe_json import JsonInputError, loads

_ACCOUNT = re.compile(r"^\d{12}$")
_ORG = re.compile(r"^o-[a-z0-9]{10,32}$")
_FINDING_ID = re.compile(r"^tw-[0-9a-f]{20}$")


class ConfigError(ValueError):
    """The configuration file is unreadable or invalid; the message names the file and the field."""


class _YamlLoader(yaml.SafeLoader):
    """`yaml.SafeLoader`, with dates and account ids kept as text and duplicate keys refused."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str | int | float | bool):
                continue  # an unhashable key: the base class reports it
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def _as_text(loader: _YamlLoader, node: yaml.Node) -> object:
    return loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else None


def _int_or_account(loader: _YamlLoader, node: yaml.Node) -> object:
    if not isinstance(node, yaml.ScalarNode):
        return None
    text = loader.construct_scalar(node)
    return text if _ACCOUNT.match(text) else loader.construct_yaml_int(node)


_YamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _as_text)
_YamlLoader.add_constructor("tag:yaml.org,2002:int", _int_or_account)


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class RuleSettings(_Strict):
    enabled: bool = True
    severity: Severity | None = None
    options: dict[str, Any] = Field(default_factory=dict)


class Suppression(_Strict):
    """An accepted risk: it covers the findings that meet every criterion it gives. ``id`` names one finding
    exactly (the id a report shows); ``rule`` is a rule id or ``*``; ``role``, ``principal`` and ``account``
    are patterns (``*`` and ``?`` wildcards) on the finding's role ARN, its principal, and the account that
    principal is in. ``rule`` or ``id`` is required, and ``reason`` always is."""

    rule: str | None = None
    id: str | None = None
    role: str = "*"
    principal: str | None = None
    account: str | None = None
    reason: str = Field(min_length=1)
    expires: dt.date | None = None

    @field_validator("reason")
    @classmethod
    def _reason_has_words(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a suppression needs a reason")
        return value

    @field_validator("id")
    @classmethod
    def _finding_id(cls, value: str | None) -> str | None:
        if value is not None and not _FINDING_ID.match(value):
            raise ValueError(f"{value!r} is not a finding id (tw- and 20 hex digits, as reports show it)")
        return value

    @model_validator(mode="after")
    def _rule_or_id(self) -> Suppression:
        if self.rule is None and self.id is None:
            raise ValueError("a suppression needs a rule (an id or '*') or a finding id")
        return self

    def describe(self) -> str:
        """``rule untrusted-account, role arn:…:role/vendor-*``: its criteria, as the user wrote them."""
        criteria = [("id", self.id), ("rule", self.rule), ("role", None if self.role == "*" else self.role),
                    ("principal", self.principal), ("account", self.account)]  # fmt: skip
        return ", ".join(f"{name} {value}" for name, value in criteria if value is not None) or "rule *"


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
    # The organization's management account (internal); an organization file may give it instead.
    management_account_id: str | None = None
    trusted_accounts: dict[str, str] = Field(default_factory=dict)
    third_party_accounts: dict[str, str] = Field(default_factory=dict)
    rules: dict[str, RuleSettings] = Field(default_factory=dict)
    suppressions: tuple[Suppression, ...] = ()
    notify: NotifySettings = Field(default_factory=NotifySettings)

    _check_accounts = field_validator("trusted_accounts", "third_party_accounts", mode="before")(_accounts)

    @field_validator("management_account_id")
    @classmethod
    def _management(cls, value: str | None) -> str | None:
        if value is not None and not _ACCOUNT.match(value):
            raise ValueError(f"{value!r} is not a 12-digit account id")
        return value

    @field_validator("organization_id")
    @classmethod
    def _org_id(cls, value: str | None) -> str | None:
        if value is not None and not _ORG.match(value):
            raise ValueError(f"{value!r} is not an organization id (o-…)")
        return value

    def rule(self, rule_id: str) -> RuleSettings:
        return self.rules.get(rule_id, RuleSettings())


def _field_path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "the top level"


def parse_config(data: object, *, source: str = "config") -> Config:
    try:
        return Config.model_validate(data if data is not None else {})
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        message = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = "unknown setting"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ConfigError(f"{source}: {_field_path(tuple(first['loc']))}: {message}{more}") from None


def load_config(path: str | Path) -> Config:
    """Read a YAML (``.yml``/``.yaml``) or JSON file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return parse_config(_decode(text, str(path)), source=str(path))


def load_yaml(text: str, source: str) -> object:
    """YAML text as data (see the module docstring); `ConfigError` naming ``source`` when it is not YAML."""
    try:
        return yaml.load(text, Loader=_YamlLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        where = str(exc).replace('in "<unicode string>", ', "")  # the source already names the file
        raise ConfigError(f"{source}: not YAML: {' '.join(where.split())}") from None
    except RecursionError:
        raise ConfigError(f"{source}: not YAML: nested too deeply") from None


def _decode(text: str, source: str) -> object:
    if source.endswith((".yml", ".yaml")):
        return load_yaml(text, source)
    try:
        return loads(text)
    except JsonInputError as exc:
        raise ConfigError(f"{source}: {exc}") from None
