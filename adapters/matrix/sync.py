"""The sync loop: long-poll ``/sync`` with a stored token, survive outages with backoff.

The token (``next_batch``) is stored in the adapter's key/value store after each
response has been handed to the core, so a restarted bot neither replays old
history nor loses what was sent while it was down.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from nio import AsyncClient, SyncError, SyncResponse

from hearth.ports import KeyValue

log = logging.getLogger(__name__)

SYNC_FILTER: dict[str, Any] = {
    "room": {"timeline": {"limit": 100}, "state": {"lazy_load_members": False}},
    "presence": {"types": []},
    "account_data": {"types": ["m.direct"]},
}
LONG_POLL_MS = 30_000

Handler = Callable[[SyncResponse, bool], Awaitable[None]]


def backoff_delay(failures: int, *, base: float = 0.5, cap: float = 30.0) -> float:
    """Exponential backoff with jitter: 0.5 s, 1 s, 2 s ... up to ``cap``."""
    delay: float = min(cap, base * 2 ** max(0, failures - 1))
    return delay * random.uniform(0.8, 1.2)


class Syncer:
    """Runs ``/sync`` for one client and hands every response to ``handle``.

    ``handle(response, deliver)``: ``deliver`` is False only for the very first sync
    of an account (no stored token), whose timeline is old history to skip.
    """

    def __init__(
        self,
        client: AsyncClient,
        kv: KeyValue,
        handle: Handler,
        *,
        on_reconnect: Callable[[], Awaitable[None]] | None = None,
        relogin: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        self.client = client
        self.kv = kv
        self.handle = handle
        self.on_reconnect = on_reconnect
        self.relogin = relogin
        self.token: str | None = None
        self.syncs = 0
        self._key = f"sync_token:{client.user_id}"

    @property
    def had_token(self) -> bool:
        return self.token is not None

    async def first(self, *, deadline: float) -> None:
        """The start-up sync (full state; catches up from the stored token)."""
        self.token = await self.kv.get(self._key) or None
        deliver = self.token is not None
        failures = 0
        while True:
            resp = await self._sync_once(timeout_ms=0, full_state=True)
            if isinstance(resp, SyncResponse):
                break
            failures += 1
            if time.monotonic() > deadline:
                raise ConnectionError(f"no answer from the homeserver ({resp})")
            await asyncio.sleep(backoff_delay(failures))
        await self._deliver(resp, deliver)

    async def run(self) -> None:
        """Sync forever; outages are retried with backoff and logged once each."""
        failures = 0
        down_since: float | None = None
        while True:
            resp = await self._sync_once(timeout_ms=LONG_POLL_MS)
            if isinstance(resp, SyncResponse):
                if down_since is not None:
                    log.info("homeserver reachable again after %.1f s; resuming from the stored token",
                             time.monotonic() - down_since)
                    down_since = None
                    if self.on_reconnect is not None:
                        await self.on_reconnect()
                failures = 0
                await self._deliver(resp, True)
                continue
            failures += 1
            if down_since is None:
                down_since = time.monotonic()
                log.warning("sync failed (%s); retrying with backoff", resp)
            await asyncio.sleep(resp if isinstance(resp, float) else backoff_delay(failures))

    async def _deliver(self, resp: SyncResponse, deliver: bool) -> None:
        await self.handle(resp, deliver)
        self.token = resp.next_batch
        self.syncs += 1
        await self.kv.set(self._key, resp.next_batch)

    async def _sync_once(self, *, timeout_ms: int, full_state: bool = False) -> SyncResponse | float | str:
        """A sync response, or a float (seconds to wait: rate limited) or a short reason."""
        try:
            resp = await self.client.sync(
                timeout=timeout_ms, sync_filter=SYNC_FILTER, since=self.token, full_state=full_state
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # connection refused/reset, timeouts, bad gateway bodies
            return f"{type(exc).__name__}"
        if isinstance(resp, SyncResponse):
            return resp
        if isinstance(resp, SyncError):
            if resp.status_code == "M_LIMIT_EXCEEDED":
                return (resp.retry_after_ms or 1000) / 1000
            if resp.status_code == "M_UNKNOWN_TOKEN":
                if self.relogin is not None and await self.relogin():
                    return 0.0
                log.error("the homeserver rejected the bot's access token (M_UNKNOWN_TOKEN); "
                          "give a valid accounts.matrix.access_token or a password")
                return 30.0
            return f"{resp.status_code}: {resp.message}"
        return type(resp).__name__
