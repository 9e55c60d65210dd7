"""The wording of every notification, in one place: the subject line, the SNS message and the Slack message.

A message carries the changes one event (or one role's re-scan) brought, most severe first (`ordered`): one
Slack message within Block Kit's limits (50 blocks, 3,000 characters a text; what does not fit is listed by
rule and severity), one SNS message within its 256 KB.

Every string an attacker can choose (role names and paths, principals, session names, tags, policy values,
the actor text of ``Change.context``, and the rule texts that quote them) reaches Slack only through
`escape_slack`, so it can neither mention ``@channel`` nor forge a link. The subject is printable ASCII
without line breaks (what SNS and mail accept); the SNS body is ASCII JSON: values are exact for a JSON reader,
while a human reading the raw body (an e-mail subscription) sees ``\u202e`` or ``\u001b``, never the character.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..report.escape import escape_slack, escape_terminal
from ..report.json_report import split_json
from ..rules.findings import Finding, Severity
from ..state.model import Change

SUBJECT_MAX = 99  # SNS: "less than 100 characters"
SNS_MAX_BYTES = 250_000  # SNS takes 256 KiB, message attributes included
MAX_BLOCKS = 50  # Slack: blocks per message
_SHORT_KEYS = ("id", "rule_id", "severity", "title", "account_id", "role_arn", "change", "previous_severity")
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


def message_subject(changes: Sequence[Change]) -> str:
    """`subject` of a one-change message; ``[HIGH] 3 findings: role/foo in 111111111111`` otherwise."""
    if len(changes) == 1:
        return subject(changes[0])
    top = changes[0]
    roles = {c.finding.role_arn or c.finding.account_id for c in changes}
    where = _target(top.finding) + (f" and {len(roles) - 1} more" if len(roles) > 1 else "")
    text = f"[{_label(top)}] {len(changes)} findings: {where}"
    return _clip(escape_terminal(text), SUBJECT_MAX, "...")


def sns_message(changes: Sequence[Change]) -> tuple[str, str, dict[str, Any]]:
    """Subject, JSON body (each finding as in CONTRACTS.md §4, plus its change) and filterable attributes:
    ``severity`` (the highest), ``rule_id`` and ``change`` (lists, which subscription filter policies match)."""
    entries = [
        {
            **c.finding.model_dump(mode="json"),
            "change": c.kind,
            "previous_severity": c.previous_severity.value if c.previous_severity else None,
        }
        for c in changes
    ]
    body = {
        "severity": changes[0].finding.severity.value,
        "changes": entries,
        "context": dict(changes[0].context),
    }
    attributes = {
        "severity": {"DataType": "String", "StringValue": changes[0].finding.severity.value},
        "rule_id": {
            "DataType": "String.Array",
            "StringValue": json.dumps(sorted({c.finding.rule_id for c in changes})),
        },
        "change": {"DataType": "String.Array", "StringValue": json.dumps(sorted({c.kind for c in changes}))},
    }
    return message_subject(changes), _bounded_json(body), attributes


def _bounded_json(body: dict[str, Any]) -> str:
    """The body as JSON within SNS's limit: long texts cut first, then the last findings listed by id only."""
    entries: list[dict[str, Any]] = body["changes"]
    text = json.dumps(body, ensure_ascii=True)
    if len(text.encode()) > SNS_MAX_BYTES:
        for entry in entries:
            entry.update(explanation=_clip(entry["explanation"], 2000, "..."), evidence={})
            entry["remediation"] = _clip(entry["remediation"], 2000, "...")
    index = len(entries)
    while len((text := json.dumps(body, ensure_ascii=True)).encode()) > SNS_MAX_BYTES and index > 0:
        index -= 1
        entries[index] = {key: entries[index].get(key) for key in _SHORT_KEYS}
    return text


def slack_payload(changes: Sequence[Change]) -> dict[str, Any]:
    """One Block Kit message about ``changes`` (most severe first), with an escaped plain ``text`` fallback."""
    if len(changes) == 1:
        return _one_change(changes[0])
    top = changes[0]
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _clip(_group_header(changes), 150, "…"), "emoji": True},
        },
        {"type": "section", "fields": [_mrkdwn(text) for text in _fields(top)]},
    ]
    room = (MAX_BLOCKS - len(blocks) - 2) // 2  # two blocks a change; one for the rest, one for the footer
    shown = changes if len(changes) <= room else changes[:room]
    for change in shown:
        blocks.append(
            _section(f"*{_label(change)}* · {fit(change.finding.rule_id, 80)} · *{fit(change.finding.title, 300)}*")
        )
        if change.kind == "resolved":
            blocks.append(_section("*Resolved:* " + fit(change.finding.explanation, 600)))
        else:
            blocks.append(
                _section(fit(change.finding.explanation, 900) + "\n" + _fix(change.finding.remediation, 1200))
            )
    rest = changes[len(shown) :]
    if rest:
        listed = "; ".join(f"{_label(c)} {c.finding.rule_id} {c.finding.id}" for c in rest)
        blocks.append(_section(f"*And {len(rest)} more:* " + fit(listed, 2800)))
    ids = ", ".join(c.finding.id for c in changes)
    blocks.append({"type": "context", "elements": [_mrkdwn(fit(f"findings {ids}", 2000))]})
    return {"text": fit(message_subject(changes), 300), "blocks": blocks}


def _group_header(changes: Sequence[Change]) -> str:
    top = changes[0]
    icon = ":white_check_mark:" if all(c.kind == "resolved" for c in changes) else _ICON[top.finding.severity]
    return f"{icon} {_label(top)} · {len(changes)} findings on {_target(top.finding)}"


def _one_change(change: Change) -> dict[str, Any]:
    """A compact Block Kit message about one change."""
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


def _fix(remediation: str, document_limit: int = 1800) -> str:
    prose, document = split_json(remediation)
    text = f"*Fix:* {fit(prose.strip(), 600)}"
    if document is not None:
        text += "\n```" + fit(document, document_limit).replace("`", _GRAVE) + "```"
    return text


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(text)}


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def _clip(text: str, limit: int, ellipsis: str) -> str:
    return text if len(text) <= limit else text[: limit - len(ellipsis)] + ellipsis
