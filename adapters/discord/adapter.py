"""Hearth on Discord, through discord.py.

A community is a guild; its configured channels are text channels. Gateway
events become :mod:`hearth.events` (:mod:`.inbound`), the port's actions
become REST calls (:mod:`.actions`, :mod:`.groups`), and the command registry
is synced to each guild as slash commands (:mod:`.interactions`). After
downtime, what can be recovered is handed over first (:mod:`.downtime`).

This module holds only what the core needs before the adapter starts (name,
config schemas, capabilities, pacing): validating a config that names Discord
does not import discord.py and aiohttp; :mod:`.client` is imported at start.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from hearth.adapters.discord.schema import DiscordAccount, DiscordBinding, Shards
from hearth.errors import AdapterError, StartupError
from hearth.events import CommandInvokedEvent
from hearth.models import Capability, Channel, Member, Message, Prompt, Role, SentMessage
from hearth.ports import (
    Adapter,
    AdapterHost,
    Claims,
    CommunityBinding,
    DissolveMode,
    ListedMember,
    Pace,
)

if TYPE_CHECKING:
    import discord

    from hearth.adapters.discord.client import Connection


class DiscordAdapter(Adapter):
    """Hearth on Discord."""

    name = "discord"
    account_schema = DiscordAccount
    binding_schema = DiscordBinding
    #: Discord's default buckets: 5 messages per 5 s in a channel, 50 requests per second in
    #: all; DMs kept to about one a second (bulk DMs are what its anti-spam watches for)
    pace = Pace(channel=(5, 5.0), dm=(10, 10.0), total=(50, 1.0), max_length=2000)
    #: how long an interaction's token lets the bot answer through it (Discord: 15 minutes);
    #: an answer ready later is posted in the channel instead
    interaction_life = timedelta(minutes=15)
    #: an answer through the interaction must start this long before its token expires
    answer_margin = timedelta(seconds=10)
    #: seconds between two IDENTIFYs of one ``max_concurrency`` bucket, in every process
    #: sharing the database (Discord: 5; shorter in tests)
    identify_interval = 5.0
    #: seconds between saves of the position a restart resumes from
    checkpoint_every = 1.0
    #: at stop, how long to wait for the core to handle what it was given before saving
    final_checkpoint_timeout = 10.0
    # A join wave is held by one timeout per newcomer (mute), not all newcomers at once.
    capabilities = frozenset(Capability) - {Capability.HOLD_NEWCOMERS}

    def __init__(
        self,
        *,
        account: Any,
        communities: Mapping[str, CommunityBinding],
        start_timeout: float = 60.0,
        client_options: Mapping[str, Any] | None = None,
    ) -> None:
        """``client_options`` are extra ``discord.Client`` keyword arguments (tests use
        ``guild_ready_timeout``)."""
        super().__init__(account=account, communities=communities)
        if not isinstance(account, DiscordAccount):
            raise StartupError("the discord adapter needs accounts.discord (a bot token)")
        self.account: DiscordAccount = account
        self.start_timeout = start_timeout
        self.client_options = dict(client_options or {})
        self._connection: Connection | None = None
        shards = account.shards
        #: the shard count and the shards this process runs now (None: every one)
        self.shards = shards if isinstance(shards, Shards) else Shards(count=shards or 1)
        self.shard_ids: list[int] | None = self.shards.claimable()

    @property
    def client(self) -> discord.Client | None:
        """The discord.py client while connected."""
        return self._connection.session.client if self._connection else None

    def _started(self) -> Connection:
        if self._connection is None:
            raise AdapterError("the discord adapter is not connected")
        return self._connection

    # ------------------------------------------------------------------ shards
    def claims(self) -> Claims | None:
        """With ``shards.per_process`` or ``shards.ids``: the shards, claimed in the shared
        database; each guild's community belongs to the process holding its shard."""
        claimable = self.shards.claimable()
        if claimable is None:
            return None
        guilds = {key: int(b.space.guild) for key, b in self.communities.items()
                  if isinstance(b.space, DiscordBinding)}
        return Claims(keys=tuple(self.shards.key(i) for i in claimable),
                      per_process=self.shards.per_process,
                      communities={key: self.shards.key(self.shards.of(gid))
                                   for key, gid in guilds.items()})

    def claimed(self, keys: frozenset[str]) -> None:
        """Run the shards held now: the client is made anew with them (see :mod:`.client`)."""
        claimable = self.shards.claimable() or []
        self.shard_ids = [i for i in claimable if self.shards.key(i) in keys]
        if self._connection is not None:
            self._connection.reshard()

    # ------------------------------------------------------------------ lifecycle
    async def start(self, host: AdapterHost) -> None:
        if self._connection is None:
            from hearth.adapters.discord.client import Connection  # discord.py, aiohttp

            self._connection = Connection(self)
        await self._connection.start(host)

    async def stop(self) -> None:
        if self._connection is not None:
            await self._connection.stop()

    async def check_permissions(self) -> list[str]:
        return self._started().check_permissions()

    # ------------------------------------------------------------------ lookups
    def resolve_channel(self, community: str, name: str) -> Channel | None:
        found = super().resolve_channel(community, name)
        if found is not None or self._connection is None:
            return found
        return self._connection.session.group(community, name)

    async def member_count(self, community: str) -> int:
        return await self._started().session.member_count(community)

    async def get_member(self, community: str, member_id: str) -> Member | None:
        if not member_id.isdigit():
            return None
        return await self._started().session.get_member(community, member_id)

    async def list_members(self, community: str) -> AsyncIterator[ListedMember]:
        """The guild's member list (requested in chunks from the gateway when not cached)."""
        for listed in await self._started().session.listed_members(community):
            yield listed

    # ------------------------------------------------------------------ actions
    async def answer_command(self, community: str, event: CommandInvokedEvent,
                             answers: list[str]) -> None:
        """Answer a slash command another process received, through its interaction."""
        await self._started().interactions.answer(community, event, answers)

    async def send(
        self, community: str | None, channel: Channel, text: str, *, reply_to: str | None = None
    ) -> SentMessage:
        return await self._started().actions.send(community, channel, text, reply_to=reply_to)

    async def send_file(self, community: str | None, channel: Channel, data: bytes, filename: str,
                        *, text: str = "") -> SentMessage:
        return await self._started().actions.send_file(community, channel, data, filename, text)

    async def dm(self, community: str | None, member: Member, text: str, *,
                 previews: bool = True) -> SentMessage:
        return await self._started().actions.dm(community, member, text, previews=previews)

    async def ask(self, community: str | None, member: Member, prompt: Prompt) -> SentMessage:
        return await self._started().choices.ask(community, member, prompt)

    async def delete(self, community: str | None, channel: Channel, message_id: str,
                     reason: str) -> None:
        await self._started().actions.delete(channel, message_id, reason)

    async def pin(self, community: str | None, channel: Channel, message_id: str) -> None:
        await self._started().actions.pin(channel, message_id)

    async def unpin(self, community: str | None, channel: Channel, message_id: str) -> None:
        await self._started().actions.unpin(channel, message_id)

    async def mute(self, community: str, member: Member, until: datetime, reason: str) -> None:
        await self._started().actions.mute(community, member, until, reason)

    async def unmute(self, community: str, member: Member) -> None:
        await self._started().actions.unmute(community, member)

    async def kick(self, community: str, member: Member, reason: str) -> None:
        await self._started().actions.kick(community, member, reason)

    async def ban(self, community: str, member: Member, reason: str) -> None:
        await self._started().actions.ban(community, member, reason)

    async def unban(self, community: str, member: Member) -> None:
        await self._started().actions.unban(community, member)

    async def fetch_message(self, community: str, channel: Channel, message_id: str) -> Message | None:
        return await self._started().actions.fetch_message(community, channel, message_id)

    async def grant_role(self, community: str, member: Member, role: Role) -> None:
        await self._started().actions.grant_role(community, member, role)

    async def revoke_role(self, community: str, member: Member, role: Role) -> None:
        await self._started().actions.revoke_role(community, member, role)

    # ------------------------------------------------------------------ groups
    async def create_group(
        self,
        community: str,
        name: str,
        members: Sequence[Member],
        *,
        topic: str,
        private: bool = True,
        expires: datetime | None = None,
        within: Channel | None = None,
    ) -> Channel:
        return await self._started().groups.create(community, name, members, topic=topic,
                                                   private=private, within=within)

    async def invite(self, community: str, channel: Channel, member: Member) -> None:
        await self._started().groups.invite(community, channel, member)

    async def remove_from_group(self, community: str, channel: Channel, member: Member) -> None:
        await self._started().groups.remove(community, channel, member)

    async def dissolve_group(self, community: str, channel: Channel, mode: DissolveMode) -> None:
        await self._started().groups.dissolve(community, channel, mode)
