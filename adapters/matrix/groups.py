"""Group rooms: private rooms (in the community's space, if it has one) created, joined
and dissolved (closed and archived, or deleted through the Synapse admin API when allowed).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from nio import RoomPreset

from hearth.models import Channel, Member
from hearth.ports import DissolveMode

from . import ops
from .convert import PLATFORM, user_id
from .session import Session

log = logging.getLogger(__name__)


class Groups:
    """The communities' group rooms."""

    def __init__(self, session: Session) -> None:
        self.session = session

    async def create(self, community: str, name: str, members: Sequence[Member], *, topic: str,
                     private: bool = True, expires: datetime | None = None) -> Channel:
        s = self.session
        invite = [user_id(m.id) for m in members if user_id(m.id) != s.me]
        space = s.spaces.get(community)

        async def record(room_id: str) -> None:
            # before the space shows it: the syncing process (maybe another) adopts the
            # space's new rooms as the community's own unless they are recorded groups
            def add(groups: dict[str, str]) -> None:
                groups[name] = room_id

            await s.change_groups(community, add)

        if space:
            room_id = await s.do("create group room", lambda: ops.create_private_room_in_space(
                s.nio, space, name, topic=topic, invite=invite, created=record))
        else:
            room_id = await s.do("create group room", lambda: self._create_room(name, topic, invite))
            await record(room_id)
        return Channel(platform=PLATFORM, id=room_id, name=name)

    async def _create_room(self, name: str, topic: str, invite: list[str]) -> str:
        s = self.session
        resp = await s.nio.room_create(name=name, topic=topic, preset=RoomPreset.private_chat,
                                       invite=invite)
        return str(ops.check(resp, "create room").room_id)

    async def invite(self, community: str, channel: Channel, member: Member) -> None:
        s = self.session
        # a council room may already hold the member (Synapse refuses a second invite)
        await s.do("invite", lambda: ops.invite_once(s.nio, channel.id, user_id(member.id)))

    async def remove(self, community: str, channel: Channel, member: Member) -> None:
        s = self.session
        await s.do("remove from group", lambda: ops.remove_from_room(
            s.nio, channel.id, user_id(member.id), reason="Removed from this group."))

    async def dissolve(self, community: str, channel: Channel, mode: DissolveMode) -> None:
        s = self.session
        space = s.spaces.get(community)
        delete = mode == "delete" and s.admin_delete
        result = await s.do("dissolve group room", lambda: ops.dissolve_room(
            s.nio, channel.id, reason="This group has ended.",
            space_ids=[space] if space else None, admin_delete=delete))
        log.info("dissolved group %s (%s): %d members removed%s", channel.name or "", channel.id,
                 len(result.removed_users), ", deleted" if result.admin_delete_status else "")
        def drop(groups: dict[str, str]) -> None:
            for gname, rid in list(groups.items()):
                if rid == channel.id:
                    del groups[gname]

        for key in [k for k, groups in s.groups.items() if channel.id in groups.values()]:
            await s.change_groups(key, drop)
