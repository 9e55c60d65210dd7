"""Policy documents as pydantic models that accept every form AWS produces.

A document may arrive as an object, a JSON string or a URL-encoded JSON string (GetAccountAuthorizationDetails
and CloudTrail give them that way). ``Statement`` may be one object or a list; ``Principal`` is ``"*"`` or a
map of string-or-list; every element that takes a list also takes a single string. The models normalise all
of that into tuples, so the evaluator sees one shape. Anything else raises `PolicyParseError`, naming the
place in the document.
"""

from __future__ import annotations

import json
from typing import Any, Literal
from urllib.parse import unquote

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..safe_json import JsonInputError, loads
from .errors import PolicyParseError

VERSION_2012 = "2012-10-17"
PRINCIPAL_KEYS = {"AWS": "aws", "Service": "service", "Federated": "federated", "CanonicalUser": "canonical_user"}


def _strings(value: object, *, allow_empty: bool = False) -> tuple[str, ...]:
    """A string or a list of strings, as IAM accepts it everywhere, as a tuple."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        if not value and not allow_empty:
            raise ValueError("must not be an empty list")
        return tuple(value)
    raise ValueError("must be a string or a list of strings")


def _condition_value(value: object) -> str:
    # IAM accepts JSON booleans and numbers in condition values and compares their text form.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return json.dumps(value)
    raise ValueError("condition values must be strings, numbers or booleans")


class _Frozen(BaseModel):
    # Only AWS's element names are accepted: "Resource", never the Python field name "resource".
    model_config = ConfigDict(frozen=True, extra="forbid")


class Principal(_Frozen):
    """``Principal``/``NotPrincipal``: ``wildcard`` is the bare string ``"*"``; the rest are the map's lists."""

    wildcard: bool = False
    aws: tuple[str, ...] = ()
    service: tuple[str, ...] = ()
    federated: tuple[str, ...] = ()
    canonical_user: tuple[str, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, value: object) -> object:
        if isinstance(value, Principal):
            return value
        if value == "*":
            return {"wildcard": True}
        if not isinstance(value, dict):
            raise ValueError('must be "*" or an object such as {"AWS": [...]}')
        if not value:
            raise ValueError("must name at least one principal")
        out: dict[str, tuple[str, ...]] = {}
        for key, entries in value.items():
            if key not in PRINCIPAL_KEYS:
                raise ValueError(f"unknown principal type {key!r} (expected AWS, Service, Federated)")
            try:
                out[PRINCIPAL_KEYS[key]] = _strings(entries)
            except ValueError as exc:
                raise ValueError(f"{key} {exc}") from None
        return out

    @property
    def aws_entries(self) -> tuple[str, ...]:
        """AWS entries, with the bare ``"*"`` principal counted as ``{"AWS": "*"}`` (they are equivalent)."""
        return ("*", *self.aws) if self.wildcard else self.aws


class Condition(_Frozen):
    """One ``operator: {key: values}`` pair of a Condition block. Values are ORed, pairs are ANDed."""

    operator: str
    key: str
    values: tuple[str, ...]

    def describe(self) -> str:
        shown = self.values[0] if len(self.values) == 1 else list(self.values)
        return f"{self.operator} {self.key} = {json.dumps(shown)}"


