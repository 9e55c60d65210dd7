"""`aws_bounds`: a call's worst case under `bounded_config` ends before the time it was given (issue 9 #1)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from chalicelib.aws_bounds import MARGIN, Bounded, bounded_config, step_down


def worst_case(config: Any) -> float:
    """Every attempt connecting and reading up to its timeouts, standard mode's longest sleep before each retry."""
    attempts = config.retries["total_max_attempts"]
    sleeps = sum(2 ** (retry - 1) for retry in range(1, attempts))
    return float(attempts * (config.connect_timeout + config.read_timeout) + sleeps)


@pytest.mark.parametrize("seconds", [0.0, 0.3, 1.0, 2.0, 2.9, 5.0, 9.0, 30.0, 300.0, 900.0])
def test_a_call_ends_a_margin_before_the_time_left(seconds: float) -> None:
    config = bounded_config(seconds)
    assert config.retries["mode"] == "standard" and 1 <= config.retries["total_max_attempts"] <= 3
    assert config.connect_timeout > 0 and config.read_timeout > 0
    if seconds > 1:
        assert worst_case(config) <= seconds - MARGIN + 1e-9, vars(config)


def test_retries_are_kept_when_there_is_time_and_dropped_when_there_is_not() -> None:
    assert bounded_config(60).retries["total_max_attempts"] == 3
    assert bounded_config(1.5).retries["total_max_attempts"] == 1
    unbounded = bounded_config(math.inf)  # outside Lambda: modest timeouts, the same retry budget
    assert (unbounded.connect_timeout, unbounded.read_timeout) == (3.0, 30.0)


def test_one_object_per_step_of_time_left_never_rounded_up() -> None:
    left = [2.7]
    built: list[Any] = []

    def build(config: Any) -> dict[str, Any]:
        built.append(config)
        return {"config": config}

    bounded = Bounded(build, lambda: left[0])
    first = bounded.now()
    left[0] = 2.1  # the same whole second: the same client
    assert bounded.now() is first and len(built) == 1
    left[0] = 1.9
    assert bounded.now() is not first and len(built) == 2
    assert bounded.get("config") is built[1]  # attribute access goes to the current one
    assert [step_down(s) for s in (0.4, 9.9, 14.0, 59.0, 61.0, math.inf)] == [0, 9, 10, 55, 60, math.inf]
