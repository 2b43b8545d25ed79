"""The adapter port: what every chat-network adapter implements.

An adapter translates one network (discord.py, matrix-nio, a terminal, memory)
to the core: it turns the network's payloads into :mod:`hearth.events` and
hands them to :meth:`AdapterHost.submit`, and it performs the actions below.
It declares the :class:`~hearth.models.Capability` set it supports honestly;
the core never calls an action the adapter does not declare.

Adapters map their SDK's errors to :mod:`hearth.errors` at the boundary.
"""

from __future__ import annotations

import abc
import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, Literal, Protocol

from pydantic import BaseModel

from hearth.errors import CapabilityMissing
from hearth.models import Capability, Channel, Member, Message, Prompt, Role, SentMessage

if TYPE_CHECKING:
    from hearth.clock import Clock
    from hearth.commands import Command
    from hearth.events import CommandInvokedEvent, Event

DissolveMode = Literal["delete", "archive"]

#: ``(count, per_seconds)``: at most ``count`` at once, refilled evenly over ``per_seconds``
Rate = tuple[int, float]


@dataclass(frozen=True, slots=True, kw_only=True)
class Pace:
    """How fast a network accepts the bot's actions (None: no limit of that kind).

    The core's outbound flow keeps to it, in the app's clock, so a backlog waits
    in Hearth's queues rather than in the network's 429 answers.

    :param channel: messages posted in one channel (Discord: 5 per 5 s).
    :param dm: direct messages, to all members together (so a join wave's
        welcome DMs leave gradually).
    :param total: every request the bot makes on the network (Discord's global limit).
    :param max_length: the longest message the network accepts (merged replies stay within it).
    """

    channel: Rate | None = None
    dm: Rate | None = None
    total: Rate | None = None
    max_length: int = 2000


