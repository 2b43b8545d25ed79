"""Time for everything in Hearth.

All code asks a :class:`Clock` for the time; nothing calls ``datetime.now``.
:class:`SystemClock` is real time. :class:`VirtualClock` moves only when told
to, which is how tests, ``hearth simulate`` and the console's ``/time +2h``
control time: the scheduler runs the jobs that fall due as it is advanced, and
whatever sleeps on the virtual clock (the outbound flow's pacing) wakes when
time is moved past its deadline.
"""

from __future__ import annotations

import abc
import asyncio
import heapq
import itertools
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from hearth.timeutil import format_duration, to_ms

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
"""Virtual time starts no earlier than this …"""
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
"""… and never reaches this (date arithmetic near year 1 or 9999 overflows)."""
MAX_JUMP = timedelta(days=366)
"""The furthest virtual time moves in one step (``wait``, ``at``, ``/time``): every job
falling due on the way runs, so a jump of centuries would run for minutes."""


class Clock(abc.ABC):
    """The current time, always timezone-aware (UTC)."""

    virtual = False
    _sleeping: set[asyncio.Task[Any]]

    def is_sleeping(self, task: asyncio.Task[Any]) -> bool:
        """Whether ``task`` is waiting in :meth:`sleep_until` (so it waits for time, not work)."""
        return task in getattr(self, "_sleeping", ())

    def _sleeper(self) -> asyncio.Task[Any] | None:
        task = asyncio.current_task()
        if task is not None:
            if not hasattr(self, "_sleeping"):
                self._sleeping = set()
            self._sleeping.add(task)
        return task

    def _awake(self, task: asyncio.Task[Any] | None) -> None:
        if task is not None:
            self._sleeping.discard(task)

    @abc.abstractmethod
    def now(self) -> datetime:
        """The current instant."""

    def now_ms(self) -> int:
        """The current instant in milliseconds since the epoch (as :attr:`Message.time_ms
        <hearth.models.Message.time_ms>` and stored times are)."""
        return to_ms(self.now())

    @abc.abstractmethod
    async def sleep_until(self, when: datetime, wake: asyncio.Event | None = None) -> None:
        """Sleep until ``when`` or until ``wake`` is set, whichever comes first."""


class SystemClock(Clock):
    """Real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    async def sleep_until(self, when: datetime, wake: asyncio.Event | None = None) -> None:
        delay = max(0.0, (when - self.now()).total_seconds())
        task = self._sleeper()
        try:
            if wake is None:
                await asyncio.sleep(delay)
                return
            # Not asyncio.wait_for: on Python 3.11 it swallows a cancellation that arrives
            # as ``wake`` is set, and the task sleeping here would then never stop.
            woken = asyncio.ensure_future(wake.wait())
            try:
                await asyncio.wait((woken,), timeout=delay)
            finally:
                woken.cancel()
        finally:
            self._awake(task)


class VirtualClock(Clock):
    """Time that moves only through :meth:`set`.

    A sleeper wakes when :meth:`set` moves time to or past its deadline (or when
    its ``wake`` event is set); :meth:`next_wake` tells a driver (tests,
    ``simulate``, the console) where the next sleeper is due, so it can step
    time through every deadline in order.
    """

    virtual = True

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the virtual clock needs a timezone-aware start time")
        check_instant(start)
        self._now = start.astimezone(UTC)
        self._now_ms = to_ms(self._now)
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None], asyncio.Task[Any] | None]] = []
        self._order = itertools.count()

    def now(self) -> datetime:
        return self._now

    def now_ms(self) -> int:
        return self._now_ms

    def set(self, when: datetime) -> None:
        """Move to ``when`` (time never goes backwards), waking sleepers due by then."""
        when = when.astimezone(UTC)
        if when < self._now:
            raise ValueError(f"time cannot go backwards ({when} < {self._now})")
        self._now = when
        self._now_ms = to_ms(when)
        while self._sleepers and self._sleepers[0][0] <= when:
            _, _, waiter, task = heapq.heappop(self._sleepers)
            if not waiter.done():
                waiter.set_result(None)
                self._awake(task)  # at once: it is due, no longer waiting for time

    def next_wake(self) -> datetime | None:
        """The earliest deadline anyone sleeps until, if any."""
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)  # woken early or cancelled
        return self._sleepers[0][0] if self._sleepers else None

    def check_jump(self, target: datetime) -> None:
        """``ValueError`` unless moving to ``target`` is a step forward of at most :data:`MAX_JUMP`."""
        if target < self._now:
            raise ValueError(f"{target.isoformat()} is before the current time; time never goes back")
        if target - self._now > MAX_JUMP:
            raise ValueError(
                f"a jump of more than {format_duration(MAX_JUMP)} at once is refused (to "
                f"{target.date().isoformat()}); move time in steps of at most {format_duration(MAX_JUMP)}"
            )
        check_instant(target)

    async def sleep_until(self, when: datetime, wake: asyncio.Event | None = None) -> None:
        if when <= self._now:
            await asyncio.sleep(0)
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        task = self._sleeper()
        heapq.heappush(self._sleepers, (when.astimezone(UTC), next(self._order), waiter, task))
        if wake is None:
            try:
                await waiter
            finally:
                waiter.cancel()
                self._awake(task)
            return
        woken = asyncio.ensure_future(wake.wait())
        try:
            await asyncio.wait((waiter, woken), return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
            woken.cancel()
            self._awake(task)


def check_instant(when: datetime) -> datetime:
    """``when`` if virtual time may be there (from 1970 to before 9000), else ``ValueError``."""
    try:
        inside = EARLIEST <= when < LATEST
    except OverflowError:  # a year-1 time with a positive offset is before year 1 in UTC
        inside = False
    if not inside:
        raise ValueError(f"{when.isoformat()} is outside virtual time (years 1970 to 8999)")
    return when
