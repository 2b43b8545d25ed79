"""Which communities this process acts for: leases in the shared database.

With PostgreSQL several ``hearth run`` processes may share one database. Each
community is then owned by one process at a time, by a lease in
``hearth_leases`` timed by the *database's* clock (``now()``), so processes on
machines whose clocks differ agree. The owner renews its leases every third
of :data:`LEASE_TTL`; a process that finds a lease expired takes it. Every
process records itself in ``hearth_processes`` (for ``hearth status``).

A process that cannot renew stops acting before its lease can expire: it
counts its ownership from the moment it *sent* its last successful renewal,
on its own monotonic clock, and gives it up a third of the expiry early. So
two processes never act for one community, whatever the delays.

With SQLite (one process) there is nothing to share: the process owns every
community, in-process, and nothing is written.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Collection
from datetime import timedelta

from hearth.errors import StorageError
from hearth.storage import Database

log = logging.getLogger(__name__)

#: how long a lease lasts without renewal (the issue's ceiling is 30 s)
LEASE_TTL = timedelta(seconds=20)

#: the database's clock, in integer epoch milliseconds
DATABASE_NOW = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)"


def process_name() -> str:
    """A name for this process, unique among those sharing a database."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Leases:
    """This process's leases on ``communities`` in ``db``.

    :meth:`owned` says which communities it may act for right now; None means
    all of them (SQLite: the only process).
    """

    def __init__(self, db: Database, communities: Collection[str], *, name: str | None = None,
                 ttl: timedelta = LEASE_TTL,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.db = db
        #: True when other processes may share the database (PostgreSQL)
        self.shared = db.dialect == "postgresql"
        self.name = name or process_name()
        self.ttl = ttl
        self._communities = sorted(communities)
        self._monotonic = monotonic
        self._held: frozenset[str] = frozenset()
        #: the monotonic time the last successful renewal was sent
        self._renewed_at: float | None = None
        #: called when the communities owned change (the scheduler looks for their jobs)
        self.on_change: Callable[[], None] = lambda: None


    def owned(self) -> frozenset[str] | None:
        """The communities this process may act for now (None: every one)."""
        if not self.shared:
            return None
        if self._renewed_at is None:
            return frozenset()
        safe = self.ttl.total_seconds() * 2 / 3
        if self._monotonic() - self._renewed_at >= safe:
            return frozenset()
        return self._held

    def owns(self, community: str) -> bool:
        """True when this process may act for ``community`` now."""
        owned = self.owned()
        return owned is None or community in owned

    async def renew(self) -> frozenset[str] | None:
        """Renew the leases held and take the free or expired ones; return :meth:`owned`."""
        if not self.shared:
            return None
        sent = self._monotonic()
        ttl_ms = int(self.ttl.total_seconds() * 1000)
        before = self.owned()
        async with self.db.transaction() as db:
            await db.execute(
                "INSERT INTO hearth_processes (name, host, pid, started_ms, seen_ms)"
                f" VALUES (?, ?, ?, {DATABASE_NOW}, {DATABASE_NOW})"
                " ON CONFLICT (name) DO UPDATE SET seen_ms = excluded.seen_ms",
                (self.name, socket.gethostname(), os.getpid()))
            rows = await db.fetch(
                "INSERT INTO hearth_leases AS l (community, holder, since_ms, renewed_ms, expires_ms)"
                f" SELECT c, ?, {DATABASE_NOW}, {DATABASE_NOW}, {DATABASE_NOW} + ?"
                " FROM unnest(CAST(? AS TEXT[])) AS c"
                " ON CONFLICT (community) DO UPDATE SET holder = excluded.holder,"
                " since_ms = CASE WHEN l.holder = excluded.holder THEN l.since_ms"
                " ELSE excluded.since_ms END,"
                " renewed_ms = excluded.renewed_ms, expires_ms = excluded.expires_ms"
                " WHERE l.holder = excluded.holder OR l.expires_ms < excluded.renewed_ms"
                " RETURNING community",
                (self.name, ttl_ms, self._communities))
        self._held = frozenset(r["community"] for r in rows)
        self._renewed_at = sent
        now = self.owned()
        if now != before:
            gained = sorted((now or frozenset()) - (before or frozenset()))
            lost = sorted((before or frozenset()) - (now or frozenset()))
            if gained:
                log.info("%s now acts for %s", self.name, ", ".join(gained))
            if lost:
                log.warning("%s no longer acts for %s", self.name, ", ".join(lost))
            self.on_change()
        return now

    async def release(self) -> None:
        """Give up every lease at once (a clean stop), so another process takes over now."""
        if not self.shared:
            return
        self._renewed_at = None
        await self.db.execute("DELETE FROM hearth_leases WHERE holder = ?", (self.name,))
        await self.db.execute("DELETE FROM hearth_processes WHERE name = ?", (self.name,))

    async def run_forever(self) -> None:
        """Renew every third of the expiry (until cancelled); a failed renewal is retried."""
        interval = self.ttl.total_seconds() / 3
        while True:
            try:
                await self.renew()
            except StorageError as exc:
                log.warning("%s could not renew its leases: %s", self.name, exc)
            await asyncio.sleep(interval)
