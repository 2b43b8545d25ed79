"""The real-time clock's sleep: woken early, and always cancellable."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from hearth.clock import SystemClock, VirtualClock
from hearth.timeutil import to_ms


@pytest.mark.asyncio
async def test_a_sleep_is_woken_by_its_event() -> None:
    clock, wake = SystemClock(), asyncio.Event()
    task = asyncio.create_task(clock.sleep_until(clock.now() + timedelta(hours=1), wake))
    await asyncio.sleep(0)
    wake.set()
    await asyncio.wait_for(task, 5)


@pytest.mark.asyncio
async def test_a_sleep_cancelled_as_it_is_woken_is_cancelled() -> None:
    # A scheduler stopped just as a job was scheduled: the cancellation must win,
    # or the scheduler's loop runs on and whoever awaits it waits for ever.
    clock, wake = SystemClock(), asyncio.Event()
    task = asyncio.create_task(clock.sleep_until(clock.now() + timedelta(hours=1), wake))
    await asyncio.sleep(0)
    wake.set()
    await asyncio.sleep(0)  # the event's waiter is done; the sleeper not yet resumed
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_the_clocks_give_the_instant_in_epoch_milliseconds_too() -> None:
    start = datetime(2026, 3, 2, 7, 0, 0, 999_999, tzinfo=UTC)
    virtual = VirtualClock(start)
    assert virtual.now_ms() == to_ms(start) == 1772434800999
    virtual.set(start + timedelta(seconds=1, microseconds=1))
    assert virtual.now_ms() == 1772434802000
    system = SystemClock()
    before, ms, after = to_ms(system.now()), system.now_ms(), to_ms(system.now())
    assert before <= ms <= after
