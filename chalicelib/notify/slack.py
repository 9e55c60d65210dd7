"""Slack incoming webhook: Block Kit over stdlib urllib, retrying 429 and 5xx with backoff.

The webhook URL is a secret (whoever has it can post to the channel): it is fetched on each send from the
provider (cached there), and never logged. Errors say what Slack answered, with any URL scrubbed out, and
are raised outside the ``except`` that caught the transport error so no traceback carries the request.
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from chalicelib.notify.base import DeliveryError
from chalicelib.notify.render import slack_payload
from chalicelib.rules.findings import Severity
from chalicelib.state.model import Change

logger = logging.getLogger(__name__)

FIRST_WAIT = 1.0  # seconds before the first retry when Slack does not say (Retry-After)
_URL = re.compile(r"(?i)\b(?:https?://|hooks\.slack\.com)\S*")


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int | None  # None: no HTTP answer (refused, reset, timed out)
    detail: str = ""
    retry_after: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def retriable(self) -> bool:
        return self.status is None or self.status == 429 or self.status >= 500


class SlackNotifier:
    def __init__(
        self,
        webhook_url: Callable[[], str],
        min_severity: Severity = Severity.MEDIUM,
        *,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 5,
        max_attempts: int = 4,
        max_wait: float = 30.0,
        channel: str = "slack",
    ) -> None:
        self._webhook_url = webhook_url
        self.min_severity = min_severity
        self._sleep = sleep
        self._timeout = timeout
        self._max_attempts = max(1, max_attempts)
        self._max_wait = max_wait
        self.channel = channel

    def send(self, change: Change) -> None:
        self.post(slack_payload(change))

    def post(self, payload: dict[str, Any]) -> None:
        url = self._url()
        body = json.dumps(payload).encode("utf-8")
        answer, attempt = _Answer(None), 0
        while attempt < self._max_attempts:
            attempt += 1
            answer = _post(url, body, self._timeout)
            if answer.ok or not answer.retriable or attempt == self._max_attempts:
                break
            wait = self._wait(attempt, answer.retry_after)
            logger.info("Slack answered %s, retrying in %.1f s", answer.status or "nothing", wait)
            self._sleep(wait)
        if not answer.ok:
            what = f"HTTP {answer.status}" if answer.status else "no answer"
            raise DeliveryError(scrub(f"Slack webhook: {what} {answer.detail}".strip(), url) + f" ({attempt} tries)")

    def _url(self) -> str:
        try:
            url = self._webhook_url()
            problem = None
        except Exception as exc:  # raised below, outside this block, so its text and traceback stay behind
            url, problem = "", f"{type(exc).__name__}: {scrub(str(exc), '')}"
        if problem is not None:
            raise DeliveryError(f"Slack webhook URL unavailable ({problem})")
        if urlsplit(url).scheme not in ("https", "http"):
            raise DeliveryError("the Slack webhook secret does not hold an http(s) URL")
        return url

    def _wait(self, attempt: int, retry_after: str | None) -> float:
        try:
            asked = float(retry_after) if retry_after is not None else None
        except ValueError:  # an HTTP date, or garbage: fall back to our own schedule
            asked = None
        wait = asked if asked is not None and asked >= 0 else FIRST_WAIT * 2 ** (attempt - 1)
        return min(wait, self._max_wait)


def _post(url: str, body: bytes, timeout: float) -> _Answer:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return _Answer(response.status)
    except urllib.error.HTTPError as exc:
        with exc:
            detail = exc.read(200).decode("utf-8", "replace")
            return _Answer(exc.code, scrub(detail, url), exc.headers.get("Retry-After"))
    except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts: refused, reset, DNS, TLS, cut short
        reason = getattr(exc, "reason", exc)
        return _Answer(None, scrub(f"{type(exc).__name__}: {reason}", url))


def scrub(text: str, url: str) -> str:
    """``text`` without ``url``, its path (the secret part of a webhook URL) or anything else URL-like."""
    path = urlsplit(url).path if url else ""
    for secret in (url, path):
        if len(secret) > 1:
            text = text.replace(secret, "<webhook>")
    return _URL.sub("<url>", text)
