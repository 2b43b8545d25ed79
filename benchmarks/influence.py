"""Influence scores for a large community: reading the graph, then scoring; time and memory.

``--members`` members (10,000 by default) and ``--interactions`` interactions
(1,000,000) over ``--days`` days (30): each interaction's target is drawn with
a heavy-tailed popularity (a few people are answered by many, as in a real
group), its source, day and kind (reply, mention, reaction) uniformly. The
interactions are written to the activity ledger's table (one row per pair
and day, as the ledger keeps them) in a fresh SQLite file (or ``--storage``,
a PostgreSQL URL), then read back as ``ctx.interactions`` does
(``Ledger.graph``: weighted by kind, decayed with a half-life of 14 days,
summed per pair in SQL) and scored with
:func:`hearth.plugins.leaders.influence.influence`.

Reported for each stage, reading and scoring: its wall time, and the memory
it allocated at its peak (tracemalloc, numpy's arrays included; measured in a
second run, since tracemalloc slows the timing), beside the process's peak RSS.

    python benchmarks/influence.py [--members 10000] [--interactions 1000000] [--days 30]
                                   [--storage postgresql://…]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from hearth.clock import VirtualClock
from hearth.people.activity import DAY_MS, Ledger
from hearth.people.directory import Directory
from hearth.people.schema import MIGRATIONS as PEOPLE_MIGRATIONS
from hearth.people.schema import NAMESPACE as PEOPLE
from hearth.plugins.leaders.influence import influence, top
from hearth.storage import CORE_MIGRATIONS, Database, Store

T = TypeVar("T")
NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
COMMUNITY = "bench"


def rows(members: int, interactions: int, days: int, seed: int = 1) -> list[tuple[Any, ...]]:
    """The ledger's rows: (community, platform, source, target, day, replies, mentions, reactions)."""
    rng = random.Random(seed)
    popularity = [rng.paretovariate(1.2) for _ in range(members)]
    today = int(NOW.timestamp() * 1000) // DAY_MS * DAY_MS
    counts: dict[tuple[int, int, int], list[int]] = {}
    for target in rng.choices(range(members), weights=popularity, k=interactions):
        source, age, kind = rng.randrange(members), rng.randrange(days), rng.randrange(3)
        if source == target:
            continue
        counts.setdefault((source, target, today - age * DAY_MS), [0, 0, 0])[kind] += 1
    return [(COMMUNITY, "discord", str(s), str(t), day, *c) for (s, t, day), c in counts.items()]


async def stage(name: str, run: Callable[[], Awaitable[T]]) -> T:
    """Run ``run`` twice: timed, then under tracemalloc for the memory it allocates at its
    peak (tracemalloc slows allocation-heavy code several times, so it is off while timed)."""
    started = time.perf_counter()
    await run()
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    result = await run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{name}: {elapsed:.2f} s, {peak / 2**20:.0f} MiB allocated at peak")
    return result


async def main(members: int, interactions: int, days: int, storage: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = storage or f"sqlite:///{Path(tmp) / 'bench.db'}"
        db = await Database.open(url)
        try:
            await db.migrate(Store(db, "hearth"), CORE_MIGRATIONS)
            await db.migrate(Store(db, PEOPLE), PEOPLE_MIGRATIONS)
            data = rows(members, interactions, days)
            await db.executemany(
                "INSERT INTO hearth_interactions (community, platform, source_id, target_id, day_ms,"
                " replies, mentions, reactions) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", data)
            print(f"{members} members, {interactions} interactions over {days} days:"
                  f" {len(data)} rows (pair and day) in {url.split(':')[0]}")
            del data
            clock = VirtualClock(NOW)
            ledger = Ledger(clock, Directory(clock), lambda _community: UTC, timedelta(days=90))
            ledger.db = db
            import numpy  # noqa: F401  (imported before timing: it is loaded once per process)

            since = NOW - timedelta(days=days)
            graph = await stage("reading the graph", lambda: ledger.graph(COMMUNITY, since))
            print(f"  {len(graph.edges)} pairs")

            async def score() -> dict[str, Any]:
                return influence(graph.edges, lambda account: account[1])

            scores = await stage("scoring", score)
        finally:
            await db.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS {rss:.0f} MiB (with the generated rows)")
    print("top 3:", ", ".join(f"{s.person} {s.score:.1f} ({s.distinct} people)" for s in top(scores, 3)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--storage", default=None, help="a PostgreSQL URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    asyncio.run(main(args.members, args.interactions, args.days, args.storage))
