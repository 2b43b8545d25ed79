"""Where a restart resumes from, and the events missed while the bot was down.

Discord does not replay what happened while a bot was offline. What can be
recovered: the messages of each followed channel (the community's mapped
channels and the bot's group channels) posted after the newest one handed to
the core, read from the channel's history; and joins and leaves, found by
comparing the guild's member list now with the list last known. Reactions,
deletions, and edits of messages older than the position are lost.

:class:`Progress` is that position for one guild: per followed channel, the
newest message handed to the core, and the known member list. It is kept in
the adapter's key/value store (``positions:<guild>``, ``members:<guild>``) and
saved only after the core has handled everything handed over before it was
taken (``AdapterHost.handled``), so a crash never skips an event.
"""

from __future__ import annotations

import heapq
import itertools
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from hearth.ports import KeyValue

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What :meth:`Progress.take` saw; None parts did not change."""

    channels: dict[int, int] | None
    members: dict[int, str] | None


@dataclass
class Progress:
    """How far one guild's events have been handed to the core."""

    guild_id: int
    #: followed channel id -> the newest message id handed to the core
    channels: dict[int, int] = field(default_factory=dict)
    #: member id -> display name, as last known; None until the member list was first seen
    members: dict[int, str] | None = None
    #: from a session's start until its catch-up is done, the position is not saved: live
    #: events of the new session may be ahead of missed ones not yet handed over
    catching_up: bool = False
    #: the channel positions when the session started: where catching up reads from
    resume: dict[int, int] | None = None
    _in_flight: dict[int, set[int]] = field(default_factory=dict)
    _channels_changed: bool = False
    _members_changed: bool = False

    @classmethod
    async def load(cls, kv: KeyValue, guild_id: int) -> Progress:
        progress = cls(guild_id)
        channels = await _get(kv, f"positions:{guild_id}")
        if isinstance(channels, dict):
            progress.channels = {int(k): int(v) for k, v in channels.items()}
        members = await _get(kv, f"members:{guild_id}")
        if isinstance(members, dict):
            progress.members = {int(k): str(v) for k, v in members.items()}
        return progress

    # -- sessions --------------------------------------------------------------
    def begin_session(self) -> None:
        """A new session starts: what happened since the current position must be caught up."""
        if not self.catching_up or self.resume is None:  # else the unfinished catch-up's stands
            self.resume = dict(self.channels)
        self.catching_up = True

    def end_catch_up(self) -> None:
        self.catching_up = False
        self.resume = None

    # -- channels --------------------------------------------------------------
    def handing(self, channel_id: int, message_id: int) -> None:
        """A message of ``channel_id`` is being handed to the core."""
        self._in_flight.setdefault(channel_id, set()).add(message_id)

    def handed(self, channel_id: int, message_id: int, *, queued: bool) -> None:
        """The hand-over ended; ``queued``: the core accepted it."""
        flight = self._in_flight.get(channel_id)
        if flight is not None:
            flight.discard(message_id)
            if not flight:
                del self._in_flight[channel_id]
        if queued:
            self.advance(channel_id, message_id)

    def advance(self, channel_id: int, message_id: int) -> None:
        """Everything in ``channel_id`` up to ``message_id`` was handed over (or skipped)."""
        if message_id > self.channels.get(channel_id, 0):
            self.channels[channel_id] = message_id
            self._channels_changed = True

    def position(self, channel_id: int) -> int | None:
        """The newest message id of the channel handed over with none older still in flight."""
        newest = self.channels.get(channel_id)
        flight = self._in_flight.get(channel_id)
        if newest is None or not flight:
            return newest
        return min(newest, min(flight) - 1)

    def forget_channel(self, channel_id: int) -> None:
        if self.channels.pop(channel_id, None) is not None:
            self._channels_changed = True

    # -- members ---------------------------------------------------------------
    def joined(self, member_id: int, name: str) -> None:
        if self.members is not None and self.members.get(member_id) != name:
            self.members[member_id] = name
            self._members_changed = True

    def left(self, member_id: int) -> None:
        if self.members is not None and self.members.pop(member_id, None) is not None:
            self._members_changed = True

    def know_members(self, members: dict[int, str]) -> None:
        """Replace the known member list (the first time it is seen)."""
        self.members = dict(members)
        self._members_changed = True

    # -- saving ----------------------------------------------------------------
    def take(self) -> Snapshot | None:
        """The position as it is now, if it changed since the last take (never while catching up)."""
        if self.catching_up or not (self._channels_changed or self._members_changed):
            return None
        channels = None
        if self._channels_changed:
            found = {cid: self.position(cid) for cid in self.channels}
            channels = {cid: pos for cid, pos in found.items() if pos is not None}
        members = dict(self.members) if self._members_changed and self.members is not None else None
        self._channels_changed = self._members_changed = False
        return Snapshot(channels, members)

    def untake(self, snapshot: Snapshot) -> None:
        """The snapshot could not be saved: save it with the next one."""
        self._channels_changed |= snapshot.channels is not None
        self._members_changed |= snapshot.members is not None

    async def save(self, kv: KeyValue, snapshot: Snapshot) -> None:
        if snapshot.channels is not None:
            await kv.set(f"positions:{self.guild_id}",
                         json.dumps({str(k): str(v) for k, v in snapshot.channels.items()}))
        if snapshot.members is not None:
            await kv.set(f"members:{self.guild_id}",
                         json.dumps({str(k): v for k, v in snapshot.members.items()}))


class Backlog(Generic[T]):
    """The newest ``limit`` missed events of one community, and how many older ones there were."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.total = 0
        self._heap: list[tuple[datetime, int, T]] = []
        self._order = itertools.count()

    def add(self, when: datetime, item: T) -> None:
        self.total += 1
        heapq.heappush(self._heap, (when, next(self._order), item))
        if len(self._heap) > self.limit:
            heapq.heappop(self._heap)

    @property
    def skipped(self) -> int:
        """How many of the oldest missed events do not fit the limit."""
        return self.total - len(self._heap)

    def oldest_first(self) -> list[T]:
        return [item for _, _, item in sorted(self._heap)]


async def _get(kv: KeyValue, key: str) -> object:
    raw = await kv.get(key)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None
