"""Spacing an action out in time across the processes sharing a database.

A network may allow an action only so often for the whole account, whichever
process performs it: Discord lets one IDENTIFY (a gateway session start) per
5 seconds per ``max_concurrency`` bucket. :meth:`Spacing.wait` returns when
the caller may act, at least ``interval`` seconds after the last caller with
the same key.

With PostgreSQL each key is a row of ``hearth_spacing`` holding the earliest
time the next caller may act, timed by the database's clock (so machines whose
clocks differ agree). One statement reserves the next free time and moves the
row on by ``interval``; the caller sleeps until its time. Callers never wait
on a lock, and a reservation left unused (its process died) only delays the
next one. With SQLite (one process) the same is kept in memory.
"""

from __future__ import annotations

import asyncio

from hearth.storage import Database, Migration, Store

NAMESPACE = "hearth:spacing"

#: the database's clock at the statement's start, in integer epoch milliseconds
_NOW = "CAST(EXTRACT(EPOCH FROM now()) * 1000 AS BIGINT)"


async def _v1(store: Store) -> None:
    await store.execute(
        "CREATE TABLE hearth_spacing (key TEXT PRIMARY KEY, next_ms BIGINT NOT NULL)")


MIGRATIONS: tuple[Migration, ...] = (_v1,)


class Spacing:
    """Keys whose callers act at least an interval apart (in every process sharing ``db``)."""

    def __init__(self, db: Database | None = None) -> None:
        #: the database shared with other processes (None: in this process only)
        self.db = db if db is not None and db.dialect == "postgresql" else None
        self._next: dict[str, float] = {}  # key -> loop time the next caller may act

    async def open(self) -> None:
        """Create the table (only a shared database has one)."""
        if self.db is not None:
            await self.db.migrate(Store(self.db, NAMESPACE), MIGRATIONS)

    async def wait(self, key: str, interval: float) -> None:
        """Return when the caller may act: ``interval`` seconds after the previous caller
        with ``key`` (at once if none acted that recently); its own time is reserved."""
        if self.db is None:
            loop = asyncio.get_running_loop()
            start = max(loop.time(), self._next.get(key, 0.0))
            self._next[key] = start + interval
            delay = start - loop.time()
        else:
            step = round(interval * 1000)
            delay = int(await self.db.fetchval(
                f"INSERT INTO hearth_spacing AS s (key, next_ms) VALUES (?, {_NOW} + ?)"
                f" ON CONFLICT (key) DO UPDATE SET next_ms = GREATEST(s.next_ms, {_NOW}) + ?"
                f" RETURNING s.next_ms - ? - {_NOW}", (key, step, step, step))) / 1000
        if delay > 0:
            await asyncio.sleep(delay)
