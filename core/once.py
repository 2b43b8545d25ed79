"""What was done already, so it is done at most once: an event handled, a message deleted.

With PostgreSQL every process sharing the database sees the records (the
table ``hearth_once``): an event received by two processes, or received
again after a restart or a takeover, is handled once; a message is deleted
once. Records are kept for :data:`KEEP`. With SQLite there is one process:
the records are kept in memory, and after a restart the adapters resume after
what was handled.

Every record is also kept in memory, and a process reads the recent ones
(:data:`RECENT`) when it starts or takes communities over: networks redeliver
only what came after the position a process saved, seconds before it stopped.
So the events a process receives itself are checked in memory, and their
records written in batches (:meth:`Once.note`, :meth:`Once.flush`): one
database round trip per event would cost most of the throughput.
"""

from __future__ import annotations

from datetime import timedelta

from hearth.clock import Clock
from hearth.recent import Recent
from hearth.storage import Database
from hearth.timeutil import to_ms

#: how long a record is kept
KEEP = timedelta(days=7)
#: the records read into memory at start and at a takeover
RECENT = timedelta(hours=1)
#: records kept in memory per scope (and, with PostgreSQL, recently confirmed ones)
MEMORY = 100_000

#: the scope of events handled (key: ``platform:id``)
EVENTS = "event"
#: the scope of messages whose deletion was queued (key: ``platform:id``)
DELETES = "delete"
#: the scope of actions delivered (key: the action's idempotency key, :mod:`hearth.journal`)
ACTIONS = "action"


class Once:
    """At-most-once records, by scope and key."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        #: known records (with PostgreSQL: rows that exist, or are about to be written)
        self._known: dict[str, Recent[str, bool]] = {}
        #: records noted and not yet written: (scope, key, at_ms)
        self._pending: list[tuple[str, str, int]] = []

    @property
    def shared(self) -> bool:
        """True when the records are in the database (PostgreSQL)."""
        return self.db.dialect == "postgresql"

    def _memory(self, scope: str) -> Recent[str, bool]:
        known = self._known.get(scope)
        if known is None:
            known = self._known[scope] = Recent(MEMORY)
        return known

    def known(self, scope: str, key: str) -> bool:
        """True when ``key`` is recorded in memory (what this process did, and what it read)."""
        known = self._known.get(scope)
        return known is not None and key in known

    async def first(self, scope: str, key: str) -> bool:
        """Record ``key``; True when it was not recorded before (then do the thing)."""
        known = self._memory(scope)
        if key in known:
            return False
        if self.shared:
            added = await self.db.fetchval(
                "INSERT INTO hearth_once (scope, key, at_ms) VALUES (?, ?, ?)"
                " ON CONFLICT (scope, key) DO NOTHING RETURNING 1",
                (scope, key, to_ms(self.clock.now())))
            known[key] = True
            return added is not None
        return known.add(key, True)

    async def seen(self, scope: str, key: str, *, ask: bool = True) -> bool:
        """True when ``key`` is recorded (``ask=False``: look in memory only)."""
        known = self._memory(scope)
        if key in known:
            return True
        if not self.shared or not ask:
            return False
        found = await self.db.fetchval(
            "SELECT 1 FROM hearth_once WHERE scope = ? AND key = ?", (scope, key))
        if found is not None:
            known[key] = True
        return found is not None

    async def record(self, scope: str, key: str) -> None:
        """Record ``key`` (joins the caller's transaction)."""
        if self.shared:
            await self.db.execute(
                "INSERT INTO hearth_once (scope, key, at_ms) VALUES (?, ?, ?)"
                " ON CONFLICT (scope, key) DO NOTHING", (scope, key, to_ms(self.clock.now())))
        self._memory(scope)[key] = True

    def note(self, scope: str, key: str) -> None:
        """Record ``key`` now in memory, in the database at the next :meth:`flush`."""
        self._memory(scope)[key] = True
        if self.shared:
            self._pending.append((scope, key, to_ms(self.clock.now())))

    async def flush(self) -> None:
        """Write the records noted since the last flush (kept for the next on failure)."""
        rows, self._pending = self._pending, []
        if not rows:
            return
        try:
            await self.db.executemany(
                "INSERT INTO hearth_once (scope, key, at_ms) VALUES (?, ?, ?)"
                " ON CONFLICT (scope, key) DO NOTHING", rows)
        except BaseException:
            self._pending[:0] = rows
            raise

    async def load(self, scope: str) -> int:
        """Read the records of ``scope`` made in the last :data:`RECENT` into memory."""
        if not self.shared:
            return 0
        rows = await self.db.fetch("SELECT key FROM hearth_once WHERE scope = ? AND at_ms > ?",
                                   (scope, to_ms(self.clock.now() - RECENT)))
        known = self._memory(scope)
        for row in rows:
            known[row["key"]] = True
        return len(rows)

    async def prune(self) -> int:
        """Forget the records older than :data:`KEEP`; return how many."""
        if not self.shared:
            return 0
        return await self.db.execute("DELETE FROM hearth_once WHERE at_ms < ?",
                                     (to_ms(self.clock.now() - KEEP),))
