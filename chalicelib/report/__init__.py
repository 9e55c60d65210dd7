"""Render an `AuditResult` for people and machines: ``text``, ``json`` (CONTRACTS.md §4), ``sarif``, ``markdown``.

One module per format; this one only dispatches. Attacker-controlled strings are escaped by the renderer
that knows its output (see `chalicelib.report.escape`).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..rules.engine import AuditResult
from ..rules.registry import RULES
from ..rules.registry_types import Rule
from . import json_report, markdown, sarif, text
from .version import TOOL_VERSION

FORMATS = ("text", "json", "sarif", "markdown")


def render(
    result: AuditResult,
    fmt: str,
    *,
    rules: Sequence[Rule] = RULES,
    tool_version: str = TOOL_VERSION,
    color: bool = False,
    width: int = text.DEFAULT_WIDTH,
    summary: bool = False,
) -> str:
    """The report in ``fmt`` (one of `FORMATS`), ending with a newline.

    ``rules`` and ``tool_version`` feed the SARIF driver; ``color`` and ``width`` apply to text only.
    Raises `ValueError` for an unknown format (the CLI turns it into exit 2).
    """
    if fmt == "text":
        return text.render(result, width=width, color=color)
    if fmt == "json":
        return json_report.render(result)
    if fmt == "sarif":
        return sarif.render(result, rules=rules, tool_version=tool_version)
    if fmt == "markdown":
        return markdown.render_summary(result) if summary else markdown.render(result)
    raise ValueError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "TOOL_VERSION", "render"]
