"""Persistent jobs: one-off and recurring, timezone-aware, surviving restarts.

A job belongs to a plugin in a community and is named by a ``key`` unique
there (scheduling the same key again moves it). Jobs live in the database, so
a restart loses none; overdue jobs run once at start-up (a recurring job that
missed several runs runs once, then keeps its rhythm). Recurring jobs whose
interval is whole days keep their local wall-clock time across DST changes.

A job is claimed before it runs (its due time moves forward by a lease), so
several processes sharing one database never run it twice at once; a process
that dies mid-job leaves it to be retried when the lease ends.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hearth.clock import Clock, VirtualClock
from hearth.storage import Database
from hearth.timeutil import add_calendar

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
IDLE_CHECK = timedelta(seconds=60)


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    """A scheduled job as its handler sees it."""

    community: str
    plugin: str
    key: str
    due: datetime
    data: dict[str, Any] = field(default_factory=dict)
    every: timedelta | None = None


def _ts(when: datetime) -> float:
    return when.timestamp()


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


class Scheduler:
    """Runs due jobs through ``handler``; driven by real time or by :meth:`advance`."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        handler: Callable[[Job], Awaitable[None]],
        zone_for: Callable[[str], ZoneInfo],
    ) -> None:
        self._db = db
        self._clock = clock
        self._handler = handler
        self._zone_for = zone_for
        self._changed = asyncio.Event()

    async def schedule(
        self,
        community: str,
        plugin: str,
        key: str,
        at: datetime,
        *,
        data: dict[str, Any] | None = None,
        every: timedelta | None = None,
    ) -> None:
        """Create or move the job ``key``; it runs at ``at`` (then every ``every``)."""
        await self._db.execute(
            "INSERT INTO hearth_jobs (community, plugin, key, due, every_seconds, data)"
            " VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (community, plugin, key) DO UPDATE SET due = excluded.due,"
            " every_seconds = excluded.every_seconds, data = excluded.data",
            (
                community,
                plugin,
                key,
                _ts(at),
                every.total_seconds() if every else None,
                json.dumps(data or {}),
            ),
        )
        self._changed.set()

    async def cancel(self, community: str, plugin: str, key: str) -> bool:
        """Remove the job ``key``; True if there was one."""
        n = await self._db.execute(
            "DELETE FROM hearth_jobs WHERE community = ? AND plugin = ? AND key = ?",
            (community, plugin, key),
        )
        return n > 0

    async def jobs(self, community: str, plugin: str, prefix: str = "") -> list[Job]:
        """The plugin's jobs in a community whose key starts with ``prefix``, by due time."""
        rows = await self._db.fetchall(
            "SELECT * FROM hearth_jobs WHERE community = ? AND plugin = ? AND key LIKE ?"
            " ORDER BY due, id",
            (community, plugin, prefix.replace("%", "\\%") + "%"),
        )
        return [self._job(r) for r in rows]

    def _job(self, row: Any) -> Job:
        every = row["every_seconds"]
        return Job(
            community=row["community"],
            plugin=row["plugin"],
            key=row["key"],
            due=_dt(row["due"]),
            data=json.loads(row["data"]),
            every=timedelta(seconds=every) if every else None,
        )

    async def next_due(self) -> datetime | None:
        row = await self._db.fetchone("SELECT MIN(due) AS due FROM hearth_jobs")
        return None if row is None or row["due"] is None else _dt(row["due"])

    async def run_due(self) -> int:
        """Run every job due now, in due order; return how many ran."""
        now = self._clock.now()
        rows = await self._db.fetchall(
            "SELECT * FROM hearth_jobs WHERE due <= ? ORDER BY due, id", (_ts(now),)
        )
        ran = 0
        for row in rows:
            job = self._job(row)
            if job.every:
                zone = self._zone_for(job.community)
                following = add_calendar(job.due, job.every, zone)
                while following <= now:
                    following = add_calendar(following, job.every, zone)
                claim = following
            else:
                claim = now + LEASE
            claimed = await self._db.execute(
                "UPDATE hearth_jobs SET due = ? WHERE id = ? AND due = ?",
                (_ts(claim), row["id"], row["due"]),
            )
            if not claimed:
                continue  # another process took it
            try:
                await self._handler(job)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("job %s of %s in %s failed", job.key, job.plugin, job.community)
            if not job.every:
                # The handler may have rescheduled the same key: keep that.
                await self._db.execute(
                    "DELETE FROM hearth_jobs WHERE id = ? AND due = ?", (row["id"], _ts(claim))
                )
            ran += 1
        return ran

    async def run_forever(self) -> None:
        """Run jobs as they fall due in real time (until cancelled)."""
        while True:
            self._changed.clear()
            await self.run_due()
            now = self._clock.now()
            nxt = await self.next_due()
            until = now + IDLE_CHECK if nxt is None else min(nxt, now + IDLE_CHECK)
            await self._clock.sleep_until(until, self._changed)

    async def advance(self, target: datetime, settle: Callable[[], Awaitable[None]]) -> None:
        """Move a virtual clock to ``target``, running each job at its due time, in order.

        Whatever sleeps on the clock (outbound pacing, retries) wakes at its own
        deadline on the way.
        """
        clock = self._clock
        if not isinstance(clock, VirtualClock):
            raise TypeError("only a virtual clock can be advanced")
        clock.check_jump(target)
        while True:
            await settle()
            nxt = await self.next_due()
            wake = clock.next_wake()
            if wake is not None and (nxt is None or wake < nxt):
                nxt = wake
            if nxt is None or nxt > target:
                break
            clock.set(max(nxt, clock.now()))
            await self.run_due()
        clock.set(target)
        await settle()
