"""The cyclic collector is paused for an audit and collects once at the end (`chalicelib.gc_pause`)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator, Sequence

import pytest

from chalicelib.auditor.auditor import Auditor
from chalicelib.auditor.memory import InMemoryDeniedLog, InMemoryTrustHistory
from chalicelib.gc_pause import collector_paused, collector_running
from chalicelib.inventory.port import LoadResult
from chalicelib.state.store import InMemoryFindingStore
from tests.unit.test_auditor_incremental import World, identity_event


class _Node:
    def __init__(self) -> None:
        self.other: _Node = self


@pytest.fixture(autouse=True)
def _collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_paused_inside_and_cycles_reclaimed_when_it_ends() -> None:
    with collector_paused():
        assert not gc.isenabled()
        cycle = _Node()
        gone = weakref.ref(cycle)
        del cycle
        assert gone() is not None  # only the collector frees a cycle, and it is paused
    assert gc.isenabled()
    assert gone() is None  # the one pass at the end took it


def test_a_host_that_turned_it_off_keeps_it_off() -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_an_event_is_audited_with_the_collector_paused_and_it_resumes_even_on_failure() -> None:
    seen: list[bool] = []
    world = World()

    def load(accounts: Sequence[str] | None, organization: bool) -> LoadResult:
        seen.append(gc.isenabled())
        return world.load(accounts, organization)

    auditor = Auditor(load=load, store=InMemoryFindingStore(), history=InMemoryTrustHistory(),
                      denied=InMemoryDeniedLog(), notifiers=(), clock=world.clock)  # fmt: skip
    auditor.handle(identity_event(next(iter(world.inventory.accounts)), 1))
    assert seen == [False] and gc.isenabled()

    def broken(accounts: Sequence[str] | None, organization: bool) -> LoadResult:
        raise RuntimeError("IAM is down")

    failing = Auditor(load=broken, store=InMemoryFindingStore(), history=InMemoryTrustHistory(),
                      denied=InMemoryDeniedLog(), notifiers=())  # fmt: skip
    with pytest.raises(RuntimeError):
        failing.handle(identity_event("500000000000", 2))
    assert gc.isenabled()


def test_running_inside_a_pause_collects_new_cycles_and_leaves_the_paused_heap_alone() -> None:
    with collector_paused():
        old = _Node()
        old_ref = weakref.ref(old)
        del old
        with collector_running():
            assert gc.isenabled()
            new = _Node()
            new_ref = weakref.ref(new)
            del new
            gc.collect()
            assert new_ref() is None  # made while running: collected
            assert old_ref() is not None  # made in the pause: frozen, not scanned
        assert not gc.isenabled()
    assert old_ref() is None and gc.isenabled()
