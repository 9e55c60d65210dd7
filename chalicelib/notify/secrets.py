"""The Slack webhook URL from Secrets Manager or SSM Parameter Store, through Powertools Parameters.

``name`` says where: an SSM parameter when it starts with ``/`` or ``ssm:`` (a SecureString is decrypted),
a Secrets Manager secret id or ARN otherwise. The value is the URL itself, or JSON with a ``url`` or
``webhook_url`` key. Powertools caches it for ``max_age`` seconds; nothing here logs it.

Built from a ``session``, the fetch is bounded by the deadline of the send that needs it: each call goes to a
client whose timeouts and retries end before it (`aws_bounds`), so a Secrets Manager or SSM that does not answer
costs the send its time, not the invocation its life; the message waits in the outbox.

botocore does, at DEBUG (``AWS_LAMBDA_LOG_LEVEL=DEBUG``): its parser logs every response body, the
GetSecretValue one included, and its endpoint every request's parameters. `hide_secret_bodies` drops those
records at their source, whatever the log level and whoever handles them.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any, Protocol

from ..aws_bounds import Bounded
from .deadline import Deadline

DEFAULT_MAX_AGE = 300  # seconds; a rotated webhook is picked up within five minutes


class WebhookUrl(Protocol):
    def __call__(self, deadline: Deadline | None = None) -> str:
        """The URL, fetched (when not cached) before ``deadline``."""
        ...


_SECRET_MARKERS = ("SecretString", "SecretBinary", "WithDecryption", "GetParameter", "GetSecretValue")


class _NoSecretBodies(logging.Filter):
    """Drops botocore's response bodies, and request logs of calls that carry or fetch a secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "botocore.parsers":
            return not str(record.msg).startswith("Response body")
        text = record.getMessage()
        return not any(marker in text for marker in _SECRET_MARKERS)


_FILTER = _NoSecretBodies()


def hide_secret_bodies() -> None:
    """Install the filter on the botocore loggers that print bodies (idempotent)."""
    for name in ("botocore.parsers", "botocore.endpoint", "botocore.hooks", "botocore.auth"):
        log = logging.getLogger(name)
        if _FILTER not in log.filters:
            log.addFilter(_FILTER)


def webhook_url_provider(
    name: str,
    *,
    secrets_client: Any = None,
    ssm_client: Any = None,
    session: Any = None,
    region: str | None = None,
    max_age: int = DEFAULT_MAX_AGE,
) -> WebhookUrl:
    """A function of the send's deadline returning the URL; the Powertools provider is made on first use, on the
    client given, or on one from ``session`` bounded by that deadline (or boto3's default client)."""
    hide_secret_bodies()
    is_ssm = name.startswith(("/", "ssm:"))
    key = name.removeprefix("ssm:")
    provider: Any = None
    current: list[Deadline | None] = [None]  # the deadline of the fetch under way

    def remaining() -> float:
        deadline = current[0]
        return deadline.remaining() if deadline is not None else math.inf

    def client() -> Any:
        given = ssm_client if is_ssm else secrets_client
        if given is not None or session is None:
            return given
        service = "ssm" if is_ssm else "secretsmanager"
        return Bounded(lambda config: session.client(service, region_name=region, config=config), remaining)

    def url(deadline: Deadline | None = None) -> str:
        nonlocal provider
        if provider is None:
            provider = _ssm_provider(client()) if is_ssm else _secrets_provider(client())
        options = {"decrypt": True} if is_ssm else {}
        current[0] = deadline
        try:
            return _url_from(provider.get(key, max_age=max_age, **options), name)
        finally:
            current[0] = None

    return url


def _ssm_provider(client: Any) -> Any:
    from aws_lambda_powertools.utilities.parameters import SSMProvider  # noqa: PLC0415  (loads boto3)

    return SSMProvider(boto3_client=client) if client is not None else SSMProvider()


def _secrets_provider(client: Any) -> Any:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider  # noqa: PLC0415  (loads boto3)

    return SecretsProvider(boto3_client=client) if client is not None else SecretsProvider()


def _url_from(value: object, name: str) -> str:
    text = value.decode("utf-8") if isinstance(value, bytes) else value
    if isinstance(text, str) and text.lstrip().startswith("{"):
        try:
            text = json.loads(text)
        except ValueError:
            raise ValueError(f"{name}: the secret looks like JSON but is not") from None
    if isinstance(text, dict):
        text = text.get("url") or text.get("webhook_url")
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{name}: no webhook URL in the secret (expected the URL, or JSON with 'url')")
    return text.strip()


hide_secret_bodies()  # at import too: a client created before the first provider logs no secret either