class Statement(_Frozen):
    sid: str | None = Field(default=None, alias="Sid")
    effect: Literal["Allow", "Deny"] = Field(alias="Effect")
    principal: Principal | None = Field(default=None, alias="Principal")
    not_principal: Principal | None = Field(default=None, alias="NotPrincipal")
    action: tuple[str, ...] | None = Field(default=None, alias="Action")
    not_action: tuple[str, ...] | None = Field(default=None, alias="NotAction")
    resource: tuple[str, ...] | None = Field(default=None, alias="Resource")
    not_resource: tuple[str, ...] | None = Field(default=None, alias="NotResource")
    condition: tuple[Condition, ...] = Field(default=(), alias="Condition")

    @field_validator("action", "not_action", "resource", "not_resource", mode="before")
    @classmethod
    def _string_or_list(cls, value: object) -> object:
        return value if value is None else _strings(value)

    @field_validator("sid", mode="before")
    @classmethod
    def _sid(cls, value: object) -> object:
        if value is not None and not isinstance(value, str):
            raise ValueError("Sid must be a string")
        return value

    @field_validator("condition", mode="before")
    @classmethod
    def _condition_block(cls, value: object) -> object:
        if isinstance(value, tuple):
            return value
        if not isinstance(value, dict):
            raise ValueError("Condition must be an object of operator: {key: value}")
        clauses: list[Condition] = []
        for operator, keys in value.items():
            if not isinstance(keys, dict) or not keys:
                raise ValueError(f"{operator} must be a non-empty object of key: value")
            for key, raw in keys.items():
                try:
                    values = tuple(_condition_value(v) for v in (raw if isinstance(raw, list) else [raw]))
                except ValueError as exc:
                    raise ValueError(f"{operator}.{key}: {exc}") from None
                clauses.append(Condition(operator=operator, key=key, values=values))
        return tuple(clauses)

    @model_validator(mode="after")
    def _one_action_element(self) -> Statement:
        if (self.action is None) == (self.not_action is None):
            raise ValueError("a statement needs exactly one of Action or NotAction")
        if self.resource is not None and self.not_resource is not None:
            raise ValueError("a statement may not have both Resource and NotResource")
        if self.principal is not None and self.not_principal is not None:
            raise ValueError("a statement may not have both Principal and NotPrincipal")
        return self

    def label(self, index: int) -> str:
        return f"statement {index}" + (f" ({self.sid})" if self.sid else "")


class PolicyDocument(_Frozen):
    version: Literal["2012-10-17", "2008-10-17"] | None = Field(default=None, alias="Version")
    id: str | None = Field(default=None, alias="Id")
    statements: tuple[Statement, ...] = Field(alias="Statement")

    @field_validator("statements", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        if isinstance(value, dict):
            return [value]
        if not isinstance(value, list | tuple):
            raise ValueError("Statement must be an object or a list of objects")
        return value

    @property
    def supports_variables(self) -> bool:
        """Policy variables (``${aws:username}``) are only substituted in version 2012-10-17 documents."""
        return self.version == VERSION_2012


def error_location(loc: tuple[int | str, ...], *, raw_last: bool = False) -> str:
    """Pydantic's error location in the document's own terms (``Statement[1].Principal``).

    ``raw_last`` keeps the last part as written, for errors about an element that is not a field.
    """
    aliases = {
        "statements": "Statement",
        "principal": "Principal",
        "not_principal": "NotPrincipal",
        "action": "Action",
        "not_action": "NotAction",
        "resource": "Resource",
        "not_resource": "NotResource",
        "condition": "Condition",
        "effect": "Effect",
        "sid": "Sid",
        "version": "Version",
        "id": "Id",
    }
    text = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            text += f"[{part}]"
        elif not part.startswith(("function-", "tagged-union")):
            keep = raw_last and i == len(loc) - 1
            text += ("." if text else "") + (part if keep else aliases.get(part, part))
    return text


def decode_document(raw: object, *, source: str = "policy") -> object:
    """JSON text (plain or URL-encoded) or bytes into Python data; anything else is returned as is."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    if text.startswith("%"):
        # GetAccountAuthorizationDetails returns RFC 3986 percent-encoding: '+' is a literal plus.
        text = unquote(text)
    try:
        return loads(text)
    except JsonInputError as exc:
        if exc.where and exc.where.startswith("line "):  # syntax: where the parser stopped, in the text
            raise PolicyParseError(f"{exc.reason} at {exc.where}", source=source) from None
        raise PolicyParseError(exc.reason, source=source, location=exc.where or "") from None


def parse_policy(raw: Any, *, source: str = "policy") -> PolicyDocument:
    """Parse a policy given as an object, JSON text or URL-encoded JSON text."""
    if isinstance(raw, PolicyDocument):
        return raw
    data = decode_document(raw, source=source)
    if not isinstance(data, dict):
        raise PolicyParseError("a policy document must be a JSON object", source=source)
    try:
        return PolicyDocument.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        message = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = "unknown element"
        elif first["type"] == "missing":
            message = "required element is missing"
        location = error_location(tuple(first["loc"]), raw_last=first["type"] == "extra_forbidden")
        raise PolicyParseError(message, source=source, location=location) from None
