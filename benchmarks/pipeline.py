"""The whole core under a realistic mix, with every built-in plugin, on SQLite or PostgreSQL.

Many communities (each a copy of the bundled example community, every built-in
plugin enabled), many members; mostly ordinary chat, some ads, commands and
joins (see ``MIX``; ``--by-kind`` measures each kind alone too). Prints
events/second (open loop), p50/p99 handling latency of single events (closed
loop: one event in, wait until it is handled) and RSS at the end, with the activity
ledger (and the member directory it keeps up to date) on and off, in one run:
the ledger's cost is the difference.

``--dashboard`` measures with the ledger on, without and with the web dashboard
open: an admin's browser loading the overview, the community page and its four
charts every ``--dashboard-every`` seconds (0: back to back, the worst case)
while the events flow; the dashboard's cost is the difference. Its first load
(matplotlib imported, the charts drawn; kept five minutes) comes before the
measurement and is printed apart.

``--journal`` measures with the ledger on, without and with the outbound journal
(:mod:`hearth.journal`: actions' idempotency keys and, with PostgreSQL, their
rows); without it is the outbound flow as it was, in memory only.

``--backend postgresql`` (or both: ``--backend sqlite --backend postgresql``)
runs on PostgreSQL: the server at ``--postgresql URL``, or one started from
the ``pgserver`` package (the test suite's), a fresh schema for each run.

    python benchmarks/pipeline.py [--events 20000] [--communities 20] [--rounds 3]
        [--backend sqlite|postgresql ...] [--postgresql URL] [--dashboard [--dashboard-every S]]
        [--journal]
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import gc
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, nullcontext
from pathlib import Path
from typing import Any

import yaml

from hearth import Role
from hearth.adapters.testing import TestBot
from hearth.bootstrap import load
from hearth.journal import Journal

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import postgres

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "community.yaml"
CHAT = [
    "good morning everyone", "has anyone tried the new oolong from the market?",
    "I brewed a pu-erh at 95 degrees, a bit bitter", "what temperature for green tea?",
    "lovely photo of your tea set", "see you at the tasting on saturday",
    "the gaiwan technique takes practice", "thanks, that helped a lot",
    "I read about it on example.org yesterday", "haha same here", "where do you buy your cups?",
]
ADS = [
    "Best prices on tea sets!!! visit http://cheap-tea-deals.biz now",
    "join my server discord.gg/teaparty for giveaways",
    "add me on WeChat: teaseller88 for wholesale",
    "call +44 20 7946 0958 for discounts",
]
COMMANDS = ["!help", "!rules", "!ads", "!flash list"]


def rss_mb() -> float:
    """Resident memory now (runs share one process, so its peak would say little)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize() / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_config(communities: int, web: bool = False) -> str:
    data = yaml.safe_load(EXAMPLE.read_text())
    data.pop("accounts", None)
    if web:
        data["web"] = {}
    template = data["communities"].pop("tea-house")
    for i in range(communities):
        data["communities"][f"c{i}"] = copy.deepcopy(template)
    return yaml.safe_dump(data, allow_unicode=True)


MIX = {"join": 0.01, "ad": 0.03, "command": 0.03, "chat": 0.93}
"""Share of each kind of event: ordinary chat dominates real traffic."""


def workload(n: int, communities: int, members: int, seed: int = 7,
             mix: dict[str, float] = MIX) -> list[tuple[str, ...]]:
    rng = random.Random(seed)
    kinds, weights = list(mix), list(mix.values())
    events: list[tuple[str, ...]] = []
    joined = 0
    for kind in rng.choices(kinds, weights=weights, k=n):
        c = f"c{rng.randrange(communities)}"
        member = f"u{rng.randrange(members)}"
        if kind == "join":
            joined += 1
            events.append(("join", c, f"new{joined}"))
        elif kind == "ad":
            events.append(("say", c, member, "general", rng.choice(ADS)))
        elif kind == "command":
            events.append(("say", c, member, "general", rng.choice(COMMANDS)))
        else:
            channel = rng.choices(["general", "intro", "ads"], weights=[80, 10, 10])[0]
            events.append(("say", c, member, channel, rng.choice(CHAT)))
    return events


