"""The sync loop: long-poll ``/sync`` with a stored token, survive outages with backoff.

Each response is handed to the adapter (which submits its events to the core) and
the loop goes on syncing. The token (``next_batch``) of a response is stored only
once the core has *handled* every event submitted so far (``handled``), by a
checkpoint task beside the loop: a crash never moves the stored position past an
event that was received but not handled, and the receiver never waits for the
handlers. After a crash the events of the batches not yet checkpointed come again;
a clean stop waits for them to be handled and stores the last token (:meth:`flush`).

Transient failures (homeserver down, a response the adapter could not process, a
storage error while saving the token) are logged and retried with backoff; the
same token is synced again, and events already submitted are dropped by the core's
de-duplication. What cannot be retried (the homeserver rejects the bot's token and
it cannot log in again; failures that persist) raises :class:`SyncFailed`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from nio import AsyncClient, SyncError, SyncResponse

from hearth.errors import AdapterError
from hearth.ports import KeyValue

log = logging.getLogger(__name__)

SYNC_FILTER: dict[str, Any] = {
    "room": {"timeline": {"limit": 100}, "state": {"lazy_load_members": False}},
    "presence": {"types": []},
    "account_data": {"types": ["m.direct"]},
}
LONG_POLL_MS = 30_000
#: consecutive failures to process responses or save the token before giving up (~15 min)
MAX_FAILURES = 35

Handler = Callable[[SyncResponse, bool], Awaitable[None]]


class SyncFailed(AdapterError):
    """The sync loop cannot go on: the bot would be deaf, so the process must stop."""


def backoff_delay(failures: int, *, base: float = 0.5, cap: float = 30.0) -> float:
    """Exponential backoff with jitter: 0.5 s, 1 s, 2 s ... up to ``cap``."""
    delay: float = min(cap, base * 2 ** max(0, failures - 1))
    return delay * random.uniform(0.8, 1.2)


class Syncer:
    """Runs ``/sync`` for one client and hands every response to ``handle``.

    ``handle(response, deliver)``: ``deliver`` is False only for the very first sync
    of an account (no stored token), whose timeline is old history to skip.
    ``handled()`` returns once the core has handled every event submitted so far.
    """

    def __init__(
        self,
        client: AsyncClient,
        kv: KeyValue,
        handle: Handler,
        *,
        handled: Callable[[], Awaitable[None]],
        on_reconnect: Callable[[], Awaitable[None]] | None = None,
        relogin: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        self.client = client
        self.kv = kv
        self.handle = handle
        self.handled = handled
        self.on_reconnect = on_reconnect
        self.relogin = relogin
        self.token: str | None = None  # where the next sync starts (handed over, maybe not handled)
        self.saved: str | None = None  # the stored token: everything before it was handled
        self.syncs = 0
        self._key = f"sync_token:{client.user_id}"
        self._submitted = asyncio.Event()

    @property
    def had_token(self) -> bool:
        return self.token is not None

    async def first(self, *, deadline: float) -> None:
        """The start-up sync (full state; catches up from the stored token).

        Gives up with :class:`SyncFailed` at ``deadline`` (``time.monotonic()``).
        """
        self.token = self.saved = await self.kv.get(self._key) or None
        deliver = self.token is not None
        failures = 0
        problem = "no answer"
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise SyncFailed(f"the first sync failed ({failures} attempts; last: {problem})")
            try:
                resp = await asyncio.wait_for(self._sync_once(timeout_ms=0, full_state=True), left)
                if isinstance(resp, SyncResponse):
                    await self._deliver(resp, deliver)
                    return
                problem = str(resp)
            except TimeoutError:
                problem = "timed out"
            except SyncFailed:
                raise
            except Exception as exc:  # catching up failed half-way: again (the core drops repeats)
                problem = f"{type(exc).__name__}: {exc}"
                log.warning("matrix: processing the first sync failed (%s); retrying", problem)
            failures += 1
            await asyncio.sleep(min(backoff_delay(failures), max(0.0, deadline - time.monotonic())))

    async def run(self) -> None:
        """Sync and checkpoint forever; raises :class:`SyncFailed` when it cannot go on."""
        checkpoints = asyncio.create_task(self._checkpoints(), name="matrix-sync-checkpoint")
        receiver = asyncio.create_task(self._receive(), name="matrix-sync-receive")
        try:
            done, _ = await asyncio.wait((checkpoints, receiver), return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # re-raise the failure (neither returns otherwise)
        finally:
            for task in (checkpoints, receiver):
                task.cancel()
            await asyncio.gather(checkpoints, receiver, return_exceptions=True)

    async def flush(self) -> None:
        """Store the token of the last response once its events are handled (clean stop)."""
        token = self.token
        if token is not None and token != self.saved:
            await self.handled()
            await self._save(token)

    async def _receive(self) -> None:
        failures = 0
        down_since: float | None = None
        while True:
            resp = await self._sync_once(timeout_ms=LONG_POLL_MS)
            if isinstance(resp, SyncResponse):
                if down_since is not None:
                    log.info("homeserver reachable again after %.1f s; resuming from the last token",
                             time.monotonic() - down_since)
                    down_since = None
                    if self.on_reconnect is not None:
                        await self.on_reconnect()
                try:
                    await self._deliver(resp, True)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    failures += 1
                    if failures >= MAX_FAILURES:
                        raise SyncFailed(f"processing sync responses keeps failing: {exc}") from exc
                    log.warning("matrix: processing a sync response failed (%s: %s); syncing again "
                                "from the same token", type(exc).__name__, exc,
                                exc_info=failures == 1)
                    await asyncio.sleep(backoff_delay(failures))
                    continue
                failures = 0
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
        self._submitted.set()

    async def _checkpoints(self) -> None:
        """Store the newest token whose events are all handled, as handling catches up."""
        failures = 0
        while True:
            if self.token == self.saved:
                self._submitted.clear()
                await self._submitted.wait()
            token = self.token  # its events were all submitted before handled() is called
            await self.handled()
            try:
                await self._save(token)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                if failures >= MAX_FAILURES:
                    raise SyncFailed(f"cannot store the sync position: {exc}") from exc
                log.warning("matrix: storing the sync position failed (%s); retrying", exc)
                await asyncio.sleep(backoff_delay(failures))
                continue
            failures = 0

    async def _save(self, token: str | None) -> None:
        if token is not None and token != self.saved:
            await self.kv.set(self._key, token)
            self.saved = token

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
                raise SyncFailed("the homeserver rejected the bot's access token (M_UNKNOWN_TOKEN) and "
                                 "it cannot log in again; give a valid accounts.matrix.access_token "
                                 "or a password")
            return f"{resp.status_code}: {resp.message}"
        return type(resp).__name__

