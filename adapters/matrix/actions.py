"""The port's actions on messages and members, as homeserver calls through :mod:`.ops`.

Sending (mentions as pills, replies quoting the original), direct messages in
the DM room the member last used (or a new one), redacting a message with its
edits, pinning, and moderation in every room of the community: mutes (a power
level; Matrix has no timed mute, so a timer lifts them), kicks and bans.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from functools import partial

from hearth.errors import AdapterError, Forbidden, NotFound
from hearth.models import Channel, Member, SentMessage

from . import ops
from .convert import PLATFORM, user_id
from .identity import Identity
from .session import Session
from .topology import Topology

log = logging.getLogger(__name__)


class Actions:
    """Messages and members acted on through the homeserver."""

    def __init__(self, session: Session, topology: Topology, identity: Identity) -> None:
        self.session = session
        self.topology = topology
        self.identity = identity
        self._mute_wakeup = asyncio.Event()

    async def send(self, community: str | None, channel: Channel, text: str, *,
                   reply_to: str | None = None) -> SentMessage:
        s = self.session
        mentions = self.identity.mentions(text)
        if reply_to:
            original = s.recent.get(reply_to)
            event_id = await s.do("reply", lambda: ops.reply(
                s.nio, channel.id, reply_to, text, mentions=mentions, notice=True, original=original))
        else:
            event_id = await s.do("send", lambda: ops.send_text(
                s.nio, channel.id, text, mentions=mentions, notice=True))
        return SentMessage(platform=PLATFORM, id=event_id, channel=channel)

    async def dm(self, community: str | None, member: Member, text: str) -> SentMessage:
        s = self.session
        uid = user_id(member.id)
        mentions = self.identity.mentions(text)
        for attempt in range(2):
            room_id = s.dm_for.get(uid) if attempt == 0 else None
            if room_id is None:
                room_id = await s.do("open DM", lambda: ops.get_or_create_dm(s.nio, uid))
                s.dm_for[uid] = room_id
                s.dm_rooms[room_id] = uid
            try:
                event_id = await s.do("DM", partial(
                    ops.send_text, s.nio, room_id, text, mentions=mentions, notice=True))
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
        await s.do("redact", lambda: ops.redact(s.nio, channel.id, message_id, reason=reason))
        for edit in s.edits.pop(message_id, []):  # the edits carry the text too
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
        s.mutes[f"{community}\t{uid}"] = until.timestamp()
        await s.save("mutes")
        self._mute_wakeup.set()

    async def unmute(self, community: str, member: Member) -> None:
        s = self.session
        uid = user_id(member.id)
        await s.each("unmute", self.topology.all_rooms(community, space=False),
                     lambda r: ops.unmute(s.nio, r, uid))
        if s.mutes.pop(f"{community}\t{uid}", None) is not None:
            await s.save("mutes")

    async def mute_timer(self) -> None:
        """Unmute members whose mute ran out (Matrix has no timed mute)."""
        s = self.session
        while True:
            now = datetime.now(UTC).timestamp()
            for key, until in sorted(s.mutes.items(), key=lambda kv: kv[1]):
                if until <= now:
                    community, uid = key.split("\t", 1)
                    try:
                        await self.unmute(community, Member(platform=PLATFORM, id=uid, name=uid))
                        log.info("unmuted %s in %s: the mute ran out", uid, community)
                    except AdapterError as exc:
                        log.warning("could not unmute %s: %s", uid, exc)
                        s.mutes[key] = now + 60
            upcoming = min(s.mutes.values(), default=now + 3600)
            self._mute_wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._mute_wakeup.wait(), max(0.05, min(upcoming - now, 3600)))

    async def kick(self, community: str, member: Member, reason: str) -> None:
        s = self.session
        uid = user_id(member.id)
        rooms = [r for r in self.topology.all_rooms(community)
                 if r in s.rooms and s.rooms[r].members.get(uid) in ("join", "invite", "knock")]
        if not rooms:
            raise NotFound(f"kick: {uid} is not in community {community!r}")
        await s.each("kick", rooms, lambda r: ops.kick(s.nio, r, uid, reason=reason))

    async def ban(self, community: str, member: Member, reason: str) -> None:
        s = self.session
        uid = user_id(member.id)
        await s.each("ban", self.topology.all_rooms(community),
                     lambda r: ops.ban(s.nio, r, uid, reason=reason))
