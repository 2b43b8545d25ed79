"""Actions that outlive their process: keys that make them happen once, rows that keep them.

Every action queued while a job runs or (with PostgreSQL) while an event is
handled gets an **idempotency key**: what caused it (the job run's
:attr:`~hearth.scheduler.Job.idempotency_key`, or the event's ``platform:id``)
and the action's ordinal in that handling, so the same handler run again (a
retried job, an event handled again after a takeover) queues the same keys. An
action whose key is recorded as delivered (:mod:`hearth.once`, scope
``action``), or is queued here already, is not queued again: its
:class:`~hearth.outbox.Pending` is settled ``done`` at once (or is the one
queued), and its ``then=`` is not told again.

With PostgreSQL (several processes) every action queued is also a row of
``hearth_outbound`` until it is settled, so a process that dies (kill -9)
before delivering it loses nothing: whoever acts for the community next
(a takeover, a restart) queues that community's rows first, in their order,
before anything new. Rows are written in batches, with the records of events
handled (:meth:`flush`), and before a job is recorded done or a stored event's
row deleted; an action settled before its batch is written costs no write at
all. A process that stops acting for a community leaves that community's
queued actions to the next owner (their rows stay).

With SQLite (one process) nothing is written: an event is never handled twice
there, so only a job's actions have keys, kept in memory, and every other
action goes straight to :class:`~hearth.outbox.Outbound` as before.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import Callable, Collection, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from hearth import codec
from hearth.clock import Clock
from hearth.errors import AdapterError
from hearth.models import Member
from hearth.once import ACTIONS, Once
from hearth.outbox import LaneKey, Outbound, Pending, Perform, Request, Status
from hearth.storage import Database
from hearth.text import Mention, Text
from hearth.timeutil import to_ms

log = logging.getLogger(__name__)


class Cause:
    """What is being handled (an event, a job run): the first part of its actions' keys."""

    __slots__ = ("count", "key")

    def __init__(self, key: str) -> None:
        self.key = key
        self.count = 0

    def next_key(self) -> str:
        """The next action's key: ``cause#1``, ``cause#2`` …"""
        self.count += 1
        return f"{self.key}#{self.count}"


#: what the current task handles (set by the community's worker around an event or a job)
cause_var: ContextVar[Cause | None] = ContextVar("hearth_cause", default=None)


class NotActing(AdapterError):
    """This process no longer acts for the action's community: the next owner delivers it."""


@dataclass(frozen=True, slots=True)
class Action:
    """How to make a queued action again in another process: its kind (``send``, ``dm``,
    ``kick`` …), network and arguments (:func:`hearth.context.perform_for` performs it)."""

    kind: str
    platform: str
    args: dict[str, Any]


#: builds an action's Perform from its community and :class:`Action` (None: it cannot be)
Build = Callable[[str, Action], Perform | None]


@dataclass(slots=True)
class _Row:
    """An action queued here whose row is not written yet (encoded only when written:
    most are settled before)."""

    key: str
    community: str
    plugin: str
    lane: LaneKey
    action: Action
    request: Request
    then: str | None
    data: dict[str, Any]
    dm_to: str | None
    after: str | None
    at_ms: int

    def encode(self) -> tuple[str, str, str, str, int]:
        record = {
            "kind": self.action.kind, "platform": self.action.platform,
            "args": codec.plain(self.action.args), "lane": list(self.lane),
            "parts": [[_text_out(text), codec.plain(member)] for text, member in self.request.parts],
            "reply_to": self.request.reply_to, "mergeable": self.request.mergeable,
            "then": self.then, "data": self.data, "dm_to": self.dm_to, "after": self.after,
        }
        return (self.key, self.community, self.plugin,
                json.dumps(record, ensure_ascii=False, separators=(",", ":")), self.at_ms)


def _text_out(text: str) -> Any:
    """A text as JSON: mentions stay parts (a network renders them natively)."""
    if isinstance(text, Text) and text.mentions:
        return {"parts": [codec.plain(p) if isinstance(p, Mention) else p for p in text.parts]}
    return str(text)


def _text_in(value: Any) -> str:
    if isinstance(value, dict):
        return Text(*(codec.read(Mention, p) if isinstance(p, dict) else p for p in value["parts"]))
    return str(value)


