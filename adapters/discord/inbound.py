"""Gateway events in: messages, edits, deletions, joins, leaves and reactions as Hearth events.

Ids are kept for de-duplication. A message in a followed channel moves the
channel's resume position (:mod:`.catchup`) once the core has taken it.
"""

from __future__ import annotations

import discord

from hearth.adapters.discord.convert import PLATFORM, to_channel, to_message
from hearth.adapters.discord.session import Session
from hearth.events import (
    Event,
    MemberJoinedEvent,
    MemberLeftEvent,
    MemberUpdatedEvent,
    MessageDeletedEvent,
    MessageEditedEvent,
    MessagePostedEvent,
    ReactionAddedEvent,
)
from hearth.models import Reaction


class Inbound:
    """Turns discord.py's events into Hearth events handed to the core."""

    #: the discord.py events handled here, each by the method of the same name
    EVENTS = ("on_message", "on_raw_message_edit", "on_raw_message_delete", "on_member_join",
              "on_member_update", "on_raw_member_remove", "on_raw_reaction_add")

    def __init__(self, session: Session) -> None:
        self.session = session

    def message_event(self, message: discord.Message) -> MessagePostedEvent | None:
        """The event for a posted message (None: the bot's own, or from an unknown guild)."""
        s = self.session
        client = s.client
        if client is None or (client.user and message.author.id == client.user.id):
            return None
        if message.guild is None:
            key, member = s.dm_community(message.author.id)
            channel = to_channel(message.channel.id, None, message.author.id)
            author = s.author(key, member or message.author)
        else:
            key = s.community_of(message.guild.id)
            if key is None:
                return None
            channel = s.channel(key, message.channel.id)
            author = s.author(key, message.author)
        return MessagePostedEvent(
            platform=PLATFORM, id=str(message.id), community=key, time=message.created_at,
            message=to_message(message, channel, author),
        )

    def join_event(self, key: str, member: discord.Member) -> MemberJoinedEvent:
        joined = member.joined_at or discord.utils.utcnow()
        return MemberJoinedEvent(
            platform=PLATFORM, id=f"join:{member.guild.id}:{member.id}:{joined.timestamp()}",
            community=key, time=joined, member=self.session.author(key, member),
        )

    async def hand_over_message(self, event: Event, channel_id: int, message_id: int) -> bool:
        """Submit a message event; the channel's position advances once the core has it."""
        s = self.session
        key = event.community or ""
        progress = s.progress.get(key)
        if progress is None or not s.is_followed(key, channel_id):
            return await s.submit(event)
        progress.handing(channel_id, message_id)
        queued = False
        try:
            queued = await s.submit(event)
        finally:
            progress.handed(channel_id, message_id, queued=queued)
        return queued

    async def on_message(self, message: discord.Message) -> None:
        event = self.message_event(message)
        if event is not None:
            await self.hand_over_message(event, message.channel.id, message.id)

    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        s = self.session
        message = payload.message
        client = s.client
        if client is None or (client.user and message.author.id == client.user.id):
            return
        key = s.community_of(payload.guild_id or 0)
        if key is None or message.edited_at is None:
            return
        channel = s.channel(key, message.channel.id)
        await s.submit(MessageEditedEvent(
            platform=PLATFORM, id=f"edit:{message.id}:{message.edited_at.timestamp()}",
            community=key, time=message.edited_at,
            message=to_message(message, channel, s.author(key, message.author)),
        ))

    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        s = self.session
        key = s.community_of(payload.guild_id or 0)
        if key is None:
            return
        await s.submit(MessageDeletedEvent(
            platform=PLATFORM, id=f"delete:{payload.message_id}", community=key,
            time=discord.utils.utcnow(), channel=s.channel(key, payload.channel_id),
            message_id=str(payload.message_id),
        ))

    async def on_member_join(self, member: discord.Member) -> None:
        s = self.session
        key = s.community_of(member.guild.id)
        if key is None:
            return
        event = self.join_event(key, member)
        if await s.submit(event):
            s.progress[key].joined(member.id, event.member.name)

    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        """A member's display name or roles changed (by a person or by the bot itself)."""
        s = self.session
        key = s.community_of(after.guild.id)
        if key is None or (before.display_name == after.display_name and before.roles == after.roles):
            return
        now = discord.utils.utcnow()
        await s.submit(MemberUpdatedEvent(
            platform=PLATFORM, id=f"update:{after.guild.id}:{after.id}:{now.timestamp()}",
            community=key, time=now, member=s.author(key, after),
        ))

    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        s = self.session
        key = s.community_of(payload.guild_id)
        if key is None:
            return
        user = payload.user
        joined = getattr(user, "joined_at", None)
        stamp = joined.timestamp() if joined else discord.utils.utcnow().timestamp()
        if await s.submit(MemberLeftEvent(
            platform=PLATFORM, id=f"leave:{payload.guild_id}:{user.id}:{stamp}", community=key,
            time=discord.utils.utcnow(), member=s.author(key, user),
        )):
            s.progress[key].left(user.id)

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        s = self.session
        client = s.client
        if client is None or (client.user and payload.user_id == client.user.id):
            return
        user: discord.abc.User | None
        if payload.guild_id is None:
            key, user = s.dm_community(payload.user_id)
            user = user or client.get_user(payload.user_id)
            channel = to_channel(payload.channel_id, None, payload.user_id)
        else:
            key = s.community_of(payload.guild_id)
            if key is None:
                return
            user = payload.member
            channel = s.channel(key, payload.channel_id)
        if user is None:
            try:
                user = await client.fetch_user(payload.user_id)
            except discord.HTTPException:
                return
        now = discord.utils.utcnow()
        emoji = str(payload.emoji)
        await s.submit(ReactionAddedEvent(
            platform=PLATFORM, id=f"react:{payload.message_id}:{payload.user_id}:{emoji}",
            community=key, time=now,
            reaction=Reaction(platform=PLATFORM, message_id=str(payload.message_id),
                              channel=channel, member=s.author(key, user), emoji=emoji,
                              time=now),
        ))
