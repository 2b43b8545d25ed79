"""The connection to Discord: the discord.py client, its gateway session, start and stop.

Built when the adapter starts, with the parts that do the adapter's work:
:mod:`.inbound` (events in), :mod:`.downtime` (catching up, checkpoints),
:mod:`.actions`, :mod:`.groups`, :mod:`.interactions` (slash commands) and
:mod:`.choices` (questions' buttons and menus).
A dropped connection is RESUMEd by discord.py, which replays what was missed;
a new session replays nothing, so what can be recovered is caught up. Once
started, the gateway connection runs under the app's supervisor
(``host.supervise``): a connection that ends for good (discord.py gave up, or
it closed while Hearth was not stopping) is connected again with backoff, and
one Discord refuses as configured (the token revoked, intents disallowed)
stops the app with one line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

import discord

from hearth.adapters.discord import permissions
from hearth.adapters.discord.actions import Actions
from hearth.adapters.discord.choices import Choices
from hearth.adapters.discord.convert import PLATFORM
from hearth.adapters.discord.downtime import Downtime
from hearth.adapters.discord.endpoint import Endpoint
from hearth.adapters.discord.groups import Groups
from hearth.adapters.discord.inbound import Inbound
from hearth.adapters.discord.interactions import Interactions
from hearth.adapters.discord.session import Session
from hearth.errors import StartupError, Unreachable
from hearth.events import AdapterReadyEvent
from hearth.ports import AdapterHost

if TYPE_CHECKING:
    from hearth.adapters.discord.adapter import DiscordAdapter

log = logging.getLogger(__name__)

#: gateway close codes that no reconnection can fix: the token or the configuration is refused
REFUSED = {
    4004: "authentication failed: the bot token was revoked or reset (accounts.discord.token); "
          "copy it again from the Developer Portal, Bot page, and set it in the environment",
    4010: "invalid shard (accounts.discord.shards)",
    4011: "sharding required: the bot is in too many servers for one connection "
          "(accounts.discord.shards)",
    4012: "invalid API version",
    4013: "invalid intents",
}


def intents() -> discord.Intents:
    """Guilds, members, guild and DM messages, message content, reactions."""
    return discord.Intents(guilds=True, members=True, guild_messages=True, dm_messages=True,
                           message_content=True, guild_reactions=True, dm_reactions=True)


class IdentifyPace:
    """Discord's IDENTIFY limits for a sharded client.

    Shards start in ``max_concurrency`` buckets (``shard_id % max_concurrency``),
    each bucket at most one IDENTIFY per 5 seconds (``interval``); and a bot has
    a daily budget of session starts. Both are read from ``GET /gateway/bot``
    before each client connects. The pace is kept by the core
    (``host.space_out``) for every process sharing the database (with SQLite,
    across the clients this process makes as its shards change).
    """

    #: Discord counts an IDENTIFY when it arrives: the slots are this much further apart,
    #: so that one sent a little late never follows the previous too closely
    MARGIN = 0.25

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.max_concurrency = 1
        self.host: AdapterHost | None = None

    async def prepare(self, client: discord.AutoShardedClient, shards: int) -> None:
        """Read the limits; :class:`Unreachable` when the day's budget cannot start ``shards``."""
        try:
            limits = await client.fetch_session_start_limits()
        except (discord.HTTPException, discord.GatewayNotFound, OSError) as exc:
            raise Unreachable(f"cannot read Discord's session start limits: {exc!r}") from exc
        self.max_concurrency = max(1, limits.max_concurrency)
        if limits.remaining < shards:
            raise Unreachable(
                f"Discord's daily budget of session starts is spent ({limits.remaining} left, "
                f"{shards} shards to start); it renews in {limits.reset_after / 1000:.0f}s")

    async def wait(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py's ``before_identify_hook``: wait for the shard's bucket to be free."""
        bucket = (shard_id or 0) % self.max_concurrency
        if self.host is not None:
            await self.host.space_out(f"discord identify {bucket}", self.interval + self.MARGIN)


class Connection:
    """A started Discord adapter: the client and the parts working through it."""

    def __init__(self, adapter: DiscordAdapter) -> None:
        self.adapter = adapter
        self.session = session = Session(adapter)
        self.inbound = Inbound(session)
        self.downtime = Downtime(session, self.inbound)
        self.actions = Actions(session)
        self.groups = Groups(session)
        self.choices = Choices(session)
        self.interactions = Interactions(session, self.actions, self.choices)
        self._endpoint = Endpoint(adapter.account.api_url)
        self._runner: asyncio.Task[None] | None = None
        self._receiver: asyncio.Task[None] | None = None
        self._stopping = False
        self._ready_count = 0
        self._resharded = asyncio.Event()
        self._identify = IdentifyPace(adapter.identify_interval)

    async def start(self, host: AdapterHost) -> None:
        s = self.session
        await s.load(host)
        s.host = self._identify.host = host
        self.interactions.build()
        self._stopping = False
        await self._endpoint.apply(s.account.token.get_secret_value())
        s.running = self.adapter.shard_ids
        if s.running == []:
            log.info("no Discord shard is free: this process stands by until one is")
        else:
            try:
                await self._connect()
                await self.interactions.sync_commands()
            except Unreachable as exc:
                await self.stop()
                raise StartupError(str(exc)) from exc
            except BaseException:
                await self.stop()
                raise
            await s.submit(self._ready_event())
        s.spawn(self.downtime.checkpoints(host), "hearth-discord-checkpoints")
        self._receiver = host.supervise("discord gateway", self._receive)

    def reshard(self) -> None:
        """The shards this process holds changed: the receiver connects anew with them."""
        self._resharded.set()

    async def stop(self) -> None:
        s = self.session
        self._stopping = True
        receiver, self._receiver = self._receiver, None
        if receiver is not None:
            receiver.cancel()
            await asyncio.gather(receiver, return_exceptions=True)
        host, s.host = s.host, None
        client, s.client = s.client, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.close()
        runner, self._runner = self._runner, None
        if runner is not None:
            if not runner.done():
                with contextlib.suppress(BaseException):
                    await asyncio.wait_for(runner, 5.0)
            elif not runner.cancelled():
                runner.exception()  # retrieved: reported by start() or _receive
        await s.cancel_tasks()
        if host is not None:
            try:
                await asyncio.wait_for(self.downtime.checkpoint(host),
                                       self.adapter.final_checkpoint_timeout)
            except Exception as exc:
                log.warning("could not save the Discord position at stop (events received "
                            "since the last save will be read again): %r", exc)
        self.interactions.reset()
        s.ready.clear()
        self._endpoint.restore()

    def check_permissions(self) -> list[str]:
        """The problems with the bot's own permissions (see :mod:`.permissions`)."""
        if self.session.client is None:  # no shard held: nothing to check yet
            return []
        return permissions.check(self.session)

    # ------------------------------------------------------------------ connecting
    def _make_client(self) -> discord.Client:
        s = self.session
        options: dict[str, Any] = {
            "intents": intents(),
            "allowed_mentions": discord.AllowedMentions(everyone=False, roles=False, users=True,
                                                        replied_user=True),
            "chunk_guilds_at_startup": True,
        }
        if s.account.application_id:
            options["application_id"] = int(s.account.application_id)
        count, ids = self.adapter.shards.count, self.adapter.shard_ids
        s.running = ids
        options.update(self.adapter.client_options)
        if count > 1 or ids is not None:
            if ids is not None:
                options["shard_ids"] = ids
            client: discord.Client = discord.AutoShardedClient(shard_count=count, **options)
            client.before_identify_hook = self._identify.wait  # type: ignore[method-assign]
        else:
            client = discord.Client(**options)
        handlers: dict[str, Any] = {
            "on_connect": self._on_connect, "on_ready": self._on_ready,
            "on_resumed": self._on_resumed, "on_interaction": self.interactions.on_interaction,
        }
        handlers.update({event: getattr(self.inbound, event) for event in Inbound.EVENTS})
        for event, handler in handlers.items():
            setattr(client, event, handler)
        return client

    async def _connect(self) -> None:
        """Log in and open the gateway session; return once Discord says it is ready.

        :class:`StartupError` when Discord refuses the configuration (the
        token, the intents), :class:`Unreachable` when it could not be reached
        or did not become ready in time.
        """
        s = self.session
        token = s.account.token.get_secret_value()
        client = s.client = self._make_client()
        try:
            await client.login(token)
        except discord.LoginFailure as exc:
            raise StartupError(
                "Discord refused the bot token (accounts.discord.token): copy it again from "
                "the Developer Portal, Bot page, and set it in the environment"
            ) from exc
        except (discord.HTTPException, OSError) as exc:
            raise Unreachable(f"cannot log in to Discord at {s.account.api_url}: "
                              f"{type(exc).__name__}") from exc
        if isinstance(client, discord.AutoShardedClient):
            await self._identify.prepare(client, len(s.running or range(client.shard_count or 1)))
        runner = self._runner = asyncio.create_task(client.connect(reconnect=True),
                                                    name="hearth-discord-gateway")
        ready = asyncio.create_task(s.ready.wait(), name="hearth-discord-ready")
        timeout = self.adapter.start_timeout
        done, _ = await asyncio.wait({runner, ready}, timeout=timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        if ready in done:
            return
        ready.cancel()
        if runner not in done:
            raise Unreachable(f"Discord did not become ready within {timeout:.0f}s")
        raise self._ended(runner)

    async def _receive(self) -> None:
        """The gateway connection, run by the app's supervisor until the adapter stops.

        discord.py resumes or reconnects a dropped connection itself; when it
        gives up, or the connection closes while Hearth is not stopping, this
        raises (so the supervisor restarts it with backoff, or stops the app
        when Discord refuses the configuration), and a restart connects anew.
        When the shards held change, it connects anew with them (or, holding
        none, disconnects and waits for one).
        """
        while True:
            runner = self._runner
            wanted = self.adapter.shard_ids
            if wanted != self.session.running or (
                    wanted != [] and (runner is None or runner.done())):
                self._resharded.clear()
                await self._reconnect()
                continue
            resharded = asyncio.create_task(self._resharded.wait())
            try:  # cancelling this task leaves the connection to stop()
                await asyncio.wait({resharded} if runner is None else {runner, resharded},
                                   return_when=asyncio.FIRST_COMPLETED)
            finally:
                resharded.cancel()
            if self._stopping:
                return
            if self._resharded.is_set():
                self._resharded.clear()
                continue
            assert runner is not None
            raise self._ended(runner)

    async def _reconnect(self) -> None:
        """A new client and a new gateway session, with the shards held now (after the
        last session ended for good, or the shards changed).

        What the old session handed over is saved first; the guilds on shards
        newly held are read again from the shared state (where the process that
        held them left it) and caught up when the new session is ready.
        """
        s = self.session
        old, s.client = s.client, None
        runner, self._runner = self._runner, None
        if old is not None:
            with contextlib.suppress(Exception):
                await old.close()
        if runner is not None:
            await asyncio.wait({runner}, timeout=5.0)
            if runner.done() and not runner.cancelled():
                runner.exception()  # retrieved: this session ended on purpose, or is replaced
        s.ready.clear()
        host = s.host
        before = {key for key, gid in s.guild_ids().items() if s.on_my_shards(gid)}
        s.running = self.adapter.shard_ids
        gained = {key for key, gid in s.guild_ids().items() if s.on_my_shards(gid)} - before
        if host is not None:
            await self.downtime.checkpoint(host)
            await s.load(host, gained)
        if s.running == []:
            log.info("Discord disconnected: this process holds no shard now")
            return
        await self._connect()
        if gained:
            await self.interactions.sync_commands()
        log.info("Discord connected again (a new session%s)",
                 f", shards {s.running}" if s.running is not None else "")
        await s.submit(self._ready_event())

    def _ended(self, runner: asyncio.Task[None]) -> Exception:
        """Why the gateway connection ``runner`` ended, as the error to raise."""
        failure = None if runner.cancelled() else runner.exception()
        if isinstance(failure, discord.PrivilegedIntentsRequired):
            return StartupError(self._intents_message())
        if isinstance(failure, discord.ConnectionClosed) and failure.code in REFUSED:
            error: Exception = StartupError(
                f"Discord closed the gateway connection with code {failure.code}, "
                f"{REFUSED[failure.code]}")
        elif failure is None:
            error = Unreachable("the Discord gateway connection closed")
        else:
            error = Unreachable(f"the Discord gateway connection failed: {failure!r}")
        error.__cause__ = failure
        return error

    def _intents_message(self) -> str:
        client = self.session.client
        flags = client.application_flags if client else None
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

    # ------------------------------------------------------------------ the gateway session
    def _ready_event(self) -> AdapterReadyEvent:
        self._ready_count += 1
        return AdapterReadyEvent(platform=PLATFORM,
                                 id=f"ready:{id(self.adapter)}:{self._ready_count}",
                                 community=None, time=discord.utils.utcnow())

    async def _on_connect(self) -> None:
        # A new session (not a RESUME): Discord replays nothing from before it. Dispatched
        # before the session's other events, so the position it marks precedes them.
        for progress in self.session.progress.values():
            progress.begin_session()

    async def _on_ready(self) -> None:
        s = self.session
        if s.ready.is_set():
            log.info("Discord session re-established (new session)")
            await s.submit(self._ready_event())
        s.ready.set()
        # A new session replays nothing that happened before it: recover what can be.
        s.spawn(self.downtime.catch_up_all(), "hearth-discord-catch-up")

    async def _on_resumed(self) -> None:
        log.info("Discord session resumed")
