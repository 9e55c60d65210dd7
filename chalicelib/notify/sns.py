"""SNS: the finding as JSON, a short subject, and ``severity``/``rule_id``/``change`` attributes to filter on."""

from __future__ import annotations

from typing import Any

from chalicelib.notify.base import DeliveryError
from chalicelib.notify.render import sns_message
from chalicelib.rules.findings import Severity
from chalicelib.state.model import Change


class SnsNotifier:
    def __init__(
        self, client: Any, topic_arn: str, min_severity: Severity = Severity.MEDIUM, *, channel: str = "sns"
    ) -> None:
        self._client = client  # a boto3 SNS client (boto3 ships no type stubs)
        self._topic_arn = topic_arn
        self.min_severity = min_severity
        self.channel = channel

    def send(self, change: Change) -> None:
        subject, message, attributes = sns_message(change)
        try:
            self._client.publish(
                TopicArn=self._topic_arn, Subject=subject, Message=message, MessageAttributes=attributes
            )
        except _transport_errors() as exc:
            raise DeliveryError(f"SNS publish to {self._topic_arn} failed: {exc}") from exc


def _transport_errors() -> tuple[type[Exception], ...]:
    """botocore's error classes; imported here so that importing `chalicelib.notify` does not load botocore."""
    from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]  # noqa: PLC0415

    return (ClientError, BotoCoreError)
