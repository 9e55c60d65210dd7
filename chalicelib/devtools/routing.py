"""Which Lambda function's EventBridge rule an event matches: what EventBridge itself decides in AWS.

Uses moto's implementation of EventBridge pattern matching, so replay and demo route events as the rules
deployed from `chalicelib.events.patterns` would.
"""

from __future__ import annotations

import json
from typing import Any

from ..events.patterns import ASSUME_ROLE_PATTERN, AUDITOR_PATTERN, IAM_CHANGE_PATTERN

RULES = {
    "on_iam_change": IAM_CHANGE_PATTERN,
    "on_role_assumption": ASSUME_ROLE_PATTERN,
    "on_auditor_change": AUDITOR_PATTERN,
}


def functions_for(event: Any) -> list[str]:
    from moto.events.models import EventPattern  # noqa: PLC0415  (a dev-time dependency: demo and replay only)

    return [name for name, pattern in RULES.items() if EventPattern.load(json.dumps(pattern)).matches_event(event)]
