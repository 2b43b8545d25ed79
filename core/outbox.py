"""The outbound flow: every action a plugin takes is queued and delivered at the network's pace.

A plugin's action (``ctx.send``, ``ctx.dm``, ``ctx.kick`` …) becomes a request
in a *lane* and the community worker goes on with its next event; each lane is
drained by its own task, in order:

- one lane per channel for its messages (and pins), at the network's channel pace;
- one lane per network for direct messages, at the network's DM pace;
- one lane per network for deletions and one for the other moderation
  actions (mute, unmute, kick, ban), so moderation never waits behind
  chatter. A kick or ban waits, for at most :data:`DEPENDENCY_WAIT`, for a
  direct message queued earlier to the same member (the one telling them
  why); a deletion never waits for that;
- one lane per network for roles, and one for group channels.

Every lane also draws from the network's global budget (:class:`~hearth.ports.Pace`).
Pacing sleeps on the app's clock, so tests and ``hearth simulate`` run it in
virtual time. Under a backlog, replies queued for one channel are merged into
fewer messages within the network's length limit; a lane holds at most
:data:`MAX_QUEUED` requests, and what is dropped beyond that is counted and
logged with the lane (at most once a minute). A network that cannot be
reached (:class:`~hearth.errors.Unreachable`) is retried with backoff for up
to :data:`GIVE_UP_AFTER`; a 429 is waited out for the delay the network gives.
What became of an action is an :class:`Outcome`; a plugin that asked for it
(``then=``) receives it through ``on_action_done`` as a new inbox event.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import msgspec

from hearth.clock import Clock
from hearth.errors import AdapterError, NotFound, RateLimited, Unreachable
from hearth.models import Member, SentMessage
from hearth.ports import Pace, Rate
from hearth.text import Text, mention

log = logging.getLogger(__name__)

MAX_QUEUED = 1000
DEPENDENCY_WAIT = timedelta(seconds=10)
FIRST_RETRY = 1.0
MAX_RETRY = 300.0
GIVE_UP_AFTER = timedelta(days=1)
REPORT_EVERY = timedelta(minutes=1)

Status = Literal["done", "gone", "refused", "failed", "dropped"]
LaneKey = tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """What became of a queued action (given to the plugin's ``on_action_done``).

    ``status`` is ``done`` (delivered), ``gone`` (the target no longer exists:
    the member left, the message or channel was deleted), ``refused`` (the
    network said no: a missing permission or capability), ``failed`` (the
    network stayed unreachable for too long) or ``dropped`` (never attempted:
    the backlog was over its bound, or the bot stopped). ``key`` and ``data``
    are what the plugin passed as ``then=`` and ``data=``; ``time`` is when it
    was settled; ``sent`` holds the message posted, for a send or a DM.
    """

    key: str
    data: dict[str, Any]
    action: str
    status: Status
    time: datetime
    sent: tuple[SentMessage, ...] = ()
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "done"


#: performs a request: ``(text, reply_to)`` for a message, ``(None, None)`` otherwise
Perform = Callable[[str | None, str | None], Awaitable[Any]]
#: a message's parts: (text, the member answered, or None); the member is mentioned only
#: when replies are merged (most are sent alone)
Parts = Sequence[tuple[str, Member | None]]


class Pending(msgspec.Struct, eq=False):
    """A queued action. A handler never waits for it: it asks for a callback (``then=``).

    Cheap to make, since every action has one (made in C): its :class:`Outcome`
    is built only when asked for, and a future only when someone waits. The
    action waiting in its lane is the Pending itself (:data:`Request`): replies
    merged under a backlog travel as the first one, which carries the others'
    parts and settles them with itself (``merged``).
    """

    action: str
    #: what delivers it (the lane calls it)
    perform: Perform
    #: a message's text (several when merged)
    parts: Parts = ()
    reply_to: str | None = None
    #: a reply that may be merged with others under a backlog
    mergeable: bool = False
    community: str = ""
    plugin: str = ""
    then: str | None = None
    data: dict[str, Any] = {}
    #: the member a DM goes to (a kick of theirs may wait for it)
    dm_to: str | None = None
    #: the action's idempotency key, when it has one (:mod:`hearth.journal`)
    key: str | None = None
    #: told once it is settled, with the status (:mod:`hearth.journal` keeps its row till then)
    on_settle: Callable[[Pending, Status], None] | None = None
    #: a DM this one waits for (a kick's, for the DM telling why)
    after: Pending | None = None
    #: the requests merged into this one, settled with it
    merged: list[Pending] | None = None
    #: once settled: the outcome, or what to build it from (status, time, sent, error)
    _result: Outcome | tuple[Status, datetime, tuple[SentMessage, ...], str | None] | None = None
    _waiter: asyncio.Future[Outcome] | None = None

    def __repr__(self) -> str:
        outcome = self.outcome
        return f"<Pending {self.action}: {outcome.status if outcome else 'queued'}>"

    @property
    def done(self) -> bool:
        return self._result is not None

    @property
    def outcome(self) -> Outcome | None:
        """The outcome once settled, else None."""
        result = self._result
        if result is None or isinstance(result, Outcome):
            return result
        status, time, sent, error = result
        outcome = self._result = Outcome(key=self.then or "", data=self.data, action=self.action,
                                         status=status, time=time, sent=sent, error=error)
        return outcome

    async def wait(self) -> Outcome:
        """Wait for the outcome (scripts and tests; a handler would block its community)."""
        outcome = self.outcome
        if outcome is not None:
            return outcome
        if self._waiter is None:
            self._waiter = asyncio.get_running_loop().create_future()
        return await asyncio.shield(self._waiter)

    def text(self) -> str | None:
        """The message to send: merged replies one per line, each naming the member answered
        (unless it mentions them already); mentions stay parts (:class:`~hearth.text.Text`)."""
        return _text(self.parts)

    def _settle(self, status: Status, time: datetime, sent: tuple[SentMessage, ...],
                error: str | None) -> None:
        """Settled (once; later calls change nothing)."""
        if self._result is not None:
            return
        self._result = (status, time, sent, error)
        if self.on_settle is not None:
            self.on_settle(self, status)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            outcome = self.outcome
            assert outcome is not None
            waiter.set_result(outcome)


#: one action waiting in a lane: ``Request(action, perform, parts, reply_to, mergeable)``;
#: it is its own :class:`Pending` (one record per action)
Request = Pending


def _text(parts: Parts) -> str | None:
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0][0]
    return Text("\n").join(_naming(text, member) for text, member in parts)


#: what a mention may add to its neutral form (``@Al``) on a network (a Discord ``<@id>``)
MENTION_ALLOWANCE = 24


def _length(text: str) -> int:
    """At least the length of ``text`` as a network renders it."""
    return len(text) + MENTION_ALLOWANCE * len(text.mentions) if isinstance(text, Text) else len(text)


def _naming(text: str, member: Member | None) -> str:
    """``text`` as one of several merged replies: naming ``member`` unless it mentions them."""
    if member is None:
        return text
    who = mention(member)
    return text if _mentions(text, who) else who + " " + text


def _mentions(text: str, who: Text) -> bool:
    """Whether ``text`` already mentions the member ``who`` mentions."""
    return isinstance(text, Text) and not set(who.mentions).isdisjoint(text.mentions)


class _Bucket:
    """A token bucket in the app's clock."""

    __slots__ = ("count", "per", "stamp", "tokens")

    def __init__(self, rate: Rate, now: float) -> None:
        self.count, self.per = rate
        self.tokens = float(self.count)
        self.stamp = now

    def available(self, now: float) -> float:
        self.tokens = min(self.count, self.tokens + (now - self.stamp) * self.count / self.per)
        self.stamp = now
        return self.tokens

    def take(self, now: float) -> float:
        """Take a token: 0.0, or the seconds to wait before trying again."""
        if self.available(now) >= 1 - 1e-6:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) * self.per / self.count