async def inject(bot: TestBot, event: tuple[str, ...], n: int) -> None:
    adapter = bot.adapter
    if event[0] == "join":
        await adapter.inject_join(event[1], f"{event[2]}-{n}", event[2].title())
    else:
        await adapter.inject_message(event[1], event[2], event[3], event[4], f"e{n}")


@asynccontextmanager
async def database(server: str | None) -> AsyncIterator[str]:
    """A fresh database's URL: an SQLite file, or a new schema on the PostgreSQL ``server``."""
    if server is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'pipeline.db'}"
    else:
        async with postgres.fresh_schema(server) as url:
            yield url


@asynccontextmanager
async def dashboard_open(bot: TestBot, every: float | None) -> AsyncIterator[list[float]]:
    """An admin viewing the dashboard (every ``every`` seconds) while the body runs; yields
    the page load times (s). ``every`` None: no dashboard."""
    loads: list[float] = []
    if every is None:
        yield loads
        return
    from aiohttp.test_utils import TestClient, TestServer

    from hearth.web.logins import Session, sign
    from hearth.web.server import COOKIE, Dashboard

    app = bot.app
    assert app is not None and app.logins is not None
    session = Session(("testing", "boss"), 2**62, "bench")
    client = TestClient(TestServer(Dashboard(app, app.logins).application()),
                        cookies={COOKIE: sign(await app.logins.key(), session)})
    await client.start_server()
    paths = ["/", "/c/c0", *(f"/c/c0/chart/{n}.svg" for n in ("messages", "active", "joins",
                                                               "interactions"))]

    async def load() -> float:
        t = time.perf_counter()
        for path in paths:
            response = await client.get(path)
            assert response.status == 200, (path, response.status)
            await response.read()
        return time.perf_counter() - t

    async def browse() -> None:
        while True:
            loads.append(await load())
            await asyncio.sleep(every)

    # The first load imports matplotlib and draws the charts (then kept 5 minutes): before
    # the measurement, as on a dashboard already open.
    first = await load()
    print(f"  (first load of the dashboard's 6 pages: {first * 1e3:.0f} ms)")
    task = asyncio.ensure_future(browse())
    try:
        yield loads
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await client.close()


class _NoJournal(Journal):
    """The outbound flow as it was before the journal: every action straight to its lane."""

    active = False


async def main(events: int, communities: int, members: int, samples: int,
               mix: dict[str, float] = MIX, ledger: bool = True,
               server: str | None = None, dashboard: float | None = None,
               journal: bool = True) -> dict[str, Any]:
    loaded = load(build_config(communities, web=dashboard is not None), text=True)
    async with database(server) as storage:
        # platform="testing": a network with no pace, so the figures are the bot's own work
        # (with a network's pace, settling would step virtual time through every paced action)
        bot = TestBot(loaded, community="c0", start="2026-11-18T10:00:00+08:00",
                      storage=storage, platform="testing")
        for c in range(communities):
            for m in range(members):
                bot.adapter.add_person(f"c{c}", f"u{m}", f"User {m}")
        bot.adapter.add_person("c0", "boss", "Boss", Role.ADMIN)
        await bot.start()
        assert bot.app is not None
        bot.app.people.ledger.enabled = ledger
        if not journal:
            bot.app.journal.__class__ = _NoJournal
            bot.app.journal.durable = False
        try:
            warm = workload(500, communities, members, seed=1)
            for n, event in enumerate(warm):
                await inject(bot, event, n)
            await bot.settle()
            work = workload(events, communities, members, mix=mix)
            gc.collect()
            async with dashboard_open(bot, dashboard) as loads:
                cpu0, t0 = time.process_time(), time.perf_counter()
                for n, event in enumerate(work, start=len(warm)):
                    await inject(bot, event, n)
                await bot.settle()
                elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0

                latencies = []
                base = len(warm) + len(work)
                for n, event in enumerate(workload(samples, communities, members, seed=3, mix=mix),
                                          start=base):
                    t = time.perf_counter()
                    await inject(bot, event, n)
                    await bot.settle()
                    latencies.append(time.perf_counter() - t)
            actions = len(bot.actions)
            rss = rss_mb()
        finally:
            await bot.close()
    latencies.sort()
    return {
        "events": events, "communities": communities, "actions": actions, "ledger": ledger,
        "events_per_second": events / elapsed, "cpu_us_per_event": cpu / events * 1e6,
        "p50_ms": statistics.median(latencies) * 1e3,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1e3,
        "rss_mb": rss, "dashboard": dashboard, "page_loads": loads, "journal": journal,
    }


