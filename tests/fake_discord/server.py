"""``FakeDiscord``: the aiohttp server and the API tests drive it with."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from .events import Events
from .gateway import Gateway, GatewayFrame, Intents
from .interactions import build_component, build_message_command, build_slash
from .rest import API_PREFIX, FaultRule, Recorded, compile_pattern, rate_limit_fault, react
from .rest_routes import RestApi
from .state import (
    ADMINISTRATOR,
    JSON,
    Channel,
    Guild,
    InteractionRecord,
    Member,
    Message,
    Role,
    State,
    User,
)


class TimedOut(Exception):
    """Discord refuses the post of a member in a timeout (the client is told 403)."""


class FakeDiscord:
    """A wire-level fake of Discord's REST v10 and Gateway v10 on 127.0.0.1.

    Use as ``async with FakeDiscord() as fake:``; point the client at
    ``fake.api_url`` / ``fake.gateway_url`` and log in with ``fake.token``.

    Scene-setting helpers (``add_user``, ``add_guild``, ``Guild.add_role`` ...)
    change state silently; the ``user_*`` / ``invoke_slash`` injection methods emit
    the gateway events real Discord would, to every connected (or resumable) session.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        bot_name: str = "HearthTest",
        privileged_intents: int = Intents.PRIVILEGED,
        heartbeat_interval_ms: int = 41250,
        members_in_guild_create: bool = True,
    ) -> None:
        """Configure the fake.

        ``privileged_intents`` are those "enabled in the developer portal": an
        IDENTIFY asking for any other privileged intent is closed with 4014.
        With ``members_in_guild_create`` (default) GUILD_CREATE lists every member
        whenever the session has the members intent, so discord.py never chunks.
        With False it behaves like Discord: all members only with the presences
        intent in a guild below ``large_threshold``, else just the bot's member, so
        a client with the members intent chunks (op 8 REQUEST_GUILD_MEMBERS).
        """
        self.token: str = token or f"fake.{secrets.token_urlsafe(24)}"
        self.state = State(bot_name=bot_name)
        self.gateway = Gateway(
            self.state,
            token=self.token,
            gateway_url=lambda: self.gateway_url,
            privileged_intents=privileged_intents,
            heartbeat_interval_ms=heartbeat_interval_ms,
            members_in_guild_create=members_in_guild_create,
        )
        self.events = Events(self.state, self.gateway)
        self.rest = RestApi(self.state, self.events, self.token, lambda: self.gateway_url,
                            self.gateway.app_flags)
        self._runner: web.AppRunner | None = None
        self.port: int = 0

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Start serving on a free port of 127.0.0.1."""
        app = web.Application(middlewares=[self.rest.middleware], client_max_size=64 * 1024**2)
        app.router.add_get("/", self.gateway.handle)
        self.rest.add_routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Cut every connection and stop the server."""
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def api_url(self) -> str:
        """REST base, e.g. ``http://127.0.0.1:PORT/api/v10``."""
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        """Gateway URL, e.g. ``ws://127.0.0.1:PORT/``."""
        return f"ws://127.0.0.1:{self.port}/"

    # -- scene setting (silent) ------------------------------------------------------------

    @property
    def bot_user(self) -> User:
        """The bot's user (its id is also the application id)."""
        return self.state.bot

    @property
    def application_id(self) -> int:
        return self.state.application_id

    def add_user(self, username: str, *, bot: bool = False) -> User:
        """Create a user known to Discord (not a member of any guild yet)."""
        return self.state.new_user(username, bot=bot)

    def add_guild(
        self,
        name: str,
        owner_id: int | User | None = None,
        *,
        members: Iterable[User] = (),
        bot_permissions: int = ADMINISTRATOR,
        channels: Iterable[str] = ("general",),
        shard: tuple[int, int] | None = None,
    ) -> Guild:
        """Create a guild the bot is in, with a managed bot role and text channels.

        ``owner_id`` defaults to a new user "owner"; the owner and ``members`` join
        silently. If the bot is connected, it gets GUILD_CREATE (as when invited).
        ``shard`` (id, count): the guild's id puts it on that shard.
        """
        if owner_id is None:
            owner: User = self.add_user(f"{name}-owner")
        elif isinstance(owner_id, User):
            owner = owner_id
        else:
            owner = self.state.users[int(owner_id)]
        guild = self.state.new_guild(name, owner.id, shard)
        bot_role = guild.add_role(self.state.bot.username, bot_permissions, managed=True,
                                  bot_id=self.state.bot.id)
        guild.add_member(self.state.bot, [bot_role])
        guild.add_member(owner)
        for user in members:
            guild.add_member(user)
        for channel_name in channels:
            guild.add_text_channel(channel_name)
        self.events.guild_create(guild)
        return guild

    # -- injection (emits gateway events) --------------------------------------------------

    async def user_joins(self, guild: Guild, user: User, *, roles: Iterable[Role] = ()
                         ) -> Member:
        """``user`` joins ``guild`` (GUILD_MEMBER_ADD)."""
        member = guild.add_member(user, list(roles))
        self.events.member_add(member)
        return member

    async def user_leaves(self, guild: Guild, user: User) -> None:
        """``user`` leaves ``guild`` (GUILD_MEMBER_REMOVE)."""
        guild.members.pop(user.id, None)
        self.events.member_remove(guild, user)

    async def user_says(
        self,
        channel: Channel,
        user: User,
        content: str,
        *,
        mentions: Iterable[User] | None = None,
        reply_to: Message | None = None,
        embeds: list[JSON] | None = None,
    ) -> Message:
        """``user`` posts in a guild channel (MESSAGE_CREATE).

        Mentions written as ``<@id>`` in ``content`` are picked up; ``mentions`` adds
        more. ``reply_to`` makes it a reply (type 19 with ``message_reference``).
        """
        guild = self.state.guild_of(channel)
        if guild is not None and user.id not in guild.members:
            raise ValueError(f"{user.username} is not a member of {guild.name}")
        if guild is not None and guild.members[user.id].timed_out():
            raise TimedOut(f"{user.username} is timed out in {guild.name}")
        message = self.state.create_message(
            channel, user, content, mentions=list(mentions or []), reply_to=reply_to,
            embeds=embeds,
        )
        if reply_to is not None and all(u.id != reply_to.author.id for u in message.mentions):
            message.mentions.append(reply_to.author)
        self.events.message_create(message)
        return message

    async def user_dms(self, user: User, content: str) -> Message:
        """``user`` sends the bot a direct message (MESSAGE_CREATE without guild_id)."""
        channel = self.state.dm_with(user)
        message = self.state.create_message(channel, user, content)
        self.events.message_create(message)
        return message

    async def user_reacts(self, message: Message, user: User, emoji: str) -> None:
        """``user`` reacts to ``message`` (MESSAGE_REACTION_ADD).

        ``emoji`` is a unicode emoji or a custom one written ``name:id``.
        """
        if react(message, user, emoji, add=True):
            self.events.reaction(message, user, emoji, add=True)

    async def user_unreacts(self, message: Message, user: User, emoji: str) -> None:
        """``user`` removes a reaction (MESSAGE_REACTION_REMOVE)."""
        if react(message, user, emoji, add=False):
            self.events.reaction(message, user, emoji, add=False)

    async def user_deletes(self, message: Message) -> None:
        """The author deletes ``message`` (MESSAGE_DELETE)."""
        message.deleted = True
        self.events.message_delete(message)

    async def invoke_slash(
        self,
        guild: Guild | None,
        channel: Channel,
        user: User,
        name: str,
        options: Mapping[str, Any] | list[JSON] | None = None,
    ) -> InteractionRecord:
        """``user`` runs slash command ``name`` (INTERACTION_CREATE, type 2).

        ``name`` may contain subcommands (``"cmd sub"``). Option values may be
        plain values, or ``User``/``Member``/``Role``/``Channel`` objects, which are
        put into ``data.resolved``. Await ``fake.wait_for_interaction_response(rec)``
        for the bot's callback.
        """
        record = build_slash(self.state, guild, channel, user, name, options)
        self.events.interaction_create(record.payload)
        return record

    async def use_message_command(self, message: Message, user: User, name: str) -> InteractionRecord:
        """``user`` chooses the message context-menu entry ``name`` on ``message``
        (INTERACTION_CREATE, type 2 with a type 3 command). Await
        ``fake.wait_for_interaction_response(rec)`` for the bot's callback."""
        record = build_message_command(self.state, message, user, name)
        self.events.interaction_create(record.payload)
        return record

    async def use_component(
        self, message: Message, user: User, custom_id: str, values: list[str] | None = None,
    ) -> InteractionRecord:
        """``user`` presses button ``custom_id`` on ``message``, or picks ``values`` in its
        select menu ``custom_id`` (INTERACTION_CREATE, type 3 MESSAGE_COMPONENT).

        Only a component the message shows can be used (``ValueError``). Await
        ``fake.wait_for_interaction_response(rec)`` for the bot's callback (type 7
        updates ``message``, as on Discord).
        """
        record = build_component(self.state, message, user, custom_id, values)
        self.events.interaction_create(record.payload)
        return record

    async def wait_for_interaction_response(
        self, interaction: InteractionRecord, timeout: float = 5.0  # noqa: ASYNC109
    ) -> JSON:
        """The JSON body of the bot's ``POST /interactions/{id}/{token}/callback``."""
        return await self.rest.changed.wait_for(
            lambda: interaction.callbacks[0] if interaction.callbacks else None,
            timeout,
            f"a response to interaction {interaction.id}",
        )

    # -- recorded REST -------------------------------------------------------------------

    @property
    def requests(self) -> list[Recorded]:
        """Every REST request received, in order (including 404s and 429s)."""
        return self.rest.requests

    def request_mark(self) -> int:
        """An index to pass as ``since=`` to only see requests made after now."""
        return len(self.rest.requests)

    def find_requests(
        self, method: str, pattern: str | re.Pattern[str], *, since: int = 0
    ) -> list[Recorded]:
        """Recorded requests matching ``method`` ("*" for any) and ``pattern``.

        ``pattern`` is a path relative to ``/api/v10`` where each ``{...}`` matches
        one segment (``"/channels/{id}/messages"``), or a compiled regex.
        """
        return [r for r in self.rest.requests[since:] if r.matches(method, pattern)]

    async def wait_for_request(
        self,
        method: str,
        pattern: str | re.Pattern[str],
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        since: int = 0,
        predicate: Callable[[Recorded], bool] | None = None,
    ) -> Recorded:
        """The first matching request with index >= ``since``, waiting if needed.

        Raises ``TimeoutError`` after ``timeout`` seconds.
        """
        compiled = compile_pattern(pattern)

        def check() -> Recorded | None:
            for rec in self.rest.requests[since:]:
                if rec.matches(method, compiled) and (predicate is None or predicate(rec)):
                    return rec
            return None

        return await self.rest.changed.wait_for(check, timeout, f"{method} {pattern}")

    def unknown_requests(self) -> list[Recorded]:
        """Requests that hit no route (answered 404 code 0): what the fake lacks."""
        return [r for r in self.rest.requests if r.unrouted]

    # -- faults --------------------------------------------------------------------------

    def rate_limit_next(
        self,
        method: str,
        path_pattern: str | re.Pattern[str],
        retry_after: float = 0.2,
        global_: bool = False,
        *,
        times: int = 1,
    ) -> FaultRule:
        """Answer the next ``times`` matching requests with a 429 (``Via`` + ``retry_after``).

        Those requests are recorded with ``rate_limited=True``.
        """
        rule = rate_limit_fault(method, path_pattern, retry_after, global_, times)
        self.rest.faults.append(rule)
        return rule

    def fail_next(
        self,
        method: str,
        path_pattern: str | re.Pattern[str],
        *,
        status: int = 403,
        code: int = 50013,
        message: str = "Missing Permissions",
        times: int = 1,
    ) -> FaultRule:
        """Answer the next matching request(s) with a Discord JSON error."""
        rule = FaultRule(method.upper(), compile_pattern(path_pattern), status,
                         {"message": message, "code": code}, {}, times)
        self.rest.faults.append(rule)
        return rule

    @property
    def rate_limited_requests(self) -> list[Recorded]:
        """Requests that were answered with an injected 429."""
        return [r for r in self.rest.requests if r.rate_limited]

    async def drop_gateway(self, *, resumable: bool = True) -> int:
        """Cut the gateway connection(s) abruptly (no close frame, like a network drop).

        The client should RESUME; events emitted meanwhile are replayed then. With
        ``resumable=False`` the RESUME gets INVALID_SESSION and the client re-identifies.
        Returns the number of connections cut.
        """
        return await self.gateway.drop(resumable=resumable)

    async def close_gateway(self, code: int, message: str = "") -> int:
        """Close the gateway connection(s) with a close frame of ``code`` (4004: the token
        was revoked); the sessions end. Returns the number of connections closed."""
        return await self.gateway.close_with(code, message)

    # -- gateway observation -------------------------------------------------------------

    @property
    def gateway_frames(self) -> list[GatewayFrame]:
        """Every gateway payload received ("recv") or sent ("send")."""
        return self.gateway.frames

    def sent_events(self, event: str) -> list[JSON]:
        """The ``d`` of every dispatch named ``event`` sent (or queued) to a session."""
        return [f.d for f in self.gateway.frames if f.direction == "send" and f.t == event]

    async def wait_for_gateway_op(
        self, op: int, timeout: float = 5.0, *, since: int = 0  # noqa: ASYNC109
    ) -> GatewayFrame:
        """The first op ``op`` the client sent at frame index >= ``since`` (e.g. 6 RESUME)."""

        def check() -> GatewayFrame | None:
            for frame in self.gateway.frames[since:]:
                if frame.direction == "recv" and frame.op == op:
                    return frame
            return None

        return await self.gateway.changed.wait_for(check, timeout, f"gateway op {op}")

    async def wait_for_dispatch(
        self, event: str, timeout: float = 5.0, *, since: int = 0  # noqa: ASYNC109
    ) -> GatewayFrame:
        """The first dispatch ``event`` sent at frame index >= ``since`` (e.g. "RESUMED")."""

        def check() -> GatewayFrame | None:
            for frame in self.gateway.frames[since:]:
                if frame.direction == "send" and frame.t == event:
                    return frame
            return None

        return await self.gateway.changed.wait_for(check, timeout, f"dispatch {event}")

    def frame_mark(self) -> int:
        """An index to pass as ``since=`` to the gateway waiters."""
        return len(self.gateway.frames)

    @property
    def connected(self) -> bool:
        """Whether some identified session has a live connection."""
        return any(s.connection is not None for s in self.gateway.live_sessions())

    async def wait_connected(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until an identified (or resumed) session is connected."""
        await self.gateway.changed.wait_for(lambda: True if self.connected else None, timeout,
                                            "a connected gateway session")

    # -- convenience lookups -------------------------------------------------------------

    def messages_in(self, channel: Channel | int) -> list[Message]:
        """Non-deleted messages of a channel, oldest first."""
        cid = channel.id if isinstance(channel, Channel) else channel
        return sorted((m for m in self.state.messages.values()
                       if m.channel_id == cid and not m.deleted), key=lambda m: m.id)

    def dm_channel(self, user: User) -> Channel:
        """The DM channel between the bot and ``user``."""
        return self.state.dm_with(user)

    def message(self, message_id: int) -> Message:
        return self.state.messages[message_id]

    async def measure_reply_latency(self, channel: Channel, user: User, **kwargs: Any
                                    ) -> Any:
        """See :func:`fake_discord.latency.measure_reply_latency`."""
        from .latency import measure_reply_latency

        return await measure_reply_latency(self, channel, user, **kwargs)
