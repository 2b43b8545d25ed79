"""Events received by a process that does not act for their community, on one PostgreSQL.

Two Hearth processes (two apps in one Python process, each with its own
connections): the standby receives every event and stores it for the owner
(``hearth_inbox``), which takes it when notified, handles it and deletes it.
Prints how fast the standby stores events (it counts them handled then, and may
save its network position), how fast the owner handles them end to end, and
checks that each was handled once, in order.

    python benchmarks/routing.py [--events 5000] [--postgresql URL]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import postgres  # the tests' throwaway PostgreSQL

from hearth import PluginConfig, hookimpl
from hearth.adapters.testing import TestBot

CONFIG = """
communities:
  tea:
    timezone: Europe/Berlin
    channels: {general: {}}
    plugins: {counter: {}}
"""


class Counter:
    """Records the texts handled; wakes the benchmark when all are in."""

    def __init__(self, expected: int) -> None:
        self.texts: list[str] = []
        self.expected = expected
        self.all_in = asyncio.Event()

    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl
    async def on_message(self, ctx: Any, message: Any) -> None:
        self.texts.append(message.text)
        if len(self.texts) >= self.expected:
            self.all_in.set()


async def main(events: int, server: str) -> dict[str, float]:
    async with postgres.fresh_schema(server) as url:
        counter = Counter(events)
        owner = await TestBot.create(CONFIG, extra_plugins={"counter": counter},
                                     members=[{"id": "ann"}], storage=url)
        standby = await TestBot.create(CONFIG, extra_plugins={"counter": Counter(0)},
                                       members=[{"id": "ann"}], storage=url)
        try:
            assert owner.app is not None and standby.app is not None
            assert standby.app.leases.owned() == frozenset()
            texts = [f"message {n}" for n in range(events)]
            t0 = time.perf_counter()
            for n, text in enumerate(texts):
                await standby.adapter.inject_message("tea", "ann", "general", text, f"m{n}")
            await standby.settle()  # every event stored
            stored = time.perf_counter() - t0
            await asyncio.wait_for(counter.all_in.wait(), 600)
            await owner.settle()
            handled = time.perf_counter() - t0
            left = await owner.app.db.fetchval("SELECT COUNT(*) FROM hearth_inbox")
            if counter.texts != texts or left:
                raise SystemExit(f"FAILED: {len(counter.texts)} handled of {events}, "
                                 f"in order: {counter.texts == texts[:len(counter.texts)]}, "
                                 f"{left} rows left")
        finally:
            await standby.close()
            await owner.close()
    return {"stored_per_second": events / stored, "handled_per_second": events / handled}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5_000)
    parser.add_argument("--postgresql", metavar="URL",
                        help="a PostgreSQL server to use (default: start one from pgserver)")
    a = parser.parse_args()
    with nullcontext(a.postgresql) if a.postgresql else postgres.server() as server:
        r = asyncio.run(main(a.events, server))
    print(f"events                 {a.events}, received by the standby, one community")
    print(f"stored by the receiver {r['stored_per_second']:,.0f} events/s")
    print(f"handled by the owner   {r['handled_per_second']:,.0f} events/s (end to end)")
    print("each handled once, in order: yes")
