"""Time for everything in Hearth.

All code asks a :class:`Clock` for the time; nothing calls ``datetime.now``.
:class:`SystemClock` is real time. :class:`VirtualClock` moves only when told
to, which is how tests, ``hearth simulate`` and the console's ``/time +2h``
control time: the scheduler runs the jobs that fall due as it is advanced.
"""

from __future__ import annotations

import abc
import asyncio
from datetime import UTC, datetime, timedelta

from hearth.timeutil import format_duration

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
        check_instant(start)
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        """Move to ``when``; time never goes backwards."""
        when = when.astimezone(UTC)
        if when < self._now:
            raise ValueError(f"time cannot go backwards ({when} < {self._now})")
        self._now = when

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
        if wake is not None and when > self._now:
            await wake.wait()
        else:
            await asyncio.sleep(0)


def check_instant(when: datetime) -> datetime:
    """``when`` if virtual time may be there (from 1970 to before 9000), else ``ValueError``."""
    try:
        inside = EARLIEST <= when < LATEST
    except OverflowError:  # a year-1 time with a positive offset is before year 1 in UTC
        inside = False
    if not inside:
        raise ValueError(f"{when.isoformat()} is outside virtual time (years 1970 to 8999)")
    return when
