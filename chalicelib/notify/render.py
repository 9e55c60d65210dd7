"""The wording of every notification, in one place: the subject line, the SNS message and the Slack message.

Every string an attacker can choose (role names and paths, principals, session names, tags, policy values,
the actor text of ``Change.context``, and the rule texts that quote them) reaches Slack only through
`escape_slack`, so it can neither mention ``@channel`` nor forge a link. The subject is printable ASCII
without line breaks (what SNS and mail accept); the SNS body is JSON and carries values verbatim.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.report.escape import escape_slack, escape_terminal
from chalicelib.report.json_report import split_json
from chalicelib.rules.findings import Finding, Severity
from chalicelib.state.model import Change

SUBJECT_MAX = 99  # SNS: "less than 100 characters"
_ICON = {
    Severity.CRITICAL: ":red_circle:",
    Severity.HIGH: ":large_orange_circle:",
    Severity.MEDIUM: ":large_yellow_circle:",
    Severity.LOW: ":large_blue_circle:",
    Severity.INFO: ":white_circle:",
}
_CONTEXT_LABELS = (("actor", "By"), ("event_name", "Call"), ("event_time", "At"))
_GRAVE = "\u02cb"  # stands in for a backtick inside a code block, which a backtick run could otherwise close


def subject(change: Change) -> str:
    """``[CRITICAL] public-trust: role/foo in 111111111111`` (``[HIGH, was MEDIUM]``, ``[RESOLVED HIGH]``)."""
    text = f"[{_label(change)}] {change.finding.rule_id}: {_target(change.finding)}"
    return _clip(escape_terminal(text), SUBJECT_MAX, "...")


def sns_message(change: Change) -> tuple[str, str, dict[str, Any]]:
    """Subject, JSON body (the finding as in CONTRACTS.md §4, plus the change) and filterable attributes."""
    finding = change.finding
    body = {
        **finding.model_dump(mode="json"),
        "change": change.kind,
        "previous_severity": change.previous_severity.value if change.previous_severity else None,
        "context": dict(change.context),
    }
    attributes = {
        "severity": {"DataType": "String", "StringValue": finding.severity.value},
        "rule_id": {"DataType": "String", "StringValue": finding.rule_id},
        "change": {"DataType": "String", "StringValue": change.kind},
    }
    return subject(change), json.dumps(body, ensure_ascii=False), attributes


def slack_payload(change: Change) -> dict[str, Any]:
    """A compact Block Kit message with an escaped plain ``text`` fallback (what notifications show)."""
    finding = change.finding
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _header(change), "emoji": True}},
        _section(("*Resolved:* " if change.kind == "resolved" else "") + f"*{fit(finding.title, 300)}*"),
        {"type": "section", "fields": [_mrkdwn(text) for text in _fields(change)]},
    ]
    if change.kind != "resolved":
        blocks.append(_section(fit(finding.explanation, 1200)))
        blocks.append(_section(_fix(finding.remediation)))
    seen = change.record.resolved_at if change.kind == "resolved" else change.record.first_seen
    when = f"{'resolved' if change.kind == 'resolved' else 'first seen'} {seen:%Y-%m-%d %H:%M} UTC" if seen else ""
    blocks.append({"type": "context", "elements": [_mrkdwn(f"finding {fit(finding.id, 80)} · {when}")]})
    return {"text": fit(subject(change), 300), "blocks": blocks}


def fit(text: str, limit: int) -> str:
    """``text`` escaped for Slack mrkdwn in at most ``limit`` characters (cut before escaping, so no entity splits)."""
    escaped = escape_slack(text)
    while len(escaped) > limit:
        text = text[: len(text) * (limit - 1) // len(escaped)]
        escaped = escape_slack(text) + "…"
    return escaped


def _label(change: Change) -> str:
    severity = change.finding.severity.value.upper()
    if change.kind == "resolved":
        return f"RESOLVED {severity}"
    if change.kind == "severity-changed" and change.previous_severity is not None:
        return f"{severity}, was {change.previous_severity.value.upper()}"
    return severity


def _target(finding: Finding) -> str:
    subject_arn = finding.role_arn or finding.principal
    if not subject_arn:
        return f"account {finding.account_id}"
    resource = subject_arn.split(":", 5)[5] if subject_arn.count(":") >= 5 else subject_arn
    return f"{resource} in {finding.account_id}"


def _header(change: Change) -> str:
    rule = change.finding.rule_id
    if change.kind == "resolved":
        return _clip(f":white_check_mark: RESOLVED · {rule} (was {change.finding.severity.value.upper()})", 150, "…")
    return _clip(f"{_ICON[change.finding.severity]} {_label(change)} · {rule}", 150, "…")


def _fields(change: Change) -> list[str]:
    finding, context = change.finding, change.context
    fields = [f"*Role*\n{fit(finding.role_arn or '-', 300)}", f"*Account*\n{fit(finding.account_id, 40)}"]
    if finding.principal:
        fields.append(f"*Principal*\n{fit(finding.principal, 300)}")
    who = [f"{label}: {fit(context[key], 200)}" for key, label in _CONTEXT_LABELS if context.get(key)]
    if who:
        fields.append("*Changed*\n" + "\n".join(who))
    if context.get("deployment"):
        fields.append(f"*Deployment*\n{fit(context['deployment'], 200)}")
    return fields


def _fix(remediation: str) -> str:
    prose, document = split_json(remediation)
    text = f"*Fix:* {fit(prose.strip(), 600)}"
    if document is not None:
        text += "\n```" + fit(document, 1800).replace("`", _GRAVE) + "```"
    return text


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(text)}


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def _clip(text: str, limit: int, ellipsis: str) -> str:
    return text if len(text) <= limit else text[: limit - len(ellipsis)] + ellipsis
