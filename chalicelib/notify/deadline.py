"""How long an invocation's notifications may take: the Lambda's remaining time, minus a reserve.

Every network call a notifier makes (connect, read, each retry, each ``Retry-After`` wait) must end before
the deadline, so that the invocation returns before Lambda kills it; what does not fit stays in the outbox,
where ``flush_outbox`` (or the next invocation) takes it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

RESERVE_MIN = 0.5  # seconds kept after the last send, to record the outcome in the outbox and return
RESERVE_MAX = 5.0
MIN_ATTEMPT = 0.5  # a send is not started with less time than this


class Deadline:
    """A point on a monotonic clock; ``Deadline.unbounded()`` for callers without a Lambda context."""

    def __init__(self, at: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._at, self._clock = at, clock

    @classmethod
    def unbounded(cls) -> Deadline:
        return cls(math.inf)

    @classmethod
    def after(cls, seconds: float, clock: Callable[[], float] = time.monotonic) -> Deadline:
        return cls(clock() + seconds, clock)

    @classmethod
    def of(cls, context: Any, clock: Callable[[], float] = time.monotonic) -> Deadline:
        """From a Lambda context's ``get_remaining_time_in_millis()``, keeping a reserve (10 %, 0.5 to 5 s)."""
        remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
        if remaining_ms is None:
            return cls.unbounded()
        remaining = max(float(remaining_ms()) / 1000, 0.0)
        reserve = min(RESERVE_MAX, max(RESERVE_MIN, remaining / 10))
        return cls.after(remaining - reserve, clock)

    @classmethod
    def whole(cls, context: Any, clock: Callable[[], float] = time.monotonic) -> Deadline:
        """The invocation's own end (no reserve): what the AWS calls recording the outcome must fit in."""
        remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
        if remaining_ms is None:
            return cls.unbounded()
        return cls.after(max(float(remaining_ms()) / 1000, 0.0), clock)

    def remaining(self) -> float:
        """Seconds left (``inf`` when unbounded, never negative)."""
        return max(self._at - self._clock(), 0.0)

    def allows(self, seconds: float = MIN_ATTEMPT) -> bool:
        return self.remaining() >= seconds

    def cap(self, seconds: float) -> float:
        """``seconds``, or what is left if that is less."""
        return min(seconds, self.remaining())
