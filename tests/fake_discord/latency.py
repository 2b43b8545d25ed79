"""Closed-loop reply-latency measurement against a connected bot."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .state import Channel, User

if TYPE_CHECKING:
    from .server import FakeDiscord


@dataclass(frozen=True)
class LatencyStats:
    """Reply latencies in seconds: MESSAGE_CREATE injected -> bot's POST received."""

    samples: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p99(self) -> float:
        return percentile(self.samples, 99)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.samples)

    @property
    def max(self) -> float:
        return max(self.samples)

    def summary(self) -> str:
        return (
            f"n={len(self.samples)} median={self.median * 1000:.2f}ms "
            f"p99={self.p99 * 1000:.2f}ms mean={self.mean * 1000:.2f}ms "
            f"max={self.max * 1000:.2f}ms"
        )


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


async def measure_reply_latency(
    fake: FakeDiscord,
    channel: Channel,
    user: User,
    *,
    count: int = 200,
    warmup: int = 10,
    content: str = "ping {i}",
    reply_pattern: str | None = None,
    timeout: float = 5.0,  # noqa: ASYNC109
) -> LatencyStats:
    """Send ``count`` messages one at a time (closed loop) and time each reply.

    Each sample is from just before the fake emits MESSAGE_CREATE (``user`` says
    ``content.format(i=i)`` in ``channel``) to the moment the fake receives the
    bot's next request matching ``reply_pattern`` (default: ``POST`` to
    ``/channels/{channel.id}/messages``). ``warmup`` extra rounds run first and
    are not counted. The bot must reply once per message.
    """
    pattern = reply_pattern or f"/channels/{channel.id}/messages"
    samples: list[float] = []
    for i in range(warmup + count):
        mark = fake.request_mark()
        started = time.perf_counter()
        await fake.user_says(channel, user, content.format(i=i))
        reply = await fake.wait_for_request("POST", pattern, timeout, since=mark)
        if i >= warmup:
            samples.append(reply.at - started)
    return LatencyStats(samples)