def report(r: dict[str, Any]) -> None:
    print(f"ledger              {'on' if r['ledger'] else 'off'}")
    print(f"outbound journal    {'on' if r['journal'] else 'off'}")
    print(f"events              {r['events']} in {r['communities']} communities "
          f"({r['actions']} bot actions)")
    print(f"events/second       {r['events_per_second']:,.0f}")
    print(f"CPU per event       {r['cpu_us_per_event']:.1f} µs")
    print(f"latency p50         {r['p50_ms']:.2f} ms")
    print(f"latency p99         {r['p99_ms']:.2f} ms")
    print(f"RSS at the end      {r['rss_mb']:.1f} MB")
    if r["dashboard"] is not None:
        loads = sorted(r["page_loads"])
        median = f", median {statistics.median(loads) * 1e3:.0f} ms each" if loads else ""
        print(f"dashboard           open, every {r['dashboard']:g} s: {len(loads)} loads of 6 pages"
              f"{median}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--communities", type=int, default=20)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--samples", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=3,
                        help="runs with the ledger off and on, alternating; the best of each counts")
    parser.add_argument("--by-kind", action="store_true", help="also measure each kind of event alone")
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgresql"],
                        help="the storage to measure on (repeat for both; default: sqlite)")
    parser.add_argument("--postgresql", metavar="URL",
                        help="a PostgreSQL server to use (default: start one from pgserver)")
    parser.add_argument("--dashboard", action="store_true",
                        help="measure without and with the web dashboard open (ledger on)")
    parser.add_argument("--journal", action="store_true",
                        help="measure without and with the outbound journal (ledger on)")
    parser.add_argument("--dashboard-every", type=float, default=1.0, metavar="S",
                        help="seconds between two loads of the dashboard's pages (0: back to back)")
    a = parser.parse_args()
    print("mix: " + ", ".join(f"{k} {v:.0%}" for k, v in MIX.items()))

    def compare(label: str, server: str | None, arm: Callable[[bool], dict[str, Any]]) -> None:
        """Best of the rounds without and with what ``arm(True)`` turns on; its cost."""
        best: dict[bool, dict[str, Any]] = {}
        for _ in range(a.rounds):
            for on in (False, True):
                r = asyncio.run(main(a.events, a.communities, a.members, a.samples, server=server,
                                     **arm(on)))
                if on not in best or r["events_per_second"] > best[on]["events_per_second"]:
                    best[on] = r
        for on in (False, True):
            report(best[on])
            print()
        cost = 1 - best[True]["events_per_second"] / best[False]["events_per_second"]
        print(f"{label + ' cost':<20}{cost:.1%} of the throughput "
              f"(p99 {best[False]['p99_ms']:.2f} -> {best[True]['p99_ms']:.2f} ms)")

    def measure(server: str | None) -> None:
        if a.dashboard:
            compare("dashboard", server, lambda on: {"dashboard": a.dashboard_every if on else None})
            return
        if a.journal:
            compare("journal", server, lambda on: {"journal": on})
            return
        compare("ledger", server, lambda on: {"ledger": on})
        if a.by_kind:
            for kind in MIX:
                r = asyncio.run(main(a.events // 4, a.communities, a.members, a.samples // 4,
                                     mix={kind: 1.0}, server=server))
                print(f"  {kind:<8} alone: {r['events_per_second']:>8,.0f} events/s, "
                      f"{r['cpu_us_per_event']:6.1f} µs CPU, p99 {r['p99_ms']:.2f} ms")

    for backend in a.backend or ["sqlite"]:
        print(f"\n== {backend}")
        if backend == "sqlite":
            measure(None)
            continue
        with nullcontext(a.postgresql) if a.postgresql else postgres.server() as server:
            measure(server)
