"""The sync loop: long-poll ``/sync`` with a stored position, survive outages with backoff.

Each response is handed to the adapter, which submits its events to the core and
reports each event it has processed (:meth:`Syncer.processed`); the loop goes on
syncing meanwhile. The *position* is stored only once the core has handled the
events before it (``handled()``), by checkpoints taken at the end of every response
and every ``CHECKPOINT_EVERY`` events inside a long one (catching up): the sync token
(``next_batch``) of the last response whose events are all handled, and for each room
the last handled event after it. A crash therefore never moves the stored position
past an event that was received but not handled, and the receiver never waits for
the handlers. After a restart, the sync from the stored token brings those events
again; the ones up to each room's last handled event are not handed over a second
time (:meth:`Syncer.already_handled`). A clean stop waits until everything received
is handled and stores the position (:meth:`Syncer.flush`).

Transient failures (homeserver down, a response the adapter could not process, a
storage error while saving the token) are logged and retried with backoff; the
same token is synced again, and events already submitted are dropped by the core's
de-duplication. What cannot be retried (the homeserver rejects the bot's token and
it cannot log in again; failures that persist) raises :class:`SyncFailed`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from nio import AsyncClient, SyncError, SyncResponse

from hearth.errors import ConnectionLost
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
#: inside a long response (catching up), a checkpoint after this many events
CHECKPOINT_EVERY = 100

Handler = Callable[[SyncResponse, bool], Awaitable[None]]


class SyncFailed(ConnectionLost):
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
        # processed events (room, event id) after the stored position; _base is the absolute
        # index of _log[0]; _ends: (absolute end, next_batch) of responses not stored yet
        self._log: list[tuple[str, str]] = []
        self._base = 0
        self._ends: list[tuple[int, str]] = []
        self._saved_at = 0
        self._since_checkpoint = 0
        self._replay: dict[str, str] = {}  # room -> last event handled before a crash
        self._checkpoints: set[asyncio.Task[None]] = set()
        self._save_lock = asyncio.Lock()
        self._save_failures = 0
        self._fatal: SyncFailed | None = None

    @property
    def had_token(self) -> bool:
        return self.token is not None

    async def first(self, *, deadline: float) -> None:
        """The start-up sync (full state; catches up from the stored token).

        Gives up with :class:`SyncFailed` at ``deadline`` (``time.monotonic()``).
        """
        await self._load()
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
                    self._replay.clear()
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

    def already_handled(self, room_id: str, events: list[dict[str, Any]]) -> int:
        """How many of ``events`` (a room's events after the stored token, oldest first) were
        handled before the bot stopped without storing its position."""
        last = self._replay.get(room_id)
        if last is None:
            return 0
        ids = [ev.get("event_id") for ev in events]
        return ids.index(last) + 1 if last in ids else 0

    async def processed(self, room_id: str, event_id: str) -> None:
        """The adapter is done with an event (submitted to the core, or nothing to submit)."""
        self._log.append((room_id, event_id))
        self._since_checkpoint += 1
        if self._since_checkpoint >= CHECKPOINT_EVERY:
            self._checkpoint()
            await asyncio.sleep(0)  # the checkpoint takes its mark now, not after the whole batch

    async def run(self) -> None:
        """Sync forever; raises :class:`SyncFailed` when it cannot go on."""
        failures = 0
        down_since: float | None = None
        while True:
            if self._fatal is not None:
                raise self._fatal
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

    async def flush(self) -> None:
        """Store the position once everything received is handled (a clean stop)."""
        for task in list(self._checkpoints):
            task.cancel()
        await asyncio.gather(*self._checkpoints, return_exceptions=True)
        await self.handled()
        await self._save(self._base + len(self._log))

    def abandon(self) -> None:
        """Store nothing more (another process syncs now, from the position stored last)."""
        for task in list(self._checkpoints):
            task.cancel()

    async def _deliver(self, resp: SyncResponse, deliver: bool) -> None:
        await self.handle(resp, deliver)
        self.token = resp.next_batch
        self.syncs += 1
        self._ends.append((self._base + len(self._log), resp.next_batch))
        self._checkpoint()

    def _checkpoint(self) -> None:
        """Store the position reached so far once the core has handled everything before it."""
        self._since_checkpoint = 0
        task = asyncio.create_task(self._store_when_handled(self._base + len(self._log)))
        self._checkpoints.add(task)
        task.add_done_callback(self._checkpoints.discard)

    async def _store_when_handled(self, position: int) -> None:
        await self.handled()  # everything submitted before this call, so up to ``position``
        while True:
            try:
                await self._save(position)
            except Exception as exc:
                self._save_failures += 1
                if self._save_failures >= MAX_FAILURES:
                    self._fatal = SyncFailed(f"cannot store the sync position: {exc}")
                    return
                log.warning("matrix: storing the sync position failed (%s); retrying", exc)
                await asyncio.sleep(backoff_delay(self._save_failures))
                continue
            self._save_failures = 0
            return

    async def _save(self, position: int) -> None:
        """Store the position after the first ``position`` processed events (an absolute index):
        the token of the last response wholly before it, and each room's last event after that."""
        async with self._save_lock:
            if position <= self._saved_at:
                return  # a later checkpoint was stored already
            ends = [(end, token) for end, token in self._ends if end <= position]
            end, token = ends[-1] if ends else (self._base, self.saved)
            if token is None:
                return  # before the very first response: nothing to resume from yet
            through = dict(self._log[end - self._base:position - self._base])
            await self.kv.set(self._key, json.dumps({"token": token, "through": through}))
            self._saved_at, self.saved = position, token
            self._ends = [e for e in self._ends if e[0] > end]
            del self._log[:end - self._base]
            self._base = end

    async def _load(self) -> None:
        raw = await self.kv.get(self._key) or None
        record: Any = raw
        if raw and raw.startswith("{"):
            try:
                record = json.loads(raw)
            except ValueError:
                record = None
        if isinstance(record, dict):
            token, through = record.get("token"), record.get("through") or {}
            self._replay = {str(k): str(v) for k, v in through.items()} if isinstance(through, dict) else {}
        else:
            token = record
        self.token = self.saved = token if isinstance(token, str) and token else None

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

