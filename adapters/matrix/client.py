"""The connection to the homeserver: logging in, the sync loop, start and stop.

Built when the adapter starts, with the parts that do the adapter's work:
:mod:`.topology` (the communities' rooms), :mod:`.identity` (members and
roles), :mod:`.inbound` (sync responses in), :mod:`.actions` and
:mod:`.groups`. The start-up report on the bot's power levels
(:mod:`.permissions`) is made here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from nio import AsyncClient, AsyncClientConfig, LoginResponse

from hearth.errors import AdapterError, Forbidden, NotFound, StartupError
from hearth.events import AdapterReadyEvent
from hearth.models import Capability
from hearth.ports import AdapterHost

from . import boundary, ops
from .actions import Actions
from .adapter import MatrixAdapter
from .convert import PLATFORM
from .errors import MatrixOpError
from .groups import Groups
from .identity import Identity
from .inbound import Inbound
from .permissions import check_community
from .session import Session
from .sync import Syncer, backoff_delay
from .topology import Topology

log = logging.getLogger(__name__)

STOP_GRACE = 10.0  # seconds a stop waits for received events to be handled (a failed app never does)


def _loop_time(deadline: float) -> float:
    """A ``time.monotonic()`` deadline on the event loop's clock."""
    return asyncio.get_running_loop().time() + deadline - time.monotonic()


