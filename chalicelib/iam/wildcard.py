"""IAM wildcard matching for actions and resource ARNs.

Actions: ``*`` and ``?`` anywhere, service prefix and name case-insensitive (``STS:assumerole`` is
``sts:AssumeRole``). Resources: case-sensitive, wildcards within ARN segments (see `compile_arn`); ``*``
alone matches everything.
"""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=8192)
def compile_glob(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """``*`` any run of characters (``/`` and ``:`` included), ``?`` exactly one; everything else literal."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob_matches(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    if pattern == "*":
        return True
    if "*" not in pattern and "?" not in pattern:
        return pattern.lower() == value.lower() if ignore_case else pattern == value
    return compile_glob(pattern, ignore_case).fullmatch(value) is not None


def action_matches(pattern: str, action: str) -> bool:
    return glob_matches(pattern, action, ignore_case=True)


def any_action_matches(patterns: tuple[str, ...], action: str) -> bool:
    return any(action_matches(p, action) for p in patterns)


@lru_cache(maxsize=8192)
def compile_arn(pattern: str) -> re.Pattern[str]:
    """A resource ARN pattern: wildcards stay inside their ``:`` segment, except that a ``*`` ending one of
    the first five segments may run past the colons (IAM's documented rule, so ``arn:aws:iam::*`` covers
    every IAM ARN). In the resource segment ``*`` spans anything, ``/`` and ``:`` included."""
    head = pattern.split(":", 5)
    parts: list[str] = []
    for index, segment in enumerate(head):
        last = index == len(head) - 1
        for position, char in enumerate(segment):
            ends_segment = position == len(segment) - 1
            if char == "*":
                parts.append(".*" if index == 5 or ends_segment else "[^:]*")
            elif char == "?":
                parts.append("." if index == 5 else "[^:]")
            else:
                parts.append(re.escape(char))
        if not last:
            parts.append(":")
    return re.compile("".join(parts), re.DOTALL)


def arn_matches(pattern: str, arn: str) -> bool:
    """Match a role ARN against a Resource pattern (case-sensitive)."""
    if pattern == "*":
        return True
    if "*" not in pattern and "?" not in pattern:
        return pattern == arn
    return compile_arn(pattern).fullmatch(arn) is not None
