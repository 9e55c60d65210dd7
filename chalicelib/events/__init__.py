"""CloudTrail events: models of the EventBridge envelope, the changes Trustwatch acts on, and the patterns."""

from __future__ import annotations

from .actor import Actor
from .assumption import Assumption
from .auditor import AUDITOR_PREFIX, is_auditor_resource
from .changes import AuditorChange, Change, IdentityChange, TrustChange, classify, ignored_reason
from .models import CloudTrailDetail, CloudTrailEvent, EventParseError, parse_event
from .patterns import ASSUME_ROLE_PATTERN, AUDITOR_PATTERN, IAM_CHANGE_PATTERN, auditor_pattern

__all__ = [
    "ASSUME_ROLE_PATTERN",
    "AUDITOR_PATTERN",
    "AUDITOR_PREFIX",
    "IAM_CHANGE_PATTERN",
    "Actor",
    "Assumption",
    "AuditorChange",
    "Change",
    "CloudTrailDetail",
    "CloudTrailEvent",
    "EventParseError",
    "IdentityChange",
    "TrustChange",
    "auditor_pattern",
    "classify",
    "ignored_reason",
    "is_auditor_resource",
    "parse_event",
]
