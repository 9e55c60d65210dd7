"""A notifier for local runs: one line per change on a text stream (stdout unless told otherwise)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from ..rules.findings import Severity
from ..state.model import Change
from .deadline import Deadline
from .render import subject


class StdoutNotifier:
    def __init__(
        self, stream: TextIO | None = None, min_severity: Severity = Severity.INFO, *, channel: str = "stdout"
    ) -> None:
        self._stream = stream  # None: sys.stdout as it is when sending (pytest and the CLI may swap it)
        self.min_severity = min_severity
        self.channel = channel

    def send(self, changes: Sequence[Change], deadline: Deadline | None = None) -> None:
        stream = self._stream or sys.stdout
        for change in changes:
            stream.write(f"{subject(change)}  ({change.finding.id})\n")  # the subject is printable ASCII already
        stream.flush()