@dataclass(slots=True, eq=False)
class _Lane:
    key: LaneKey
    bucket: _Bucket | None
    queue: deque[Request] = field(default_factory=deque)
    task: asyncio.Task[None] | None = None
    waiting: bool = False  # for another lane's action (a dependency), not working
    dropped: int = 0
    reported: datetime | None = None
    name: str = ""  # its task's


class Outbound:
    """The outbound flow of one network (one adapter)."""

    def __init__(
        self,
        network: str,
        pace: Pace,
        clock: Clock,
        notify: Callable[[str, str, Outcome], Awaitable[None]],
        *,
        max_queued: int = MAX_QUEUED,
    ) -> None:
        self.network = network
        self.pace = pace
        self._clock = clock
        self._notify = notify
        self._max_queued = max_queued
        self._lanes: dict[LaneKey, _Lane] = {}
        self._total = _Bucket(pace.total, self._stamp()) if pace.total else None
        self._dms: dict[str, Pending] = {}  # member id -> the latest DM queued to them
        self._notifying = 0  # outcomes on their way into an inbox

    def _stamp(self) -> float:
        return self._clock.now().timestamp()

    # ------------------------------------------------------------------ queueing
    def lane_for(self, kind: str, target: str = "") -> LaneKey:
        """The lane of an action kind: ``channel`` (per channel id: its messages, pins,
        and its dissolution when it is a group), ``dm``, ``delete``, ``moderation``, ``roles``."""
        return (kind, target) if kind == "channel" else (kind,)

    def submit(
        self,
        lane_key: LaneKey,
        request: Request,
        *,
        community: str,
        plugin: str,
        then: str | None = None,
        data: dict[str, Any] | None = None,
        dm_to: str | None = None,
        depends_on_dm: str | None = None,
    ) -> Pending:
        """Queue ``request``; it is its own :class:`Pending`, settled once it is delivered."""
        request.community = community
        request.plugin = plugin
        request.then = then
        if data:
            request.data = dict(data)
        request.dm_to = dm_to
        if depends_on_dm is not None:
            request.after = self._dms.get(depends_on_dm)
        self.put(lane_key, request)
        if dm_to is not None and request._result is None:
            self._dms[dm_to] = request
        return request

    def put(self, lane_key: LaneKey, request: Request) -> Request:
        """Queue ``request`` as it is (its community, plugin, ``then`` and ``data`` given when it
        was made; no DM to wait for): :meth:`submit` without the keywords."""
        lane = self._lanes.get(lane_key)
        if lane is None:
            lane = self._lane(lane_key)
        queue = lane.queue
        if queue and request.mergeable and lane.bucket is not None and self._merge(lane, request):
            pass
        elif len(queue) >= self._max_queued:
            self._drop(lane, request)
            return request
        else:
            queue.append(request)
        if lane.task is None:
            lane.task = asyncio.create_task(self._drain(lane), name=lane.name)
        return request

    def _lane(self, lane_key: LaneKey) -> _Lane:
        if len(self._lanes) > 10_000:  # forget idle channels
            self._lanes = {k: v for k, v in self._lanes.items() if v.queue or v.task}
        rate = {"channel": self.pace.channel, "dm": self.pace.dm}.get(lane_key[0])
        lane = self._lanes[lane_key] = _Lane(
            lane_key, _Bucket(rate, self._stamp()) if rate else None,
            name=f"hearth-out-{self.network}-{'-'.join(lane_key)}")
        return lane

    def _merge(self, lane: _Lane, request: Request) -> bool:
        """Append a reply to the last one waiting when the lane is backlogged and it fits."""
        if not request.mergeable or not lane.queue or lane.bucket is None:
            return False
        tail = lane.queue[-1]
        if not tail.mergeable or len(lane.queue) < int(lane.bucket.available(self._stamp()) + 1e-6):
            return False
        parts = [*tail.parts, *request.parts]
        text = _text(parts)
        if text is None or _length(text) > self.pace.max_length:
            return False
        tail.parts = parts
        tail.reply_to = None
        if tail.merged is None:
            tail.merged = [request]
        else:
            tail.merged.append(request)
        return True

    def _drop(self, lane: _Lane, request: Request) -> None:
        lane.dropped += 1 + len(request.merged or ())
        self._report_drops(lane)
        self._settle(request, "dropped", None, f"more than {self._max_queued} actions waiting")

    def _report_drops(self, lane: _Lane, *, final: bool = False) -> None:
        if not lane.dropped:
            return
        now = self._clock.now()
        if final or lane.reported is None or now - lane.reported >= REPORT_EVERY:
            log.warning("%s: dropped %d actions for %s (backlog over %d)",
                        self.network, lane.dropped, "/".join(lane.key), self._max_queued)
            lane.dropped = 0
            lane.reported = now

    # ------------------------------------------------------------------ draining
    async def _sleep(self, seconds: float) -> None:
        """Sleep on the app's clock (a lane sleeping there waits for time, not work)."""
        # whole microseconds, rounded up: the clock's resolution, and never a zero wait
        wait = timedelta(microseconds=max(1, math.ceil(seconds * 1_000_000)))
        await self._clock.sleep_until(self._clock.now() + wait)

    async def _take(self, bucket: _Bucket, wait: float) -> None:
        """Wait ``wait`` seconds, then for a token of ``bucket``."""
        while wait:
            await self._sleep(wait)
            wait = bucket.take(self._stamp())

    async def _drain(self, lane: _Lane) -> None:
        queue, bucket, total = lane.queue, lane.bucket, self._total
        try:
            while queue:
                head = queue[0]
                after = head.after
                if after is not None and after._result is None:
                    await self._wait_for(lane, after)
                if bucket is not None:
                    wait = bucket.take(self._stamp())
                    if wait:
                        await self._take(bucket, wait)
                if total is not None:
                    wait = total.take(self._stamp())
                    if wait:
                        await self._take(total, wait)
                queue.popleft()
                # The first attempt here, without a coroutine of its own: most succeed.
                parts = head.parts
                try:
                    result = await head.perform(parts[0][0] if len(parts) == 1 else _text(parts),
                                                head.reply_to)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # each kind is handled in _retry
                    await self._retry(head, exc)
                else:
                    if (head.then is None and head.on_settle is None and head._waiter is None
                            and head.merged is None and head.dm_to is None):
                        # no one to tell: _settle, inline (most actions)
                        head._result = ("done", self._clock.now(),
                                        (result,) if isinstance(result, SentMessage) else (), None)
                    else:
                        self._settle(head, "done", result, None)
                if lane.dropped:
                    self._report_drops(lane)
            self._report_drops(lane, final=True)
        finally:
            lane.task = None

    async def _wait_for(self, lane: _Lane, dependency: Pending) -> None:
        lane.waiting = True
        sleeper = asyncio.ensure_future(self._clock.sleep_until(self._clock.now() + DEPENDENCY_WAIT))
        waiter = asyncio.ensure_future(dependency.wait())
        try:
            await asyncio.wait((waiter, sleeper), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waiter.cancel()
            lane.waiting = False

    async def _retry(self, request: Request, exc: Exception) -> None:
        """After a failed first attempt: wait out a 429, retry an unreachable network with
        backoff for up to :data:`GIVE_UP_AFTER` (from this first failure), settle the rest."""
        started = self._clock.now()
        delay = FIRST_RETRY
        while True:
            if isinstance(exc, RateLimited):
                log.info("%s: rate limited (%s); waiting %.2fs", self.network, request.action,
                         exc.retry_after)
                await self._sleep(exc.retry_after)
            elif isinstance(exc, Unreachable):
                if self._clock.now() - started >= GIVE_UP_AFTER:
                    log.warning("%s: %s failed for %s; giving up: %s", self.network, request.action,
                                GIVE_UP_AFTER, exc)
                    self._settle(request, "failed", None, str(exc))
                    return
                log.warning("%s: %s failed, retrying in %.0fs: %s", self.network, request.action,
                            delay, exc)
                await self._sleep(delay)
                delay = min(delay * 2, MAX_RETRY)
            elif isinstance(exc, NotFound):
                log.info("%s: %s: %s", self.network, request.action, exc)
                self._settle(request, "gone", None, str(exc))
                return
            elif isinstance(exc, AdapterError):
                log.warning("%s: %s failed: %s", self.network, request.action, exc)
                self._settle(request, "refused", None, str(exc))
                return
            else:
                log.error("%s: %s failed", self.network, request.action, exc_info=exc)
                self._settle(request, "refused", None, repr(exc))
                return
            try:
                result = await request.perform(request.text(), request.reply_to)
            except asyncio.CancelledError:
                raise
            except Exception as again:  # handled in the next round
                exc = again
            else:
                self._settle(request, "done", result, None)
                return

    def _settle(self, request: Request, status: Status, result: Any, error: str | None) -> None:
        sent = (result,) if isinstance(result, SentMessage) else ()
        now = self._clock.now()
        self._settled(request, status, now, sent, error)
        if request.merged is not None:
            for merged in request.merged:
                self._settled(merged, status, now, sent, error)

    def _settled(self, ticket: Request, status: Status, now: datetime,
                 sent: tuple[SentMessage, ...], error: str | None) -> None:
        if ticket.on_settle is None and ticket._waiter is None and ticket.then is None:
            if ticket._result is None:  # the common case, inline: no one to tell
                ticket._result = (status, now, sent, error)
        else:
            ticket._settle(status, now, sent, error)
            if ticket.then is not None:
                outcome = ticket.outcome
                assert outcome is not None
                self._notifying += 1  # until the outcome is in the community's inbox
                task = asyncio.ensure_future(self._notify(ticket.community, ticket.plugin, outcome))
                task.add_done_callback(self._notified)
        if ticket.dm_to is not None and self._dms.get(ticket.dm_to) is ticket:
            del self._dms[ticket.dm_to]  # a later DM to them, still queued, stays

    def _notified(self, task: asyncio.Future[Any]) -> None:
        self._notifying -= 1
        if not task.cancelled() and task.exception() is not None:
            log.error("delivering an action's outcome failed", exc_info=task.exception())

    # ------------------------------------------------------------------ the app's view
    @property
    def queued(self) -> int:
        """Requests waiting or in flight, in every lane."""
        return sum(len(lane.queue) + (1 if lane.task else 0) for lane in self._lanes.values())

    def _working(self) -> bool:
        if self._notifying:
            return True
        return any(lane.task is not None and not lane.waiting
                   and not self._clock.is_sleeping(lane.task) for lane in self._lanes.values())

    async def quiet(self) -> None:
        """Wait until no lane is working: each is empty, waits for another, or sleeps on the clock
        (for its pace, a retry, or the network's own latency in a test)."""
        await asyncio.sleep(0)
        # Polled: "sleeping on the clock" is the clock's state, not an event the lanes signal.
        while self._working():  # noqa: ASYNC110
            await asyncio.sleep(0 if self._clock.virtual else 0.005)

    async def close(self) -> None:
        """Stop every lane; what is still queued is dropped (and counted in the log)."""
        left = 0
        for lane in self._lanes.values():
            if lane.task is not None:
                lane.task.cancel()
                await asyncio.gather(lane.task, return_exceptions=True)
            for request in lane.queue:
                for ticket in (request, *(request.merged or ())):
                    left += 1
                    ticket._settle("dropped", self._clock.now(), (), "the bot stopped")
            lane.queue.clear()
        if left:
            log.warning("%s: %d queued actions were not delivered before stopping", self.network, left)


