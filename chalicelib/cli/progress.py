"""A progress bar for live scans: only on a terminal, never in JSON/SARIF output or when piped."""

from __future__ import annotations

import sys
from typing import TextIO


class ProgressBar:
    """Counts accounts as they are read; ``total`` may be unknown (then it shows a count)."""

    def __init__(self, stream: TextIO | None = None, total: int | None = None, width: int = 30) -> None:
        self._stream = stream or sys.stderr
        self._total = total
        self._width = width
        self._done = 0

    def __call__(self, account_id: str) -> None:
        self._done += 1
        if self._total:
            filled = self._width * min(self._done, self._total) // self._total
            bar = "#" * filled + "." * (self._width - filled)
            text = f"\rreading accounts [{bar}] {self._done}/{self._total} {account_id}"
        else:
            text = f"\rreading accounts: {self._done} read, last {account_id}"
        self._stream.write(text)
        self._stream.flush()

    def close(self) -> None:
        if self._done:
            self._stream.write("\n")
            self._stream.flush()


def wants_progress(output_format: str, output_file: str | None, stream: TextIO | None = None) -> bool:
    """A bar only helps a person watching a terminal: not for machine formats or redirected output."""
    target = stream or sys.stderr
    return output_format in ("text", "markdown") and output_file is None and sys.stdout.isatty() and target.isatty()
