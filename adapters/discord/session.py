"""What the parts of a started Discord adapter share, and the lookups on it.

Built when the adapter starts: the guild of each community, the Discord role
of each neutral role, what Hearth keeps per guild (:mod:`.memory`), the resume
position (:mod:`.catchup`), the connected client and the background tasks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection, Coroutine
from typing import TYPE_CHECKING, Any

import discord

from hearth.adapters.discord.catchup import Progress
from hearth.adapters.discord.convert import (
    PLATFORM,
    RoleMap,
    role_ids,
    to_channel,
    to_member,
)
from hearth.adapters.discord.errors import boundary
from hearth.adapters.discord.memory import GuildMemory, take_legacy_roles
from hearth.adapters.discord.schema import DiscordBinding
from hearth.errors import AdapterError, NotFound
from hearth.events import Event
from hearth.models import Channel, Member
from hearth.ports import AdapterHost, ListedMember

if TYPE_CHECKING:
    from hearth.adapters.discord.adapter import DiscordAdapter

log = logging.getLogger(__name__)


class Session:
    """The shared state of a started Discord adapter."""

    def __init__(self, adapter: DiscordAdapter) -> None:
        self.adapter = adapter
        self.account = adapter.account
        self.communities = adapter.communities
        self.client: discord.Client | None = None
        #: the shards the client runs (None: every one)
        self.running: list[int] | None = adapter.shard_ids
        self.host: AdapterHost | None = None
        #: set once the gateway session is ready
        self.ready = asyncio.Event()
        self.guilds: dict[int, str] = {}  # guild id -> community key
        self.roles: dict[str, RoleMap] = {}
        self.memory: dict[str, GuildMemory] = {}
        self.progress: dict[str, Progress] = {}
        self.mapped: dict[str, frozenset[int]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        for key, binding in self.communities.items():
            space = binding.space
            if isinstance(space, DiscordBinding):
                self.guilds[int(space.guild)] = key
            self.roles[key] = RoleMap(role_ids(binding.roles))
            self.mapped[key] = frozenset(int(c) for c in binding.channels.values() if c.isdigit())

    async def load(self, host: AdapterHost, keys: Collection[str] | None = None) -> None:
        """Read what Hearth keeps per guild (created roles, categories, groups, position),
        of every community or of ``keys`` (again when this process takes over their shard,
        from where the previous holder left it)."""
        for key, gid in self.guild_ids().items():
            if keys is not None and key not in keys:
                continue
            self.memory[key] = await GuildMemory.load(host.kv, gid)
            for role, rid in (await take_legacy_roles(host.kv, gid)).items():
                await host.role_ids.set(key, role, str(rid))
            for role, found in (await host.role_ids.get(key)).items():
                if found.isdigit():
                    self.roles[key].ids.setdefault(role, int(found))
            self.progress[key] = await Progress.load(host.kv, gid)

    # ------------------------------------------------------------------ tasks
    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def cancel_tasks(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def lock(self, name: str) -> asyncio.Lock:
        return self._locks.setdefault(name, asyncio.Lock())

    async def submit(self, event: Event) -> bool:
        """Hand ``event`` to the core; False once stopped (the event was not taken)."""
        host = self.host
        if host is None:
            return False
        await host.submit(event)
        return True

    # ------------------------------------------------------------------ guilds and shards
    def guild_ids(self) -> dict[str, int]:
        return {key: gid for gid, key in self.guilds.items()}

    def community_of(self, guild_id: int) -> str | None:
        """The community of ``guild_id``'s events, while this process wants its shard.

        None for a guild of no community, and for one whose shard this process
        has just given up: until its client is replaced, it still receives that
        shard's events, which the new holder handles (and answers) instead.
        """
        key = self.guilds.get(guild_id)
        ids = self.adapter.shard_ids
        if key is None or (ids is not None and self.adapter.shards.of(guild_id) not in ids):
            return None
        return key

    def on_my_shards(self, guild_id: int) -> bool:
        """True when ``guild_id`` comes on a shard the client runs."""
        return self.running is None or self.adapter.shards.of(guild_id) in self.running

    def connected(self) -> discord.Client:
        """The client, or AdapterError when the adapter is not connected."""
        if self.client is None:
            raise AdapterError("the discord adapter is not connected")
        return self.client

    def guild(self, community: str | None) -> discord.Guild:
        gid = self.guild_ids().get(community or "")
        guild = self.connected().get_guild(gid) if gid else None
        if guild is None:
            raise NotFound(f"community {community!r} has no guild the bot is in")
        return guild

    # ------------------------------------------------------------------ members
    async def member_of(self, community: str, user_id: int) -> discord.Member:
        guild = self.guild(community)
        member = guild.get_member(user_id)
        if member is None:
            with boundary("looking up a member"):
                member = await guild.fetch_member(user_id)
        return member

    async def member_count(self, community: str) -> int:
        guild = self.connected().get_guild(self.guild_ids().get(community, 0))
        return (guild.member_count or len(guild.members)) if guild else 0

    async def get_member(self, community: str, member_id: str) -> Member | None:
        try:
            found = await self.member_of(community, int(member_id))
        except NotFound:
            return None
        return to_member(found, self.roles[community])

    async def member_list(self, key: str, guild: discord.Guild) -> dict[int, discord.Member] | None:
        """Every member of ``guild`` now (requested in chunks when not cached), or None when
        the list cannot be complete."""
        if not guild.chunked:
            with contextlib.suppress(TimeoutError, discord.ClientException, discord.HTTPException):
                await asyncio.wait_for(guild.chunk(), max(30.0, (guild.member_count or 0) / 5000))
        if not guild.chunked:
            log.warning("%s: the member list of guild %s is incomplete, so joins and leaves "
                        "made while the bot was down are not handled", key, guild.id)
            return None
        return {m.id: m for m in guild.members}

    async def listed_members(self, community: str) -> list[ListedMember]:
        """The guild's members but the bot, with their join times, for the member directory."""
        guild = self.guild(community)
        members = await self.member_list(community, guild)
        if members is None:
            raise AdapterError(f"the member list of guild {guild.id} is incomplete",
                               platform=PLATFORM, action="list members")
        me = self.connected().user
        return [ListedMember(member=to_member(m, self.roles[community]), joined=m.joined_at)
                for m in members.values() if me is None or m.id != me.id]

    def author(self, key: str | None, user: discord.abc.User) -> Member:
        return to_member(user, self.roles[key] if key else None)

    def dm_community(self, user_id: int) -> tuple[str | None, discord.Member | None]:
        """The first community ``user_id`` is a member of, for a direct message."""
        client = self.client
        if client is None:
            return None, None
        for gid, key in self.guilds.items():
            guild = client.get_guild(gid)
            member = guild.get_member(user_id) if guild else None
            if member is not None:
                return key, member
        return None, None

    # ------------------------------------------------------------------ channels
    def channel(self, key: str, channel_id: int, dm_with: int | None = None) -> Channel:
        if dm_with is not None:
            return to_channel(channel_id, None, dm_with)
        name = self.communities[key].channel_name(str(channel_id))
        if name is None and key in self.memory:
            name = self.memory[key].group_name(channel_id)
        return to_channel(channel_id, name)

    def group(self, community: str, name: str) -> Channel | None:
        """A group channel the bot created, by name."""
        memory = self.memory.get(community)
        cid = memory.groups.get(name) if memory else None
        return to_channel(cid, name) if cid else None

    def followed(self, key: str) -> set[int]:
        """The channels whose history is caught up after downtime: mapped and group channels."""
        memory = self.memory.get(key)
        return set(self.mapped.get(key, ())) | set(memory.groups.values() if memory else ())

    def is_followed(self, key: str, channel_id: int) -> bool:
        if channel_id in self.mapped.get(key, ()):
            return True
        memory = self.memory.get(key)
        return memory is not None and channel_id in memory.groups.values()

