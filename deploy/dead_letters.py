"""What ``deploy.package`` checks of the dead-letter wiring (``deploy/merge-template.json``): no failed
invocation and no undeliverable event may vanish.

Every function EventBridge invokes (asynchronously, so a failure after Lambda's own retries would be dropped)
sends its failed events to the stack's queue, and so does every EventBridge rule target that cannot reach its
function; the queue policy lets exactly those rules send.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

QUEUE = "DeadLetterQueue"
QUEUE_ARN = {"Fn::GetAtt": [QUEUE, "Arn"]}
SEND_POLICY = "DeadLetterSendPolicy"
RULE_EVENT_TYPES = ("CloudWatchEvent", "EventBridgeRule", "Schedule")


def rule_names(resources: Mapping[str, Any]) -> dict[str, Any]:
    """``{function logical id: its rule's name}`` for every function an EventBridge rule invokes."""
    names = {}
    for name, resource in resources.items():
        for event in resource.get("Properties", {}).get("Events", {}).values():
            if event.get("Type") in RULE_EVENT_TYPES:
                properties = event.get("Properties", {})
                names[name] = properties.get("RuleName") or properties.get("Name")
    return names


def problems(resources: Mapping[str, Any]) -> list[str]:
    """Each asynchronously invoked function and each rule target without the queue, and a queue policy that
    does not admit exactly the stack's rules."""
    found = []
    invoked = rule_names(resources)
    for name in invoked:
        properties = resources[name]["Properties"]
        if properties.get("DeadLetterQueue") != {"Type": "SQS", "TargetArn": QUEUE_ARN}:
            found.append(f"{name}: invoked asynchronously but no DeadLetterQueue on {QUEUE}")
        if resources[name].get("DependsOn") != SEND_POLICY:  # Lambda checks the role when the function is made
            found.append(f"{name}: does not depend on {SEND_POLICY} (its role may not send to the queue yet)")
        for event_id, event in properties["Events"].items():
            if event.get("Type") in RULE_EVENT_TYPES:
                rule = event.get("Properties", {})
                if rule.get("DeadLetterConfig") != {"Arn": QUEUE_ARN} or "RetryPolicy" not in rule:
                    found.append(f"{name}.{event_id}: rule target without DeadLetterConfig on {QUEUE} and RetryPolicy")
    sources = _rule_sources(resources)
    expected = sorted(_rule_arn(rule_name) for rule_name in invoked.values())
    if sources != expected:
        found.append(f"{QUEUE}Policy: events.amazonaws.com may send for {sources}, not exactly the rules {expected}")
    roles = sorted(role.get("Ref", "") for role in _get(resources, SEND_POLICY, "Properties", "Roles") or [])
    if roles != sorted(f"{name}Role" for name in invoked):
        found.append(f"{SEND_POLICY}: attached to {roles}, not exactly the roles of {sorted(invoked)}")
    return found


def _rule_sources(resources: Mapping[str, Any]) -> list[str]:
    statements = _get(resources, f"{QUEUE}Policy", "Properties", "PolicyDocument", "Statement") or []
    for statement in statements:
        if statement.get("Principal") == {"Service": "events.amazonaws.com"} and statement.get("Effect") == "Allow":
            arns = _get(statement, "Condition", "ArnEquals", "aws:SourceArn") or []
            return sorted(arn.get("Fn::Sub", "") for arn in arns)
    return []


def _rule_arn(rule_name: Any) -> str:
    name = rule_name.get("Fn::Sub", "") if isinstance(rule_name, dict) else str(rule_name)
    return f"arn:${{AWS::Partition}}:events:${{AWS::Region}}:${{AWS::AccountId}}:rule/{name}"


def _get(node: Any, *keys: str) -> Any:
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node
