"""Inbound events on their way to the worker of their community.

:class:`Inbox` is the bounded in-memory FIFO of one community's worker: like
``asyncio.Queue`` (bounded, ``join``), with less overhead per item, since the
inbound path handles every message of every community.

:class:`SharedInbox` carries events to the process that acts for their
community when another received them (several processes on one PostgreSQL,
:mod:`hearth.leases`): the receiver writes them into the table
``hearth_inbox`` and notifies; the owner takes them, in the order they were
written, into its community's :class:`Inbox`, and deletes each row once it has
handled the event. An event is in the table before the receiver counts it as
handled, so a receiver saves its network position (a sync token) only after
the events before it are stored; a row outlives a crash of either process.
With SQLite (one process, which acts for every community) it hands events to
the worker in-process. Anything that must reach a community's worker from
outside the network adapters (the dashboard) puts events here too.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from hearth.codec import CodecError, decode, encode
from hearth.errors import StorageError
from hearth.events import Event
from hearth.storage import Database

log = logging.getLogger(__name__)

T = TypeVar("T")

#: the channel a receiver notifies when it stored events for another process
INBOX_CHANNEL = "hearth_inbox"
#: how often the owner looks for stored events when no notification came (seconds)
LOOK_EVERY = 60.0
#: rows read at once
TAKE_BATCH = 500


class Inbox(Generic[T]):
    """Bounded FIFO: ``put`` waits while full; ``join`` waits until every item is done.

    Its worker may take the items waiting straight from :attr:`items` (``popleft``),
    and then calls :meth:`taken` when :attr:`putters` wait, to let one in.
    """

    __slots__ = (
        "_getter",
        "_idle",
        "_max",
        "_reached",
        "done_count",
        "items",
        "put_count",
        "putters",
    )

    def __init__(self, maxsize: int) -> None:
        #: the items waiting, oldest first
        self.items: deque[T] = deque()
        self._max = maxsize
        self._getter: asyncio.Future[None] | None = None
        #: producers waiting for room
        self.putters: deque[asyncio.Future[None]] = deque()
        self._idle: list[asyncio.Future[None]] = []
        self._reached: list[tuple[int, asyncio.Future[None]]] = []
        #: items ever put, and ever marked done (FIFO: the first ``done`` are all handled)
        self.put_count = 0
        self.done_count = 0

    @property
    def unfinished(self) -> int:
        """Items put and not yet marked done."""
        return self.put_count - self.done_count

    def __len__(self) -> int:
        return len(self.items)

    async def put(self, item: T) -> None:
        while len(self.items) >= self._max:
            waiter = asyncio.get_running_loop().create_future()
            self.putters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self.putters:
                    self.putters.remove(waiter)
        self.push(item)

    def offer(self, item: T, *, bounded: bool = True) -> bool:
        """Put ``item`` if there is room (True), else nothing (False): :meth:`put` without
        a coroutine, for the inbound path. Not ``bounded``: put it whatever the bound."""
        items = self.items
        if bounded and len(items) >= self._max:
            return False
        items.append(item)
        self.put_count += 1
        getter = self._getter
        if getter is not None:
            self._getter = None
            if not getter.done():
                getter.set_result(None)
        return True

    def push(self, item: T) -> None:
        """Put ``item`` without waiting on the bound: for the core's own follow-up events,
        which a worker queues into its own inbox (waiting there would wait forever)."""
        self.offer(item, bounded=False)

    async def get(self) -> T:
        while not self.items:
            self._getter = asyncio.get_running_loop().create_future()
            await self._getter
        return self.get_nowait()

    def get_nowait(self) -> T:
        """The next item, without waiting (``IndexError`` when there is none)."""
        item = self.items.popleft()
        if self.putters:
            self.taken()
        return item

    def taken(self) -> None:
        """An item was taken from :attr:`items`: a producer waiting for room may put one."""
        if self.putters:
            waiter = self.putters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    def task_done(self) -> None:
        done = self.done_count = self.done_count + 1
        if self._reached:
            waiting = []
            for count, waiter in self._reached:
                if count <= done:
                    if not waiter.done():
                        waiter.set_result(None)
                else:
                    waiting.append((count, waiter))
            self._reached = waiting
        if self._idle and done == self.put_count:
            for waiter in self._idle:
                if not waiter.done():
                    waiter.set_result(None)
            self._idle.clear()

    async def join(self) -> None:
        while self.put_count != self.done_count:
            waiter = asyncio.get_running_loop().create_future()
            self._idle.append(waiter)
            await waiter

    async def reached(self, count: int) -> None:
        """Wait until the first ``count`` items ever put have been marked done."""
        if self.done_count >= count:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._reached.append((count, waiter))
        await waiter


@dataclass(frozen=True, slots=True)
class Routed:
    """An event another process stored for a community this one acts for (``seq``: its row's id)."""

    seq: int
    event: Event


class SharedInbox:
    """Events for communities other processes act for, kept in ``hearth_inbox`` until handled.

    ``deliver(community, item)`` queues an item for the community's worker
    without waiting: a :class:`Routed` row taken here, or (SQLite) the event
    itself. The worker calls :meth:`done` once it has handled a routed event,
    or :meth:`release` when it may not handle it (it lost the community).
    """

    def __init__(self, db: Database, deliver: Callable[[str, Event | Routed], None]) -> None:
        self.db = db
        self._deliver = deliver
        #: rows delivered and not yet done or released
        self._taken: set[int] = set()
        #: the largest row number read; a notification reads only after it
        self._mark = 0
        self._look = asyncio.Event()
        self._everything = True

    @property
    def shared(self) -> bool:
        """True when the events go through the database (PostgreSQL)."""
        return self.db.dialect == "postgresql"

    async def put(self, community: str, events: Sequence[Event]) -> None:
        """Store ``events`` for the process acting for ``community`` (in order); with SQLite,
        queue them for this process's worker. Returns once they are stored: a receiver may
        then count them as handled. Every process listening is notified."""
        if not self.shared:
            for event in events:
                self._deliver(community, event)
            return
        rows = [(community, encode(event)) for event in events]
        async with self.db.transaction() as db:
            await db.executemany("INSERT INTO hearth_inbox (community, event) VALUES (?, ?)", rows)
            await db.notify(INBOX_CHANNEL)  # sent at commit

    async def take(self, owned: Collection[str] | None, *, everything: bool = False) -> int:
        """Deliver the stored events of the communities in ``owned`` (None: every one) not yet
        delivered, in the order they were stored; return how many.

        Without ``everything``, only the rows stored after the last one read: row numbers
        are given before the rows are committed, so a slow writer's row may appear behind
        the mark; :meth:`run_forever` reads everything now and then.
        """
        if not self.shared or (owned is not None and not owned):
            return 0
        after = 0 if everything else self._mark
        count = 0
        seen: set[int] = set()
        while True:
            if owned is None:
                rows = await self.db.fetch(
                    "SELECT id, community, event FROM hearth_inbox WHERE id > ?"
                    " ORDER BY id LIMIT ?", (after, TAKE_BATCH))
            else:
                rows = await self.db.fetch(
                    "SELECT id, community, event FROM hearth_inbox"
                    " WHERE community = ANY(CAST(? AS TEXT[])) AND id > ? ORDER BY id LIMIT ?",
                    (sorted(owned), after, TAKE_BATCH))
            for row in rows:
                seq = row["id"]
                after = self._mark = max(self._mark, seq)
                seen.add(seq)
                if seq in self._taken:
                    continue
                try:
                    event = decode(row["event"])
                except CodecError as exc:  # written by another version: kept for it
                    log.error("stored event %d for %s cannot be read here (%s); left in "
                              "hearth_inbox", seq, row["community"], exc)
                    self._taken.add(seq)  # not read again by this process
                    continue
                self._taken.add(seq)
                self._deliver(row["community"], Routed(seq, event))
                count += 1
            if len(rows) < TAKE_BATCH:
                if everything:  # forget the rows gone (their deletion is committed)
                    self._taken &= seen
                return count

    async def done(self, routed: Routed) -> None:
        """The worker handled ``routed``: delete its row (joins the caller's transaction).

        The row stays taken here until a later look no longer finds it: until the caller
        commits, another look still sees it.
        """
        await self.db.execute("DELETE FROM hearth_inbox WHERE id = ?", (routed.seq,))

    def release(self, routed: Routed) -> None:
        """The worker may not handle ``routed`` (another process acts for its community now):
        its row stays for that one, and is taken again if this process acts again."""
        self._taken.discard(routed.seq)

    def wake(self, *, everything: bool = False) -> None:
        """Look for stored events now (``everything``: the communities acted for changed)."""
        self._everything = self._everything or everything
        self._look.set()

    async def listen(self) -> None:
        """Look whenever another process stores events (PostgreSQL's LISTEN)."""
        await self.db.listen(INBOX_CHANNEL, self.wake)

    async def run_forever(self, owned: Callable[[], Collection[str] | None]) -> None:
        """Take stored events when notified, and everything every :data:`LOOK_EVERY` seconds."""
        while True:
            self._look.clear()
            everything, self._everything = self._everything, False
            try:
                await self.take(owned(), everything=everything)
            except StorageError as exc:
                log.warning("could not read the stored events: %s", exc)
                self._everything = True
            try:
                await asyncio.wait_for(self._look.wait(), LOOK_EVERY)
            except TimeoutError:
                self._everything = True
