"""Which communities this process acts for: leases in the shared database.

With PostgreSQL several ``hearth run`` processes may share one database. Each
community is then owned by one process at a time, by a lease in
``hearth_leases`` timed by the *database's* clock (``now()``), so processes on
machines whose clocks differ agree. The owner renews its leases every third
of :data:`LEASE_TTL`; a process that finds a lease expired takes it. Every
process records itself in ``hearth_processes`` at each renewal; those seen
within the expiry are the *live* processes (a process not seen for
:data:`PROCESS_KEEP` is deleted there).

Processes divide the work: each holds at most its fair share of the
communities, ``ceil(communities / live processes)``, and gives back what it
holds beyond it (a process joined), which the others take at their next
renewal. A network may have parts that processes claim (:class:`~hearth.ports.Claims`:
Discord shards), leased in the same table under their keys; a community on
such a part belongs to the process holding the part, the others by lease of
their own.

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
import math
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import timedelta

from hearth.errors import StorageError
from hearth.ports import Claims
from hearth.storage import Database

log = logging.getLogger(__name__)

#: how long a lease lasts without renewal (the issue's ceiling is 30 s)
LEASE_TTL = timedelta(seconds=20)

#: a process not seen for this long is forgotten (its row in ``hearth_processes`` deleted);
#: until then ``hearth status`` shows it as gone
PROCESS_KEEP = timedelta(days=1)

#: the database's clock, in integer epoch milliseconds
DATABASE_NOW = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)"


async def _nothing(communities: frozenset[str]) -> None:
    return None


def process_name() -> str:
    """A name for this process, unique among those sharing a database."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Leases:
    """This process's leases on ``communities`` (and on the parts ``claims`` name) in ``db``.

    :meth:`owned` says which communities it may act for right now; None means
    all of them (SQLite: the only process).
    """

    def __init__(self, db: Database, communities: Collection[str], *, name: str | None = None,
                 claims: Sequence[Claims] = (), ttl: timedelta = LEASE_TTL,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.db = db
        #: True when other processes may share the database (PostgreSQL)
        self.shared = db.dialect == "postgresql"
        self.name = name or process_name()
        self.ttl = ttl
        self.claims = tuple(claims)
        #: community -> the claimed part it follows
        self._follows = {c: key for claim in self.claims for c, key in claim.communities.items()
                         if c in communities}
        self._communities = sorted(c for c in communities if c not in self._follows)
        self._monotonic = monotonic
        self._held: frozenset[str] = frozenset()
        #: the monotonic time the last successful renewal was sent
        self._renewed_at: float | None = None
        self._told: frozenset[str] | None = None
        self._last: frozenset[str] | None = frozenset()
        #: called when the communities owned change (the scheduler looks for their jobs)
        self.on_change: Callable[[], None] = lambda: None
        #: called with the claimed parts held when they change (adapters connect to those)
        self.on_claimed: Callable[[frozenset[str]], None] = lambda keys: None
        #: awaited with the communities this process is about to take over from another,
        #: before it acts for them (it reads again what the other left)
        self.on_gain: Callable[[frozenset[str]], Awaitable[None]] = _nothing

    def _valid(self) -> frozenset[str]:
        """The lease keys held, as long as they are safe to act on (else none)."""
        if self._renewed_at is None:
            return frozenset()
        safe = self.ttl.total_seconds() * 2 / 3
        if self._monotonic() - self._renewed_at >= safe:
            return frozenset()
        return self._held

    def owned(self) -> frozenset[str] | None:
        """The communities this process may act for now (None: every one)."""
        if not self.shared:
            return None
        return self._owning(self._valid())

    def _owning(self, held: frozenset[str]) -> frozenset[str]:
        """The communities holding the lease keys ``held`` makes this process own."""
        return held.intersection(self._communities).union(
            c for c, key in self._follows.items() if key in held)

    def owns(self, community: str) -> bool:
        """True when this process may act for ``community`` now."""
        owned = self.owned()
        return owned is None or community in owned

    def claimed(self) -> frozenset[str]:
        """The claimed parts this process may connect to now (with SQLite: every one)."""
        keys = frozenset(k for claim in self.claims for k in claim.keys)
        return keys if not self.shared else self._valid() & keys

    async def renew(self) -> frozenset[str] | None:
        """Renew the leases held, give back those beyond the fair share and take free or
        expired ones up to it; return :meth:`owned`."""
        if not self.shared:
            self._tell()
            return None
        sent = self._monotonic()
        ttl_ms = int(self.ttl.total_seconds() * 1000)
        async with self.db.transaction() as db:
            await db.execute(
                "INSERT INTO hearth_processes (name, host, pid, started_ms, seen_ms)"
                f" VALUES (?, ?, ?, {DATABASE_NOW}, {DATABASE_NOW})"
                " ON CONFLICT (name) DO UPDATE SET seen_ms = excluded.seen_ms",
                (self.name, socket.gethostname(), os.getpid()))
            await db.execute(  # the dead (kill -9) leave a row: forgotten after a day
                f"DELETE FROM hearth_processes WHERE seen_ms < {DATABASE_NOW} - ?",
                (int(PROCESS_KEEP.total_seconds() * 1000),))
            live = int(await db.fetchval(
                f"SELECT COUNT(*) FROM hearth_processes WHERE seen_ms > {DATABASE_NOW} - ?",
                (ttl_ms,)))
            groups = [(self._communities, math.ceil(len(self._communities) / live))]
            for claim in self.claims:
                share = math.ceil(len(claim.keys) / live)
                groups.append((list(claim.keys), len(claim.keys) if claim.per_process is None
                               else min(claim.per_process, share)))
            held: set[str] = set()
            surplus: set[str] = set()
            for keys, most in groups:
                kept = await self._renew_held(db, keys, ttl_ms)
                surplus.update(kept[most:])
                held.update(kept[:most])
                for key in await self._free(db, keys):
                    if len(held.intersection(keys)) >= most:
                        break
                    if await self._take(db, key, ttl_ms):
                        held.add(key)
        if self._renewed_at is not None:  # at start, what there is to read was just read
            gained = self._owning(frozenset(held)) - (self._last or frozenset())
            if gained:
                await self.on_gain(gained)
        # Stop acting for the surplus before giving it back: only then may another take it.
        self._held = frozenset(held)
        self._renewed_at = sent
        if surplus:
            await self.db.execute(
                "DELETE FROM hearth_leases WHERE holder = ? AND community = ANY(CAST(? AS TEXT[]))",
                (self.name, sorted(surplus)))
            log.info("%s gives back %s (beyond its share of %d live processes)",
                     self.name, ", ".join(sorted(surplus)), live)
        self._changed()
        return self.owned()

    async def _renew_held(self, db: Database, keys: list[str], ttl_ms: int) -> list[str]:
        """Renew this process's leases among ``keys``; return them, the longest held first."""
        rows = await db.fetch(
            f"UPDATE hearth_leases SET renewed_ms = {DATABASE_NOW},"
            f" expires_ms = {DATABASE_NOW} + ? WHERE holder = ?"
            " AND community = ANY(CAST(? AS TEXT[])) RETURNING community, since_ms",
            (ttl_ms, self.name, keys))
        return [r["community"] for r in sorted(rows, key=lambda r: (r["since_ms"], r["community"]))]

    async def _free(self, db: Database, keys: list[str]) -> list[str]:
        """The keys among ``keys`` nobody holds (never leased, or expired)."""
        rows = await db.fetch(
            "SELECT c FROM unnest(CAST(? AS TEXT[])) AS c WHERE NOT EXISTS"
            " (SELECT 1 FROM hearth_leases l WHERE l.community = c"
            f" AND l.expires_ms >= {DATABASE_NOW}) ORDER BY c", (keys,))
        return [r["c"] for r in rows]

    async def _take(self, db: Database, key: str, ttl_ms: int) -> bool:
        """Take the lease on ``key`` if it is still free; True when taken."""
        row = await db.fetchrow(
            "INSERT INTO hearth_leases AS l (community, holder, since_ms, renewed_ms, expires_ms)"
            f" VALUES (?, ?, {DATABASE_NOW}, {DATABASE_NOW}, {DATABASE_NOW} + ?)"
            " ON CONFLICT (community) DO UPDATE SET holder = excluded.holder,"
            " since_ms = excluded.since_ms, renewed_ms = excluded.renewed_ms,"
            " expires_ms = excluded.expires_ms"
            " WHERE l.expires_ms < excluded.renewed_ms RETURNING community",
            (key, self.name, ttl_ms))
        return row is not None

    def _changed(self) -> None:
        """Log and tell what this process acts for, when that changed since last told."""
        before, now = self._last, self.owned()
        self._last = now
        if now != before:
            gained = sorted((now or frozenset()) - (before or frozenset()))
            lost = sorted((before or frozenset()) - (now or frozenset()))
            if gained:
                log.info("%s now acts for %s", self.name, ", ".join(gained))
            if lost:
                log.warning("%s no longer acts for %s", self.name, ", ".join(lost))
            self.on_change()
        self._tell()

    def _tell(self) -> None:
        """Tell the adapters the parts they may connect to, when that changed."""
        claimed = self.claimed()
        if claimed != self._told:
            self._told = claimed
            self.on_claimed(claimed)

    async def release(self) -> None:
        """Give up every lease at once (a clean stop), so another process takes over now."""
        if not self.shared:
            return
        self._renewed_at = None
        await self.db.execute("DELETE FROM hearth_leases WHERE holder = ?", (self.name,))
        await self.db.execute("DELETE FROM hearth_processes WHERE name = ?", (self.name,))

    async def run_forever(self) -> None:
        """Renew every third of the expiry (until cancelled); a failed renewal is retried.

        While renewals fail, the adapters are told to disconnect from their parts as
        soon as the leases are no longer safe to act on, before they expire.
        """
        interval = self.ttl.total_seconds() / 3
        while True:
            try:
                await self.renew()
                wait = interval
            except StorageError as exc:
                log.warning("%s could not renew its leases: %s", self.name, exc)
                self._changed()
                wait = interval
                if self._renewed_at is not None:
                    safe = self._renewed_at + self.ttl.total_seconds() * 2 / 3
                    wait = min(interval, max(0.01, safe - self._monotonic()))
            await asyncio.sleep(wait)
