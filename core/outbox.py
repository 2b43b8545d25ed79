"""Outbound actions, rate-limited per channel.

Each adapter may declare ``send_rate = (count, per_seconds)``. Sends to one
channel pass through a token bucket: bursts up to ``count`` go straight
through, then callers wait their turn in order. A flood cannot grow memory
without bound: past ``max_waiting`` queued sends in one channel, new ones are
dropped and logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from hearth.errors import RateLimited

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(slots=True)
class _Bucket:
    tokens: float
    stamp: float
    waiting: int = 0
    lock: asyncio.Lock | None = None


class Outbox:
    """Per-channel token buckets in front of an adapter's sends."""

    def __init__(self, rate: tuple[int, float] | None, *, max_waiting: int = 200) -> None:
        self._rate = rate
        self._max_waiting = max_waiting
        self._buckets: dict[tuple[str, str], _Bucket] = {}

    async def send(self, channel: tuple[str, str], action: Callable[[], Awaitable[T]]) -> T | None:
        """Run ``action`` when ``channel``'s bucket allows; None if it was dropped."""
        if self._rate is None:
            return await action()
        count, per = self._rate
        loop = asyncio.get_running_loop()
        bucket = self._buckets.get(channel)
        if bucket is None:
            if len(self._buckets) > 10_000:  # forget idle channels
                self._buckets = {k: b for k, b in self._buckets.items() if b.waiting}
            bucket = self._buckets[channel] = _Bucket(float(count), loop.time(), lock=asyncio.Lock())
        if bucket.waiting >= self._max_waiting:
            log.warning("dropping a message to %s: %d already waiting", channel[1], bucket.waiting)
            return None
        bucket.waiting += 1
        try:
            assert bucket.lock is not None
            async with bucket.lock:
                while True:
                    now = loop.time()
                    bucket.tokens = min(count, bucket.tokens + (now - bucket.stamp) * count / per)
                    bucket.stamp = now
                    if bucket.tokens >= 1:
                        bucket.tokens -= 1
                        break
                    await asyncio.sleep((1 - bucket.tokens) * per / count)
                for _attempt in range(3):
                    try:
                        return await action()
                    except RateLimited as exc:
                        log.info("rate limited in %s; waiting %.2fs", channel[1], exc.retry_after)
                        await asyncio.sleep(exc.retry_after)
                return await action()
        finally:
            bucket.waiting -= 1