class Connection:
    """A started Matrix adapter: the client and the parts working through it."""

    def __init__(self, adapter: MatrixAdapter) -> None:
        self.adapter = adapter
        self.session = session = Session(adapter)
        self.topology = Topology(session)
        self.identity = Identity(session, self.topology)
        self.inbound = Inbound(session, self.topology, self.identity)
        self.actions = Actions(session, self.topology, self.identity)
        self.groups = Groups(session)
        self._running = False  # started: the sync follows the lease from now on
        self._sync: asyncio.Task[None] | None = None

    async def start(self, host: AdapterHost) -> None:
        s = self.session
        s.host = host
        s.stopping = False
        for secret in (s.acc.access_token, s.acc.password):
            if secret and secret.get_secret_value():
                boundary.secret_filter.secrets.add(secret.get_secret_value())
        deadline = time.monotonic() + self.adapter.start_timeout
        s.client = AsyncClient(
            s.acc.homeserver,
            s.me,
            device_id=s.acc.device_id or "",
            config=AsyncClientConfig(
                max_limit_exceeded=0, max_timeouts=0, store_sync_tokens=False, encryption_enabled=False
            ),
        )
        try:
            await self._login(deadline)
            await s.load_records()
            s.admin_delete = s.acc.admin_api and await ops.is_server_admin(s.nio)
            if s.acc.admin_api and not s.admin_delete:
                s.problems.append(
                    "accounts.matrix.admin_api is on but the bot is not a Synapse server admin: "
                    "dissolved group rooms are closed and archived, not deleted"
                )
            self.adapter.capabilities = self.adapter.configured_capabilities | (
                {Capability.GROUP_DELETE} if s.admin_delete else set()
            )
            await self.topology.join_communities()
            await self.actions.lift_legacy_mutes()
            with contextlib.suppress(AdapterError):
                direct = await s.do("read m.direct", lambda: ops.get_direct_rooms(s.nio))
                for uid, rooms in direct.items():
                    for rid in rooms:
                        s.dm_rooms[rid] = uid
            if self.adapter.sync_held:
                s.syncer = self._syncer()
                await s.syncer.first(deadline=deadline)
            else:  # another process syncs: what the sync would tell, read from the homeserver
                log.info("matrix: another process syncs %s; this one acts through the API", s.me)
                await self.topology.read_state()
            await self.topology.discover_children()
            s.problems += await self._permission_problems()
        except BaseException as exc:
            s.syncer = None
            await s.nio.close()
            s.client = None
            if isinstance(exc, AdapterError) and not isinstance(exc, StartupError):
                raise StartupError(f"matrix: cannot start ({s.acc.homeserver}): {exc}") from None
            raise
        self._running = True
        self.follow_lease()
        await self._ready()

    def _syncer(self) -> Syncer:
        s = self.session
        assert s.host is not None
        return Syncer(s.nio, s.host.kv, self.inbound.on_sync, handled=s.host.handled,
                      on_reconnect=self._ready, relogin=self._relogin if s.acc.password else None)

    def follow_lease(self) -> None:
        """Run the sync while the adapter holds the account's sync lease, and only then.

        Taking it (another process stopped or died), the sync resumes from the position
        that process stored: the events after it come again, and those it handled are
        known to the core. Losing it (this process could not renew in time), the sync
        stops at once and stores nothing more: the next holder starts from the position
        stored last, so an event received here but not yet handled is received again.
        """
        s = self.session
        if not self._running or s.host is None:
            return  # start() syncs (or not) as the lease says, then calls this again
        if self.adapter.sync_held:
            if self._sync is None:
                self._sync = s.host.supervise("matrix sync", self._sync_forever)  # restarted after a failure
                s.tasks.add(self._sync)
                self._sync.add_done_callback(s.tasks.discard)
        elif self._sync is not None or s.syncer is not None:
            log.warning("matrix: this process no longer syncs %s (its lease ran out or moved)", s.me)
            if self._sync is not None:
                self._sync.cancel()
                self._sync = None
            if s.syncer is not None:
                s.syncer.abandon()
                s.syncer = None

    async def _sync_forever(self) -> None:
        s = self.session
        if s.syncer is None:  # taking the sync over from another process
            log.info("matrix: this process takes the sync of %s over", s.me)
            s.syncer = self._syncer()
            await s.syncer.first(deadline=time.monotonic() + self.adapter.start_timeout)
            await self.topology.discover_children()
        await s.syncer.run()

    async def stop(self) -> None:
        s = self.session
        s.stopping = True
        self._running, self._sync = False, None
        tasks = list(s.tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if s.syncer is not None:
            try:  # the events received so far are handled while the client can still act
                await asyncio.wait_for(s.syncer.flush(), STOP_GRACE)
            except TimeoutError:
                log.warning("matrix: events received before the stop were not handled within %g s; "
                            "they will be received again after a restart", STOP_GRACE)
            except Exception as exc:
                log.warning("matrix: could not store the sync position at stop: %s", exc)
        if s.client is not None:
            await s.client.close()
            s.client = None
        s.host = None

    async def _ready(self) -> None:
        s = self.session
        assert s.host is not None
        now = s.host.clock.now()
        await s.host.submit(AdapterReadyEvent(
            platform=PLATFORM, id=f"ready:{s.me}:{now.timestamp()}", community=None, time=now
        ))

    async def _login(self, deadline: float) -> None:
        """Log in (token or password), retrying an unreachable homeserver until ``deadline``."""
        s = self.session
        token = s.acc.access_token.get_secret_value() if s.acc.access_token else ""
        timeout = self.adapter.start_timeout
        failures = 0
        while True:
            try:
                async with asyncio.timeout_at(_loop_time(deadline)):
                    if token:
                        s.nio.restore_login(s.me, s.acc.device_id or "", token)
                        who = await s.do("whoami", lambda: self._whoami())
                        if who != s.me:
                            raise StartupError(f"matrix: the access token belongs to {who}, "
                                               f"not to {s.me} (accounts.matrix)")
                        return
                    await s.do("login", self._password_login)
                    return
            except (Forbidden, NotFound) as exc:
                raise StartupError(f"matrix: login as {s.me} failed: {exc}") from None
            except TimeoutError:
                raise StartupError(f"matrix: no answer from the homeserver {s.acc.homeserver} within "
                                   f"{timeout:g} s (login as {s.me})") from None
            except AdapterError as exc:
                failures += 1
                if "M_UNKNOWN_TOKEN" in str(exc):
                    raise StartupError(f"matrix: login as {s.me} failed: {exc}") from None
                left = deadline - time.monotonic()
                if left <= 0:
                    raise StartupError(f"matrix: login as {s.me} failed within {timeout:g} s: "
                                       f"{exc}") from None
                log.warning("matrix: login failed (%s); retrying", exc)
                await asyncio.sleep(min(backoff_delay(failures), left))

    async def _whoami(self) -> str:
        s = self.session
        resp = ops.check(await s.nio.whoami(), "whoami")
        return str(resp.user_id)

    async def _password_login(self) -> None:
        s = self.session
        assert s.acc.password is not None and s.host is not None
        device = s.acc.device_id or await s.host.kv.get(f"device:{s.me}") or None
        if device:
            s.nio.device_id = device
        resp = await s.nio.login(s.acc.password.get_secret_value(), device_name="Hearth")
        if not isinstance(resp, LoginResponse):
            ops.check(resp, "login")
            raise AdapterError(f"login: unexpected answer {type(resp).__name__}")
        boundary.secret_filter.secrets.add(resp.access_token)
        await s.host.kv.set(f"device:{s.me}", resp.device_id)

    async def _relogin(self) -> bool:
        s = self.session
        try:
            await s.do("login", self._password_login)
        except AdapterError as exc:
            log.error("matrix: logging in again failed: %s", exc)
            return False
        log.info("matrix: logged in again after the homeserver dropped the session")
        return True

    async def _permission_problems(self) -> list[str]:
        s = self.session
        problems: list[str] = []
        for key in s.communities:
            rooms = s.community_rooms.get(key, [])
            names = {rid: (s.rooms[rid].name if rid in s.rooms else None) for rid in rooms}
            encrypted = [rid for rid in rooms if rid in s.rooms and s.rooms[rid].encrypted]
            try:
                problems += await check_community(s.nio, key, s.spaces.get(key), rooms, names)
            except MatrixOpError as exc:
                reason = boundary.scrub(str(exc), s.secrets())
                problems.append(f"community {key!r}: cannot read power levels: {reason}")
            for rid in encrypted:
                problems.append(
                    f"community {key!r}: room {names.get(rid) or rid} ({rid}) is end-to-end encrypted; "
                    "Hearth does not support E2EE, so it cannot read messages there (they are ignored). "
                    "Use unencrypted rooms for the community's channels."
                )
        return problems

