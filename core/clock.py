"""Time for everything in Hearth.

All code asks a :class:`Clock` for the time; nothing calls ``datetime.now``.
:class:`SystemClock` is real time. :class:`VirtualClock` moves only when told
to, which is how tests, ``hearth simulate`` and the console's ``/time +2h``
control time: the scheduler runs the jobs that fall due as it is advanced.
"""

from __future__ import annotations

import abc
import asyncio
from datetime import UTC, datetime


class Clock(abc.ABC):
    """The current time, always timezone-aware (UTC)."""

    virtual = False

    @abc.abstractmethod
    def now(self) -> datetime:
        """The current instant."""

    @abc.abstractmethod
    async def sleep_until(self, when: datetime, wake: asyncio.Event | None = None) -> None:
        """Sleep until ``when`` or until ``wake`` is set, whichever comes first."""


class SystemClock(Clock):
    """Real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, when: datetime, wake: asyncio.Event | None = None) -> None:
        delay = max(0.0, (when - self.now()).total_seconds())
        if wake is None:
            await asyncio.sleep(delay)
            return
        try:
            await asyncio.wait_for(wake.wait(), timeout=delay)
        except TimeoutError:
            pass


class VirtualClock(Clock):
    """Time that moves only through :meth:`set`; sleepers never wake on their own.

    The scheduler is driven explicitly (see ``Scheduler.advance``), so nothing
    waits on this clock in virtual mode; :meth:`sleep_until` only yields.
    """

    virtual = True

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the virtual clock needs a timezone-aware start time")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        """Move to ``when``; time never goes backwards."""
        when = when.astimezone(UTC)
        if when < self._now:
            raise ValueError(f"time cannot go backwards ({when} < {self._now})")
        self._now = when

    async def sleep_until(self, when: datetime, wake: asyncio.Event | None = None) -> None:
        if wake is not None and when > self._now:
            await wake.wait()
        else:
            await asyncio.sleep(0)
