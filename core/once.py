"""What was done already, so it is done at most once: an event handled, a message deleted.

With PostgreSQL every process sharing the database sees the records (the
table ``hearth_once``): an event received by two processes, or received
again after a restart or a takeover, is handled once; a message is deleted
once. Records are kept for :data:`KEEP` (networks do not redeliver older
events). With SQLite there is one process: the records are kept in memory,
and after a restart the adapters resume after what was handled.
"""

from __future__ import annotations

from datetime import timedelta

from hearth.clock import Clock
from hearth.people.records import to_ms
from hearth.recent import Recent
from hearth.storage import Database

#: how long a record is kept
KEEP = timedelta(days=7)
#: records kept in memory per scope (and, with PostgreSQL, recently confirmed ones)
MEMORY = 100_000

#: the scope of events handled (key: ``platform:id``)
EVENTS = "event"
#: the scope of messages whose deletion was queued (key: ``platform:id``)
DELETES = "delete"


class Once:
    """At-most-once records, by scope and key."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        #: known records (with PostgreSQL: a cache of rows that exist)
        self._known: dict[str, Recent[str, bool]] = {}

    @property
    def shared(self) -> bool:
        """True when the records are in the database (PostgreSQL)."""
        return self.db.dialect == "postgresql"

    def _memory(self, scope: str) -> Recent[str, bool]:
        known = self._known.get(scope)
        if known is None:
            known = self._known[scope] = Recent(MEMORY)
        return known

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

    async def seen(self, scope: str, key: str) -> bool:
        """True when ``key`` is recorded."""
        known = self._memory(scope)
        if key in known:
            return True
        if not self.shared:
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

    async def prune(self) -> int:
        """Forget the records older than :data:`KEEP`; return how many."""
        if not self.shared:
            return 0
        return await self.db.execute("DELETE FROM hearth_once WHERE at_ms < ?",
                                     (to_ms(self.clock.now() - KEEP),))
