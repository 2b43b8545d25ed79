"""Which rooms make up each community: its space and the space's rooms, its listed rooms,
its group rooms; joining them, adopting rooms added to the space, and the lookups on them
(the community of a room, a room's channel, the partner of a direct chat).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from hearth.errors import AdapterError
from hearth.models import Channel

from . import ops
from .convert import JOINED, PLATFORM, RoomState, user_id
from .schema import MatrixBinding
from .session import Session

log = logging.getLogger(__name__)

#: seconds a community's rooms' whole state, read from the homeserver, is taken as current
STATE_FRESH = 5.0


class Topology:
    """The communities' rooms."""

    def __init__(self, session: Session) -> None:
        self.session = session
        #: community -> when its rooms' whole state was last read (``time.monotonic()``)
        self._read_at: dict[str, float] = {}

    def _binding(self, community: str) -> MatrixBinding | None:
        binding = self.session.communities.get(community)
        space = binding.space if binding else None
        return space if isinstance(space, MatrixBinding) else None

    async def _join(self, room: str, what: str) -> str | None:
        s = self.session
        try:
            return await s.do(f"join {room}", lambda: ops.join(s.nio, room))
        except AdapterError as exc:
            s.problems.append(f"cannot join {what} {room}: {exc}; the bot will not see or act there")
            return None

    async def join_communities(self) -> None:
        s = self.session
        for key, binding in s.communities.items():
            spec = self._binding(key)
            if spec is None:
                continue
            rooms: list[str] = []
            if spec.space:
                if await self._join(spec.space, f"the space of community {key!r}"):
                    s.spaces[key] = spec.space
                    rooms.append(spec.space)
                    try:
                        children = await s.do(
                            "list space rooms", partial(ops.list_space_rooms, s.nio, spec.space)
                        )
                    except AdapterError as exc:
                        s.problems.append(f"cannot list the rooms of space {spec.space}: {exc}")
                        children = []
                    group_ids = set(s.groups.get(key, {}).values())
                    for child in children:
                        if child.room_id not in group_ids and await self._join(child.room_id, "room"):
                            rooms.append(child.room_id)
            for rid in [*spec.rooms, *binding.channels.values()]:
                if rid not in rooms and await self._join(rid, f"room of community {key!r}"):
                    rooms.append(rid)
            s.community_rooms[key] = rooms

    async def discover_children(self) -> None:
        """Rooms added to a space while the bot was away (seen in the first sync)."""
        s = self.session
        for key, space in s.spaces.items():
            state = s.rooms.get(space)
            if state is not None:
                for child in sorted(state.children):
                    await self.adopt_child(key, child)

    async def adopt_child(self, community: str, room_id: str) -> None:
        s = self.session
        rooms = s.community_rooms.setdefault(community, [])
        if room_id in rooms:
            return
        if room_id not in s.groups.get(community, {}).values():
            await s.load_records()  # a group room another process may have opened
        if room_id in s.groups.get(community, {}).values():
            return
        if await self._join(room_id, "new space room"):
            rooms.append(room_id)
            log.info("joined %s, a new room of the %s space", room_id, community)

    # ------------------------------------------------------------------ without the sync
    async def read_state(self, community: str | None = None) -> None:
        """Read the state of ``community``'s rooms (of every community's: None) from the
        homeserver, when this process does not sync: what the sync would keep current.

        A community's rooms read less than :data:`STATE_FRESH` seconds ago are not read
        again (a join wave asks for the member count at every join)."""
        s = self.session
        if s.syncing or s.client is None:
            return
        now = time.monotonic()
        keys = list(s.communities) if community is None else [community]
        keys = [k for k in keys if now - self._read_at.get(k, -STATE_FRESH) >= STATE_FRESH]
        for rid in dict.fromkeys(r for key in keys for r in self.all_rooms(key)):
            await self._read(rid, lambda r: ops.room_state(s.nio, r), fresh=True)
        self._read_at.update(dict.fromkeys(keys, now))

    async def read_member(self, community: str, member_id: str) -> None:
        """Read the member's membership and the power levels in ``community``'s rooms from the
        homeserver, when this process does not sync (the member may have joined or changed
        since the state was read)."""
        s = self.session
        if s.syncing or s.client is None:
            return
        user = user_id(member_id)
        for rid in self.all_rooms(community):
            await self._read(rid, lambda r: ops.member_state(s.nio, r, user), fresh=False)

    async def _read(self, room_id: str, read: Callable[[str], Awaitable[list[dict[str, Any]]]],
                    *, fresh: bool) -> None:
        s = self.session
        try:
            events = await s.do("read room state", partial(read, room_id))
        except AdapterError as exc:  # the last state read stays
            log.warning("reading the state of %s failed: %s", room_id, exc)
            return
        state = RoomState(room_id) if fresh else s.rooms.get(room_id) or RoomState(room_id)
        for ev in events:
            state.apply(ev)
        s.rooms[room_id] = state

    # ------------------------------------------------------------------ lookups
    def community_of(self, room_id: str) -> str | None:
        for key, rooms in self.session.community_rooms.items():
            if room_id in rooms:
                return key
        for key, groups in self.session.groups.items():
            if room_id in groups.values():
                return key
        return None

    def member_rooms(self, community: str) -> list[RoomState]:
        """The state of the community's own rooms (the space first), not of its groups."""
        s = self.session
        return [s.rooms[r] for r in s.community_rooms.get(community, []) if r in s.rooms]

    def all_rooms(self, community: str, *, space: bool = True) -> list[str]:
        """The community's rooms and group rooms (without the space if not ``space``)."""
        s = self.session
        rooms = [r for r in s.community_rooms.get(community, [])
                 if space or r != s.spaces.get(community)]
        return rooms + [r for r in s.groups.get(community, {}).values() if r not in rooms]

    def in_community(self, community: str, user: str) -> bool:
        return any(s.members.get(user) == JOINED for s in self.member_rooms(community))

    def dm_partner(self, room_id: str) -> str | None:
        """The other user of a direct chat, or None when ``room_id`` is not one."""
        s = self.session
        if room_id in s.dm_rooms:
            return s.dm_rooms[room_id]
        state = s.rooms.get(room_id)
        if state is None or self.community_of(room_id) is not None or state.is_space:
            return None
        others = state.joined() - {s.me}
        return next(iter(others)) if len(others) == 1 and s.me in state.joined() else None

    def dm_community(self, user: str) -> str | None:
        """The first community ``user`` is in, for a direct chat."""
        return next((k for k in self.session.communities if self.in_community(k, user)), None)

    def channel(self, community: str, room_id: str) -> Channel:
        binding = self.session.communities.get(community)
        name = binding.channel_name(room_id) if binding else None
        if name is None:
            name = next((n for n, r in self.session.groups.get(community, {}).items()
                         if r == room_id), None)
        return Channel(platform=PLATFORM, id=room_id, name=name)

    def group(self, community: str, name: str) -> Channel | None:
        """A group room the bot created, by name."""
        rid = self.session.groups.get(community, {}).get(name)
        return Channel(platform=PLATFORM, id=rid, name=name) if rid else None
