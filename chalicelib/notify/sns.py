"""SNS: one message per change (its findings as JSON), a short subject, and attributes to filter on.

Every publish is bounded by the invocation's deadline: the client is made (once per timeout, by the
composition root) with connect and read timeouts within what is left and no retry of its own, because a
publish whose answer was lost may have gone out: resending is the outbox's call, once per lost answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..rules.findings import Severity
from ..state.model import Change
from .base import DeliveryError
from .deadline import Deadline
from .render import sns_message

PUBLISH_TIMEOUT = 10.0  # seconds, at most, for one publish
# The request itself is wrong: sending it again cannot succeed.
PERMANENT_CODES = frozenset({"InvalidParameter", "InvalidParameterValue", "ParameterValueInvalid"})


class SnsNotifier:
    def __init__(
        self,
        client: Any,
        topic_arn: str,
        min_severity: Severity = Severity.MEDIUM,
        *,
        channel: str = "sns",
        client_for: Callable[[float], Any] | None = None,
    ) -> None:
        self._client = client  # a boto3 SNS client (boto3 ships no type stubs), used when client_for is None
        self._client_for = client_for  # a client whose timeouts end within the given seconds
        self._topic_arn = topic_arn
        self.min_severity = min_severity
        self.channel = channel

    def send(self, changes: Sequence[Change], deadline: Deadline | None = None) -> None:
        subject, message, attributes = sns_message(changes)
        timeout = (deadline or Deadline.unbounded()).cap(PUBLISH_TIMEOUT)
        client = self._client_for(timeout) if self._client_for is not None else self._client
        client_error, transport_error = _transport_errors()
        try:
            client.publish(TopicArn=self._topic_arn, Subject=subject, Message=message, MessageAttributes=attributes)
        except client_error as exc:
            code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
            raise DeliveryError(
                f"SNS publish to {self._topic_arn} failed: {exc}", permanent=code in PERMANENT_CODES
            ) from None
        except transport_error as exc:  # timed out or cut off: the message may or may not have gone out
            raise DeliveryError(f"SNS publish to {self._topic_arn}: no answer ({type(exc).__name__})") from None


def _transport_errors() -> tuple[type[Exception], type[Exception]]:
    """botocore's error classes; imported here so that importing `chalicelib.notify` does not load botocore."""
    from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]  # noqa: PLC0415

    return ClientError, BotoCoreError
