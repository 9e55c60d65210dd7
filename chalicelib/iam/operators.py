"""Condition operators: their names and how each operator family compares one value with another.

Policy values of the String, Arn and Bool families arrive in *pattern form*: a backslash makes the next
character literal. Text that came from a policy variable or an escape such as ``${*}`` is stored that
way, so it can never turn into a wildcard. The other families receive the policy text unchanged.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import operator as op
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Generic, Literal, Protocol, TypeVar

SetKind = Literal["", "ForAnyValue", "ForAllValues"]
_SET_KINDS: dict[str, SetKind] = {"": "", "ForAnyValue": "ForAnyValue", "ForAllValues": "ForAllValues"}
_TOKEN = re.compile(r"\\(.)|(.)", re.DOTALL)
_EPOCH = re.compile(r"[+-]?\d+(?:\.\d+)?")

_Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
P = TypeVar("P")
R = TypeVar("R")


class UndecidableValueError(ValueError):
    """A value its operator cannot read (``"abc"`` for a number); the clause then cannot hold."""


def escape_literal(text: str) -> str:
    """``text`` in pattern form with every character literal."""
    return re.sub(r"([\\*?])", r"\\\1", text)


def policy_pattern(text: str) -> str:
    """Policy text in pattern form: ``*`` and ``?`` stay wildcards, a backslash is an ordinary character."""
    return text.replace("\\", "\\\\")


def unescape(pattern: str) -> str:
    return _TOKEN.sub(lambda m: m.group(1) or m.group(2), pattern)


@lru_cache(maxsize=4096)
def glob(pattern: str) -> re.Pattern[str]:
    """A compiled IAM glob: ``*`` any run (also empty), ``?`` one character, case-sensitive."""
    parts: list[str] = []
    for literal, char in _TOKEN.findall(pattern):
        if literal:
            parts.append(re.escape(literal))
        else:
            parts.append({"*": ".*", "?": "."}.get(char) or re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


class Comparator(Protocol):
    def check(self, policy: str) -> None:
        """Raise `UndecidableValueError` when the policy value cannot be read."""

    def matches(self, request: str, policy: str) -> bool: ...


@dataclass(frozen=True)
class Family(Generic[R, P]):
    """Reads both sides of a comparison, then tests them; a request value read as None matches nothing."""

    read_policy: Callable[[str], P]
    read_request: Callable[[str], R | None]
    test: Callable[[R, P], bool]

    def check(self, policy: str) -> None:
        self.read_policy(policy)

    def matches(self, request: str, policy: str) -> bool:
        value = self.read_request(request)
        return value is not None and self.test(value, self.read_policy(policy))


def _text(value: str) -> str:
    return value


def _lower(value: str) -> str:
    return value.lower()


def _like(request: str, pattern: re.Pattern[str]) -> bool:
    return pattern.fullmatch(request) is not None


@lru_cache(maxsize=1024)
def _arn_pattern(policy: str) -> tuple[re.Pattern[str], ...] | None:
    # A bare "*" stands for any ARN, as it does in Resource; policies use it that way.
    parts = ["*"] * 6 if policy == "*" else policy.split(":", 5)
    return tuple(glob(part) for part in parts) if len(parts) == 6 else None


def _arn_parts(request: str) -> tuple[str, ...] | None:
    parts = request.split(":", 5)
    return tuple(parts) if len(parts) == 6 else None


def _arn_like(request: tuple[str, ...], patterns: tuple[re.Pattern[str], ...] | None) -> bool:
    # Each component is matched on its own, so a wildcard never reaches across a ':' boundary.
    return patterns is not None and all(p.fullmatch(part) for p, part in zip(patterns, request, strict=True))


@lru_cache(maxsize=1024)
def _number(text: str) -> Decimal:
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        raise UndecidableValueError(f'"{text}" is not a number') from None
    if not number.is_finite():
        raise UndecidableValueError(f'"{text}" is not a number')
    return number


@lru_cache(maxsize=1024)
def _instant(text: str) -> datetime:
    try:
        if _EPOCH.fullmatch(text.strip()):
            return datetime.fromtimestamp(float(text), UTC)
        moment = datetime.fromisoformat(text.strip())
    except (ValueError, OverflowError, OSError):
        raise UndecidableValueError(f'"{text}" is not an ISO 8601 date or epoch seconds') from None
    # A date without a zone is read as UTC, which is how AWS states its request times.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _bool_policy(pattern: str) -> str:
    value = unescape(pattern).lower()
    if value not in ("true", "false"):
        raise UndecidableValueError(f'"{unescape(pattern)}" is not true or false')
    return value


@lru_cache(maxsize=1024)
def _bytes(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise UndecidableValueError(f'"{text}" is not base64') from None


def _request_bytes(text: str) -> bytes | None:
    try:
        return _bytes(text)
    except UndecidableValueError:
        return None


@lru_cache(maxsize=1024)
def _network(text: str) -> _Network:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise UndecidableValueError(f'"{text}" is not an IP address or CIDR block') from None


def _address(text: str) -> _Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _in_network(address: _Address, network: _Network) -> bool:
    return address.version == network.version and address in network


STRING_EQUALS = Family(unescape, _text, op.eq)
STRING_EQUALS_IGNORE_CASE = Family(lambda p: unescape(p).lower(), _lower, op.eq)
STRING_LIKE = Family(glob, _text, _like)
ARN_LIKE = Family(_arn_pattern, _arn_parts, _arn_like)
BOOL = Family(_bool_policy, _lower, op.eq)
BINARY_EQUALS = Family(_bytes, _request_bytes, op.eq)
IP_ADDRESS: Family[_Address, _Network] = Family(_network, _address, _in_network)
# Decimal and datetime both order with these; Any because typeshed types them per operand protocol.
_ORDERINGS: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": op.eq,
    "LessThan": op.lt,
    "LessThanEquals": op.le,
    "GreaterThan": op.gt,
    "GreaterThanEquals": op.ge,
}


@dataclass(frozen=True, slots=True)
class BaseOperator:
    comparator: Comparator
    negated: bool = False
    variables: bool = False  # policy variables are substituted only for String, Arn and Bool operators


def _ordered_operators() -> dict[str, BaseOperator]:
    table: dict[str, BaseOperator] = {}
    for suffix, test in _ORDERINGS.items():
        table[f"Numeric{suffix}"] = BaseOperator(Family(_number, _number, test))
        table[f"Date{suffix}"] = BaseOperator(Family(_instant, _instant, test))
    table["NumericNotEquals"] = BaseOperator(table["NumericEquals"].comparator, negated=True)
    table["DateNotEquals"] = BaseOperator(table["DateEquals"].comparator, negated=True)
    return table


BASE_OPERATORS: dict[str, BaseOperator] = {
    "StringEquals": BaseOperator(STRING_EQUALS, variables=True),
    "StringNotEquals": BaseOperator(STRING_EQUALS, negated=True, variables=True),
    "StringEqualsIgnoreCase": BaseOperator(STRING_EQUALS_IGNORE_CASE, variables=True),
    "StringNotEqualsIgnoreCase": BaseOperator(STRING_EQUALS_IGNORE_CASE, negated=True, variables=True),
    "StringLike": BaseOperator(STRING_LIKE, variables=True),
    "StringNotLike": BaseOperator(STRING_LIKE, negated=True, variables=True),
    "ArnEquals": BaseOperator(ARN_LIKE, variables=True),
    "ArnLike": BaseOperator(ARN_LIKE, variables=True),
    "ArnNotEquals": BaseOperator(ARN_LIKE, negated=True, variables=True),
    "ArnNotLike": BaseOperator(ARN_LIKE, negated=True, variables=True),
    "Bool": BaseOperator(BOOL, variables=True),
    "BinaryEquals": BaseOperator(BINARY_EQUALS),
    "IpAddress": BaseOperator(IP_ADDRESS),
    "NotIpAddress": BaseOperator(IP_ADDRESS, negated=True),
    **_ordered_operators(),
}


@dataclass(frozen=True, slots=True)
class Operator:
    """A parsed operator name; ``base`` is None for ``Null``, which tests presence rather than values."""

    base: BaseOperator | None
    set_kind: SetKind = ""
    if_exists: bool = False


@lru_cache(maxsize=512)
def parse_operator(name: str) -> Operator | None:
    """The operator named exactly (names are case-sensitive), or None when IAM has no such operator."""
    prefix, _, rest = name.rpartition(":")
    set_kind = _SET_KINDS.get(prefix)
    base_name = rest.removesuffix("IfExists")
    if_exists = base_name != rest
    if base_name == "Null":
        # IAM allows neither Null...IfExists nor a set prefix on Null.
        return None if if_exists or set_kind != "" else Operator(None)
    base = BASE_OPERATORS.get(base_name)
    if set_kind is None or base is None:
        return None
    return Operator(base, set_kind, if_exists)
