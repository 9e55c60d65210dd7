"""What the handlers call: parse the input, run the auditor, count and log. No AWS client is created here.

An event is processed once per CloudTrail event id (EventBridge retries deliver duplicates): with a state
table, Powertools idempotency on that table; without one (local replay), an in-memory record of ids.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from aws_lambda_powertools.metrics import MetricUnit

from .events.models import EventParseError, parse_event
from .iam.cases import decide_case, decision_json
from .iam.errors import InvalidRequestError, PolicyParseError
from .observability import logger, metrics
from .wiring import Wiring, current

_seen_locally: dict[str, dict[str, Any]] = {}


def handle_event(raw: dict[str, Any], context: Any = None, wiring: Wiring | None = None) -> dict[str, Any]:
    """One EventBridge event (CloudTrail record) → a summary. A malformed event is logged and reported."""
    wiring = wiring or current()
    try:
        event = parse_event(raw)
    except EventParseError as exc:
        event_id = raw.get("id") if isinstance(raw, dict) else None
        logger.error("malformed event", extra={"error": str(exc), "event_id": event_id})
        metrics.add_metric(name="MalformedEvents", unit=MetricUnit.Count, value=1)
        return {"error": str(exc)}
    event_id = event.detail.event_id or event.id
    logger.append_keys(cloudtrail_event_id=event_id, event_name=event.detail.event_name)
    metrics.add_metric(name="EventsProcessed", unit=MetricUnit.Count, value=1)
    auditor = wiring.begin(context)
    summary = _once(wiring, event_id, lambda: _summarise(auditor.handle(event)), context)
    if summary.get("action") == "ignored":  # a rule matched it, yet it changes nothing: say why, and count it
        logger.info("event ignored", extra={"reason": summary.get("reason"), "event_id": event_id})
        metrics.add_metric(name="IgnoredEvents", unit=MetricUnit.Count, value=1)
    logger.info("event processed", extra={"summary": summary})
    return summary


def rescan(payload: Any, wiring: Wiring | None = None, context: Any = None) -> dict[str, Any]:
    """``{"role_arn"}``, ``{"account_id"}``, ``{"organization": true}`` or ``{"scheduled": true}``."""
    wiring = wiring or current()
    auditor = wiring.begin(context)
    if not isinstance(payload, dict):
        return {"error": "payload must be an object: {role_arn}, {account_id} or {organization: true}"}
    if payload.get("role_arn"):
        outcome = auditor.rescan_role(str(payload["role_arn"]))
    elif payload.get("account_id"):
        outcome = auditor.rescan_accounts([str(payload["account_id"])], action=f"rescan of {payload['account_id']}")
    elif payload.get("organization") or payload.get("scheduled"):
        outcome = auditor.rescan_accounts(None, organization=bool(payload.get("organization", True)), action="rescan")
    else:
        return {"error": "payload must name role_arn, account_id or organization"}
    return _summarise(outcome)


def flush(wiring: Wiring | None = None, context: Any = None) -> dict[str, Any]:
    """Retry the notifications earlier invocations could not deliver (the outbox); nothing new is checked."""
    return _summarise((wiring or current()).begin(context).flush())


def _summarise(outcome: Any) -> dict[str, Any]:
    summary: dict[str, Any] = outcome.summary()
    for change in outcome.changes:
        if change.kind == "new":
            metrics.add_metric(
                name=f"NewFindings{change.finding.severity.value.title()}", unit=MetricUnit.Count, value=1
            )
    if outcome.delivery is not None and outcome.delivery.queued:
        metrics.add_metric(name="NotificationFailures", unit=MetricUnit.Count, value=outcome.delivery.queued)
    return summary


def _once(wiring: Wiring, event_id: str, work: Callable[[], dict[str, Any]], context: Any) -> dict[str, Any]:
    if not wiring.settings.table:
        if event_id not in _seen_locally:
            _seen_locally[event_id] = work()
            return _seen_locally[event_id]
        return {**_seen_locally[event_id], "duplicate": True}
    function = str(getattr(context, "function_name", "") or "")  # one event may feed several functions' rules
    return _idempotent(wiring, context)(record={"eventID": event_id, "function": function, "work": work})


def _idempotent(wiring: Wiring, context: Any) -> Callable[..., dict[str, Any]]:
    from aws_lambda_powertools.utilities.idempotency import (  # noqa: PLC0415  (imports boto3)
        IdempotencyConfig,
        idempotent_function,
    )

    config = IdempotencyConfig(event_key_jmespath="[eventID, function]", raise_on_no_idempotency_key=True)
    if context is not None:
        config.register_lambda_context(context)

    def process(record: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = record["work"]()
        return result

    layer = wiring.idempotency_layer
    wrapped = idempotent_function(data_keyword_argument="record", config=config, persistence_store=layer)(process)
    return cast(Callable[..., dict[str, Any]], wrapped)


def decide_cases(payload: Any) -> dict[str, Any]:
    """Decide each case of the payload. A bad case yields an error entry and never blocks the others."""
    cases = payload if isinstance(payload, list) else [payload]
    results: list[dict[str, Any]] = []
    for index, case in enumerate(cases):
        try:
            name, _, decision = decide_case(case, source=f"case {index}")
        except (PolicyParseError, InvalidRequestError) as exc:
            logger.warning("bad case", extra={"case_index": index, "error": str(exc)})
            results.append({"index": index, "error": str(exc)})
            continue
        results.append(decision_json(name, decision))
    return {"results": results, "errors": sum(1 for r in results if "error" in r)}
