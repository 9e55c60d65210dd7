"""boto3 clients that cannot outlive the invocation: timeouts and retries fitted to the time it has left.

A client's connect and read timeouts and its retry budget are fixed when botocore builds it, while each Lambda
invocation has its own remaining time. `bounded_config` turns seconds left into a botocore ``Config`` whose
worst case (every attempt connecting and reading up to its timeouts, standard mode's backoff between them) ends
a margin before them; `Bounded` stands in for a client (or a DynamoDB table) and hands every call to the one
built for the time left *now*, rounded down to a step (a second under 10 s, 5 s under a minute, 30 s beyond),
so a warm container builds a few dozen at most.

What a timeout cannot cut (a server dribbling its answer a byte at a time resets the read timeout) is out of
reach of botocore; the notifications that must end on time use their own watchdog (`notify.slack`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

MARGIN = 0.25  # seconds kept after the worst case of a call, to handle its error and record the outcome
CONNECT_MAX = 3.0
READ_MAX = 30.0  # per read: an IAM page of a large account takes a few seconds
ATTEMPTS = 3  # standard mode: the first try and two retries, when the time allows
MIN_ATTEMPT = 0.5  # an attempt is not planned with less than this


def _backoff(attempts: int) -> float:
    """The longest standard mode sleeps in all before ``attempts`` tries (up to 2**(n-1) s before the n-th retry)."""
    return float(sum(2 ** (retry - 1) for retry in range(1, attempts)))


def bounded_config(seconds: float, *, attempts: int = ATTEMPTS, read_max: float = READ_MAX) -> Any:
    """A botocore ``Config`` under which one call, retries included, ends ``MARGIN`` before ``seconds``."""
    from botocore.config import Config  # type: ignore[import-untyped]  # noqa: PLC0415  (the pure paths never need it)

    if math.isinf(seconds):
        per_attempt = CONNECT_MAX + read_max
    else:
        budget = max(seconds - MARGIN, 0.0)
        while attempts > 1 and budget < attempts * MIN_ATTEMPT + _backoff(attempts):
            attempts -= 1
        per_attempt = max((budget - _backoff(attempts)) / attempts, 0.05)
    connect = min(CONNECT_MAX, per_attempt / 3)
    read = max(min(read_max, per_attempt - connect), 0.05)
    return Config(
        connect_timeout=connect, read_timeout=read, retries={"mode": "standard", "total_max_attempts": attempts}
    )


def step_down(seconds: float) -> float:
    """``seconds`` rounded down to 1 s under 10 s, to 5 s under a minute, to 30 s beyond (``inf`` stays)."""
    if math.isinf(seconds):
        return seconds
    step = 1 if seconds < 10 else 5 if seconds < 60 else 30
    return float(max(math.floor(seconds / step) * step, 0))


class Bounded:
    """A boto3 client or resource whose every call goes to the one built for ``remaining()`` seconds.

    ``build(config)`` makes the object (``session.client("sns", config=config)``, a DynamoDB ``Table``...);
    ``remaining`` says how long the current invocation has left (``inf`` outside Lambda).
    """

    def __init__(self, build: Callable[[Any], Any], remaining: Callable[[], float]) -> None:
        self._build, self._remaining = build, remaining
        self._built: dict[float, Any] = {}

    def now(self) -> Any:
        """The object for the time left now, rounded down to its step: never more than there is."""
        bucket = step_down(self._remaining())
        if bucket not in self._built:
            self._built[bucket] = self._build(bounded_config(bucket))
        return self._built[bucket]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.now(), name)
