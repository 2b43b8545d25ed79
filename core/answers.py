"""Answers to a command run by another process, for the process that waits for them.

With several processes on one PostgreSQL, a command that a process cannot run
itself (the dashboard's action for a community another process acts for) is
stored for the owner (:mod:`hearth.inbox`). When the asking process waits for
its answers, it records the request in ``hearth_answers`` in the same
transaction that stores the command (:meth:`Answers.expect`). The owner, having
run a stored command whose request is recorded, writes its answers into that
row and notifies ``hearth_answers`` in the transaction that deletes the stored
command (:meth:`Answers.give`); the asker, woken, takes the answers and deletes
the row (:meth:`Answers.wait`). An asker that stops waiting leaves the row:
the command still runs, its answers are written and read by no one, and the row
is deleted once it expires (:data:`KEEP`, :meth:`Answers.prune`).

With SQLite there is one process, which runs every command itself: nothing is
recorded here.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from hearth.leases import DATABASE_NOW
from hearth.storage import Database

#: the channel the owner notifies when it wrote answers
ANSWERS_CHANNEL = "hearth_answers"
#: how long a request is kept when nobody takes its answers
KEEP = timedelta(days=1)


class Answers:
    """Requests for answers in ``hearth_answers`` (PostgreSQL)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._waiting: set[asyncio.Event] = set()
        self._listening = False

    def _wake(self) -> None:
        for woken in self._waiting:
            woken.set()

    async def expect(self, request: str, community: str) -> None:
        """Record that this process waits for the answers of ``request`` (joins the caller's
        transaction, which stores the command)."""
        if not self._listening:  # listening before the command is stored: no answer missed
            await self.db.listen(ANSWERS_CHANNEL, self._wake)
            self._listening = True
        await self.db.execute(
            "INSERT INTO hearth_answers (request, community, expires_ms)"
            f" VALUES (?, ?, {DATABASE_NOW} + ?) ON CONFLICT (request) DO NOTHING",
            (request, community, int(KEEP.total_seconds() * 1000)))

    async def awaited(self, request: str) -> bool:
        """Whether a process waits for the answers of ``request`` (the owner asks before
        running a stored command)."""
        return await self.db.fetchval(
            "SELECT COUNT(*) FROM hearth_answers WHERE request = ? AND answers IS NULL",
            (request,)) > 0

    async def give(self, request: str, answers: list[str]) -> None:
        """Write the answers of ``request`` and wake the processes waiting (joins the caller's
        transaction; the notification is sent at commit)."""
        await self.db.execute("UPDATE hearth_answers SET answers = ? WHERE request = ?",
                              (json.dumps(answers, ensure_ascii=False), request))
        await self.db.notify(ANSWERS_CHANNEL)

    async def wait(self, request: str, within: float) -> list[str] | None:
        """The answers of ``request``, taken (the row is deleted) once the owner wrote them;
        None when they did not come ``within`` seconds (the row stays for the owner)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        woken = asyncio.Event()
        self._waiting.add(woken)
        try:
            while True:
                woken.clear()  # before reading: a notification from now on wakes the wait
                row = await self.db.fetchrow(
                    "DELETE FROM hearth_answers WHERE request = ? AND answers IS NOT NULL"
                    " RETURNING answers", (request,))
                if row is not None:
                    return [str(a) for a in json.loads(row["answers"])]
                left = deadline - loop.time()
                if left <= 0:
                    return None
                try:
                    await asyncio.wait_for(woken.wait(), left)
                except TimeoutError:
                    pass
        finally:
            self._waiting.discard(woken)

    async def prune(self) -> int:
        """Delete the requests expired (their asker stopped waiting long ago); how many."""
        rows = await self.db.fetch(
            f"DELETE FROM hearth_answers WHERE expires_ms < {DATABASE_NOW} RETURNING request")
        return len(rows)