class Journal:
    """The keys and (with PostgreSQL) the rows of the actions queued by this process."""

    def __init__(self, db: Database, once: Once, clock: Clock, owns: Callable[[str], bool],
                 name: str) -> None:
        self.db = db
        self.once = once
        self.clock = clock
        self._owns = owns
        #: True with PostgreSQL: every action queued has a row until it is settled
        self.durable = db.dialect == "postgresql"
        #: keys of actions no event or job caused: unique, never looked up
        self._prefix = f"~{name}:"
        self._uncaused = itertools.count(1)
        #: keys queued here and not settled
        self._queued: dict[str, Pending] = {}
        #: keys with a row, written or about to be
        self._rowed: set[str] = set()
        self._unwritten: dict[str, _Row] = {}
        #: keys of written rows settled here, to delete
        self._settled_rows: list[str] = []
        #: networks whose adapter is starting: restored actions wait for it
        self._starting: dict[str, asyncio.Event] = {}
        #: set while the bot stops: what is left queued stays in the table
        self.closing = False

    @property
    def active(self) -> bool:
        """Whether an action queued now goes through the journal (else straight to its lane)."""
        return self.durable or cause_var.get() is not None

    # ------------------------------------------------------------------ queueing
    def submit(self, outbound: Outbound, lane: LaneKey, request: Request, *, community: str,
               plugin: str, action: Action | None, then: str | None = None,
               data: dict[str, Any] | None = None, dm_to: str | None = None,
               depends_on_dm: str | None = None) -> Pending:
        """Queue ``request`` under its key (see the module docstring); ``action`` describes it
        for another process (None: it cannot travel, and is delivered by this process only)."""
        cause = cause_var.get()
        if cause is None:
            key = f"{self._prefix}{next(self._uncaused)}"
        else:
            key = cause.next_key()
            queued = self._queued.get(key)
            if queued is not None:
                return queued
            if self.once.known(ACTIONS, key):
                log.debug("%s in %s was delivered already (%s); not again", request.action,
                          community, key)
                request.community, request.plugin, request.then = community, plugin, then
                request.data, request.dm_to, request.key = dict(data or {}), dm_to, key
                request._settle("done", self.clock.now(), (), None)
                return request
        if self.durable and action is not None:
            self._rowed.add(key)
            self._unwritten[key] = _Row(key, community, plugin, lane, action, request, then,
                                        dict(data or {}), dm_to, depends_on_dm,
                                        to_ms(self.clock.now()))
        return self._enqueue(outbound, key, lane, request, community, plugin, then, data, dm_to,
                             depends_on_dm)

    def _enqueue(self, outbound: Outbound, key: str, lane: LaneKey, request: Request,
                 community: str, plugin: str, then: str | None, data: dict[str, Any] | None,
                 dm_to: str | None, depends_on_dm: str | None,
                 ready: asyncio.Event | None = None) -> Pending:
        if self.durable:
            request.perform = self._guard(community, request.perform, ready)
        pending = outbound.submit(lane, request, community=community, plugin=plugin, then=then,
                                  data=data, dm_to=dm_to, depends_on_dm=depends_on_dm)
        pending.key = key
        if pending.done:  # dropped at once: the lane's backlog is over its bound
            self._settled(pending, "dropped")
            return pending
        pending.on_settle = self._settled
        self._queued[key] = pending
        return pending

    def _guard(self, community: str, perform: Perform, ready: asyncio.Event | None) -> Perform:
        """``perform``, done only while this process acts for ``community`` (and, for an action
        restored at start, once its network's adapter has started)."""
        owns = self._owns

        async def guarded(text: str | None, reply_to: str | None) -> Any:
            if ready is not None:
                await ready.wait()
            if not owns(community):
                raise NotActing(f"another process acts for {community} now; it delivers this")
            return await perform(text, reply_to)

        return guarded

    def _settled(self, pending: Pending, status: Status) -> None:
        key = pending.key
        assert key is not None
        if self._queued.get(key) is pending:
            del self._queued[key]
        if self.closing or not self._owns(pending.community):
            return  # its row stays for whoever acts for the community next
        if status == "done" and not key.startswith("~"):
            self.once.note(ACTIONS, key)
        if key in self._rowed:
            self._rowed.discard(key)
            if self._unwritten.pop(key, None) is None:
                self._settled_rows.append(key)

    # ------------------------------------------------------------------ the table
    async def flush(self) -> None:
        """Write the rows of the actions queued since the last flush and delete those of the
        actions settled (joins the caller's transaction; kept for the next on failure)."""
        if not self._unwritten and not self._settled_rows:
            return
        rows, self._unwritten = self._unwritten, {}
        gone, self._settled_rows = self._settled_rows, []
        try:
            async with self.db.transaction() as db:
                if rows:
                    await db.executemany(
                        "INSERT INTO hearth_outbound (key, community, plugin, action, at_ms)"
                        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
                        [row.encode() for row in rows.values()])
                if gone:
                    await db.executemany("DELETE FROM hearth_outbound WHERE key = ?",
                                         [(key,) for key in gone])
        except BaseException:
            kept = {k: r for k, r in rows.items() if k in self._rowed}
            self._unwritten = {**kept, **self._unwritten}
            self._settled_rows[:0] = gone
            raise

    async def restore(self, communities: Iterable[str], outbound: Callable[[str], Outbound | None],
                      build: Build) -> int:
        """Queue the actions left in the table for ``communities`` (a takeover, a restart),
        in their order, before anything queued after; return how many."""
        if not self.durable:
            return 0
        found: list[tuple[str, list[Any]]] = []
        for community in sorted(communities):
            rows: list[Any] = await self.db.fetch(
                "SELECT key, plugin, action FROM hearth_outbound WHERE community = ? ORDER BY id",
                (community,))
            # then this process's own, not written yet, left when it stopped acting there
            rows += [{"key": r.key, "plugin": r.plugin, "action": r.encode()[3]}
                     for r in self._unwritten.values() if r.community == community]
            found.append((community, rows))
        # Queued with no await in between, nor after (the caller starts acting for the
        # communities right after): a lane must not take one before.
        count = 0
        for community, rows in found:
            for row in rows:
                key = row["key"]
                if key in self._queued:  # still queued here (this process acted for it before)
                    continue
                self._rowed.add(key)
                if self.once.known(ACTIONS, key):  # delivered; the row's deletion was lost
                    self._forget(key)
                elif self._restore(key, community, row["plugin"], row["action"], outbound, build):
                    count += 1
                else:
                    self._forget(key)
        if count:
            log.info("%d actions queued by the process that acted before are queued again", count)
        return count

    def _forget(self, key: str) -> None:
        """Delete ``key``'s row (written or not)."""
        self._rowed.discard(key)
        if self._unwritten.pop(key, None) is None:
            self._settled_rows.append(key)

    def _restore(self, key: str, community: str, plugin: str, text: str,
                 outbound: Callable[[str], Outbound | None], build: Build) -> bool:
        try:
            record = json.loads(text)
            action = Action(record["kind"], record["platform"], record["args"])
            flow = outbound(action.platform)
            perform = build(community, action) if flow is not None else None
            if flow is None or perform is None:
                log.warning("a queued %s in %s cannot be delivered here (no %s adapter or "
                            "plugin %s); dropped", action.kind, community, action.platform, plugin)
                return False
            request = Request(
                action.kind, perform,
                parts=[(_text_in(t), codec.read(Member | None, m)) for t, m in record["parts"]],
                reply_to=record["reply_to"], mergeable=record["mergeable"])
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("a queued action in %s cannot be read (%r); dropped", community, exc)
            return False
        self._enqueue(flow, key, tuple(record["lane"]), request, community, plugin,
                      record["then"], record["data"], record["dm_to"], record["after"],
                      self._starting.get(action.platform))
        return True

    # ------------------------------------------------------------------ the app's view
    def starting(self, platforms: Collection[str]) -> None:
        """``platforms``' adapters are about to start: actions restored meanwhile wait."""
        for platform in platforms:
            self._starting[platform] = asyncio.Event()

    def started(self, platform: str) -> None:
        """``platform``'s adapter has started: its restored actions go."""
        ready = self._starting.pop(platform, None)
        if ready is not None:
            ready.set()

    @property
    def unwritten(self) -> int:
        """Rows waiting for the next :meth:`flush`."""
        return len(self._unwritten) + len(self._settled_rows)
