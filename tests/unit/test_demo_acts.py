"""The demo's parts: one screen each, never an event's block split, every event file told once (issue 8 #16)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.devtools.demo_acts import ACTS, SCREEN, acts, screens

EVENTS = Path(__file__).resolve().parents[2] / "events"


def _blocks(sizes: list[int]) -> list[list[str]]:
    """A quiet event is one line; an event with deliveries is a blank line and its lines (as the demo makes them)."""
    return [[f"event {i}"] if size == 1 else ["", *(f"event {i} line {j}" for j in range(size - 1))]
            for i, size in enumerate(sizes)]  # fmt: skip


@pytest.mark.parametrize(
    "sizes",
    [pytest.param([1] * 60, id="sixty-quiet-events"), pytest.param([7, 12, 1, 1, 12, 7, 12, 1, 9], id="mixed"),
     pytest.param([SCREEN - 1, 2], id="one-block-fills-a-screen")],
)  # fmt: skip
def test_parts_fit_one_screen_and_keep_each_block_whole(sizes: list[int]) -> None:
    # GIVEN event blocks (a blank line, then the block's lines)  WHEN told in parts
    blocks = _blocks(sizes)
    parts = list(screens("Events 1/3: title", blocks))
    # THEN each part fits the budget, the first is headed by the title and the others say they continue it
    assert all(len(part) <= SCREEN for part in parts)
    assert parts[0][0] == "== Events 1/3: title"
    assert all(part[0] == "== Events 1/3: title (continued)" for part in parts[1:])
    assert all(part[1] for part in parts)  # no blank line right under a heading
    # AND every line of every block is there once, in order, and no block starts in one part and ends in another
    told = [line for part in parts for line in part[1:] if line]
    assert told == [line for block in blocks for line in block if line]
    for block in (b[1:] if not b[0] else b for b in blocks):
        assert any(block == part[i : i + len(block)] for part in parts for i in range(len(part))), block


def test_every_event_file_is_in_exactly_one_act_and_fixes_come_last() -> None:
    found = acts(EVENTS)
    assert [title for title, _ in found] == [title for title, _ in ACTS]
    told = [path for _, paths in found for path in paths]
    assert sorted(told) == sorted(EVENTS.glob("*.json"))
    last = found[-1][1]
    assert last[-1].stem.endswith("-fixed") and not any(p.stem.endswith("-fixed") for p in told[:-1])
