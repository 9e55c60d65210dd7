"""The demo's story in parts of one screen each: the events of ``events/`` in three acts, never an event split.

A part is a list of lines headed ``== title``; an event's block (its function lines and deliveries) stays whole,
so no Slack line, SNS line or piece of markup is cut between two parts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

SCREEN = 42  # lines in one part of the story: one terminal screen
# The events in three acts, each a screen or two; the fix comes after the damage and after the untrusted
# caller used it, so fixes go last.
ACTS = (
    ("the auditor's own functions, rules and topic are changed", ("auditor-", "lambda-")),
    ("IAM changes: identity policies, then new and changed trust policies", ("iam-",)),
    ("role assumptions, then the fix of the untrusted grant", ("sts-",)),
)


def acts(events: Path) -> list[tuple[str, list[Path]]]:
    """Each act's title and event files, by name; a ``-fixed`` event ends the last act."""
    found: list[tuple[str, list[Path]]] = [(title, []) for title, _ in ACTS]
    for path in sorted(events.glob("*.json"), key=lambda p: (p.stem.endswith("-fixed"), p.name)):
        found[_act(path)][1].append(path)
    return found


def _act(path: Path) -> int:
    if path.stem.endswith("-fixed"):
        return len(ACTS) - 1
    return next((i for i, (_, prefixes) in enumerate(ACTS) if path.name.startswith(prefixes)), 1)  # else: IAM


def screens(title: str, blocks: list[list[str]], budget: int = SCREEN) -> Iterator[list[str]]:
    """Parts of at most ``budget`` lines, headed ``== title`` (``(continued)`` after the first); an event's block
    is never split across parts (a block longer than a screen gets a part of its own)."""
    part = [f"== {title}"]
    for block in blocks:
        if len(part) > 1 and len(part) + len(block) > budget:
            yield part
            part = [f"== {title} (continued)"]
        part += block[1:] if len(part) == 1 and block and not block[0] else block  # no blank under a heading
    yield part
