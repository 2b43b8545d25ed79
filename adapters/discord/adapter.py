"""Hearth on Discord, through discord.py.

A community is a guild; its configured channels are text channels. Gateway
events become :mod:`hearth.events` (ids kept for de-duplication; a dropped
connection is RESUMEd by discord.py, which replays what was missed), the
port's actions become REST calls through discord.py (its per-route buckets and
global limit apply), and the command registry is synced to each guild as
slash commands. A slash command is acknowledged at once and queued in the
community's inbox like a text command; its answer is delivered through the
interaction when its turn comes. After downtime, what can be recovered is
handed over first (:mod:`.catchup`): each followed channel's history since the
last handled message, and joins and leaves from the member list.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import discord

from hearth.adapters.discord import permissions, slash
from hearth.adapters.discord.catchup import Backlog, Progress
from hearth.adapters.discord.convert import (
    PLATFORM,
    RoleMap,
    render,
    role_ids,
    to_channel,
    to_member,
    to_message,
)
from hearth.adapters.discord.endpoint import Endpoint
from hearth.adapters.discord.errors import boundary
from hearth.adapters.discord.memory import GuildMemory
from hearth.adapters.discord.schema import DiscordAccount, DiscordBinding, Shards
from hearth.errors import AdapterError, NotFound, StartupError
from hearth.events import (
    AdapterReadyEvent,
    CommandInvokedEvent,
    Event,
    MemberJoinedEvent,
    MemberLeftEvent,
    MessageDeletedEvent,
    MessageEditedEvent,
    MessagePostedEvent,
    ReactionAddedEvent,
)
from hearth.models import Capability, Channel, Member, Message, Reaction, Role, SentMessage
from hearth.ports import Adapter, AdapterHost, CommunityBinding, DissolveMode

log = logging.getLogger(__name__)

MAX_LENGTH = 2000  # Discord's limit for a message's content
MAX_TIMEOUT = timedelta(days=28)  # Discord's limit for communication_disabled_until
CATEGORY_NAMES = {"groups": "Hearth groups", "archive": "Hearth archive"}
MEMBER_ALLOW = discord.PermissionOverwrite(view_channel=True, send_messages=True,
                                           read_message_history=True)


def intents() -> discord.Intents:
    """Guilds, members, guild and DM messages, message content, reactions."""
    return discord.Intents(guilds=True, members=True, guild_messages=True, dm_messages=True,
                           message_content=True, guild_reactions=True, dm_reactions=True)


class DiscordAdapter(Adapter):
    """Hearth on Discord."""

    name = "discord"
    account_schema = DiscordAccount
    binding_schema = DiscordBinding
    send_rate = (5, 5.0)
    #: how long an interaction's token lets the bot answer through it (Discord: 15 minutes);
    #: an answer ready later is posted in the channel instead
    interaction_life = timedelta(minutes=15)
    #: seconds between saves of the position a restart resumes from
    checkpoint_every = 1.0
    #: at stop, how long to wait for the core to handle what it was given before saving
    final_checkpoint_timeout = 10.0
    capabilities = frozenset(Capability)

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
        self.client: discord.Client | None = None
        self._host: AdapterHost | None = None
        self._endpoint = Endpoint(account.api_url)
        self._runner: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._ready_count = 0
        self._guilds: dict[int, str] = {}  # guild id -> community key
        self._roles: dict[str, RoleMap] = {}
        self._memory: dict[str, GuildMemory] = {}
        self._slash: dict[int, slash.SlashSet] = {}
        self._answering: set[int] = set()  # interaction ids being answered
        self._progress: dict[str, Progress] = {}
        self._mapped: dict[str, frozenset[int]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        for key, binding in self.communities.items():
            space = binding.space
            if isinstance(space, DiscordBinding):
                self._guilds[int(space.guild)] = key
            self._roles[key] = RoleMap(role_ids(binding.roles))
            self._mapped[key] = frozenset(int(c) for c in binding.channels.values() if c.isdigit())

    # ------------------------------------------------------------------ lifecycle
    async def start(self, host: AdapterHost) -> None:
        for key, gid in self._guild_ids().items():
            memory = self._memory[key] = await GuildMemory.load(host.kv, gid)
            for role, rid in memory.roles.items():
                self._roles[key].ids.setdefault(role, rid)
            self._progress[key] = await Progress.load(host.kv, gid)
        self._host = host
        await self._endpoint.apply(self.account.token.get_secret_value())
        try:
            await self._connect()
            await self._sync_commands()
        except BaseException:
            await self.stop()
            raise
        await self._submit(self._ready_event())
        self._spawn(self._checkpoints(host), "hearth-discord-checkpoints")

    def _make_client(self) -> discord.Client:
        options: dict[str, Any] = {
            "intents": intents(),
            "allowed_mentions": discord.AllowedMentions(everyone=False, roles=False, users=True,
                                                        replied_user=True),
            "chunk_guilds_at_startup": True,
        }
        if self.account.application_id:
            options["application_id"] = int(self.account.application_id)
        count, ids = self._shards()
        options.update(self.client_options)
        if count > 1 or ids is not None:
            if ids is not None:
                options["shard_ids"] = ids
            client: discord.Client = discord.AutoShardedClient(shard_count=count, **options)
        else:
            client = discord.Client(**options)
        for event in ("on_connect", "on_ready", "on_resumed", "on_message", "on_raw_message_edit",
                      "on_raw_message_delete", "on_member_join", "on_raw_member_remove",
                      "on_raw_reaction_add", "on_interaction"):
            setattr(client, event, getattr(self, f"_{event}"))
        return client

    def _shards(self) -> tuple[int, list[int] | None]:
        shards = self.account.shards
        if shards is None:
            return 1, None
        if isinstance(shards, int):
            return shards, None
        assert isinstance(shards, Shards)
        return shards.count, shards.ids

    async def _connect(self) -> None:
        client = self.client = self._make_client()
        try:
            await client.login(self.account.token.get_secret_value())
        except discord.LoginFailure as exc:
            raise StartupError(
                "Discord refused the bot token (accounts.discord.token): copy it again from "
                "the Developer Portal, Bot page, and set it in the environment"
            ) from exc
        except (discord.HTTPException, OSError) as exc:
            raise StartupError(f"cannot log in to Discord at {self.account.api_url}: "
                               f"{type(exc).__name__}") from exc
        runner = self._runner = asyncio.create_task(client.connect(reconnect=True),
                                                    name="hearth-discord-gateway")
        ready = asyncio.create_task(self._ready.wait(), name="hearth-discord-ready")
        done, _ = await asyncio.wait({runner, ready}, timeout=self.start_timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        if ready in done:
            runner.add_done_callback(self._runner_done)
            return
        ready.cancel()
        if runner not in done:
            raise StartupError(f"Discord did not become ready within {self.start_timeout:.0f}s")
        failure = runner.exception()
        if isinstance(failure, discord.PrivilegedIntentsRequired):
            raise StartupError(self._intents_message()) from failure
        raise StartupError(f"the Discord gateway connection failed: {failure!r}") from failure

    def _intents_message(self) -> str:
        flags = self.client.application_flags if self.client else None
        missing = []
        if flags is None or not (flags.gateway_guild_members or flags.gateway_guild_members_limited):
            missing.append("SERVER MEMBERS INTENT (welcomes, member roles)")
        if flags is None or not (flags.gateway_message_content
                                 or flags.gateway_message_content_limited):
            missing.append("MESSAGE CONTENT INTENT (text commands, ad detection)")
        return (
            "Discord refused the gateway connection: the bot needs privileged intents that "
            f"are not enabled: {', '.join(missing) or 'members and message content'}. Enable "
            "them at https://discord.com/developers/applications -> your application -> Bot "
            "-> Privileged Gateway Intents, then start Hearth again"
        )

    def _runner_done(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or self._host is None:
            return
        exc = task.exception()
        if exc is not None:
            log.error("the Discord connection stopped: %r", exc)
        else:
            log.warning("the Discord connection closed")

    async def stop(self) -> None:
        host, self._host = self._host, None
        client, self.client = self.client, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.close()
        runner, self._runner = self._runner, None
        if runner is not None:
            if not runner.done():
                with contextlib.suppress(BaseException):
                    await asyncio.wait_for(runner, 5.0)
            elif not runner.cancelled():
                runner.exception()  # retrieved: reported by start() or _runner_done
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if host is not None:
            try:
                await asyncio.wait_for(self._checkpoint(host), self.final_checkpoint_timeout)
            except Exception as exc:
                log.warning("could not save the Discord position at stop (events received "
                            "since the last save will be read again): %r", exc)
        self._answering.clear()
        self._ready.clear()
        self._endpoint.restore()

    async def check_permissions(self) -> list[str]:
        problems: list[str] = []
        client = self._client()
        for key, gid in self._guild_ids().items():
            if not self._on_my_shards(gid):
                continue
            guild = client.get_guild(gid)
            if guild is None:
                problems.append(
                    f"community {key!r}: the bot is not in guild {gid}; invite it with "
                    f"{permissions.invite_url(client.application_id or client.user.id)}"  # type: ignore[union-attr]
                )
                continue
            binding = self.communities[key]
            problems.extend(permissions.report(key, guild, role_ids(binding.roles),
                                               binding.channels.items()))
        return problems

    def _on_my_shards(self, guild_id: int) -> bool:
        count, ids = self._shards()
        return ids is None or (guild_id >> 22) % count in ids

    # ------------------------------------------------------------------ lookups
    def resolve_channel(self, community: str, name: str) -> Channel | None:
        found = super().resolve_channel(community, name)
        if found is not None:
            return found
        memory = self._memory.get(community)
        cid = memory.groups.get(name) if memory else None
        return to_channel(cid, name) if cid else None

    async def member_count(self, community: str) -> int:
        guild = self._client().get_guild(self._guild_ids().get(community, 0))
        return (guild.member_count or len(guild.members)) if guild else 0

    async def get_member(self, community: str, member_id: str) -> Member | None:
        if not member_id.isdigit():
            return None
        try:
            found = await self._member_of(community, int(member_id))
        except NotFound:
            return None
        return to_member(found, self._roles[community])

    # ------------------------------------------------------------------ events in
    async def _submit(self, event: Event) -> bool:
        """Hand ``event`` to the core; False once stopped (the event was not taken)."""
        host = self._host
        if host is None:
            return False
        await host.submit(event)
        return True

    def _ready_event(self) -> AdapterReadyEvent:
        self._ready_count += 1
        return AdapterReadyEvent(platform=PLATFORM, id=f"ready:{id(self)}:{self._ready_count}",
                                 community=None, time=discord.utils.utcnow())

    async def _on_connect(self) -> None:
        # A new session (not a RESUME): Discord replays nothing from before it. Dispatched
        # before the session's other events, so the position it marks precedes them.
        for progress in self._progress.values():
            progress.begin_session()

    async def _on_ready(self) -> None:
        if self._ready.is_set():
            log.info("Discord session re-established (new session)")
            await self._submit(self._ready_event())
        self._ready.set()
        # A new session replays nothing that happened before it: recover what can be.
        self._spawn(self._catch_up_all(), "hearth-discord-catch-up")

    async def _on_resumed(self) -> None:
        log.info("Discord session resumed")

    def _guild_ids(self) -> dict[str, int]:
        return {key: gid for gid, key in self._guilds.items()}

    def _channel(self, key: str, channel_id: int, dm_with: int | None = None) -> Channel:
        if dm_with is not None:
            return to_channel(channel_id, None, dm_with)
        name = self.communities[key].channel_name(str(channel_id))
        if name is None and key in self._memory:
            name = self._memory[key].group_name(channel_id)
        return to_channel(channel_id, name)

    def _followed(self, key: str) -> set[int]:
        """The channels whose history is caught up after downtime: mapped and group channels."""
        memory = self._memory.get(key)
        return set(self._mapped.get(key, ())) | set(memory.groups.values() if memory else ())

    def _is_followed(self, key: str, channel_id: int) -> bool:
        if channel_id in self._mapped.get(key, ()):
            return True
        memory = self._memory.get(key)
        return memory is not None and channel_id in memory.groups.values()

    def _dm_community(self, user_id: int) -> tuple[str | None, discord.Member | None]:
        client = self.client
        if client is None:
            return None, None
        for gid, key in self._guilds.items():
            guild = client.get_guild(gid)
            member = guild.get_member(user_id) if guild else None
            if member is not None:
                return key, member
        return None, None

    def _author(self, key: str | None, user: discord.abc.User) -> Member:
        return to_member(user, self._roles[key] if key else None)

    def _message_event(self, message: discord.Message) -> MessagePostedEvent | None:
        client = self.client
        if client is None or (client.user and message.author.id == client.user.id):
            return None
        if message.guild is None:
            key, member = self._dm_community(message.author.id)
            channel = to_channel(message.channel.id, None, message.author.id)
            author = self._author(key, member or message.author)
        else:
            key = self._guilds.get(message.guild.id)
            if key is None:
                return None
            channel = self._channel(key, message.channel.id)
            author = self._author(key, message.author)
        return MessagePostedEvent(
            platform=PLATFORM, id=str(message.id), community=key, time=message.created_at,
            message=to_message(message, channel, author),
        )

    async def _on_message(self, message: discord.Message) -> None:
        event = self._message_event(message)
        if event is not None:
            await self._hand_over_message(event, message.channel.id, message.id)

    async def _hand_over_message(self, event: Event, channel_id: int, message_id: int) -> bool:
        """Submit a message event; the channel's position advances once the core has it."""
        key = event.community or ""
        progress = self._progress.get(key)
        if progress is None or not self._is_followed(key, channel_id):
            return await self._submit(event)
        progress.handing(channel_id, message_id)
        queued = False
        try:
            queued = await self._submit(event)
        finally:
            progress.handed(channel_id, message_id, queued=queued)
        return queued

    async def _on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        message = payload.message
        client = self.client
        if client is None or (client.user and message.author.id == client.user.id):
            return
        key = self._guilds.get(payload.guild_id or 0)
        if key is None or message.edited_at is None:
            return
        channel = self._channel(key, message.channel.id)
        await self._submit(MessageEditedEvent(
            platform=PLATFORM, id=f"edit:{message.id}:{message.edited_at.timestamp()}",
            community=key, time=message.edited_at,
            message=to_message(message, channel, self._author(key, message.author)),
        ))

    async def _on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        key = self._guilds.get(payload.guild_id or 0)
        if key is None:
            return
        await self._submit(MessageDeletedEvent(
            platform=PLATFORM, id=f"delete:{payload.message_id}", community=key,
            time=discord.utils.utcnow(), channel=self._channel(key, payload.channel_id),
            message_id=str(payload.message_id),
        ))

    def _join_event(self, key: str, member: discord.Member) -> MemberJoinedEvent:
        joined = member.joined_at or discord.utils.utcnow()
        return MemberJoinedEvent(
            platform=PLATFORM, id=f"join:{member.guild.id}:{member.id}:{joined.timestamp()}",
            community=key, time=joined, member=self._author(key, member),
        )

    async def _on_member_join(self, member: discord.Member) -> None:
        key = self._guilds.get(member.guild.id)
        if key is None:
            return
        event = self._join_event(key, member)
        if await self._submit(event):
            self._progress[key].joined(member.id, event.member.name)

    async def _on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        key = self._guilds.get(payload.guild_id)
        if key is None:
            return
        user = payload.user
        joined = getattr(user, "joined_at", None)
        stamp = joined.timestamp() if joined else discord.utils.utcnow().timestamp()
        if await self._submit(MemberLeftEvent(
            platform=PLATFORM, id=f"leave:{payload.guild_id}:{user.id}:{stamp}", community=key,
            time=discord.utils.utcnow(), member=self._author(key, user),
        )):
            self._progress[key].left(user.id)

    async def _on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        client = self.client
        if client is None or (client.user and payload.user_id == client.user.id):
            return
        user: discord.abc.User | None
        if payload.guild_id is None:
            key, user = self._dm_community(payload.user_id)
            user = user or client.get_user(payload.user_id)
            channel = to_channel(payload.channel_id, None, payload.user_id)
        else:
            key = self._guilds.get(payload.guild_id)
            if key is None:
                return
            user = payload.member
            channel = self._channel(key, payload.channel_id)
        if user is None:
            try:
                user = await client.fetch_user(payload.user_id)
            except discord.HTTPException:
                return
        now = discord.utils.utcnow()
        emoji = str(payload.emoji)
        await self._submit(ReactionAddedEvent(
            platform=PLATFORM, id=f"react:{payload.message_id}:{payload.user_id}:{emoji}",
            community=key, time=now,
            reaction=Reaction(platform=PLATFORM, message_id=str(payload.message_id),
                              channel=channel, member=self._author(key, user), emoji=emoji,
                              time=now),
        ))

    # ------------------------------------------------------------------ catching up
    async def _catch_up_all(self) -> None:
        async with self._lock("catch-up"):
            client = self._client()
            for key, gid in self._guild_ids().items():
                guild = client.get_guild(gid)
                if guild is None or not self._on_my_shards(gid):
                    continue
                try:
                    await self._catch_up(key, guild)
                except Exception:
                    # The position stays unsaved until a later catch-up succeeds.
                    log.exception("%s: catching up on events missed on Discord failed", key)
            host = self._host
            if host is not None:
                await self._checkpoint(host)

    async def _catch_up(self, key: str, guild: discord.Guild) -> None:
        """Hand the core what was missed in ``guild`` while the bot was away (see :mod:`.catchup`).

        At most ``catch_up_limit`` events, the newest, in the order they happened; the
        older ones are reported as skipped. Events arriving meanwhile are handled as usual.
        """
        host = self._host
        if host is None:
            return
        progress = self._progress[key]
        if progress.resume is None:
            progress.begin_session()
        backlog: Backlog[tuple[Event, int]] = Backlog(host.catch_up_limit)
        present = await self._member_list(key, guild)
        joiners = self._missed_members(key, guild, progress, present, backlog)
        newest = await self._missed_messages(key, guild, progress, backlog)
        for event, channel_id in backlog.oldest_first():
            if channel_id:
                if not await self._hand_over_message(event, channel_id, int(event.id)):
                    return
            elif not await self._submit(event):
                return
            elif isinstance(event, MemberJoinedEvent):
                progress.joined(int(event.member.id), event.member.name)
            elif isinstance(event, MemberLeftEvent):
                progress.left(int(event.member.id))
        if backlog.skipped:
            await host.report_skipped(key, PLATFORM, backlog.skipped)
        # The skipped events are passed over for good: the position moves past them too.
        for channel_id, message_id in newest.items():
            progress.advance(channel_id, message_id)
        for user_id, name in joiners.items():
            if guild.get_member(user_id) is not None:
                progress.joined(user_id, name)
        if present is not None and progress.members is not None:
            for user_id in progress.members.keys() - present.keys():
                if guild.get_member(user_id) is None:
                    progress.left(user_id)
        if backlog.total:
            log.info("%s: %d events missed on Discord handed over, %d skipped", key,
                     backlog.total - backlog.skipped, backlog.skipped)
        progress.end_catch_up()

    def _missed_members(self, key: str, guild: discord.Guild, progress: Progress,
                        present: dict[int, discord.Member] | None,
                        backlog: Backlog[tuple[Event, int]]) -> dict[int, str]:
        """Joins and leaves since the known member list into ``backlog``; returns the joiners.

        The first time (no list known yet) the present list becomes the known one.
        """
        if present is None:
            return {}
        if progress.members is None:
            progress.know_members({uid: self._author(key, m).name for uid, m in present.items()})
            return {}
        joiners: dict[int, str] = {}
        for user_id in present.keys() - progress.members.keys():
            event = self._join_event(key, present[user_id])
            joiners[user_id] = event.member.name
            # Message times have millisecond precision: at equal times, the join goes first.
            backlog.add(event.time.replace(microsecond=event.time.microsecond // 1000 * 1000),
                        (event, 0))
        now = discord.utils.utcnow()  # when a member left is unknown: after everything else
        for user_id in progress.members.keys() - present.keys():
            gone = Member(platform=PLATFORM, id=str(user_id), name=progress.members[user_id])
            backlog.add(now, (MemberLeftEvent(
                platform=PLATFORM, id=f"leave:{guild.id}:{user_id}:missed:{now.timestamp()}",
                community=key, time=now, member=gone), 0))
        return joiners

    async def _member_list(self, key: str, guild: discord.Guild
                           ) -> dict[int, discord.Member] | None:
        """Every member of ``guild`` now, or None when the list cannot be complete."""
        if not guild.chunked:
            with contextlib.suppress(TimeoutError, discord.ClientException, discord.HTTPException):
                await asyncio.wait_for(guild.chunk(), max(30.0, (guild.member_count or 0) / 5000))
        if not guild.chunked:
            log.warning("%s: the member list of guild %s is incomplete, so joins and leaves "
                        "made while the bot was down are not handled", key, guild.id)
            return None
        return {m.id: m for m in guild.members}

    async def _missed_messages(self, key: str, guild: discord.Guild, progress: Progress,
                               backlog: Backlog[tuple[Event, int]]) -> dict[int, int]:
        """Put each followed channel's messages after its position in ``backlog``.

        Returns the newest message id read per channel. A channel without a position
        (first start, newly mapped) starts from its newest message, replaying nothing.
        """
        newest: dict[int, int] = {}
        followed = self._followed(key)
        for channel_id in set(progress.channels) - followed:  # unmapped, or a group that ended
            progress.forget_channel(channel_id)
        for channel_id in sorted(followed):
            channel = guild.get_channel(channel_id)
            if not isinstance(channel, discord.TextChannel):
                continue
            after = (progress.resume or progress.channels).get(channel_id)
            if after is None:
                start = channel.last_message_id or discord.utils.time_snowflake(
                    discord.utils.utcnow())
                progress.advance(channel_id, start)
                continue
            try:
                async for message in channel.history(limit=None, after=discord.Object(after),
                                                     oldest_first=True):
                    newest[channel_id] = max(newest.get(channel_id, 0), message.id)
                    event = self._message_event(message)
                    if event is not None:
                        backlog.add(message.created_at, (event, channel_id))
            except discord.HTTPException as exc:
                log.warning("%s: could not read the history of channel %s (messages posted "
                            "there while the bot was down are not handled): %s", key,
                            channel_id, exc)
        return newest

    async def _checkpoints(self, host: AdapterHost) -> None:
        """Save the position a restart resumes from, every ``checkpoint_every`` seconds."""
        while True:
            await asyncio.sleep(self.checkpoint_every)
            try:
                await self._checkpoint(host)
            except Exception:
                log.exception("could not save the Discord position; retrying")

    async def _checkpoint(self, host: AdapterHost) -> None:
        """Save what changed, once the core has handled every event given to it before."""
        taken = [(p, snap) for p in self._progress.values() if (snap := p.take()) is not None]
        if not taken:
            return
        try:
            await host.handled()
            for progress, snapshot in taken:
                await progress.save(host.kv, snapshot)
        except BaseException:
            for progress, snapshot in taken:
                progress.untake(snapshot)
            raise

    # ------------------------------------------------------------------ slash commands
    async def _on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type is not discord.InteractionType.application_command:
            return
        key = self._guilds.get(interaction.guild_id or 0)
        host = self._host
        commands = self._slash.get(interaction.guild_id or 0)
        line = commands.command_line(interaction.data or {}) if commands else None
        if key is None or host is None or line is None:
            with contextlib.suppress(discord.HTTPException):
                await interaction.response.send_message(
                    "This command is not available here.", ephemeral=True)
            return
        if interaction.id in self._answering:
            return
        self._answering.add(interaction.id)
        try:
            # Discord wants a first response within 3 s: "thinking…" until the command's turn.
            with contextlib.suppress(discord.HTTPException):
                await interaction.response.defer(thinking=True)
            channel = self._channel(key, interaction.channel_id or 0)
            message = Message(
                platform=PLATFORM, id=str(interaction.id), channel=channel,
                author=self._author(key, interaction.user), text=line,
                time=interaction.created_at, raw=interaction,
            )
            answers = await host.run_command(CommandInvokedEvent(
                platform=PLATFORM, id=f"slash:{interaction.id}", community=key,
                time=interaction.created_at, message=message,
            ))
            await self._deliver(key, interaction, channel, answers)
        finally:
            self._answering.discard(interaction.id)

    async def _deliver(self, key: str, interaction: discord.Interaction, channel: Channel,
                       answers: list[str]) -> None:
        """Answer through the interaction, or in the channel once it can no longer be used."""
        texts = [self._render(key, text) for text in answers] or ["Done."]
        # A margin: the answer must reach Discord before the token expires.
        age = discord.utils.utcnow() - interaction.created_at
        if age < self.interaction_life - timedelta(seconds=10):
            try:
                with boundary("answering a slash command"):
                    for i, chunk in enumerate(c for text in texts for c in _chunks(text)):
                        if i > 0:
                            await interaction.followup.send(chunk)
                        elif interaction.response.is_done():
                            await interaction.edit_original_response(content=chunk)
                        else:
                            await interaction.response.send_message(chunk)
                return
            except AdapterError as exc:
                log.warning("could not answer slash command %s through the interaction (%s); "
                            "answering in the channel", interaction.id, exc)
        else:
            log.info("slash command %s was answered after %ds, when its interaction had "
                     "expired; answering in the channel", interaction.id, age.total_seconds())
        for text in texts:
            try:
                await self.send(key, channel, f"@{interaction.user.id} {text}")
            except AdapterError as exc:
                log.warning("could not answer slash command %s: %s", interaction.id, exc)
                return

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _sync_commands(self) -> None:
        """Register each community's command registry as its guild's slash commands."""
        client, host = self._client(), self._host
        assert host is not None
        for key, gid in self._guild_ids().items():
            self._slash[gid] = found = slash.build(host.commands(key))
            if not self.account.sync_commands or client.get_guild(gid) is None:
                continue
            app_id = client.application_id
            if app_id is None:
                log.warning("no application id: slash commands are not registered")
                return
            try:
                with boundary("registering slash commands"):
                    await client.http.bulk_upsert_guild_commands(app_id, gid, found.payload)
            except AdapterError as exc:
                log.warning("slash commands for %s could not be registered (was the bot invited "
                            "with the applications.commands scope?): %s", key, exc)
            else:
                log.info("%s: %d slash commands registered", key, len(found.payload))

    # ------------------------------------------------------------------ helpers
    def _client(self) -> discord.Client:
        if self.client is None:
            raise AdapterError("the discord adapter is not connected")
        return self.client

    def _guild(self, community: str | None) -> discord.Guild:
        gid = self._guild_ids().get(community or "")
        guild = self._client().get_guild(gid) if gid else None
        if guild is None:
            raise NotFound(f"community {community!r} has no guild the bot is in")
        return guild

    async def _member_of(self, community: str, user_id: int) -> discord.Member:
        guild = self._guild(community)
        member = guild.get_member(user_id)
        if member is None:
            with boundary("looking up a member"):
                member = await guild.fetch_member(user_id)
        return member

    def _render(self, community: str | None, text: str) -> str:
        client = self.client
        guild = None
        if client is not None and community is not None:
            gid = self._guild_ids().get(community)
            guild = client.get_guild(gid) if gid else None

        def known(user_id: int) -> bool:
            if guild is not None and guild.get_member(user_id) is not None:
                return True
            return client is not None and client.get_user(user_id) is not None

        return render(text, known)

    def _lock(self, name: str) -> asyncio.Lock:
        return self._locks.setdefault(name, asyncio.Lock())

    # ------------------------------------------------------------------ actions out
    async def send(
        self, community: str | None, channel: Channel, text: str, *, reply_to: str | None = None
    ) -> SentMessage:
        text = self._render(community, text)
        target = self._client().get_partial_messageable(int(channel.id))
        first: dict[str, Any] = {}
        if reply_to and reply_to.isdigit():
            first["reference"] = discord.MessageReference(message_id=int(reply_to),
                                                          channel_id=int(channel.id),
                                                          fail_if_not_exists=False)
        sent: discord.Message | None = None
        with boundary(f"sending to channel {channel.id}"):
            for i, chunk in enumerate(_chunks(text)):
                sent = await target.send(chunk, **(first if i == 0 else {}))
        assert sent is not None
        return SentMessage(platform=PLATFORM, id=str(sent.id), channel=channel)

    async def dm(self, community: str | None, member: Member, text: str) -> SentMessage:
        client = self._client()
        with boundary(f"sending a direct message to {member.id}"):
            user = client.get_user(int(member.id)) or await client.fetch_user(int(member.id))
            dm_channel = user.dm_channel or await user.create_dm()
            sent: discord.Message | None = None
            for chunk in _chunks(self._render(community, text)):
                sent = await dm_channel.send(chunk)
        assert sent is not None
        return SentMessage(platform=PLATFORM, id=str(sent.id),
                           channel=to_channel(dm_channel.id, None, int(member.id)))

    async def delete(self, community: str | None, channel: Channel, message_id: str,
                     reason: str) -> None:
        with boundary(f"deleting message {message_id}"):
            await self._client().http.delete_message(int(channel.id), int(message_id),
                                                     reason=reason or None)

    async def pin(self, community: str | None, channel: Channel, message_id: str) -> None:
        target = self._client().get_partial_messageable(int(channel.id))
        with boundary(f"pinning message {message_id}"):
            await target.get_partial_message(int(message_id)).pin()

    async def mute(self, community: str, member: Member, until: datetime, reason: str) -> None:
        found = await self._member_of(community, int(member.id))
        until = min(until, discord.utils.utcnow() + MAX_TIMEOUT - timedelta(minutes=1))
        with boundary(f"timing out {member.id}"):
            await found.timeout(until, reason=reason or None)

    async def unmute(self, community: str, member: Member) -> None:
        found = await self._member_of(community, int(member.id))
        with boundary(f"ending the timeout of {member.id}"):
            await found.timeout(None)

    async def kick(self, community: str, member: Member, reason: str) -> None:
        guild = self._guild(community)
        with boundary(f"kicking {member.id}"):
            await guild.kick(discord.Object(int(member.id)), reason=reason or None)

    async def ban(self, community: str, member: Member, reason: str) -> None:
        guild = self._guild(community)
        with boundary(f"banning {member.id}"):
            await guild.ban(discord.Object(int(member.id)), reason=reason or None,
                            delete_message_seconds=0)

    async def grant_role(self, community: str, member: Member, role: Role) -> None:
        if role == Role.OWNER:
            raise AdapterError("a Discord guild has exactly one owner; ownership cannot be granted")
        role_id = await self._role_id(community, role, create=True)
        assert role_id is not None
        found = await self._member_of(community, int(member.id))
        with boundary(f"granting {role.label} to {member.id}"):
            await found.add_roles(discord.Object(role_id), reason=f"Hearth: {role.label}")

    async def revoke_role(self, community: str, member: Member, role: Role) -> None:
        role_id = await self._role_id(community, role, create=False)
        if role_id is None:
            return
        found = await self._member_of(community, int(member.id))
        with boundary(f"revoking {role.label} from {member.id}"):
            await found.remove_roles(discord.Object(role_id), reason=f"Hearth: {role.label}")

    async def _role_id(self, community: str, role: Role, *, create: bool) -> int | None:
        """The Discord role for a neutral role: configured, remembered, or created now."""
        guild = self._guild(community)
        roles = self._roles[community]
        async with self._lock(f"roles:{guild.id}"):
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
            memory = self._memory[community]
            memory.roles[role] = found.id
            assert self._host is not None
            await memory.save_roles(self._host.kv)
            return found.id

    async def _category(self, community: str, which: str) -> discord.CategoryChannel:
        """The category for group (or archived) channels: configured, remembered or created."""
        guild = self._guild(community)
        space = self.communities[community].space
        configured = getattr(space, f"{which}_category", None) if space else None
        if configured:
            found = guild.get_channel(int(configured))
            if isinstance(found, discord.CategoryChannel):
                return found
            raise NotFound(f"{which}_category {configured} is not a category the bot can see")
        memory = self._memory[community]
        async with self._lock(f"category:{guild.id}:{which}"):
            remembered = guild.get_channel(memory.categories.get(which, 0))
            if isinstance(remembered, discord.CategoryChannel):
                return remembered
            name = CATEGORY_NAMES[which]
            found = discord.utils.get(guild.categories, name=name)
            if found is None:
                with boundary(f"creating the {name!r} category"):
                    found = await guild.create_category(name, reason="Hearth group channels")
            memory.categories[which] = found.id
            assert self._host is not None
            await memory.save_categories(self._host.kv)
            return found

    async def create_group(
        self,
        community: str,
        name: str,
        members: Sequence[Member],
        *,
        topic: str,
        private: bool = True,
        expires: datetime | None = None,
    ) -> Channel:
        guild = self._guild(community)
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
        memory = self._memory[community]
        memory.groups[name] = created.id
        assert self._host is not None
        await memory.save_groups(self._host.kv)
        return to_channel(created.id, name)

    async def _group_channel(self, community: str, channel: Channel) -> discord.TextChannel:
        guild = self._guild(community)
        found: object = guild.get_channel(int(channel.id))
        if found is None:
            with boundary(f"looking up channel {channel.id}"):
                found = await guild.fetch_channel(int(channel.id))
        if not isinstance(found, discord.TextChannel):
            raise NotFound(f"channel {channel.id} is not a text channel")
        return found

    async def invite(self, community: str, channel: Channel, member: Member) -> None:
        found = await self._group_channel(community, channel)
        target = await self._member_of(community, int(member.id))
        with boundary(f"inviting {member.id} to {channel.id}"):
            await found.set_permissions(target, overwrite=MEMBER_ALLOW, reason="Hearth group")

    async def dissolve_group(self, community: str, channel: Channel, mode: DissolveMode) -> None:
        found = await self._group_channel(community, channel)
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
        memory = self._memory[community]
        for name, cid in list(memory.groups.items()):
            if cid == found.id:
                del memory.groups[name]
        self._progress[community].forget_channel(found.id)
        assert self._host is not None
        await memory.save_groups(self._host.kv)


def _chunks(text: str) -> list[str]:
    """``text`` cut to Discord's length limit, at line breaks where possible."""
    text = text or "\u200b"
    chunks: list[str] = []
    while len(text) > MAX_LENGTH:
        cut = text.rfind("\n", 0, MAX_LENGTH)
        if cut <= 0:
            cut = MAX_LENGTH
        chunks.append(text[:cut])
        text = text[cut:].lstrip("\n")
    chunks.append(text)
    return chunks
