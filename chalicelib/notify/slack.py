"""Slack incoming webhook: Block Kit over the standard library, every post bounded by the invocation's deadline.

- A post is cut when the deadline comes, whatever Slack does (a slow or dribbling answer included): a watchdog
  closes the socket, since socket timeouts only bound each read.
- 429 and 5xx are retried within the deadline, honouring ``Retry-After``; a wait that does not fit is left to
  the outbox with that delay. A post whose answer was lost (timed out or cut after it was sent) is not retried
  here: Slack may have taken it, so resending is the outbox's call, once per lost answer.
- Other 4xx (``invalid_payload``, ``no_service``…) and an invalid webhook URL are permanent: never retried.
- The webhook URL is a secret (whoever has it can post to the channel): fetched on each send from the provider
  (cached there), checked before use, and never logged or put in an error, whole or in part.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..rules.findings import Severity
from ..state.model import Change
from .base import DeliveryError
from .deadline import MIN_ATTEMPT, Deadline
from .render import slack_payload

logger = logging.getLogger(__name__)

FIRST_WAIT = 1.0  # seconds before the first retry when Slack does not say (Retry-After)
_URL = re.compile(r"(?i)\b(?:https?://|hooks\.slack\.com)\S*")
_BAD_URL_CHARS = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int | None  # None: no HTTP answer (refused, reset, timed out, cut at the deadline)
    detail: str = ""
    retry_after: str | None = None
    sent: bool = False  # the request went out: with no answer, Slack may have taken it

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def lost(self) -> bool:
        return self.status is None and self.sent

    @property
    def retriable(self) -> bool:
        return (self.status is None and not self.sent) or self.status == 429 or (self.status or 0) >= 500


class SlackNotifier:
    def __init__(
        self,
        webhook_url: Callable[[Deadline], str],
        min_severity: Severity = Severity.MEDIUM,
        *,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 10,
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

    def send(self, changes: Sequence[Change], deadline: Deadline | None = None) -> None:
        self.post(slack_payload(changes), deadline)

    def post(self, payload: dict[str, Any], deadline: Deadline | None = None) -> None:
        deadline = deadline or Deadline.unbounded()
        url = self._url(deadline)
        body = json.dumps(payload).encode("utf-8")
        answer, attempt = _Answer(None), 0
        while attempt < self._max_attempts and deadline.allows(MIN_ATTEMPT):
            attempt += 1
            answer = _post(url, body, deadline.cap(self._timeout))
            if answer.ok or not answer.retriable or attempt == self._max_attempts:
                break
            wait = self._wait(attempt, answer.retry_after)
            if not deadline.allows(wait + MIN_ATTEMPT):  # the rest is the outbox's, after the wait Slack asked for
                raise self._error(answer, attempt, url, retry_after=wait)
            logger.info("Slack answered %s, retrying in %.1f s", answer.status or "nothing", wait)
            self._sleep(wait)
        if not answer.ok:
            raise self._error(answer, attempt, url)

    def _error(self, answer: _Answer, attempt: int, url: str, retry_after: float | None = None) -> DeliveryError:
        if attempt == 0:
            return DeliveryError("Slack webhook: no time left in this invocation (0 tries)")
        what = f"HTTP {answer.status}" if answer.status else ("answer lost" if answer.lost else "no answer")
        text = scrub(f"Slack webhook: {what} {answer.detail}".strip(), url) + f" ({attempt} tries)"
        permanent = answer.status is not None and 400 <= answer.status < 500 and answer.status != 429
        return DeliveryError(text, retry_after=retry_after, permanent=permanent)

    def _url(self, deadline: Deadline) -> str:
        try:
            url = self._webhook_url(deadline)  # a secret fetch bounded by the deadline
            problem = None
        except Exception as exc:  # raised below, outside this block, so its text and traceback stay behind
            url, problem = "", f"{type(exc).__name__}: {scrub(str(exc), '')}"
        if problem is not None:
            raise DeliveryError(f"Slack webhook URL unavailable ({problem})")
        try:
            parts = urlsplit(url) if not _BAD_URL_CHARS.search(url) else None
            valid = parts is not None and parts.scheme in ("https", "http") and bool(parts.hostname)
            valid = valid and (parts is None or parts.port is None or parts.port > 0)
        except ValueError:  # a malformed host or port
            valid = False
        if not valid:
            # Permanent until someone fixes the secret; nothing of the value is said (it is the secret).
            raise DeliveryError("the Slack webhook secret does not hold a valid http(s) URL", permanent=True)
        return url

    def _wait(self, attempt: int, retry_after: str | None) -> float:
        try:
            asked = float(retry_after) if retry_after is not None else None
        except ValueError:  # an HTTP date, or garbage: fall back to our own schedule
            asked = None
        wait = asked if asked is not None and asked >= 0 else FIRST_WAIT * 2 ** (attempt - 1)
        return min(wait, self._max_wait)


def _post(url: str, body: bytes, timeout: float) -> _Answer:
    """One POST that ends within ``timeout`` seconds, however slowly the server answers."""
    parts = urlsplit(url)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(parts.hostname or "", parts.port, timeout=max(timeout, 0.001))
    watchdog = threading.Timer(timeout, _cut, (connection,))
    watchdog.daemon = True
    watchdog.start()
    sent = False
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request("POST", target or "/", body, {"Content-Type": "application/json; charset=utf-8"})
        sent = True
        response = connection.getresponse()
        detail = response.read(200).decode("utf-8", "replace")
        if 200 <= response.status < 300:
            return _Answer(response.status, sent=True)
        return _Answer(response.status, scrub(detail, url), response.headers.get("Retry-After"), sent=True)
    except (OSError, http.client.HTTPException, ValueError) as exc:  # refused, reset, timed out, cut short
        return _Answer(None, scrub(type(exc).__name__, url), sent=sent)
    finally:
        watchdog.cancel()
        connection.close()


def _cut(connection: http.client.HTTPConnection) -> None:
    """The deadline came: unblock the read by shutting the socket down."""
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed
            sock.shutdown(socket.SHUT_RDWR)


def scrub(text: str, url: str) -> str:
    """``text`` without ``url``, its path (the secret part of a webhook URL), any piece of them, in any escaping,
    or anything else URL-like."""
    secrets: set[str] = set()
    if url:
        for form in (url, urlsplit(url).path, repr(url)[1:-1], url.encode("unicode_escape").decode("ascii")):
            secrets.add(form)
            secrets.update(re.split(r"[\s\x00-\x1f\x7f]+|\\[a-z]|\\x[0-9a-f]{2}", form))
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 6:
            text = text.replace(secret, "<webhook>")
    return _URL.sub("<url>", text)
