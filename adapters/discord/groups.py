"""Group channels: private text channels in a category, created, joined, left, archived or deleted.

The categories (for groups, and for archived groups) are configured,
remembered, or created on first use; the groups the bot created are
remembered by name (:mod:`.memory`). Discord allows 50 channels in a category
and 500 in a guild (categories included): a full category spills over into
the next ("Hearth groups 2", "Hearth groups 3" …, created when needed), and at
the guild's limit, or at the binding's ``max_group_channels`` open groups,
creating one more raises :class:`~hearth.errors.LimitReached` (the core's
group service tells the admins).

A group may instead be a private thread in a text channel (``within``): it
counts against none of those limits; members are added to the thread,
archiving locks it, deleting deletes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import discord

from hearth.adapters.discord.convert import to_channel
from hearth.adapters.discord.errors import boundary
from hearth.adapters.discord.session import Session
from hearth.errors import LimitReached, NotFound
from hearth.models import Channel, Member
from hearth.ports import DissolveMode

CATEGORY_NAMES = {"groups": "Hearth groups", "archive": "Hearth archive"}
CATEGORY_KEYS = {"groups": "group_category", "archive": "archive_category"}  # in the binding
#: Discord's limits: channels in one category, and channels in a guild (categories included)
CATEGORY_LIMIT = 50
GUILD_LIMIT = 500
MEMBER_ALLOW = discord.PermissionOverwrite(view_channel=True, send_messages=True,
                                           read_message_history=True)


class Groups:
    """Group channels in a guild."""

    def __init__(self, session: Session) -> None:
        self.session = session

    async def create(self, community: str, name: str, members: Sequence[Member], *,
                     topic: str, private: bool, within: Channel | None = None) -> Channel:
        if within is not None:
            return await self._create_thread(community, name, members, within, private)
        s = self.session
        guild = s.guild(community)
        memory = s.memory[community]
        space = s.communities[community].space
        cap = getattr(space, "max_group_channels", GUILD_LIMIT)
        if len(memory.groups) >= cap:
            raise LimitReached(f"{len(memory.groups)} group channels are open, the most allowed "
                               f"(max_group_channels: {cap})", action="create group")
        if len(guild.channels) >= GUILD_LIMIT:
            raise LimitReached(f"the server has {len(guild.channels)} channels, Discord's limit",
                               action="create group")
        category = await self._category(community, "groups")
        overwrites: dict[discord.Role | discord.Member | discord.Object,
                         discord.PermissionOverwrite] = {}
        if private:
            overwrites[guild.default_role] = discord.PermissionOverwrite(view_channel=False)
        overwrites[guild.me] = discord.PermissionOverwrite(
            view_channel=True, send_messages=True, read_message_history=True,
            manage_channels=True)
        for member in members:
            if member.id.isdigit() and int(member.id) != guild.me.id:
                overwrites[discord.Object(int(member.id), type=discord.Member)] = MEMBER_ALLOW
        with boundary(f"creating group channel {name!r}"):
            created = await guild.create_text_channel(
                name, category=category, overwrites=overwrites, topic=topic[:1024],
                reason="Hearth group")
        memory.groups[name] = created.id
        assert s.host is not None
        await memory.save_groups(s.host.kv)
        return to_channel(created.id, name)

    async def _create_thread(self, community: str, name: str, members: Sequence[Member],
                             within: Channel, private: bool) -> Channel:
        parent = await self._group_channel(community, within)
        if isinstance(parent, discord.Thread):
            raise NotFound(f"channel {within.id} is a thread, not a text channel")
        kind = discord.ChannelType.private_thread if private else discord.ChannelType.public_thread
        with boundary(f"creating group thread {name!r} in {within.id}"):
            thread = await parent.create_thread(name=name, type=kind, invitable=False,
                                                auto_archive_duration=10080, reason="Hearth group")
            me = self.session.guild(community).me.id
            for member in members:
                if member.id.isdigit() and int(member.id) != me:
                    await thread.add_user(discord.Object(int(member.id)))
        return to_channel(thread.id, name)

    async def invite(self, community: str, channel: Channel, member: Member) -> None:
        found = await self._group_channel(community, channel)
        if isinstance(found, discord.Thread):
            with boundary(f"adding {member.id} to thread {channel.id}"):
                await found.add_user(discord.Object(int(member.id)))
            return
        target = await self.session.member_of(community, int(member.id))
        with boundary(f"inviting {member.id} to {channel.id}"):
            await found.set_permissions(target, overwrite=MEMBER_ALLOW, reason="Hearth group")

    async def remove(self, community: str, channel: Channel, member: Member) -> None:
        found = await self._group_channel(community, channel)
        if isinstance(found, discord.Thread):
            with boundary(f"removing {member.id} from thread {channel.id}"):
                await found.remove_user(discord.Object(int(member.id)))
            return
        # By id, not through a Member: the member may have left the server already.
        http = self.session.connected().http
        try:
            with boundary(f"removing {member.id} from {channel.id}"):
                await http.delete_channel_permissions(found.id, int(member.id),
                                                      reason="Hearth group")
        except NotFound:
            pass  # not in the group: nothing to take away

    async def dissolve(self, community: str, channel: Channel, mode: DissolveMode) -> None:
        s = self.session
        found = await self._group_channel(community, channel)
        if isinstance(found, discord.Thread):
            with boundary(f"ending group thread {channel.id}"):
                if mode == "delete":
                    await found.delete()
                else:
                    await found.edit(archived=True, locked=True, reason="Hearth group ended")
            s.progress[community].forget_channel(found.id)
            return
        if mode == "delete":
            with boundary(f"deleting group channel {channel.id}"):
                await found.delete(reason="Hearth group ended")
        else:
            archive = await self._category(community, "archive")
            overwrites: dict[Any, discord.PermissionOverwrite] = {}
            for target, overwrite in found.overwrites.items():
                if target == found.guild.me:
                    overwrites[target] = overwrite
                    continue
                overwrite = discord.PermissionOverwrite(**dict(overwrite))
                overwrite.update(send_messages=False, add_reactions=False,
                                 create_public_threads=False, create_private_threads=False,
                                 send_messages_in_threads=False)
                overwrites[target] = overwrite
            with boundary(f"archiving group channel {channel.id}"):
                await found.edit(category=archive, overwrites=overwrites, sync_permissions=False,
                                 reason="Hearth group ended (archived)")
        memory = s.memory[community]
        for name, cid in list(memory.groups.items()):
            if cid == found.id:
                del memory.groups[name]
        s.progress[community].forget_channel(found.id)
        assert s.host is not None
        await memory.save_groups(s.host.kv)

    async def _category(self, community: str, which: str) -> discord.CategoryChannel:
        """A category for group (or archived) channels with room for one more.

        The first is configured, remembered or created; when it holds 50
        channels the next one is used ("Hearth groups 2" …), created when needed.
        """
        s = self.session
        guild = s.guild(community)
        async with s.lock(f"category:{guild.id}:{which}"):
            number = 1
            while True:
                category = await self._nth_category(community, which, number)
                if len(category.channels) < CATEGORY_LIMIT:
                    return category
                number += 1

    async def _nth_category(self, community: str, which: str,
                            number: int) -> discord.CategoryChannel:
        s = self.session
        guild = s.guild(community)
        space = s.communities[community].space
        configured = getattr(space, CATEGORY_KEYS[which], None) if space else None
        if configured and number == 1:
            found = guild.get_channel(int(configured))
            if isinstance(found, discord.CategoryChannel):
                return found
            raise NotFound(f"{CATEGORY_KEYS[which]} {configured} is not a category the bot can see")
        memory = s.memory[community]
        key = which if number == 1 else f"{which}:{number}"
        remembered = guild.get_channel(memory.categories.get(key, 0))
        if isinstance(remembered, discord.CategoryChannel):
            return remembered
        base = CATEGORY_NAMES[which]
        if configured:
            first = guild.get_channel(int(configured))
            base = first.name if first is not None else base
        name = base if number == 1 else f"{base} {number}"
        found = discord.utils.get(guild.categories, name=name)
        if found is None:
            if len(guild.channels) + 1 >= GUILD_LIMIT:  # room for the category and a channel in it
                raise LimitReached(f"the server has {len(guild.channels)} channels, Discord's "
                                   f"limit", action=f"create the {name!r} category")
            with boundary(f"creating the {name!r} category"):
                found = await guild.create_category(name, reason="Hearth group channels")
        memory.categories[key] = found.id
        assert s.host is not None
        await memory.save_categories(s.host.kv)
        return found

    async def _group_channel(self, community: str,
                             channel: Channel) -> discord.TextChannel | discord.Thread:
        guild = self.session.guild(community)
        found: object = guild.get_channel_or_thread(int(channel.id))
        if found is None:
            with boundary(f"looking up channel {channel.id}"):
                found = await guild.fetch_channel(int(channel.id))
        if not isinstance(found, discord.TextChannel | discord.Thread):
            raise NotFound(f"channel {channel.id} is not a text channel")
        return found
