"""EventBridge event patterns of the auditor's rules, as dicts (Chalice's ``on_cw_event`` takes them as is).

Filtering happens in the pattern wherever EventBridge can do it, because an event a rule drops costs
nothing: failed IAM calls, assumptions made by AWS services, and API calls on resources that are not
the auditor's never invoke a function.
"""

from __future__ import annotations

from typing import Any

from .assumption import ASSUMPTION_APIS
from .auditor import AUDITOR_OPERATIONS, AUDITOR_PREFIX
from .changes import IDENTITY_EVENTS, TRUST_EVENTS
from .models import CLOUDTRAIL_DETAIL_TYPE

Pattern = dict[str, Any]

IAM_CHANGE_PATTERN: Pattern = {
    "source": ["aws.iam"],
    "detail-type": [CLOUDTRAIL_DETAIL_TYPE],
    "detail": {
        "eventSource": ["iam.amazonaws.com"],
        "eventName": sorted({*TRUST_EVENTS, *IDENTITY_EVENTS}),
        "errorCode": [{"exists": False}],  # a failed call changed nothing
    },
}

ASSUME_ROLE_PATTERN: Pattern = {
    "source": ["aws.sts"],
    "detail-type": [CLOUDTRAIL_DETAIL_TYPE],
    "detail": {
        "eventSource": ["sts.amazonaws.com"],
        "eventName": list(ASSUMPTION_APIS),
        # EC2, Lambda and every other service assume their roles all day long: drop them here, for free.
        "userIdentity": {"type": [{"anything-but": "AWSService"}]},
    },
}


def _names(service: str) -> list[Any]:
    names = sorted(AUDITOR_OPERATIONS[service])
    if service == "lambda.amazonaws.com":  # CloudTrail appends API versions: UpdateFunctionCode20150331v2
        return [{"prefix": name} for name in names]
    return names


def _branch(source: str, service: str, parameter: str, match: list[Any]) -> Pattern:
    return {
        "source": [source],
        "detail": {"eventSource": [service], "eventName": _names(service), "requestParameters": {parameter: match}},
    }


def auditor_pattern(prefix: str = AUDITOR_PREFIX) -> Pattern:
    """Calls that could silence the auditor, on resources named ``<prefix>-…`` (by name or ARN)."""
    name = [{"prefix": f"{prefix}-"}]
    function = [*name, {"wildcard": f"*function:{prefix}-*"}]  # a full or partial ARN
    topic = [{"wildcard": f"arn:*:sns:*:*:{prefix}-*"}]  # topic and subscription ARNs
    return {
        "detail-type": [CLOUDTRAIL_DETAIL_TYPE],
        "$or": [
            _branch("aws.events", "events.amazonaws.com", "name", name),
            _branch("aws.events", "events.amazonaws.com", "rule", name),
            _branch("aws.lambda", "lambda.amazonaws.com", "functionName", function),
            _branch("aws.sns", "sns.amazonaws.com", "topicArn", topic),
            _branch("aws.sns", "sns.amazonaws.com", "subscriptionArn", topic),
            _branch("aws.iam", "iam.amazonaws.com", "roleName", name),
        ],
    }


AUDITOR_PATTERN: Pattern = auditor_pattern()
