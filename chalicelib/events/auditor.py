"""The auditor's own resources: which API calls on them count as tampering, and how to recognise them.

Every resource the Chalice app creates is named after the app (``trustwatch-<stage>-…``): functions,
EventBridge rules (``trustwatch-prod-iam_trail-event``), roles and the findings topic.
"""

from __future__ import annotations

import re

from .models import CloudTrailDetail

AUDITOR_PREFIX = "trustwatch"

# eventSource -> operations that can silence, blind or take over the auditor.
AUDITOR_OPERATIONS: dict[str, frozenset[str]] = {
    "events.amazonaws.com": frozenset({"PutRule", "DeleteRule", "DisableRule", "PutTargets", "RemoveTargets"}),
    "lambda.amazonaws.com": frozenset(
        {
            "UpdateFunctionCode",
            "UpdateFunctionConfiguration",
            "DeleteFunction",
            "RemovePermission",
            "PutFunctionConcurrency",  # a reserved concurrency of 0 stops the function
        }
    ),
    "sns.amazonaws.com": frozenset(
        {"Subscribe", "Unsubscribe", "SetSubscriptionAttributes", "DeleteTopic", "SetTopicAttributes"}
    ),
    "iam.amazonaws.com": frozenset(
        {
            "UpdateAssumeRolePolicy",
            "DeleteRole",
            "PutRolePolicy",
            "DeleteRolePolicy",
            "AttachRolePolicy",
            "DetachRolePolicy",
            "PutRolePermissionsBoundary",
            "DeleteRolePermissionsBoundary",
        }
    ),
}
# eventSource -> the requestParameters that name the resource, in order of preference.
RESOURCE_PARAMETERS: dict[str, tuple[str, ...]] = {
    "events.amazonaws.com": ("name", "rule"),
    "lambda.amazonaws.com": ("functionName",),
    "sns.amazonaws.com": ("topicArn", "subscriptionArn"),
    "iam.amazonaws.com": ("roleName",),
}
# Lambda records API versions in event names: UpdateFunctionCode20150331v2, DeleteFunction20150331.
_API_VERSION = re.compile(r"\d{8}(v\d+)?$")


def operation_name(event_name: str) -> str:
    """The API operation without the version suffix CloudTrail adds for some services."""
    return _API_VERSION.sub("", event_name)


def resource_name(name_or_arn: str) -> str:
    """The resource's own name in an ARN or a partial Lambda ARN; a bare name is returned as is."""
    text = name_or_arn
    if text.startswith("arn:"):
        text = text.split(":", 5)[-1]
    elif ":function:" in text:  # partial Lambda ARN: 123456789012:function:name
        text = text.split(":", 1)[1]
    kind, colon, rest = text.partition(":")
    if colon and "/" not in kind:
        # Lambda: function:name[:qualifier]; SNS: topic[:subscription-id]; a name with a qualifier: name:alias
        return rest.split(":")[0] if kind == "function" else kind
    return text.rsplit("/", 1)[-1]


def is_auditor_resource(name_or_arn: str, prefix: str = AUDITOR_PREFIX) -> bool:
    """True for the app's own resources, named ``<prefix>-…`` (given by name or ARN; an IAM path is ignored)."""
    return resource_name(name_or_arn).startswith(prefix + "-")


def auditor_resource(detail: CloudTrailDetail, prefix: str = AUDITOR_PREFIX) -> str | None:
    """The auditor resource this call changes, or None when it is not a tampering-relevant call on one."""
    operations = AUDITOR_OPERATIONS.get(detail.event_source, frozenset())
    if operation_name(detail.event_name) not in operations:
        return None
    for key in RESOURCE_PARAMETERS.get(detail.event_source, ()):
        value = detail.request(key)
        # EventBridge matches a list element by element: a list naming an auditor resource is a call on it
        for name in value if isinstance(value, list) else [value]:
            if isinstance(name, str) and is_auditor_resource(name, prefix):
                return name
    return None
