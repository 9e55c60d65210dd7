"""Trustwatch's Lambda handlers: parse, call the service, return a summary. Nothing else lives here."""

from __future__ import annotations

from typing import Any

from chalice.app import Chalice, CloudWatchEvent, ConvertToMiddleware, Rate

from chalicelib import service
from chalicelib.events.patterns import ASSUME_ROLE_PATTERN, AUDITOR_PATTERN, IAM_CHANGE_PATTERN
from chalicelib.observability import logger, metrics, tracer

app = Chalice(app_name="trustwatch", configure_logs=False)  # Powertools logs; Chalice's would print twice
app.register_middleware(ConvertToMiddleware(logger.inject_lambda_context(correlation_id_path="detail.eventID")))
app.register_middleware(ConvertToMiddleware(tracer.capture_lambda_handler))
app.register_middleware(ConvertToMiddleware(metrics.log_metrics(raise_on_empty_metrics=False)))


@app.on_cw_event(IAM_CHANGE_PATTERN, name="on_iam_change")
def on_iam_change(event: CloudWatchEvent) -> dict[str, Any]:
    """CreateRole, UpdateAssumeRolePolicy, DeleteRole and identity-side changes: re-check what they touch."""
    return service.handle_event(event.to_dict(), event.context)


@app.on_cw_event(ASSUME_ROLE_PATTERN, name="on_role_assumption")
def on_role_assumption(event: CloudWatchEvent) -> dict[str, Any]:
    """AssumeRole* by users, roles and web identities (service callers are filtered out by the pattern)."""
    return service.handle_event(event.to_dict(), event.context)


@app.on_cw_event(AUDITOR_PATTERN, name="on_auditor_change")
def on_auditor_change(event: CloudWatchEvent) -> dict[str, Any]:
    """Changes to the auditor's own rules, functions, topic subscriptions and role."""
    return service.handle_event(event.to_dict(), event.context)


class _AnyEnvelope(CloudWatchEvent):
    """Chalice's CloudWatchEvent reads every envelope key and raises KeyError before any handler runs; this one
    reads what is there, so a malformed event reaches `service.handle_event`, which logs and counts it."""

    def _extract_attributes(self, event_dict: Any) -> None:
        known = event_dict if isinstance(event_dict, dict) else {}
        for attribute, key in _ENVELOPE.items():
            setattr(self, attribute, known.get(key))


_ENVELOPE = {"version": "version", "account": "account", "region": "region", "detail": "detail",
             "detail_type": "detail-type", "source": "source", "time": "time", "event_id": "id",
             "resources": "resources"}  # fmt: skip
for _handler in (on_iam_change, on_role_assumption, on_auditor_change):
    _handler.event_class = _AnyEnvelope


@app.lambda_function(name="rescan")
def rescan(event: Any, context: Any) -> dict[str, Any]:
    """Direct invocation: {"role_arn": …}, {"account_id": …} or {"organization": true} → a summary."""
    return service.rescan(event, context=context)


@app.schedule(Rate(1, unit=Rate.DAYS), name="scheduled_rescan")
def scheduled_rescan(event: CloudWatchEvent) -> dict[str, Any]:
    """Daily full re-scan: reports new and resolved findings."""
    return service.rescan({"scheduled": True}, context=event.context)


@app.schedule(Rate(10, unit=Rate.MINUTES), name="flush_outbox")
def flush_outbox(event: CloudWatchEvent) -> dict[str, Any]:
    """Every 10 minutes: retry the notifications still queued in the outbox, even when no other handler runs."""
    return service.flush(context=event.context)


@app.lambda_function(name="can_assume")
def can_assume(event: Any, context: Any) -> dict[str, Any]:
    """Direct invocation: one case or a list of cases (assume-role-vectors format) → decisions."""
    return service.decide_cases(event)
