"""The Matrix adapter: Hearth on matrix-nio.

A community is a space (its child rooms are its channels) or a list of rooms.
Events come from the sync loop (:mod:`.sync`, converted in :mod:`.inbound`), run by
one process at a time among those sharing a database (:meth:`MatrixAdapter.claims`);
actions go through :mod:`.ops` (:mod:`.actions`, :mod:`.groups`, roles in
:mod:`.identity`), whose errors are mapped to :mod:`hearth.errors` at
:mod:`.boundary`. Encrypted rooms are detected and reported, not read (no E2EE).

This module holds only what the core needs before the adapter starts (name,
config schemas, capabilities, pacing): validating a config that names Matrix
does not import matrix-nio and aiohttp; :mod:`.client` is imported at start.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from hearth.errors import AdapterError, StartupError
from hearth.models import Capability, Channel, Member, Message, Role, SentMessage
from hearth.ports import Adapter, AdapterHost, Claims, DissolveMode, ListedMember, Pace

from .schema import MatrixAccount, MatrixBinding

if TYPE_CHECKING:
    from nio import AsyncClient

    from .client import Connection
    from .sync import Syncer

T = TypeVar("T")

START_TIMEOUT = 60.0
BASE_CAPABILITIES = frozenset({
    Capability.SEND, Capability.REPLY, Capability.DM, Capability.DELETE, Capability.MUTE,
    Capability.KICK, Capability.BAN, Capability.ROLES, Capability.GROUPS, Capability.GROUP_ARCHIVE,
    Capability.PIN, Capability.REACTIONS, Capability.MEMBERS, Capability.FILES,
})  # no TIMED_MUTE: a mute is a power level, lifted by the core when it runs out


class MatrixAdapter(Adapter):
    """Hearth on Matrix (matrix-nio)."""

    name = "matrix"
    account_schema = MatrixAccount
    binding_schema = MatrixBinding
    # per room: bursts of 10, then 5 a second (Synapse's 429s are waited out on top)
    pace = Pace(channel=(10, 2.0), dm=(10, 10.0), max_length=16_000)

    #: GROUP_DELETE is added at start when the bot may use Synapse's admin API
    capabilities = BASE_CAPABILITIES
    #: seconds start() may take to reach the homeserver (login and first sync)
    start_timeout: ClassVar[float] = START_TIMEOUT

    def __init__(self, *, account: Any, communities: Any) -> None:
        super().__init__(account=account, communities=communities)
        if not isinstance(account, MatrixAccount):
            raise StartupError("the matrix adapter needs accounts.matrix (homeserver, user_id, token)")
        self.acc: MatrixAccount = account
        self.me = account.user_id
        self.capabilities = self.configured_capabilities
        #: True while this process may run the account's sync (see :meth:`claims`)
        self.sync_held = True
        self._connection: Connection | None = None

    @property
    def configured_capabilities(self) -> frozenset[Capability]:
        """What the account allows before the homeserver is asked: newcomers are held all at
        once (``events_default`` raised to the member level) only when members stand above
        them (``power_levels.member`` > ``newcomer``)."""
        levels = self.acc.power_levels
        hold = {Capability.HOLD_NEWCOMERS} if levels.member > levels.newcomer else set()
        return BASE_CAPABILITIES | hold

    def _started(self) -> Connection:
        if self._connection is None:
            raise AdapterError("the matrix adapter is not started")
        return self._connection

    @property
    def nio(self) -> AsyncClient:
        """The matrix-nio client while started."""
        return self._started().session.nio

    @property
    def syncer(self) -> Syncer | None:
        """The sync loop, once started."""
        return self._connection.session.syncer if self._connection else None

    @property
    def _tasks(self) -> set[asyncio.Task[Any]]:
        """The adapter's running tasks (the sync loop)."""
        return self._connection.session.tasks if self._connection else set()

    async def _do(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        """Run an ops call through :func:`.boundary.call` (also before the adapter starts)."""
        from . import boundary  # matrix-nio

        client = self._connection.session.client if self._connection else None
        return await boundary.call(what, call, lambda: boundary.secrets_of(self.acc, client))

    async def _knowing(self, community: str, member: Member) -> Connection:
        """The connection, knowing ``member``'s place in ``community`` as it is now (read from
        the homeserver when another process syncs)."""
        connection = self._started()
        await connection.topology.read_member(community, member.id)
        return connection

    # ------------------------------------------------------------------ the sync
    @property
    def sync_lease(self) -> str:
        """The lease key of the account's sync."""
        return f"matrix sync {self.me}"

    def claims(self) -> Claims:
        """The account's sync, claimed in the shared database: one process at a time syncs
        it. The communities are not tied to it: the others act through the client API, and
        the syncing process passes them their communities' events."""
        return Claims(keys=(self.sync_lease,), per_process=1)

    def claimed(self, keys: frozenset[str]) -> None:
        """Sync while the lease is held, from the position the last holder stored; stop at once
        when it is not (see :mod:`.client`)."""
        self.sync_held = self.sync_lease in keys
        if self._connection is not None:
            self._connection.follow_lease()

    # ------------------------------------------------------------------ lifecycle
    async def start(self, host: AdapterHost) -> None:
        if self._connection is None:
            from .client import Connection  # matrix-nio, aiohttp

            self._connection = Connection(self)
        await self._connection.start(host)

    async def stop(self) -> None:
        if self._connection is not None:
            await self._connection.stop()

    async def check_permissions(self) -> list[str]:
        return list(self._connection.session.problems) if self._connection else []

    # ------------------------------------------------------------------ lookups
    def resolve_channel(self, community: str, name: str) -> Channel | None:
        found = super().resolve_channel(community, name)
        if found is not None or self._connection is None:
            return found
        return self._connection.topology.group(community, name)

    async def member_count(self, community: str) -> int:
        if self._connection is None:
            return 0
        await self._connection.topology.read_state(community)
        return await self._connection.identity.member_count(community)

    async def get_member(self, community: str, member_id: str) -> Member | None:
        if self._connection is None:
            return None
        await self._connection.topology.read_member(community, member_id)
        return await self._connection.identity.get_member(community, member_id)

    async def list_members(self, community: str) -> AsyncIterator[ListedMember]:
        """The users joined to the community's rooms, with their roles from the power levels."""
        connection = self._started()
        await connection.topology.read_state(community)
        for listed in connection.identity.listed_members(community):
            yield listed

    # ------------------------------------------------------------------ actions
    async def send(self, community: str | None, channel: Channel, text: str, *,
                   reply_to: str | None = None) -> SentMessage:
        return await self._started().actions.send(community, channel, text, reply_to=reply_to)

    async def send_file(self, community: str | None, channel: Channel, data: bytes, filename: str,
                        *, text: str = "") -> SentMessage:
        return await self._started().actions.send_file(community, channel, data, filename, text)

    async def dm(self, community: str | None, member: Member, text: str, *,
                 previews: bool = True) -> SentMessage:
        return await self._started().actions.dm(community, member, text, previews=previews)

    async def delete(self, community: str | None, channel: Channel, message_id: str, reason: str) -> None:
        await self._started().actions.delete(community, channel, message_id, reason)

    async def pin(self, community: str | None, channel: Channel, message_id: str) -> None:
        await self._started().actions.pin(community, channel, message_id)

    async def unpin(self, community: str | None, channel: Channel, message_id: str) -> None:
        await self._started().actions.unpin(community, channel, message_id)

    async def mute(self, community: str, member: Member, until: datetime, reason: str) -> None:
        await self._started().actions.mute(community, member, until, reason)

    async def unmute(self, community: str, member: Member) -> None:
        await self._started().actions.unmute(community, member)

    async def unban(self, community: str, member: Member) -> None:
        await self._started().actions.unban(community, member)

    async def hold_newcomers(self, community: str, reason: str) -> None:
        await self._started().actions.hold_newcomers(community, self.acc.power_levels.member)

    async def release_newcomers(self, community: str) -> None:
        await self._started().actions.release_newcomers(community)

    async def fetch_message(self, community: str, channel: Channel, message_id: str) -> Message | None:
        return await self._started().inbound.fetch_message(community, channel, message_id)

    async def kick(self, community: str, member: Member, reason: str) -> None:
        await (await self._knowing(community, member)).actions.kick(community, member, reason)

    async def ban(self, community: str, member: Member, reason: str) -> None:
        await self._started().actions.ban(community, member, reason)

    async def grant_role(self, community: str, member: Member, role: Role) -> None:
        await (await self._knowing(community, member)).identity.grant_role(community, member, role)

    async def revoke_role(self, community: str, member: Member, role: Role) -> None:
        await (await self._knowing(community, member)).identity.revoke_role(community, member, role)

    # ------------------------------------------------------------------ groups
    async def create_group(self, community: str, name: str, members: Sequence[Member], *, topic: str,
                           private: bool = True, expires: datetime | None = None,
                           within: Channel | None = None) -> Channel:
        # No GROUP_THREADS here: the core never passes ``within``.
        return await self._started().groups.create(community, name, members, topic=topic,
                                                   private=private, expires=expires)

    async def invite(self, community: str, channel: Channel, member: Member) -> None:
        await self._started().groups.invite(community, channel, member)

    async def remove_from_group(self, community: str, channel: Channel, member: Member) -> None:
        await self._started().groups.remove(community, channel, member)

    async def dissolve_group(self, community: str, channel: Channel, mode: DissolveMode) -> None:
        await self._started().groups.dissolve(community, channel, mode)



@contextlib.asynccontextmanager
async def running(adapter: MatrixAdapter, host: AdapterHost) -> AsyncIterator[MatrixAdapter]:
    """``async with running(adapter, host):`` start and stop (tests, scripts)."""
    await adapter.start(host)
    try:
        yield adapter
    finally:
        await adapter.stop()
