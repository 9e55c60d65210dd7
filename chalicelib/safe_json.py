"""JSON from files the user hands us (snapshots, policies, configuration, cases, events): strict, and never a crash.

Python's `json` accepts what JSON does not (``NaN``, ``Infinity``, numbers too large for a double), keeps the
last of two duplicate keys, raises `RecursionError` on deep nesting and `ValueError` on an integer longer than
the interpreter converts. Here each of those is a `JsonInputError` naming the place: ``line L column C`` for
syntax and nesting, the path inside the document (``Statement[0]``) for values and duplicate keys. A duplicate
key in a policy would be a wrong decision, not a detail: which of the two values AWS reads is unknown.

Stdlib only (the pure core uses it too).
"""

from __future__ import annotations

import json
import math
import re
import sys
from typing import Any

MAX_DEPTH_REPORTED = 1000  # where a too-deep document is pointed at: the first bracket beyond this depth
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)


class JsonInputError(ValueError):
    """Bad JSON input: ``reason`` and ``where`` (``line L column C``, a path such as ``Statement[0]``, or None)."""

    def __init__(self, reason: str, where: str | None = None) -> None:
        super().__init__(f"{where}: {reason}" if where else reason)
        self.reason = reason
        self.where = where


class _Bad:
    """Stands in the parsed tree where a value was refused, so the walk can name its path."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


def loads(data: str | bytes) -> Any:
    """Parse ``data`` (text, or bytes in UTF-8/16/32 with or without BOM); `JsonInputError` for anything bad."""
    text = _text(data)
    refused: list[_Bad] = []
    decoder = json.JSONDecoder(
        object_pairs_hook=lambda pairs: _object(pairs, refused),
        parse_int=lambda s: _integer(s, refused),
        parse_float=lambda s: _float(s, refused),
        parse_constant=lambda s: _refuse(f"{s} is not a JSON value", refused),
    )
    try:
        value = decoder.decode(text)
    except json.JSONDecodeError as exc:
        raise JsonInputError(f"not JSON: {exc.msg}", f"line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise JsonInputError("not JSON: nested too deeply", _deep_place(text)) from None
    if refused:
        where, bad = _first_refused(value)
        raise JsonInputError(bad.reason, where)
    return value


def _text(data: str | bytes) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode(json.detect_encoding(data)).removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise JsonInputError("not JSON: the file is not UTF-8, UTF-16 or UTF-32 text") from None


def _refuse(reason: str, refused: list[_Bad]) -> _Bad:
    bad = _Bad(reason)
    refused.append(bad)
    return bad


def _object(pairs: list[tuple[str, Any]], refused: list[_Bad]) -> dict[str, Any] | _Bad:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    seen: set[str] = set()
    duplicate = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
    return _refuse(f"duplicate key {json.dumps(duplicate)} (which of the values counts is ambiguous)", refused)


def _integer(literal: str, refused: list[_Bad]) -> int | _Bad:
    limit = sys.get_int_max_str_digits() or 4300
    if len(literal.lstrip("-")) > limit:
        return _refuse(f"an integer of {len(literal.lstrip('-'))} digits (at most {limit})", refused)
    return int(literal)


def _float(literal: str, refused: list[_Bad]) -> float | _Bad:
    value = float(literal)
    if math.isfinite(value):
        return value
    shown = literal if len(literal) <= 40 else literal[:37] + "..."
    return _refuse(f"the number {shown} is out of range", refused)


def _first_refused(root: Any) -> tuple[str, _Bad]:
    """Depth-first in document order, without recursion (the document may be deep)."""
    stack: list[tuple[str, Any]] = [("", root)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, _Bad):
            return path or "top level", value
        if isinstance(value, dict):
            items = [(f"{path}.{k}" if path else str(k), v) for k, v in value.items()]
        elif isinstance(value, list):
            items = [(f"{path}[{i}]", v) for i, v in enumerate(value)]
        else:
            continue
        stack.extend(reversed(items))
    raise AssertionError("a refused value was recorded but is not in the document")  # pragma: no cover


def _deep_place(text: str) -> str | None:
    """``line L column C`` of the first bracket deeper than MAX_DEPTH_REPORTED (strings skipped)."""
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH_REPORTED:
                line = text.count("\n", 0, match.start()) + 1
                return f"line {line} column {match.start() - (text.rfind(chr(10), 0, match.start()) + 1) + 1}"
        elif token in "]}":
            depth -= 1
    return None
