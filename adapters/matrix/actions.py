"""The port's actions on messages and members, as homeserver calls through :mod:`.ops`.

Sending (mentions as pills, replies quoting the original), direct messages in
the DM room the member last used (or a new one), redacting a message with its
edits, pinning, and moderation in every room of the community: mutes (a power
level; Matrix has no timed mute, so the core's scheduler lifts them at their
end: see :mod:`hearth.mutes`), kicks and bans, and holding every newcomer at once
during a join wave (the rooms' ``events_default``).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from functools import partial

from hearth.errors import AdapterError, Forbidden, NotFound
from hearth.models import Channel, Member, SentMessage

from . import ops
from .convert import PLATFORM, user_id
from .identity import Identity
from .session import Session
from .topology import Topology

log = logging.getLogger(__name__)

#: where an older Hearth kept the mutes its own timer lifted (read once, then emptied)
LEGACY_MUTES = "mutes"


class Actions:
    """Messages and members acted on through the homeserver."""

    def __init__(self, session: Session, topology: Topology, identity: Identity) -> None:
        self.session = session
        self.topology = topology
        self.identity = identity

    async def send(self, community: str | None, channel: Channel, text: str, *,
                   reply_to: str | None = None) -> SentMessage:
        s = self.session
        text, mentions = self.identity.outgoing(text)
        if reply_to:
            original = s.recent.get(reply_to)
            event_id = await s.do("reply", lambda: ops.reply(
                s.nio, channel.id, reply_to, text, mentions=mentions, notice=True, original=original))
        else:
            event_id = await s.do("send", lambda: ops.send_text(
                s.nio, channel.id, text, mentions=mentions, notice=True))
        return SentMessage(platform=PLATFORM, id=event_id, channel=channel)

    async def send_file(self, community: str | None, channel: Channel, data: bytes, filename: str,
                        text: str) -> SentMessage:
        """The caption as a notice, then the file (Matrix has no caption on an upload)."""
        s = self.session
        if text:
            await self.send(community, channel, text)
        event_id = await s.do("send file", lambda: ops.send_file(s.nio, channel.id, data, filename))
        return SentMessage(platform=PLATFORM, id=event_id, channel=channel)

    async def dm(self, community: str | None, member: Member, text: str, *,
                 previews: bool = True) -> SentMessage:
        s = self.session
        uid = user_id(member.id)
        text, mentions = self.identity.outgoing(text)
        for attempt in range(2):
            room_id = s.dm_for.get(uid) if attempt == 0 else None
            if room_id is None:
                room_id = await s.do("open DM", lambda: ops.get_or_create_dm(s.nio, uid))
                s.dm_for[uid] = room_id
                s.dm_rooms[room_id] = uid
            try:
                event_id = await s.do("DM", partial(
                    ops.send_text, s.nio, room_id, text, mentions=mentions, notice=True,
                    previews=previews))
            except (Forbidden, NotFound):
                s.dm_for.pop(uid, None)
                if attempt:
                    raise
                continue
            channel = Channel(platform=PLATFORM, id=room_id, dm_with=uid)
            return SentMessage(platform=PLATFORM, id=event_id, channel=channel)
        raise AssertionError("unreachable")

    async def delete(self, community: str | None, channel: Channel, message_id: str, reason: str) -> None:
        s = self.session
        edits = s.edits.pop(message_id, [])
        if not s.syncing:  # the edits another process received: read from the homeserver
            try:
                edits = await s.do("read edits", lambda: ops.edits_of(s.nio, channel.id, message_id))
            except AdapterError as exc:
                log.warning("could not read the edits of %s: %s", message_id, exc)
        await s.do("redact", lambda: ops.redact(s.nio, channel.id, message_id, reason=reason))
        for edit in edits:  # the edits carry the text too
            try:
                await s.do("redact", partial(ops.redact, s.nio, channel.id, edit, reason=reason))
            except AdapterError as exc:
                log.warning("could not redact %s, an edit of %s: %s", edit, message_id, exc)

    async def pin(self, community: str | None, channel: Channel, message_id: str) -> None:
        s = self.session
        await s.do("pin", lambda: ops.pin(s.nio, channel.id, message_id))

    async def unpin(self, community: str | None, channel: Channel, message_id: str) -> None:
        s = self.session
        await s.do("unpin", lambda: ops.unpin(s.nio, channel.id, message_id))

    async def mute(self, community: str, member: Member, until: datetime, reason: str) -> None:
        s = self.session
        uid = user_id(member.id)
        await s.each("mute", self.topology.all_rooms(community, space=False),
                     lambda r: ops.mute(s.nio, r, uid))

    async def unmute(self, community: str, member: Member) -> None:
        s = self.session
        uid = user_id(member.id)
        await s.each("unmute", self.topology.all_rooms(community, space=False),
                     lambda r: ops.unmute(s.nio, r, uid))

    async def hold_newcomers(self, community: str, level: int) -> None:
        """Raise ``events_default`` to ``level`` in the community's rooms: one change per room
        for every newcomer (a join wave), restored by :meth:`release_newcomers`."""
        s = self.session
        await s.each("hold newcomers", self.topology.all_rooms(community, space=False),
                     lambda r: ops.hold(s.nio, r, level))

    async def release_newcomers(self, community: str) -> None:
        s = self.session
        await s.each("release newcomers", self.topology.all_rooms(community, space=False),
                     lambda r: ops.release(s.nio, r))

    async def lift_legacy_mutes(self) -> None:
        """Lift the mutes an older Hearth timed itself (its ``mutes`` record), then forget it.

        Their end is not known to the core's scheduler, which times mutes now; a
        mute still running is lifted early rather than kept for ever.
        """
        s = self.session
        assert s.host is not None
        raw = await s.host.kv.get(LEGACY_MUTES)
        if not raw:
            return
        try:
            records = json.loads(raw)
        except ValueError:
            records = {}
        for key in records if isinstance(records, dict) else ():
            community, _, uid = str(key).partition("\t")
            if community not in s.communities or not uid:
                continue
            try:
                await self.unmute(community, Member(platform=PLATFORM, id=uid, name=uid))
                log.warning("unmuted %s in %s: a mute timed by an older Hearth (mute them again "
                            "if it had not run out)", uid, community)
            except AdapterError as exc:
                log.warning("could not lift the mute of %s in %s: %s", uid, community, exc)
        await s.host.kv.set(LEGACY_MUTES, "")

    async def kick(self, community: str, member: Member, reason: str) -> None:
        s = self.session
        uid = user_id(member.id)
        rooms = [r for r in self.topology.all_rooms(community)
                 if r in s.rooms and s.rooms[r].members.get(uid) in ("join", "invite", "knock")]
        if not rooms:
            raise NotFound(f"kick: {uid} is not in community {community!r}")
        await s.each("kick", rooms, lambda r: ops.kick(s.nio, r, uid, reason=reason))

    async def unban(self, community: str, member: Member) -> None:
        s = self.session
        uid = user_id(member.id)
        await s.each("unban", self.topology.all_rooms(community), lambda r: ops.unban(s.nio, r, uid))

    async def ban(self, community: str, member: Member, reason: str) -> None:
        s = self.session
        uid = user_id(member.id)
        await s.each("ban", self.topology.all_rooms(community),
                     lambda r: ops.ban(s.nio, r, uid, reason=reason))
