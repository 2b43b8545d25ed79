"""Round-trip latency of a plain matrix-nio client on a local Synapse (the baseline).

User A sends a message, user B (running ``sync_forever``) sees it: the time between
the send call and B's event callback, over ~100 messages. Hearth's bot latency is
measured with the same pieces and reported next to this number::

    python benchmarks/matrix_bare_latency.py                 # starts its own Synapse
    python benchmarks/matrix_bare_latency.py --url http://127.0.0.1:8008 --secret S
    python benchmarks/matrix_bare_latency.py -n 200 --json

Reusable parts: :class:`LatencyStats`, :class:`EventWaiter` (await an event seen by a
syncing client), :func:`measure_round_trips` (time any ``trip(i)`` coroutine),
:func:`syncing` (run ``sync_forever`` in the background) and :func:`bare_nio_latency`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from nio import AsyncClient, AsyncClientConfig, ErrorResponse, MatrixRoom, RoomPreset
from nio.events import Event

HARNESS_DIR = Path(__file__).resolve().parents[1] / "tests" / "integration" / "matrix"


@dataclass(frozen=True, slots=True)
class LatencyStats:
    """Summary of latency samples in milliseconds."""

    n: int
    median_ms: float
    p99_ms: float
    mean_ms: float
    min_ms: float
    max_ms: float

    @classmethod
    def from_samples(cls, samples_ms: list[float]) -> LatencyStats:
        """Summarise ``samples_ms`` (at least two samples)."""
        ordered = sorted(samples_ms)
        p99 = statistics.quantiles(ordered, n=100, method="inclusive")[98]
        return cls(
            n=len(ordered),
            median_ms=round(statistics.median(ordered), 2),
            p99_ms=round(p99, 2),
            mean_ms=round(statistics.fmean(ordered), 2),
            min_ms=round(ordered[0], 2),
            max_ms=round(ordered[-1], 2),
        )

    def line(self, label: str) -> str:
        """One human-readable line, e.g. for a side-by-side report."""
        return (
            f"{label}: median {self.median_ms:.1f} ms, p99 {self.p99_ms:.1f} ms "
            f"(n={self.n}, min {self.min_ms:.1f}, max {self.max_ms:.1f})"
        )

    def as_dict(self) -> dict[str, float | int]:
        """Plain dict for JSON output."""
        return asdict(self)


EventPredicate = Callable[[MatrixRoom, Event], bool]


class EventWaiter:
    """Lets code await an event that a syncing nio client receives.

    Call :meth:`expect` *before* triggering the event (no race with a fast sync),
    then await the returned future; it resolves to ``(event, perf_counter at arrival)``.
    """

    def __init__(self, client: AsyncClient) -> None:
        self._pending: list[tuple[EventPredicate, asyncio.Future[tuple[Event, float]]]] = []
        client.add_event_callback(self._on_event, Event)

    async def _on_event(self, room: MatrixRoom, event: Event) -> None:
        now = time.perf_counter()
        for pred, fut in list(self._pending):
            if not fut.done() and pred(room, event):
                fut.set_result((event, now))
                self._pending.remove((pred, fut))

    def expect(self, pred: EventPredicate) -> asyncio.Future[tuple[Event, float]]:
        """A future for the first future event matching ``pred``."""
        fut: asyncio.Future[tuple[Event, float]] = asyncio.get_running_loop().create_future()
        self._pending.append((pred, fut))
        return fut


@contextlib.asynccontextmanager
async def syncing(client: AsyncClient, timeout_ms: int = 30000) -> AsyncIterator[None]:
    """Run ``client.sync_forever`` in a named background task for the ``with`` body.

    Does one initial ``sync`` first so callbacks only see new events.
    """
    first = await client.sync(timeout=0)
    if isinstance(first, ErrorResponse):
        raise RuntimeError(f"initial sync failed: {first}")
    task = asyncio.create_task(client.sync_forever(timeout=timeout_ms), name=f"sync:{client.user_id}")
    try:
        yield
    finally:
        task.cancel()  # stop_sync_forever() alone waits for the pending long-poll
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def measure_round_trips(
    trip: Callable[[int], Awaitable[float | None]],
    n: int = 100,
    warmup: int = 5,
) -> LatencyStats:
    """Run ``trip(i)`` ``warmup + n`` times sequentially; summarise the last ``n``.

    ``trip`` returns its own latency in ms, or ``None`` to be timed from call to return.
    """
    samples: list[float] = []
    for i in range(warmup + n):
        t0 = time.perf_counter()
        measured = await trip(i)
        elapsed = (time.perf_counter() - t0) * 1000 if measured is None else measured
        if i >= warmup:
            samples.append(elapsed)
    return LatencyStats.from_samples(samples)


async def message_trip(
    sender: AsyncClient,
    waiter: EventWaiter,
    room_id: str,
    body: str,
    wait_seconds: float = 10.0,
    reply_pred: EventPredicate | None = None,
) -> float:
    """Send ``body`` from ``sender``; ms until ``waiter``'s client sees the matching event.

    By default the match is the sent message itself; pass ``reply_pred`` to wait for
    something else instead (e.g. a bot's answer).
    """
    expected_body = body

    def same_message(room: MatrixRoom, event: Event) -> bool:
        return room.room_id == room_id and getattr(event, "body", None) == expected_body

    fut = waiter.expect(reply_pred or same_message)
    t0 = time.perf_counter()
    resp = await sender.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": body})
    if isinstance(resp, ErrorResponse):
        fut.cancel()
        raise RuntimeError(f"send failed: {resp}")
    _, arrived = await asyncio.wait_for(fut, wait_seconds)
    return (arrived - t0) * 1000


def _harness() -> Any:
    if str(HARNESS_DIR) not in sys.path:
        sys.path.insert(0, str(HARNESS_DIR))
    import synapse_harness

    return synapse_harness


async def _login(url: str, secret: str, name: str) -> AsyncClient:
    reg = await asyncio.to_thread(_harness().register_user, url, secret, name, "pw")
    client = AsyncClient(url, reg["user_id"], config=AsyncClientConfig(max_limit_exceeded=0))
    client.restore_login(reg["user_id"], reg["device_id"], reg["access_token"])
    return client


async def bare_nio_latency(url: str, secret: str, n: int = 100, warmup: int = 5) -> LatencyStats:
    """Register two fresh users on the Synapse at ``url``; A sends, syncing B receives."""
    tag = f"{int(time.time() * 1000) % 10**9}"
    alice = await _login(url, secret, f"lat_a_{tag}")
    bob = await _login(url, secret, f"lat_b_{tag}")
    try:
        created = await alice.room_create(preset=RoomPreset.private_chat, invite=[bob.user_id])
        if isinstance(created, ErrorResponse):
            raise RuntimeError(f"room create failed: {created}")
        joined = await bob.join(created.room_id)
        if isinstance(joined, ErrorResponse):
            raise RuntimeError(f"join failed: {joined}")
        waiter = EventWaiter(bob)
        async with syncing(bob):

            async def trip(i: int) -> float:
                return await message_trip(alice, waiter, created.room_id, f"ping {i} {tag}")

            return await measure_round_trips(trip, n=n, warmup=warmup)
    finally:
        await alice.close()
        await bob.close()


def synapse_for(
    args: argparse.Namespace, stack: contextlib.ExitStack, info: dict[str, Any]
) -> tuple[str, str]:
    """(url, secret) of the Synapse given by ``--url``/``--secret``, or of one started in ``stack``."""
    if args.url:
        return args.url, args.secret or _harness().DEFAULT_SECRET
    hs = stack.enter_context(_harness().running_synapse())
    info["synapse_start_s"] = round(hs.start_seconds, 2)
    return hs.url, hs.secret


def main(argv: list[str] | None = None) -> None:
    """CLI: print median/p99 of the bare nio round trip."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="existing Synapse (default: start one)")
    parser.add_argument("--secret", help="its registration_shared_secret")
    parser.add_argument("-n", type=int, default=100, help="measured messages (default 100)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)

    info: dict[str, Any] = {}
    with contextlib.ExitStack() as stack:
        url, secret = synapse_for(args, stack, info)
        stats = asyncio.run(bare_nio_latency(url, secret, n=args.n))
    if args.json:
        print(json.dumps({"bare_nio": stats.as_dict(), **info}, indent=1))
    else:
        if info:
            print(f"synapse started in {info['synapse_start_s']} s")
        print(stats.line("bare nio A->B round trip"))


if __name__ == "__main__":
    main()
