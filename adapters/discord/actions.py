"""The port's actions on messages and members as Discord REST calls.

Sending (cut to Discord's length limit), direct messages, deleting, pinning,
timeouts, kicks, bans and the neutral roles (configured, remembered, or
created on first use). discord.py's per-route buckets and global limit apply;
its errors become :mod:`hearth.errors` at :func:`~.errors.boundary`.
"""

from __future__ import annotations

import io
import logging
from datetime import datetime, timedelta
from typing import Any

import discord

from hearth.adapters.discord.convert import PLATFORM, chunks, render, to_channel, to_message
from hearth.adapters.discord.errors import boundary
from hearth.adapters.discord.session import Session
from hearth.errors import AdapterError, NotFound
from hearth.models import Channel, Member, Message, Role, SentMessage

log = logging.getLogger(__name__)

MAX_TIMEOUT = timedelta(days=28)  # Discord's limit for communication_disabled_until


class Actions:
    """Messages and members acted on through Discord's REST API."""

    def __init__(self, session: Session) -> None:
        self.session = session

    async def send(self, community: str | None, channel: Channel, text: str, *,
                   reply_to: str | None = None) -> SentMessage:
        s = self.session
        text = render(text)
        target = s.connected().get_partial_messageable(int(channel.id))
        first: dict[str, Any] = {}
        if reply_to and reply_to.isdigit():
            first["reference"] = discord.MessageReference(message_id=int(reply_to),
                                                          channel_id=int(channel.id),
                                                          fail_if_not_exists=False)
        sent: discord.Message | None = None
        with boundary(f"sending to channel {channel.id}"):
            for i, chunk in enumerate(chunks(text)):
                sent = await target.send(chunk, **(first if i == 0 else {}))
        assert sent is not None
        return SentMessage(platform=PLATFORM, id=str(sent.id), channel=channel)

    async def send_file(self, community: str | None, channel: Channel, data: bytes, filename: str,
                        text: str) -> SentMessage:
        """Upload ``data`` as an attachment (Discord shows a PNG inline), ``text`` above it."""
        target = self.session.connected().get_partial_messageable(int(channel.id))
        caption = next(iter(chunks(render(text))), None) if text else None
        with boundary(f"sending a file to channel {channel.id}"):
            sent = await target.send(caption, file=discord.File(io.BytesIO(data), filename=filename))
        return SentMessage(platform=PLATFORM, id=str(sent.id), channel=channel)

    async def dm(self, community: str | None, member: Member, text: str, *,
                 previews: bool = True) -> SentMessage:
        s = self.session
        client = s.connected()
        with boundary(f"sending a direct message to {member.id}"):
            user = client.get_user(int(member.id)) or await client.fetch_user(int(member.id))
            dm_channel = user.dm_channel or await user.create_dm()
            sent: discord.Message | None = None
            for chunk in chunks(render(text)):
                sent = await dm_channel.send(chunk, suppress_embeds=not previews)
        assert sent is not None
        return SentMessage(platform=PLATFORM, id=str(sent.id),
                           channel=to_channel(dm_channel.id, None, int(member.id)))

    async def delete(self, channel: Channel, message_id: str, reason: str) -> None:
        with boundary(f"deleting message {message_id}"):
            await self.session.connected().http.delete_message(int(channel.id), int(message_id),
                                                               reason=reason or None)

    async def pin(self, channel: Channel, message_id: str) -> None:
        target = self.session.connected().get_partial_messageable(int(channel.id))
        with boundary(f"pinning message {message_id}"):
            await target.get_partial_message(int(message_id)).pin()

    async def unpin(self, channel: Channel, message_id: str) -> None:
        target = self.session.connected().get_partial_messageable(int(channel.id))
        with boundary(f"unpinning message {message_id}"):
            await target.get_partial_message(int(message_id)).unpin()

    async def mute(self, community: str, member: Member, until: datetime, reason: str) -> None:
        found = await self.session.member_of(community, int(member.id))
        until = min(until, discord.utils.utcnow() + MAX_TIMEOUT - timedelta(minutes=1))
        with boundary(f"timing out {member.id}"):
            await found.timeout(until, reason=reason or None)

    async def unmute(self, community: str, member: Member) -> None:
        found = await self.session.member_of(community, int(member.id))
        with boundary(f"ending the timeout of {member.id}"):
            await found.timeout(None)

    async def kick(self, community: str, member: Member, reason: str) -> None:
        guild = self.session.guild(community)
        with boundary(f"kicking {member.id}"):
            await guild.kick(discord.Object(int(member.id)), reason=reason or None)

    async def ban(self, community: str, member: Member, reason: str) -> None:
        guild = self.session.guild(community)
        with boundary(f"banning {member.id}"):
            await guild.ban(discord.Object(int(member.id)), reason=reason or None,
                            delete_message_seconds=0)

    async def unban(self, community: str, member: Member) -> None:
        guild = self.session.guild(community)
        with boundary(f"lifting the ban of {member.id}"):
            await guild.unban(discord.Object(int(member.id)))

    async def fetch_message(self, community: str, channel: Channel, message_id: str) -> Message | None:
        if not (channel.id.isdigit() and message_id.isdigit()):
            return None
        s = self.session
        target = s.connected().get_partial_messageable(int(channel.id))
        try:
            with boundary(f"reading message {message_id}"):
                found = await target.fetch_message(int(message_id))
        except NotFound:
            return None
        # The author as the guild knows them now (their role); one who left, as a plain user.
        author = await s.get_member(community, str(found.author.id)) or s.author(None, found.author)
        return to_message(found, s.channel(community, int(channel.id)), author)

    async def grant_role(self, community: str, member: Member, role: Role) -> None:
        if role == Role.OWNER:
            raise AdapterError("a Discord guild has exactly one owner; ownership cannot be granted")
        role_id = await self._role_id(community, role, create=True)
        assert role_id is not None
        found = await self.session.member_of(community, int(member.id))
        with boundary(f"granting {role.label} to {member.id}"):
            await found.add_roles(discord.Object(role_id), reason=f"Hearth: {role.label}")

    async def revoke_role(self, community: str, member: Member, role: Role) -> None:
        role_id = await self._role_id(community, role, create=False)
        if role_id is None:
            return
        found = await self.session.member_of(community, int(member.id))
        with boundary(f"revoking {role.label} from {member.id}"):
            await found.remove_roles(discord.Object(role_id), reason=f"Hearth: {role.label}")

    async def _role_id(self, community: str, role: Role, *, create: bool) -> int | None:
        """The Discord role for a neutral role: configured, kept by the core, or created now."""
        s = self.session
        guild = s.guild(community)
        roles = s.roles[community]
        async with s.lock(f"roles:{guild.id}"):
            known = roles.ids.get(role)
            if known is not None and guild.get_role(known) is not None:
                return known
            if not create:
                return known
            name = f"Hearth {role.label}"
            found = discord.utils.get(guild.roles, name=name)
            if found is None:
                with boundary(f"creating the {role.label} role"):
                    found = await guild.create_role(name=name, reason="Hearth neutral role")
                log.info("%s: created role %r for %s", community, name, role.label)
            roles.ids[role] = found.id
            assert s.host is not None
            await s.host.role_ids.set(community, role, str(found.id))
            return found.id
