"""What the parts of a started Matrix adapter share.

The nio client and the sync loop, what is known of each room (kept current
from the sync stream), the records Hearth keeps in the adapter's key/value
store (group rooms), and the helpers every part uses: a
homeserver call through :mod:`.boundary`, the same call in several rooms,
warnings logged once, supervised tasks.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from nio import AsyncClient

from hearth.errors import AdapterError
from hearth.events import Event
from hearth.ports import AdapterHost

from . import boundary
from .convert import RoomState
from .sync import Syncer

if TYPE_CHECKING:
    from .adapter import MatrixAdapter

log = logging.getLogger(__name__)
T = TypeVar("T")


class Session:
    """The shared state of a started Matrix adapter."""

    def __init__(self, adapter: MatrixAdapter) -> None:
        self.adapter = adapter
        self.acc = adapter.acc
        self.me = adapter.acc.user_id
        self.communities = adapter.communities
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
        self.admin_delete = False
        self.problems: list[str] = []
        self.warned: set[tuple[str, ...]] = set()
        self.tasks: set[asyncio.Task[Any]] = set()
        self.stopping = False
        self._records = asyncio.Lock()

    @property
    def syncing(self) -> bool:
        """True while this process runs the account's sync (which keeps :attr:`rooms` current);
        False while another process holds it (see :meth:`.Topology.read_state`)."""
        return self.syncer is not None

    @property
    def nio(self) -> AsyncClient:
        if self.client is None:
            raise AdapterError("the matrix adapter is not started")
        return self.client

    async def do(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        """Run an ops call through :func:`.boundary.call`."""
        return await boundary.call(what, call, self.secrets)

    def secrets(self) -> list[str]:
        """The secrets kept out of messages and logs."""
        return boundary.secrets_of(self.acc, self.client)

    async def each(self, what: str, rooms: Sequence[str],
                   call: Callable[[str], Awaitable[Any]]) -> int:
        """Run ``call(room)`` in every room; errors in some rooms are logged, in all raised."""
        done, last = 0, None
        for rid in rooms:
            try:
                await self.do(what, partial(call, rid))
                done += 1
            except AdapterError as exc:
                log.warning("%s in %s failed: %s", what, rid, exc)
                last = exc
        if not done and last is not None:
            raise last
        return done

    def warn_once(self, key: tuple[str, ...], msg: str, *args: Any) -> None:
        if key not in self.warned:
            self.warned.add(key)
            log.warning(msg, *args)

    def spawn(self, coro: Any, name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self.tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self.tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("%s died", t.get_name(), exc_info=t.exception())

        task.add_done_callback(done)

    async def submit(self, event: Event) -> None:
        if self.host is not None and not self.stopping:
            await self.host.submit(event)

    # ------------------------------------------------------------------ persistent records
    async def _kv_json(self, key: str, default: Any) -> Any:
        assert self.host is not None
        raw = await self.host.kv.get(key)
        try:
            return json.loads(raw) if raw else default
        except ValueError:
            return default

    async def load_records(self) -> None:
        """Read the group rooms of every community (another process may have made some)."""
        async with self._records:
            legacy = await self._kv_json("groups", {})  # one record for all, before several processes
            for key in self.communities:
                groups = await self._kv_json(f"groups:{key}", None)
                if groups is None:
                    groups = legacy.get(key, {}) if isinstance(legacy, dict) else {}
                self.groups[key] = dict(groups)

    async def change_groups(self, community: str, change: Callable[[dict[str, str]], None]) -> None:
        """Apply ``change`` to ``community``'s group rooms (name -> room id) and store them
        (a record per community: processes acting for different communities never
        overwrite each other's)."""
        assert self.host is not None
        async with self._records:  # not undone by a reading in between
            change(self.groups.setdefault(community, {}))
            await self.host.kv.set(f"groups:{community}", json.dumps(self.groups[community]))
