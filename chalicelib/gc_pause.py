"""The cyclic garbage collector paused for one bulk analysis (an event's audit, a scan), with one pass at the end.

Why: an audit builds about a million long-lived objects (the account's identities and policies, the graph,
the findings), and the collector's automatic passes scan every tracked object each time the oldest generation
is collected; at 10,000 roles that was 1.5 s of a 3.4 s event, more than the analysis it interrupted.
Reference counting frees nearly all of an analysis's garbage as it goes; the one pass at the end reclaims what
sits in cycles, so a warm Lambda does not grow from one invocation to the next.

Recording and announcing the findings is the opposite: many AWS SDK calls, each leaving short-lived cycles
(26,000 DynamoDB writes for an account's first audit). `collector_running` lets the collector work there,
over new objects only: what the analysis built is frozen meanwhile, so no pass scans it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_paused = 0  # pauses of ours in progress (they nest)


@contextmanager
def collector_paused() -> Iterator[None]:
    global _paused  # noqa: PLW0603  # the collector is process-wide state too
    if not gc.isenabled() and not _paused:  # the host turned it off: not ours to turn back on
        yield
        return
    gc.disable()
    _paused += 1
    try:
        yield
    finally:
        _paused -= 1
        if not _paused:
            gc.enable()
            gc.collect()


@contextmanager
def collector_running() -> Iterator[None]:
    """Inside a pause: collect as usual, over what is allocated from now on."""
    if not _paused or gc.isenabled():
        yield
        return
    gc.freeze()
    gc.enable()
    try:
        yield
    finally:
        gc.disable()
        gc.unfreeze()