@dataclass(frozen=True, slots=True, kw_only=True)
class CommunityBinding:
    """One community as one adapter sees it.

    ``space`` is the adapter's validated binding (``communities.X.discord``),
    ``channels`` maps neutral channel names to this platform's ids, ``roles``
    maps neutral roles to this platform's role ids, where configured.
    """

    key: str
    space: BaseModel | None
    channels: Mapping[str, str] = field(default_factory=dict)
    roles: Mapping[Role, str] = field(default_factory=dict)
    _names: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_names", {cid: name for name, cid in self.channels.items()})

    def channel_name(self, channel_id: str) -> str | None:
        """The neutral name of a platform channel id, if it is mapped."""
        return self._names.get(channel_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class Claims:
    """Parts of a network that processes sharing a database claim by lease (Discord shards,
    a Matrix account's sync).

    ``keys`` name the parts (lease keys, unique across adapters); a process holds
    at most ``per_process`` of them, and no more than its fair share of them
    among the live processes; None: every key (a fixed assignment). A community
    in ``communities`` belongs to the process holding its part; the others are
    divided by lease of their own.
    """

    keys: tuple[str, ...]
    per_process: int | None
    communities: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class ListedMember:
    """One entry of a network's member list (:meth:`Adapter.list_members`).

    ``joined``: when they joined, if the network says; ``invited_by``: the
    inviter's id on this network, if known.
    """

    member: Member
    joined: datetime | None = None
    invited_by: str | None = None


class KeyValue(Protocol):
    """Small persistent state for an adapter (a sync token, role ids it created)."""

    async def get(self, key: str) -> str | None: ...
    async def set(self, key: str, value: str) -> None: ...


class RoleIds(Protocol):
    """The network's own ids of Hearth's roles in each community (the Discord roles the
    bot created), kept by the core so they survive restarts."""

    async def get(self, community: str) -> dict[Role, str]: ...
    async def set(self, community: str, role: Role, network_id: str) -> None: ...


class AdapterHost(Protocol):
    """What the core offers an adapter."""

    clock: Clock
    kv: KeyValue
    role_ids: RoleIds

    #: at most this many missed events are replayed per community after downtime
    catch_up_limit: int

    async def submit(self, event: Event) -> None:
        """Hand an inbound event to the core (waits when the core is saturated)."""

    async def handled(self) -> None:
        """Wait until every event submitted so far has been handled.

        An adapter saves its network position (a sync token, a last message id)
        only after this returns, so a crash never skips an event it received.
        """

    async def report_skipped(self, community: str, platform: str, count: int) -> None:
        """Tell the log and the community's moderators that ``count`` missed events were skipped."""

    def commands(self, community: str) -> Sequence[Command]:
        """The commands enabled in a community (for native slash commands)."""

    async def run_command(self, event: CommandInvokedEvent) -> list[str] | None:
        """Queue a natively invoked command (a slash command) in its community's inbox.

        It is handled in turn with the community's other events. Returns once it
        was handled, with its answers (texts), which the adapter delivers through
        the network's own answer path, never merged with other replies. None when
        a command with ``answer_with`` was handled, or is stored for, another
        process, which answers it (:meth:`Adapter.answer_command`).
        """

    async def space_out(self, key: str, interval: float) -> None:
        """Return when the adapter may act: ``interval`` seconds after the last time it, or
        another process sharing the database, did with ``key`` (Discord's IDENTIFY pace)."""

    def supervise(self, name: str, factory: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        """Run a long-running loop (the adapter's receiver) under the app's supervisor.

        ``factory()`` is called again, after a backoff, whenever the loop
        raises; a loop that keeps failing stops the app with a clear error
        instead of leaving it deaf. Cancel the returned task to stop it.
        """


class Adapter(abc.ABC):
    """Base class of every adapter.

    Subclasses set ``name`` (the platform, as used in config keys), and may set
    ``account_schema`` (validates ``accounts.<name>``) and ``binding_schema``
    (validates ``communities.<key>.<name>``). A ``virtual`` adapter (testing,
    console) serves every community and names channels by their neutral names.
    """

    name: ClassVar[str]
    account_schema: ClassVar[type[BaseModel] | None] = None
    binding_schema: ClassVar[type[BaseModel] | None] = None
    virtual: ClassVar[bool] = False
    #: how fast the network accepts actions (see :class:`Pace`); the default is unlimited
    pace: Pace = Pace()

    capabilities: frozenset[Capability] = frozenset()

    def __init__(
        self, *, account: BaseModel | None, communities: Mapping[str, CommunityBinding]
    ) -> None:
        self.account = account
        self.communities = dict(communities)

    @property
    def platform(self) -> str:
        return self.name

    def can(self, capability: Capability) -> bool:
        return capability in self.capabilities

    # -- lifecycle ---------------------------------------------------------
    @abc.abstractmethod
    async def start(self, host: AdapterHost) -> None:
        """Connect and start delivering events to ``host.submit``; return once connected."""

    @abc.abstractmethod
    async def stop(self) -> None:
        """Disconnect; no event is submitted after this returns."""

    def claims(self) -> Claims | None:
        """The parts of the network processes claim (see :class:`Claims`); None: no parts,
        this process connects to the whole network."""
        return None

    def claimed(self, keys: frozenset[str]) -> None:  # noqa: B027 (optional: most have no parts)
        """The parts of :meth:`claims` this process holds now: connect to those, and only
        those. Called before :meth:`start` and whenever they change; must not block."""

    async def check_permissions(self) -> list[str]:
        """Problems with the bot's own permissions, one line each (empty: all fine)."""
        return []

    # -- lookups -----------------------------------------------------------
    def resolve_channel(self, community: str, name: str) -> Channel | None:
        """The channel mapped to neutral ``name`` in ``community``, if any."""
        binding = self.communities.get(community)
        if binding is None:
            return None
        cid = binding.channels.get(name)
        return Channel(platform=self.name, id=cid, name=name) if cid else None

    async def member_count(self, community: str) -> int:
        """How many members the community has on this platform."""
        return 0

    async def get_member(self, community: str, member_id: str) -> Member | None:
        """A member of the community by platform id, or None."""
        return None

    async def fetch_message(self, community: str, channel: Channel, message_id: str) -> Message | None:
        """A message of ``channel`` by id, as the network still has it, or None (gone, unseen,
        or a network that cannot look messages up)."""
        return None

    def list_members(self, community: str) -> AsyncIterator[ListedMember]:
        """Every member of the community on this network (with :attr:`Capability.MEMBERS`).

        The core reads the whole list at start-up to bring its member
        directory in step; an adapter yields members as it receives them
        (in chunks from a large guild). Raise an :class:`~hearth.errors.AdapterError`
        when the list cannot be read: the directory keeps what it knew.
        """
        raise CapabilityMissing(platform=self.name, action="list members",
                                capability=Capability.MEMBERS)

    # -- actions -----------------------------------------------------------
    async def answer_command(self, community: str, event: CommandInvokedEvent,
                             answers: list[str]) -> None:
        """Deliver the ``answers`` of a natively invoked command another process received,
        through its ``answer_with`` (the default: in its channel, as replies)."""
        for text in answers:
            await self.send(community, event.message.channel, text, reply_to=event.message.id)

    async def send(
        self, community: str | None, channel: Channel, text: str, *, reply_to: str | None = None
    ) -> SentMessage:
        """Post ``text`` in ``channel`` (optionally as a reply to message ``reply_to``)."""
        raise CapabilityMissing(platform=self.name, action="send", capability=Capability.SEND)

    async def send_file(self, community: str | None, channel: Channel, data: bytes, filename: str,
                        *, text: str = "") -> SentMessage:
        """Post a file in ``channel`` (with :attr:`Capability.FILES`): ``data`` named
        ``filename`` (its extension says the kind: ``.png`` is shown as an image),
        with ``text`` as its caption where the network has one."""
        raise CapabilityMissing(platform=self.name, action="send a file", capability=Capability.FILES)

    async def dm(self, community: str | None, member: Member, text: str, *,
                 previews: bool = True) -> SentMessage:
        """Send ``text`` to ``member`` privately; ``previews=False``: ask the network not to
        unfurl the links in it (a login link)."""
        raise CapabilityMissing(platform=self.name, action="dm", capability=Capability.DM)

    async def ask(self, community: str | None, member: Member, prompt: Prompt) -> SentMessage:
        """Ask ``member`` a question privately.

        The default sends ``prompt.text`` as a direct message (numbered choices,
        answered by typing numbers). An adapter declaring
        :attr:`Capability.CHOICES` overrides it to show the choices natively and
        submits a picked choice as a :class:`~hearth.events.ChoiceMadeEvent`.
        """
        return await self.dm(community, member, prompt.text)

    async def delete(self, community: str | None, channel: Channel, message_id: str,
                     reason: str) -> None:
        """Delete a message."""
        raise CapabilityMissing(platform=self.name, action="delete", capability=Capability.DELETE)

    async def mute(self, community: str, member: Member, until: datetime, reason: str) -> None:
        """Stop ``member`` from posting until ``until``."""
        raise CapabilityMissing(platform=self.name, action="mute", capability=Capability.MUTE)

    async def unmute(self, community: str, member: Member) -> None:
        """Let a muted member post again."""
        raise CapabilityMissing(platform=self.name, action="unmute", capability=Capability.MUTE)

    async def hold_newcomers(self, community: str, reason: str) -> None:
        """Stop everyone holding only the newcomer role from posting in the community's
        channels, with one change for all of them (Matrix: the rooms' ``events_default``),
        until :meth:`release_newcomers`. Holding twice is one hold."""
        raise CapabilityMissing(platform=self.name, action="hold newcomers",
                                capability=Capability.HOLD_NEWCOMERS)

    async def release_newcomers(self, community: str) -> None:
        """Undo :meth:`hold_newcomers` (nothing when there is no hold)."""
        raise CapabilityMissing(platform=self.name, action="release newcomers",
                                capability=Capability.HOLD_NEWCOMERS)

    async def kick(self, community: str, member: Member, reason: str) -> None:
        """Remove ``member`` from the community (they may come back)."""
        raise CapabilityMissing(platform=self.name, action="kick", capability=Capability.KICK)

    async def ban(self, community: str, member: Member, reason: str) -> None:
        """Remove ``member`` and keep them out."""
        raise CapabilityMissing(platform=self.name, action="ban", capability=Capability.BAN)

    async def unban(self, community: str, member: Member) -> None:
        """Lift ``member``'s ban (they may join again)."""
        raise CapabilityMissing(platform=self.name, action="unban", capability=Capability.BAN)

    async def grant_role(self, community: str, member: Member, role: Role) -> None:
        """Make the network show ``member`` with Hearth's ``role`` (newcomer, member or leader).

        The core keeps Hearth's roles (:mod:`hearth.people.roles`) and calls this
        and :meth:`revoke_role` to apply a change: up, the new role granted, then
        the old one revoked; down, the other way round (a leader keeps the member
        role beneath). A member's
        role changed on the network is reported as a
        :class:`~hearth.events.MemberUpdatedEvent` and read back by the core.
        """
        raise CapabilityMissing(platform=self.name, action="grant role", capability=Capability.ROLES)

    async def revoke_role(self, community: str, member: Member, role: Role) -> None:
        """Stop showing ``member`` with Hearth's ``role`` (see :meth:`grant_role`)."""
        raise CapabilityMissing(platform=self.name, action="revoke role", capability=Capability.ROLES)

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
        """Create a group channel named ``name`` with ``members`` in it; return it.

        The core's group service (:mod:`hearth.groups`) calls this and keeps
        ``expires`` itself; an adapter may use it (e.g. in a channel's topic).
        With ``within`` (only where the adapter declares
        :attr:`~hearth.models.Capability.GROUP_THREADS`) the group is a private
        thread in that channel instead of a channel of its own; inviting,
        removing and dissolving work on it the same way.
        Raises :class:`~hearth.errors.LimitReached` when the network's limits
        (or the configured cap) leave no room for another group.
        """
        raise CapabilityMissing(platform=self.name, action="create group", capability=Capability.GROUPS)

    async def invite(self, community: str, channel: Channel, member: Member) -> None:
        """Add ``member`` to a group channel, or to a channel of the community the bot
        manages the membership of (a council: ``PluginContext.invite``); one already in it
        is no error."""
        raise CapabilityMissing(platform=self.name, action="invite", capability=Capability.GROUPS)

    async def remove_from_group(self, community: str, channel: Channel, member: Member) -> None:
        """Take ``member`` out of a group channel, or a managed channel of the community
        (one who is not in it is no error)."""
        raise CapabilityMissing(platform=self.name, action="remove from group",
                                capability=Capability.GROUPS)

    async def dissolve_group(self, community: str, channel: Channel, mode: DissolveMode) -> None:
        """End a group channel: delete it, or archive it (read-only, out of the way)."""
        raise CapabilityMissing(platform=self.name, action="dissolve group", capability=Capability.GROUPS)

    async def pin(self, community: str | None, channel: Channel, message_id: str) -> None:
        """Pin a message in its channel."""
        raise CapabilityMissing(platform=self.name, action="pin", capability=Capability.PIN)

    async def unpin(self, community: str | None, channel: Channel, message_id: str) -> None:
        """Unpin a message in its channel (one that is not pinned is no error)."""
        raise CapabilityMissing(platform=self.name, action="unpin", capability=Capability.PIN)


class AdapterInfo:
    """An installed adapter: its entry-point name, class and distribution version.

    The class is imported on first use, so a process imports only the adapters
    its config uses. An adapter's class module stays light (name, schemas,
    capabilities): the network's SDK (discord.py, matrix-nio and aiohttp
    together cost about 30 MiB) is imported when the adapter starts.
    """

    def __init__(self, name: str, load: Callable[[], type[Adapter]], version: Callable[[type], str]) -> None:
        self.name = name
        self._load = load
        self._version = version

    def __repr__(self) -> str:
        return f"<AdapterInfo {self.name}>"

    @functools.cached_property
    def cls(self) -> type[Adapter]:
        """The adapter class (imported now if it was not yet)."""
        return self._load()

    @property
    def version(self) -> str:
        """The version of the distribution that ships the adapter."""
        return self._version(self.cls)
