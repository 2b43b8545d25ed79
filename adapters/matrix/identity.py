"""Members as Hearth sees them: display names, and the neutral role read from power levels.

A neutral role is a power level in every room of the community
(``accounts.matrix.power_levels``). Hearth's roles are kept by the core
(:mod:`hearth.people.roles`), which calls :meth:`Identity.grant_role` and
:meth:`Identity.revoke_role` to apply them; where newcomers have a member's
level (the default), a newcomer is one in the core's records only.
"""

from __future__ import annotations

from hearth.models import Member, Role
from hearth.ports import ListedMember
from hearth.text import Mention, render, safe_name

from . import ops
from .convert import JOINED, PLATFORM, user_id
from .session import Session
from .topology import Topology


class Identity:
    """Members, their names and their roles in each community."""

    def __init__(self, session: Session, topology: Topology) -> None:
        self.session = session
        self.topology = topology

    def display_name(self, user: str) -> str:
        s = self.session
        name = s.names.get(user)
        if name:
            return name
        for state in s.rooms.values():
            name = state.names.get(user)
            if name:
                return name
        return user.split(":", 1)[0].lstrip("@")

    def role(self, community: str, user: str) -> Role:
        pl = self.session.acc.power_levels
        states = self.topology.member_rooms(community)
        level = max((s.level(user) for s in states), default=0)
        home = states[0] if states else None
        if level >= ops.CREATOR_LEVEL:
            return Role.OWNER
        if pl.owner > pl.admin and level >= pl.owner:
            return Role.OWNER
        if home is not None and home.creator == user and level >= pl.admin:
            return Role.OWNER
        if level >= pl.admin:
            return Role.ADMIN
        if level >= pl.leader:
            return Role.LEADER
        if pl.newcomer < pl.member and level <= pl.newcomer:
            return Role.NEWCOMER
        return Role.MEMBER

    def member(self, community: str | None, user: str) -> Member:
        role = self.role(community, user) if community else Role.MEMBER
        return Member(platform=PLATFORM, id=user, name=self.display_name(user), role=role,
                      is_bot=user == self.session.me)

    def outgoing(self, text: str) -> tuple[str, dict[str, str]]:
        """``text`` for Matrix, and the users it mentions with their display names.

        A mention (:func:`hearth.mention`) of a Matrix user becomes their user id in
        the body, which :func:`.ops.build_text_content` turns into a pill showing the
        display name (and lists in ``m.mentions``); a member of another network is
        named, never shown by id.
        """
        names: dict[str, str] = {}

        def one(part: Mention) -> str:
            if part.platform != PLATFORM:
                return part.elsewhere
            if part.with_id:
                return part.shown
            uid = user_id(part.id)
            names[uid] = safe_name(part.name) or self.display_name(uid)
            return uid

        return render(text, one), names

    # ------------------------------------------------------------------ lookups
    async def member_count(self, community: str) -> int:
        users: set[str] = set()
        for state in self.topology.member_rooms(community):
            users |= state.joined()
        users.discard(self.session.me)
        return len(users)

    def listed_members(self, community: str) -> list[ListedMember]:
        """Every user joined to the community's rooms but the bot, from the synced room state.

        Matrix does not say when someone joined: the directory counts from when
        it first saw them.
        """
        users: set[str] = set()
        for state in self.topology.member_rooms(community):
            users |= state.joined()
        users.discard(self.session.me)
        return [ListedMember(member=self.member(community, user)) for user in sorted(users)]

    async def get_member(self, community: str, member_id: str) -> Member | None:
        s = self.session
        uid = user_id(member_id)
        if self.topology.in_community(community, uid):
            return self.member(community, uid)
        for rid in s.groups.get(community, {}).values():
            if rid in s.rooms and s.rooms[rid].members.get(uid) == JOINED:
                return self.member(community, uid)
        return None

    # ------------------------------------------------------------------ granting and revoking
    async def _set_level(self, community: str, uid: str, level: int | None) -> None:
        s = self.session

        async def set_one(room_id: str) -> None:
            await ops.set_power_level(s.nio, room_id, uid, level)
            if room_id in s.rooms:  # do not wait for the sync to see the new role
                s.rooms[room_id].power = dict((await ops.get_power_levels(s.nio, room_id)).content)

        await s.each("set power level", s.community_rooms.get(community, []), set_one)

    def _level_now(self, community: str, uid: str) -> int:
        return max((s.level(uid) for s in self.topology.member_rooms(community)), default=0)

    async def grant_role(self, community: str, member: Member, role: Role) -> None:
        uid, pl = user_id(member.id), self.session.acc.power_levels
        if role == Role.NEWCOMER:
            if pl.newcomer != pl.member:
                await self._set_level(community, uid, pl.newcomer)
            return
        if role == Role.MEMBER:
            if self._level_now(community, uid) < pl.member:
                await self._set_level(community, uid, pl.member)
            return
        await self._set_level(community, uid, getattr(pl, role.label))

    async def revoke_role(self, community: str, member: Member, role: Role) -> None:
        uid, pl = user_id(member.id), self.session.acc.power_levels
        if role == Role.NEWCOMER:
            if pl.newcomer != pl.member and self._level_now(community, uid) == pl.newcomer:
                await self._set_level(community, uid, pl.member)
        elif role > Role.MEMBER and self.role(community, uid) == role:
            await self._set_level(community, uid, pl.member)
