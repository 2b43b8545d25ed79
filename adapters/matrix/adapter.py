"""The Matrix adapter: Hearth on matrix-nio.

A community is a space (its child rooms are its channels) or a list of rooms.
Events come from :class:`~.sync.Syncer`; actions go through :mod:`.ops`, whose
errors are mapped to :mod:`hearth.errors` here. Encrypted rooms are detected and
reported, not read (no E2EE).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar, TypeVar

from nio import AsyncClient, AsyncClientConfig, LoginResponse, MessageDirection, RoomPreset, SyncResponse

from hearth.errors import AdapterError, Forbidden, NotFound, RateLimited, StartupError, StorageError
from hearth.events import (
    AdapterReadyEvent,
    Event,
    MemberJoinedEvent,
    MemberLeftEvent,
    MessageDeletedEvent,
    MessageEditedEvent,
    MessagePostedEvent,
    ReactionAddedEvent,
)
from hearth.models import Capability, Channel, Member, Message, Reaction, Role, SentMessage, extract_links
from hearth.ports import Adapter, AdapterHost, DissolveMode

from . import ops
from .convert import (
    JOINED,
    MXID_RE,
    RoomState,
    annotation,
    event_time,
    membership,
    message_parts,
    redacted_event,
    user_id,
)
from .errors import MatrixForbidden, MatrixNotFound, MatrixOpError, MatrixRateLimited
from .permissions import check_community
from .schema import MatrixAccount, MatrixBinding
from .sync import Syncer, backoff_delay

log = logging.getLogger(__name__)
T = TypeVar("T")

START_TIMEOUT = 60.0
STOP_GRACE = 10.0  # seconds a stop waits for received events to be handled (a failed app never does)
BACKFILL_PAGE = 100  # events fetched per /messages request when catching up
COUNT_PAGE = 1000  # per request when only counting what is past the catch-up limit (Synapse's max)
RECENT_EVENTS = 2000  # message events kept to quote in replies without fetching them
BASE_CAPABILITIES = frozenset({
    Capability.SEND, Capability.REPLY, Capability.DM, Capability.DELETE, Capability.MUTE,
    Capability.KICK, Capability.BAN, Capability.ROLES, Capability.GROUPS, Capability.GROUP_ARCHIVE,
    Capability.PIN, Capability.REACTIONS,
})
_TOKEN_IN_URL = re.compile(r"(access_token=)[^&\s'\"]+")
_TOKEN_IN_JSON = re.compile(r"""(['"](?:access_token|refresh_token|password)['"]:\s*['"])[^'"]+""")
NIO_LOGGERS = ("nio", "nio.responses", "nio.api", "nio.client.async_client", "nio.client.base_client")


class _SecretFilter(logging.Filter):
    """Masks tokens and passwords in nio's own log records (its DEBUG logs dump login bodies)."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:
            return True
        clean = _TOKEN_IN_JSON.sub(r"\1***", _TOKEN_IN_URL.sub(r"\1***", text))
        for secret in self.secrets:
            clean = clean.replace(secret, "***")
        if clean != text:
            record.msg, record.args = clean, None
        return True


_secret_filter = _SecretFilter()
for _name in NIO_LOGGERS:
    logging.getLogger(_name).addFilter(_secret_filter)


def _timestamp(source: dict[str, Any]) -> int:
    """An event's ``origin_server_ts`` (0 when missing or not a number)."""
    ts = source.get("origin_server_ts")
    return int(ts) if isinstance(ts, int | float) else 0


def _loop_time(deadline: float) -> float:
    """A ``time.monotonic()`` deadline on the event loop's clock."""
    return asyncio.get_running_loop().time() + deadline - time.monotonic()


class MatrixAdapter(Adapter):
    """Hearth on Matrix (matrix-nio)."""

    name = "matrix"
    account_schema = MatrixAccount
    binding_schema = MatrixBinding
    # per room: bursts of 10, then 5 a second (Synapse's 429s are waited out on top)
    send_rate: ClassVar[tuple[int, float] | None] = (10, 2.0)

    capabilities = BASE_CAPABILITIES
    #: seconds start() may take to reach the homeserver (login and first sync)
    start_timeout: ClassVar[float] = START_TIMEOUT

    def __init__(self, *, account: Any, communities: Any) -> None:
        super().__init__(account=account, communities=communities)
        if not isinstance(account, MatrixAccount):
            raise StartupError("the matrix adapter needs accounts.matrix (homeserver, user_id, token)")
        self.acc: MatrixAccount = account
        self.me = account.user_id
        self.client: AsyncClient | None = None
        self.host: AdapterHost | None = None
        self.syncer: Syncer | None = None
        self.rooms: dict[str, RoomState] = {}
        self.spaces: dict[str, str] = {}  # community -> space id
        self.community_rooms: dict[str, list[str]] = {}  # community -> member rooms (space first)
        self.groups: dict[str, dict[str, str]] = {}  # community -> group name -> room id
        self.names: dict[str, str] = {}  # user -> latest display name seen in a timeline
        self.recent: OrderedDict[str, dict[str, Any]] = OrderedDict()  # event id -> event (replies)
        self.edits: OrderedDict[str, list[str]] = OrderedDict()  # event id -> its author's edits
        self.dm_rooms: dict[str, str] = {}  # room id -> the other user
        self.dm_for: dict[str, str] = {}  # user -> DM room the bot last used
        self.newcomers: dict[str, set[str]] = {}  # community -> users recorded as newcomers
        self.mutes: dict[str, float] = {}  # "community\tuser" -> until (epoch seconds)
        self.admin_delete = False
        self.problems: list[str] = []
        self._warned: set[tuple[str, ...]] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._mute_wakeup = asyncio.Event()
        self._stopping = False

    # ------------------------------------------------------------------ secrets and errors
    def _scrub(self, text: str) -> str:
        text = _TOKEN_IN_JSON.sub(r"\1***", _TOKEN_IN_URL.sub(r"\1***", text))
        for secret in (self.acc.access_token, self.acc.password):
            value = secret.get_secret_value() if secret else ""
            if value:
                text = text.replace(value, "***")
        if self.client is not None and self.client.access_token:
            text = text.replace(self.client.access_token, "***")
        return text

    async def _do(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        """Run an ops call: 429s waited out, errors mapped to Hearth's, secrets scrubbed."""
        try:
            return await ops.retry_rate_limited(call)
        except MatrixRateLimited as exc:
            raise RateLimited(self._scrub(f"{what}: {exc}"), (exc.retry_after_ms or 1000) / 1000) from exc
        except MatrixForbidden as exc:
            raise Forbidden(self._scrub(f"{what}: {exc}")) from exc
        except MatrixNotFound as exc:
            raise NotFound(self._scrub(f"{what}: {exc}")) from exc
        except MatrixOpError as exc:
            raise AdapterError(self._scrub(f"{what}: {exc}")) from exc
        except asyncio.CancelledError:
            raise
        except (OSError, TimeoutError, ValueError) as exc:
            raise AdapterError(f"{what}: homeserver unreachable ({type(exc).__name__})") from None
        except Exception as exc:
            if type(exc).__module__.startswith("aiohttp"):
                raise AdapterError(f"{what}: homeserver unreachable ({type(exc).__name__})") from None
            raise

    @property
    def nio(self) -> AsyncClient:
        if self.client is None:
            raise AdapterError("the matrix adapter is not started")
        return self.client

    def _warn_once(self, key: tuple[str, ...], msg: str, *args: Any) -> None:
        if key not in self._warned:
            self._warned.add(key)
            log.warning(msg, *args)

    # ------------------------------------------------------------------ lifecycle
    async def start(self, host: AdapterHost) -> None:
        self.host = host
        self._stopping = False
        for secret in (self.acc.access_token, self.acc.password):
            if secret and secret.get_secret_value():
                _secret_filter.secrets.add(secret.get_secret_value())
        deadline = time.monotonic() + self.start_timeout
        self.client = AsyncClient(
            self.acc.homeserver,
            self.me,
            device_id=self.acc.device_id or "",
            config=AsyncClientConfig(
                max_limit_exceeded=0, max_timeouts=0, store_sync_tokens=False, encryption_enabled=False
            ),
        )
        try:
            await self._login(deadline)
            await self._load_records()
            self.admin_delete = self.acc.admin_api and await ops.is_server_admin(self.nio)
            if self.acc.admin_api and not self.admin_delete:
                self.problems.append(
                    "accounts.matrix.admin_api is on but the bot is not a Synapse server admin: "
                    "dissolved group rooms are closed and archived, not deleted"
                )
            self.capabilities = BASE_CAPABILITIES | (
                {Capability.GROUP_DELETE} if self.admin_delete else set()
            )
            await self._join_communities()
            with contextlib.suppress(AdapterError):
                direct = await self._do("read m.direct", lambda: ops.get_direct_rooms(self.nio))
                for uid, rooms in direct.items():
                    for rid in rooms:
                        self.dm_rooms[rid] = uid
            self.syncer = Syncer(self.nio, host.kv, self._on_sync, handled=host.handled,
                                 on_reconnect=self._ready,
                                 relogin=self._relogin if self.acc.password else None)
            await self.syncer.first(deadline=deadline)
            await self._discover_children()
            self.problems += await self._permission_problems()
        except BaseException as exc:
            await self.nio.close()
            self.client = None
            if isinstance(exc, AdapterError) and not isinstance(exc, StartupError):
                raise StartupError(f"matrix: cannot start ({self.acc.homeserver}): {exc}") from None
            raise
        sync = host.supervise("matrix sync", self.syncer.run)
        self._tasks.add(sync)
        sync.add_done_callback(self._tasks.discard)
        self._spawn(self._mute_timer(), "matrix-unmute")
        await self._ready()

    async def stop(self) -> None:
        self._stopping = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.syncer is not None:
            try:  # the events received so far are handled while the client can still act
                await asyncio.wait_for(self.syncer.flush(), STOP_GRACE)
            except TimeoutError:
                log.warning("matrix: events received before the stop were not handled within %g s; "
                            "they will be received again after a restart", STOP_GRACE)
            except Exception as exc:
                log.warning("matrix: could not store the sync position at stop: %s", exc)
        if self.client is not None:
            await self.client.close()
            self.client = None
        self.host = None

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("%s died", t.get_name(), exc_info=t.exception())

        task.add_done_callback(done)

    async def _ready(self) -> None:
        assert self.host is not None
        now = self.host.clock.now()
        await self.host.submit(AdapterReadyEvent(
            platform=self.name, id=f"ready:{self.me}:{now.timestamp()}", community=None, time=now
        ))

    async def _login(self, deadline: float) -> None:
        """Log in (token or password), retrying an unreachable homeserver until ``deadline``."""
        token = self.acc.access_token.get_secret_value() if self.acc.access_token else ""
        failures = 0
        while True:
            try:
                async with asyncio.timeout_at(_loop_time(deadline)):
                    if token:
                        self.nio.restore_login(self.me, self.acc.device_id or "", token)
                        who = await self._do("whoami", lambda: self._whoami())
                        if who != self.me:
                            raise StartupError(f"matrix: the access token belongs to {who}, "
                                               f"not to {self.me} (accounts.matrix)")
                        return
                    await self._do("login", self._password_login)
                    return
            except (Forbidden, NotFound) as exc:
                raise StartupError(f"matrix: login as {self.me} failed: {exc}") from None
            except TimeoutError:
                raise StartupError(f"matrix: no answer from the homeserver {self.acc.homeserver} within "
                                   f"{self.start_timeout:g} s (login as {self.me})") from None
            except AdapterError as exc:
                failures += 1
                if "M_UNKNOWN_TOKEN" in str(exc):
                    raise StartupError(f"matrix: login as {self.me} failed: {exc}") from None
                left = deadline - time.monotonic()
                if left <= 0:
                    raise StartupError(f"matrix: login as {self.me} failed within {self.start_timeout:g} s: "
                                       f"{exc}") from None
                log.warning("matrix: login failed (%s); retrying", exc)
                await asyncio.sleep(min(backoff_delay(failures), left))

    async def _whoami(self) -> str:
        resp = ops.check(await self.nio.whoami(), "whoami")
        return str(resp.user_id)

    async def _password_login(self) -> None:
        assert self.acc.password is not None and self.host is not None
        device = self.acc.device_id or await self.host.kv.get(f"device:{self.me}") or None
        if device:
            self.nio.device_id = device
        resp = await self.nio.login(self.acc.password.get_secret_value(), device_name="Hearth")
        if not isinstance(resp, LoginResponse):
            ops.check(resp, "login")
            raise AdapterError(f"login: unexpected answer {type(resp).__name__}")
        _secret_filter.secrets.add(resp.access_token)
        await self.host.kv.set(f"device:{self.me}", resp.device_id)

    async def _relogin(self) -> bool:
        try:
            await self._do("login", self._password_login)
        except AdapterError as exc:
            log.error("matrix: logging in again failed: %s", exc)
            return False
        log.info("matrix: logged in again after the homeserver dropped the session")
        return True

    # ------------------------------------------------------------------ persistent records
    async def _kv_json(self, key: str, default: Any) -> Any:
        assert self.host is not None
        raw = await self.host.kv.get(key)
        try:
            return json.loads(raw) if raw else default
        except ValueError:
            return default

    async def _load_records(self) -> None:
        self.groups = {k: dict(v) for k, v in (await self._kv_json("groups", {})).items()}
        self.newcomers = {k: set(v) for k, v in (await self._kv_json("newcomers", {})).items()}
        self.mutes = dict(await self._kv_json("mutes", {}))

    async def _save(self, key: str) -> None:
        assert self.host is not None
        value: Any = {
            "groups": self.groups,
            "newcomers": {k: sorted(v) for k, v in self.newcomers.items()},
            "mutes": self.mutes,
        }[key]
        await self.host.kv.set(key, json.dumps(value))

    # ------------------------------------------------------------------ communities
    def _binding(self, community: str) -> MatrixBinding | None:
        binding = self.communities.get(community)
        space = binding.space if binding else None
        return space if isinstance(space, MatrixBinding) else None

    async def _join(self, room: str, what: str) -> str | None:
        try:
            return await self._do(f"join {room}", lambda: ops.join(self.nio, room))
        except AdapterError as exc:
            self.problems.append(f"cannot join {what} {room}: {exc}; the bot will not see or act there")
            return None

    async def _join_communities(self) -> None:
        for key, binding in self.communities.items():
            spec = self._binding(key)
            if spec is None:
                continue
            rooms: list[str] = []
            if spec.space:
                if await self._join(spec.space, f"the space of community {key!r}"):
                    self.spaces[key] = spec.space
                    rooms.append(spec.space)
                    try:
                        children = await self._do(
                            "list space rooms", partial(ops.list_space_rooms, self.nio, spec.space)
                        )
                    except AdapterError as exc:
                        self.problems.append(f"cannot list the rooms of space {spec.space}: {exc}")
                        children = []
                    group_ids = set(self.groups.get(key, {}).values())
                    for child in children:
                        if child.room_id not in group_ids and await self._join(child.room_id, "room"):
                            rooms.append(child.room_id)
            for rid in [*spec.rooms, *binding.channels.values()]:
                if rid not in rooms and await self._join(rid, f"room of community {key!r}"):
                    rooms.append(rid)
            self.community_rooms[key] = rooms

    async def _discover_children(self) -> None:
        """Rooms added to a space while the bot was away (seen in the first sync)."""
        for key, space in self.spaces.items():
            state = self.rooms.get(space)
            if state is not None:
                for child in sorted(state.children):
                    await self._adopt_child(key, child)

    async def _adopt_child(self, community: str, room_id: str) -> None:
        rooms = self.community_rooms.setdefault(community, [])
        if room_id in rooms or room_id in self.groups.get(community, {}).values():
            return
        if await self._join(room_id, "new space room"):
            rooms.append(room_id)
            log.info("joined %s, a new room of the %s space", room_id, community)

    def community_of(self, room_id: str) -> str | None:
        for key, rooms in self.community_rooms.items():
            if room_id in rooms:
                return key
        for key, groups in self.groups.items():
            if room_id in groups.values():
                return key
        return None

    def _member_rooms(self, community: str) -> list[RoomState]:
        return [self.rooms[r] for r in self.community_rooms.get(community, []) if r in self.rooms]

    def _all_rooms(self, community: str, *, space: bool = True) -> list[str]:
        rooms = [r for r in self.community_rooms.get(community, [])
                 if space or r != self.spaces.get(community)]
        return rooms + [r for r in self.groups.get(community, {}).values() if r not in rooms]

    def _in_community(self, community: str, user: str) -> bool:
        return any(s.members.get(user) == JOINED for s in self._member_rooms(community))

    def _display_name(self, user: str) -> str:
        name = self.names.get(user)
        if name:
            return name
        for state in self.rooms.values():
            name = state.names.get(user)
            if name:
                return name
        return user.split(":", 1)[0].lstrip("@")

    def _role(self, community: str, user: str) -> Role:
        pl = self.acc.power_levels
        states = self._member_rooms(community)
        level = max((s.level(user) for s in states), default=0)
        home = states[0] if states else None
        if level >= ops.CREATOR_LEVEL:
            return Role.OWNER
        if pl.owner > pl.admin and level >= pl.owner:
            return Role.OWNER
        if home is not None and home.creator == user and level >= pl.admin:
            return Role.OWNER
        if level >= pl.admin:
            return Role.ADMIN
        if level >= pl.leader:
            return Role.LEADER
        if user in self.newcomers.get(community, set()):
            return Role.NEWCOMER
        if pl.newcomer < pl.member and level <= pl.newcomer:
            return Role.NEWCOMER
        return Role.MEMBER

    def _member(self, community: str | None, user: str) -> Member:
        role = self._role(community, user) if community else Role.MEMBER
        return Member(platform=self.name, id=user, name=self._display_name(user), role=role,
                      is_bot=user == self.me)

    def _dm_partner(self, room_id: str) -> str | None:
        if room_id in self.dm_rooms:
            return self.dm_rooms[room_id]
        state = self.rooms.get(room_id)
        if state is None or self.community_of(room_id) is not None or state.is_space:
            return None
        others = state.joined() - {self.me}
        return next(iter(others)) if len(others) == 1 and self.me in state.joined() else None

    def _dm_community(self, user: str) -> str | None:
        return next((k for k in self.communities if self._in_community(k, user)), None)

    def _channel(self, community: str, room_id: str) -> Channel:
        binding = self.communities.get(community)
        name = binding.channel_name(room_id) if binding else None
        if name is None:
            name = next((n for n, r in self.groups.get(community, {}).items() if r == room_id), None)
        return Channel(platform=self.name, id=room_id, name=name)

    # ------------------------------------------------------------------ inbound
    async def _on_sync(self, resp: SyncResponse, deliver: bool) -> None:
        for room_id, invite in resp.rooms.invite.items():
            await self._on_invite(room_id, [e.source for e in invite.invite_state if hasattr(e, "source")])
        streams: dict[str, list[dict[str, Any]]] = {}
        missed: dict[str | None, int] = {}  # community -> events of limited timelines not fetched
        done: set[int] = set()  # events handled before a crash (handed over again they'd repeat)
        for room_id, info in resp.rooms.join.items():
            state = self.rooms.setdefault(room_id, RoomState(room_id))
            for st in info.state:  # the state at the start of the timeline
                if hasattr(st, "source"):
                    state.apply(st.source)
            events = [e.source for e in info.timeline.events]
            own_join = max((i for i, ev in enumerate(events) if ev.get("type") == "m.room.member"
                            and ev.get("state_key") == self.me
                            and membership(ev)[1] != JOINED and membership(ev)[2] == JOINED), default=None)
            if own_join is not None:  # a room the bot just joined: earlier events are history
                for ev in events[:own_join]:
                    if "state_key" in ev:
                        state.apply(ev)
                events = events[own_join:]
            elif deliver and info.timeline.limited and self.syncer and self.syncer.had_token:
                gap, beyond = await self._backfill(room_id, info.timeline.prev_batch)
                for ev in reversed(gap):  # back to the state before the gap
                    state.revert(ev)
                events = gap + events
                community = self._bucket(room_id)
                missed[community] = missed.get(community, 0) + beyond
            streams[room_id] = events
            if self.syncer is not None:
                done.update(id(ev) for ev in events[:self.syncer.already_handled(room_id, events)])
        ordered = list(heapq.merge(*([(room_id, ev) for ev in evs] for room_id, evs in streams.items()),
                                   key=lambda item: _timestamp(item[1])))
        skipped = await self._over_limit(ordered, missed) if missed else set()
        for n, (room_id, ev) in enumerate(ordered):
            state = self.rooms[room_id]
            if n in skipped or id(ev) in done:  # too old to catch up on, or handled: state only
                if "state_key" in ev:
                    state.apply(ev)
            else:
                try:
                    await self._on_event(room_id, state, ev, deliver)
                except (AdapterError, StorageError):
                    raise  # transient: the whole response is processed again
                except Exception:
                    log.exception("matrix: could not process event %s in %s; skipped it",
                                  ev.get("event_id"), room_id)
            if self.syncer is not None:
                await self.syncer.processed(room_id, str(ev.get("event_id", "")))
        for room_id in resp.rooms.leave:
            self._on_left_room(room_id)
        if any(getattr(e, "type", None) == "m.direct" for e in resp.account_data_events):
            await self._refresh_direct()

    def _bucket(self, room_id: str) -> str | None:
        """The community whose catch-up limit a room's events count against (None: a DM)."""
        return self.community_of(room_id)

    async def _over_limit(self, ordered: list[tuple[str, dict[str, Any]]],
                          missed: dict[str | None, int]) -> set[int]:
        """Positions in ``ordered`` past the catch-up limit (the oldest), reported per community.

        Only communities catching up (with a limited timeline, keys of ``missed``) are trimmed;
        ``missed`` counts their events that were not even fetched.
        """
        assert self.host is not None
        limit = self.host.catch_up_limit
        kept: dict[str | None, int] = {}
        skipped: set[int] = set()
        for n in range(len(ordered) - 1, -1, -1):
            bucket = self._bucket(ordered[n][0])
            if bucket in missed:
                kept[bucket] = kept.get(bucket, 0) + 1
                if kept[bucket] > limit:
                    skipped.add(n)
        for bucket, beyond in missed.items():
            count = beyond + max(0, kept.get(bucket, 0) - limit)
            if not count:
                continue
            if bucket is None:
                log.warning("%d missed events in direct chats were skipped (catch_up.max_events is %d)",
                            count, limit)
            else:
                await self.host.report_skipped(bucket, self.name, count)
        return skipped

    async def _backfill(self, room_id: str, prev_batch: str | None) -> tuple[list[dict[str, Any]], int]:
        """Events between the stored token and a limited timeline: the newest up to the
        catch-up limit (oldest first), and how many older ones there are beyond them."""
        assert self.host is not None
        if not prev_batch or self.syncer is None or self.syncer.token is None:
            return [], 0
        want = self.host.catch_up_limit
        found: list[dict[str, Any]] = []
        beyond = 0
        start = prev_batch
        while True:
            size = min(BACKFILL_PAGE, want - len(found)) if len(found) < want else COUNT_PAGE
            page = await self._do("fetch missed events", partial(self._messages, room_id, start, size))
            if len(found) < want:
                found.extend(e.source for e in page.chunk)
            else:
                beyond += len(page.chunk)
            if not page.chunk or not page.end or page.end == start:
                break
            start = page.end
        log.info("caught up %d missed events in %s%s", len(found), room_id,
                 f" ({beyond} older ones skipped)" if beyond else "")
        return list(reversed(found)), beyond

    async def _messages(self, room_id: str, start: str, limit: int) -> Any:
        assert self.syncer is not None
        resp = await self.nio.room_messages(
            room_id, start=start, end=self.syncer.token, direction=MessageDirection.back, limit=limit
        )
        return ops.check(resp, "room messages")

    async def _on_invite(self, room_id: str, stripped: list[dict[str, Any]]) -> None:
        mine = next((e for e in stripped if e.get("type") == "m.room.member"
                     and e.get("state_key") == self.me), None)
        if mine is None:
            return
        inviter = str(mine.get("sender", ""))
        direct = bool((mine.get("content") or {}).get("is_direct"))
        known = self.community_of(room_id) is not None
        if not (direct or known or self._dm_community(inviter)):
            log.info("ignoring an invite to %s from %s (not a community room nor a DM)", room_id, inviter)
            return
        try:
            await self._do("accept invite", lambda: ops.join(self.nio, room_id))
        except AdapterError as exc:
            log.warning("could not accept the invite to %s: %s", room_id, exc)
            return
        if direct or not known:
            self.dm_rooms.setdefault(room_id, inviter)
            try:  # the bot's m.direct lists it, so DMs to the member go there, also after a restart
                await self._do("record DM room", lambda: ops.add_direct_room(self.nio, inviter, room_id))
            except AdapterError as exc:
                log.warning("could not record %s as the DM room with %s: %s", room_id, inviter, exc)

    def _on_left_room(self, room_id: str) -> None:
        community = self.community_of(room_id)
        if community is not None and room_id not in self.groups.get(community, {}).values():
            self._warn_once(("left", room_id), "the bot is no longer in %s (community %s)", room_id,
                            community)
        self.rooms.pop(room_id, None)
        self.dm_rooms.pop(room_id, None)

    async def _refresh_direct(self) -> None:
        with contextlib.suppress(AdapterError):
            direct = await self._do("read m.direct", lambda: ops.get_direct_rooms(self.nio))
            for uid, rooms in direct.items():
                for rid in rooms:
                    self.dm_rooms.setdefault(rid, uid)

    async def _submit(self, event: Event) -> None:
        if self.host is not None and not self._stopping:
            await self.host.submit(event)

    async def _on_event(self, room_id: str, state: RoomState, ev: dict[str, Any], deliver: bool) -> None:
        kind = ev.get("type")
        if "state_key" in ev:
            await self._on_state(room_id, state, ev, deliver)
            return
        sender = str(ev.get("sender", ""))
        event_id = str(ev.get("event_id", ""))
        if not deliver or sender == self.me or not event_id:
            return
        community = self.community_of(room_id)
        dm_with = None
        if community is None:
            dm_with = self._dm_partner(room_id)
            if dm_with is None:
                return
            community = self._dm_community(sender)
        if kind == "m.room.encrypted":
            await self._on_encrypted(room_id, dm_with is not None)
            return
        if dm_with:
            self.dm_for[sender] = room_id  # answer where the member talks to the bot
        channel = (Channel(platform=self.name, id=room_id, dm_with=sender) if dm_with
                   else self._channel(community or "", room_id))
        when = event_time(ev)
        content = ev.get("content") or {}
        if kind == "m.room.message":
            self.recent[event_id] = ev
            if len(self.recent) > RECENT_EVENTS:
                self.recent.popitem(last=False)
            parts = message_parts(content)
            if parts is None:
                return
            edit_of = parts.edit_of and await self._own_edit(room_id, parts.edit_of, sender, event_id)
            if edit_of is False:
                return
            message = Message(
                platform=self.name, id=edit_of or event_id, channel=channel,
                author=self._member(community, sender), text=parts.text, time=when,
                mentions=parts.mentions, links=extract_links(parts.text), reply_to=parts.reply_to,
                raw=ev,
            )
            if parts.edit_of:
                await self._submit(MessageEditedEvent(platform=self.name, id=event_id,
                                                      community=community, time=when, message=message))
            else:
                await self._submit(MessagePostedEvent(platform=self.name, id=event_id,
                                                      community=community, time=when, message=message))
        elif kind == "m.reaction":
            found = annotation(ev)
            if found is not None:
                reaction = Reaction(platform=self.name, message_id=found[0], channel=channel,
                                    member=self._member(community, sender), emoji=found[1], time=when)
                await self._submit(ReactionAddedEvent(platform=self.name, id=event_id,
                                                      community=community, time=when, reaction=reaction))
        elif kind == "m.room.redaction":
            target = redacted_event(ev)
            if target:
                await self._submit(MessageDeletedEvent(platform=self.name, id=event_id, community=community,
                                                       time=when, channel=channel, message_id=target))

    async def _own_edit(self, room_id: str, original: str, sender: str, edit: str) -> str | bool | None:
        """The message an ``m.replace`` edit changes: its id when ``sender`` wrote it (the edit
        is remembered so deleting the message removes it too), False when someone else did (the
        edit is ignored, as the spec says), None when the original cannot be read (the edit is
        then judged as a message of its own)."""
        author = (self.recent.get(original) or {}).get("sender")
        if author is None:
            try:
                found = await self._do("read edited event", partial(self._event, room_id, original))
                author = found.get("sender")
            except AdapterError as exc:
                log.info("cannot read %s, the event edited by %s: %s", original, edit, exc)
                return None
        if author != sender:
            log.info("ignoring %s: %s edits %s, an event sent by %s", edit, sender, original, author)
            return False
        self.edits.setdefault(original, []).append(edit)
        if len(self.edits) > RECENT_EVENTS:
            self.edits.popitem(last=False)
        return original

    async def _event(self, room_id: str, event_id: str) -> dict[str, Any]:
        resp = await self.nio.room_get_event(room_id, event_id)
        return dict(ops.check(resp, "get event").event.source)

    async def _on_state(self, room_id: str, state: RoomState, ev: dict[str, Any], deliver: bool) -> None:
        kind = ev.get("type")
        if kind == "m.room.member" and isinstance((ev.get("content") or {}).get("displayname"), str):
            self.names[str(ev.get("state_key"))] = ev["content"]["displayname"]
        community = self.community_of(room_id)
        in_members = community is not None and room_id in self.community_rooms.get(community, [])
        if kind != "m.room.member" or not in_members or community is None:
            state.apply(ev)
            if kind == "m.space.child" and community is not None and room_id == self.spaces.get(community):
                child = str(ev.get("state_key", ""))
                if (ev.get("content") or {}).get("via"):
                    await self._adopt_child(community, child)
            if kind == "m.room.encryption" and state.encrypted:
                self._warn_once(("e2ee", room_id), "%s is now end-to-end encrypted: Hearth cannot read "
                                "it any more (E2EE is not supported)", room_id)
            return
        user, before, after = membership(ev)
        was_in = self._in_community(community, user)
        state.apply(ev)
        now_in = self._in_community(community, user)
        if not deliver or user == self.me or was_in == now_in:
            return
        if now_in != (after == JOINED) or (before == JOINED) == (after == JOINED):
            return  # a profile change, or a change our state could not see the start of
        when = event_time(ev)
        member = self._member(community, user)
        if now_in:
            invited_by = None
            if before == "invite":
                prev_sender = (ev.get("unsigned") or {}).get("prev_sender")
                invited_by = prev_sender if isinstance(prev_sender, str) and prev_sender != user else None
            await self._submit(MemberJoinedEvent(platform=self.name, id=str(ev.get("event_id")),
                                                 community=community, time=when, member=member,
                                                 invited_by=invited_by))
        else:
            await self._submit(MemberLeftEvent(platform=self.name, id=str(ev.get("event_id")),
                                               community=community, time=when, member=member))

    async def _on_encrypted(self, room_id: str, is_dm: bool) -> None:
        self._warn_once(("e2ee", room_id), "received an end-to-end encrypted message in %s: Hearth "
                        "does not support E2EE and ignores encrypted messages", room_id)
        if is_dm and ("e2ee-notice", room_id) not in self._warned:
            self._warned.add(("e2ee-notice", room_id))
            with contextlib.suppress(AdapterError):
                await self._do("send", lambda: ops.send_text(
                    self.nio, room_id, "I cannot read encrypted messages. Please message me in an "
                    "unencrypted room (start a chat with encryption turned off).", notice=True))

    # ------------------------------------------------------------------ permissions
    async def _permission_problems(self) -> list[str]:
        problems: list[str] = []
        for key in self.communities:
            rooms = self.community_rooms.get(key, [])
            names = {rid: (self.rooms[rid].name if rid in self.rooms else None) for rid in rooms}
            encrypted = [rid for rid in rooms if rid in self.rooms and self.rooms[rid].encrypted]
            try:
                problems += await check_community(self.nio, key, self.spaces.get(key), rooms, names)
            except MatrixOpError as exc:
                problems.append(f"community {key!r}: cannot read power levels: {self._scrub(str(exc))}")
            for rid in encrypted:
                problems.append(
                    f"community {key!r}: room {names.get(rid) or rid} ({rid}) is end-to-end encrypted; "
                    "Hearth does not support E2EE, so it cannot read messages there (they are ignored). "
                    "Use unencrypted rooms for the community's channels."
                )
        return problems

    async def check_permissions(self) -> list[str]:
        return list(self.problems)

    # ------------------------------------------------------------------ lookups
    def resolve_channel(self, community: str, name: str) -> Channel | None:
        found = super().resolve_channel(community, name)
        if found is not None:
            return found
        rid = self.groups.get(community, {}).get(name)
        return Channel(platform=self.name, id=rid, name=name) if rid else None

    async def member_count(self, community: str) -> int:
        users: set[str] = set()
        for state in self._member_rooms(community):
            users |= state.joined()
        users.discard(self.me)
        return len(users)

    async def get_member(self, community: str, member_id: str) -> Member | None:
        uid = user_id(member_id)
        if self._in_community(community, uid):
            return self._member(community, uid)
        for rid in self.groups.get(community, {}).values():
            if rid in self.rooms and self.rooms[rid].members.get(uid) == JOINED:
                return self._member(community, uid)
        return None

    # ------------------------------------------------------------------ actions
    def _mentions(self, text: str) -> dict[str, str]:
        known: dict[str, str] = {}
        for uid in dict.fromkeys(MXID_RE.findall(text)):
            if any(uid in s.members for s in self.rooms.values()):
                known[uid] = self._display_name(uid)
        return known

    async def send(self, community: str | None, channel: Channel, text: str, *,
                   reply_to: str | None = None) -> SentMessage:
        mentions = self._mentions(text)
        if reply_to:
            original = self.recent.get(reply_to)
            event_id = await self._do("reply", lambda: ops.reply(
                self.nio, channel.id, reply_to, text, mentions=mentions, notice=True, original=original))
        else:
            event_id = await self._do("send", lambda: ops.send_text(
                self.nio, channel.id, text, mentions=mentions, notice=True))
        return SentMessage(platform=self.name, id=event_id, channel=channel)

    async def dm(self, community: str | None, member: Member, text: str) -> SentMessage:
        uid = user_id(member.id)
        mentions = self._mentions(text)
        for attempt in range(2):
            room_id = self.dm_for.get(uid) if attempt == 0 else None
            if room_id is None:
                room_id = await self._do("open DM", lambda: ops.get_or_create_dm(self.nio, uid))
                self.dm_for[uid] = room_id
                self.dm_rooms[room_id] = uid
            try:
                event_id = await self._do("DM", partial(
                    ops.send_text, self.nio, room_id, text, mentions=mentions, notice=True))
            except (Forbidden, NotFound):
                self.dm_for.pop(uid, None)
                if attempt:
                    raise
                continue
            channel = Channel(platform=self.name, id=room_id, dm_with=uid)
            return SentMessage(platform=self.name, id=event_id, channel=channel)
        raise AssertionError("unreachable")

    async def delete(self, community: str | None, channel: Channel, message_id: str, reason: str) -> None:
        await self._do("redact", lambda: ops.redact(self.nio, channel.id, message_id, reason=reason))
        for edit in self.edits.pop(message_id, []):  # the edits carry the text too
            try:
                await self._do("redact", partial(ops.redact, self.nio, channel.id, edit, reason=reason))
            except AdapterError as exc:
                log.warning("could not redact %s, an edit of %s: %s", edit, message_id, exc)

    async def _each(self, what: str, rooms: Sequence[str],
                    call: Callable[[str], Awaitable[Any]]) -> int:
        """Run ``call(room)`` in every room; errors in some rooms are logged, in all raised."""
        done, last = 0, None
        for rid in rooms:
            try:
                await self._do(what, partial(call, rid))
                done += 1
            except AdapterError as exc:
                log.warning("%s in %s failed: %s", what, rid, exc)
                last = exc
        if not done and last is not None:
            raise last
        return done

    async def mute(self, community: str, member: Member, until: datetime, reason: str) -> None:
        uid = user_id(member.id)
        await self._each("mute", self._all_rooms(community, space=False),
                         lambda r: ops.mute(self.nio, r, uid))
        self.mutes[f"{community}\t{uid}"] = until.timestamp()
        await self._save("mutes")
        self._mute_wakeup.set()

    async def unmute(self, community: str, member: Member) -> None:
        uid = user_id(member.id)
        await self._each("unmute", self._all_rooms(community, space=False),
                         lambda r: ops.unmute(self.nio, r, uid))
        if self.mutes.pop(f"{community}\t{uid}", None) is not None:
            await self._save("mutes")

    async def _mute_timer(self) -> None:
        """Unmute members whose mute ran out (Matrix has no timed mute)."""
        while True:
            now = datetime.now(UTC).timestamp()
            for key, until in sorted(self.mutes.items(), key=lambda kv: kv[1]):
                if until <= now:
                    community, uid = key.split("\t", 1)
                    try:
                        await self.unmute(community, Member(platform=self.name, id=uid, name=uid))
                        log.info("unmuted %s in %s: the mute ran out", uid, community)
                    except AdapterError as exc:
                        log.warning("could not unmute %s: %s", uid, exc)
                        self.mutes[key] = now + 60
            upcoming = min(self.mutes.values(), default=now + 3600)
            self._mute_wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._mute_wakeup.wait(), max(0.05, min(upcoming - now, 3600)))

    async def kick(self, community: str, member: Member, reason: str) -> None:
        uid = user_id(member.id)
        rooms = [r for r in self._all_rooms(community)
                 if r in self.rooms and self.rooms[r].members.get(uid) in ("join", "invite", "knock")]
        if not rooms:
            raise NotFound(f"kick: {uid} is not in community {community!r}")
        await self._each("kick", rooms, lambda r: ops.kick(self.nio, r, uid, reason=reason))

    async def ban(self, community: str, member: Member, reason: str) -> None:
        uid = user_id(member.id)
        await self._each("ban", self._all_rooms(community),
                         lambda r: ops.ban(self.nio, r, uid, reason=reason))

    async def _set_level(self, community: str, uid: str, level: int | None) -> None:
        async def set_one(room_id: str) -> None:
            await ops.set_power_level(self.nio, room_id, uid, level)
            if room_id in self.rooms:  # do not wait for the sync to see the new role
                self.rooms[room_id].power = dict((await ops.get_power_levels(self.nio, room_id)).content)

        await self._each("set power level", self.community_rooms.get(community, []), set_one)

    async def _newcomer(self, community: str, uid: str, on: bool) -> None:
        records = self.newcomers.setdefault(community, set())
        if (uid in records) != on:
            (records.add if on else records.discard)(uid)
            await self._save("newcomers")

    def _level_now(self, community: str, uid: str) -> int:
        return max((s.level(uid) for s in self._member_rooms(community)), default=0)

    async def grant_role(self, community: str, member: Member, role: Role) -> None:
        uid, pl = user_id(member.id), self.acc.power_levels
        if role == Role.NEWCOMER:
            await self._newcomer(community, uid, True)
            if pl.newcomer != pl.member:
                await self._set_level(community, uid, pl.newcomer)
            return
        await self._newcomer(community, uid, False)
        if role == Role.MEMBER:
            if self._level_now(community, uid) < pl.member:
                await self._set_level(community, uid, pl.member)
            return
        await self._set_level(community, uid, getattr(pl, role.label))

    async def revoke_role(self, community: str, member: Member, role: Role) -> None:
        uid, pl = user_id(member.id), self.acc.power_levels
        if role == Role.NEWCOMER:
            await self._newcomer(community, uid, False)
            if pl.newcomer != pl.member and self._level_now(community, uid) == pl.newcomer:
                await self._set_level(community, uid, pl.member)
        elif role > Role.MEMBER and self._role(community, uid) == role:
            await self._set_level(community, uid, pl.member)

    async def create_group(self, community: str, name: str, members: Sequence[Member], *, topic: str,
                           private: bool = True, expires: datetime | None = None) -> Channel:
        invite = [user_id(m.id) for m in members if user_id(m.id) != self.me]
        space = self.spaces.get(community)
        if space:
            room_id = await self._do("create group room", lambda: ops.create_private_room_in_space(
                self.nio, space, name, topic=topic, invite=invite))
        else:
            room_id = await self._do("create group room", lambda: self._create_room(name, topic, invite))
        self.groups.setdefault(community, {})[name] = room_id
        await self._save("groups")
        return Channel(platform=self.name, id=room_id, name=name)

    async def _create_room(self, name: str, topic: str, invite: list[str]) -> str:
        resp = await self.nio.room_create(name=name, topic=topic, preset=RoomPreset.private_chat,
                                          invite=invite)
        return str(ops.check(resp, "create room").room_id)

    async def invite(self, community: str, channel: Channel, member: Member) -> None:
        await self._do("invite", lambda: ops.invite(self.nio, channel.id, user_id(member.id)))

    async def dissolve_group(self, community: str, channel: Channel, mode: DissolveMode) -> None:
        space = self.spaces.get(community)
        delete = mode == "delete" and self.admin_delete
        result = await self._do("dissolve group room", lambda: ops.dissolve_room(
            self.nio, channel.id, reason="This group has ended.",
            space_ids=[space] if space else None, admin_delete=delete))
        log.info("dissolved group %s (%s): %d members removed%s", channel.name or "", channel.id,
                 len(result.removed_users), ", deleted" if result.admin_delete_status else "")
        for groups in self.groups.values():
            for gname, rid in list(groups.items()):
                if rid == channel.id:
                    del groups[gname]
        await self._save("groups")

    async def pin(self, community: str | None, channel: Channel, message_id: str) -> None:
        await self._do("pin", lambda: ops.pin(self.nio, channel.id, message_id))


@contextlib.asynccontextmanager
async def running(adapter: MatrixAdapter, host: AdapterHost) -> AsyncIterator[MatrixAdapter]:
    """``async with running(adapter, host):`` start and stop (tests, scripts)."""
    await adapter.start(host)
    try:
        yield adapter
    finally:
        await adapter.stop()
