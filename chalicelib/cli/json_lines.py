"""Where each statement of a policy document starts in its JSON text, so a report can point at the line."""

from __future__ import annotations

import json
import re

_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}:]', re.S)


def statement_lines(text: str) -> list[int]:
    """The 1-based line of each statement of the top-level ``Statement`` (one for a single object).

    Empty when the text has no such key where a policy has it (a JSON string, a URL-encoded document).
    A lexical scan, not a second parse: the text was already accepted by the strict loader.
    """
    depth, key, array_depth = 0, None, None
    awaiting = False
    lines: list[int] = []
    for match in _TOKENS.finditer(text):
        token = match.group()
        if awaiting:
            awaiting = False
            if token == "{":
                return [_line(text, match.start())]
            if token != "[":
                return []
            array_depth = depth + 1
        if token in "[{":
            if token == "{" and depth == array_depth:
                lines.append(_line(text, match.start()))
            depth += 1
        elif token in "]}":
            depth -= 1
            if array_depth is not None and depth < array_depth:
                return lines
        elif token == ":":
            awaiting = depth == 1 and key == "Statement" and array_depth is None
        elif depth == 1:
            key = json.loads(token)
    return lines


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1
