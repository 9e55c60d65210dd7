"""IAM wildcard matching for actions and resource ARNs.

Actions: ``*`` and ``?`` anywhere, service prefix and name case-insensitive (``STS:assumerole`` is
``sts:AssumeRole``). Resources: case-sensitive, wildcards within ARN segments (see `compile_arn`); ``*``
alone matches everything. In a Resource, ``${*}``, ``${?}`` and ``${$}`` are the literal characters (IAM's
policy-variable escapes, "special characters"), never wildcards.

Resource patterns come in two forms. *Policy text* is what a document says (`arn_matches`). *Pattern form*
(`arn_pattern_matches`) is what variable substitution produces: a backslash makes the next character
literal, so text from a variable or an escape cannot turn into a wildcard (condition values use the same
form, see `operators`).
"""

from __future__ import annotations

import re
from functools import lru_cache

_TOKEN = re.compile(r"\\(.)|(.)", re.DOTALL)
_ESCAPE = re.compile(r"\$\{([*?$])\}")


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


def resource_pattern(text: str) -> str:
    """Resource policy text in pattern form: the escapes ``${*}``, ``${?}``, ``${$}`` become literals."""
    pieces: list[str] = []
    position = 0
    for match in _ESCAPE.finditer(text):
        pieces += [text[position : match.start()].replace("\\", "\\\\"), "\\" + match.group(1)]
        position = match.end()
    return "".join([*pieces, text[position:].replace("\\", "\\\\")])


@lru_cache(maxsize=8192)
def compile_arn(pattern: str) -> re.Pattern[str]:
    """A resource ARN pattern in pattern form: wildcards stay inside their ``:`` segment, except that a
    ``*`` ending one of the first five segments may run past the colons (IAM's documented rule, so
    ``arn:aws:iam::*`` covers every IAM ARN). In the resource segment ``*`` spans anything, ``/`` and ``:``
    included. A backslash-escaped character is literal (and never splits a segment)."""
    tokens = _TOKEN.findall(pattern)
    parts: list[str] = []
    index = 0  # the ARN segment the current token is in
    for position, (literal, char) in enumerate(tokens):
        ends_segment = position + 1 == len(tokens) or tokens[position + 1] == ("", ":")
        if literal:
            parts.append(re.escape(literal))
        elif char == ":" and index < 5:
            index += 1
            parts.append(":")
        elif char == "*":
            parts.append(".*" if index == 5 or ends_segment else "[^:]*")
        elif char == "?":
            parts.append("." if index == 5 else "[^:]")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


def arn_pattern_matches(pattern: str, arn: str) -> bool:
    """Match a role ARN against a Resource pattern in pattern form (case-sensitive)."""
    if pattern == "*":
        return True
    if "*" not in pattern and "?" not in pattern and "\\" not in pattern:
        return pattern == arn
    return compile_arn(pattern).fullmatch(arn) is not None


def arn_matches(pattern: str, arn: str) -> bool:
    """Match a role ARN against a Resource pattern as the policy text says it (case-sensitive)."""
    return arn_pattern_matches(resource_pattern(pattern) if "\\" in pattern or "${" in pattern else pattern, arn)
