"""Small readers of CloudTrail values shared by the extractors."""

from __future__ import annotations

import json
from typing import Any

from .models import CloudTrailDetail


class Ignored(Exception):  # noqa: N818  (a signal, not an error: the event is valid but not ours)
    """Raised inside the extractors when an event is valid but carries nothing Trustwatch acts on."""


def text(value: Any) -> str | None:
    """A non-empty string, or None."""
    return value if isinstance(value, str) and value else None


def policy_text(value: Any) -> str | None:
    """A policy as text: CloudTrail records JSON text; a hand-written event may hold the object itself."""
    return json.dumps(value) if isinstance(value, dict) else text(value)


def required(detail: CloudTrailDetail, key: str) -> str:
    value = text(detail.request(key))
    if value is None:
        raise Ignored(f"{detail.event_name} without requestParameters.{key}")
    return value


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def account_of(arn: str | None) -> str | None:
    """The account id inside an ARN (``arn:aws:iam::123456789012:…``), or None."""
    parts = (arn or "").split(":", 5)
    return (parts[4] or None) if len(parts) == 6 and parts[0] == "arn" else None
