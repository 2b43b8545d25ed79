"""Backlog benchmark: is an ad still removed at once while the bot's replies queue up?

One channel at Discord's default pace (5 messages per 5 s), 1,000 ``!ping``
commands from 200 members (five each, so command flood control lets them all
through), then an ad. Measured: the time from the ad's arrival to its
deletion (p50 and p99 over 20 repetitions), how many command answers reached
the channel, in how many messages, and when the last one did.

Time is "network time": waiting for the network's pace is not slept for real
(virtual time for the outbound flow's pacing; for code that sleeps on the
event loop, a loop that skips ahead when it only waits for a timer), while
the CPU time the bot spends is real. So each figure is real processing time
plus the pacing waits the network imposes.

    python benchmarks/backlog.py [--commands 1000] [--members 200] [--runs 20]

It runs against older code too (before the outbound flow, whose outbox sleeps
on the event loop and is paced by ``send_rate``), e.g. with a checkout of it
first on ``sys.path``.
"""

from __future__ import annotations

import argparse
import asyncio
import selectors
import statistics
from datetime import datetime
from typing import Any

from hearth import Command, Invocation, Param, PluginConfig, Role, hookimpl
from hearth.adapters.testing import TestBot, TestingAdapter

CONFIG = """
communities:
  bench:
    discord: {guild: "1"}
    channels: {general: {discord: "10"}}
    plugins:
      pingpong: {}
      ad_window: {windows: [{days: [sat], from: "20:00", to: "22:00"}]}
"""
START = "2026-11-20T19:00:00+00:00"  # a Friday: outside the ad window
AD = "Best tea deals at https://cheap-tea.com/sale"
DISCORD_CHANNEL_PACE = (5, 5.0)


class PingPong:
    """``!ping <n>`` answers ``pong <n>``."""

    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl
    def register_commands(self) -> list[Command]:
        async def ping(inv: Invocation) -> str:
            return f"pong {inv.args['n']}"

        return [Command(name="ping", handler=ping, params=(Param("n", "word"),),
                        min_role=Role.MEMBER, help="pong")]


class FastForwardLoop(asyncio.SelectorEventLoop):
    """An event loop whose time skips ahead when it has nothing to do but wait for a timer."""

    def __init__(self) -> None:
        super().__init__(selectors.DefaultSelector())
        self.skipped = 0.0
        selector: Any = self._selector  # type: ignore[attr-defined]
        real = selector.select

        def select(timeout: float | None = None) -> Any:
            if timeout is None or timeout <= 0:
                return real(timeout)
            events = real(min(timeout, 0.002))  # a database thread may be about to answer
            if not events:
                self.skipped += max(0.0, timeout - 0.002)
            return events

        selector.select = select

    def time(self) -> float:
        return super().time() + self.skipped


def _paced_outbox() -> bool:
    """True on this code (the adapter declares a pace); False on code with ``send_rate``."""
    return not hasattr(TestingAdapter, "send_rate")


def _instant(value: str | datetime) -> datetime:
    """An action's time: ISO text, or a datetime in code before ``take()`` formatted it."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


async def one_run(commands: int, members: int, wait: float) -> dict[str, float]:
    if not _paced_outbox():
        TestingAdapter.send_rate = DISCORD_CHANNEL_PACE  # type: ignore[attr-defined]
    people = [{"id": f"m{n}"} for n in range(members)]
    bot = await TestBot.create(CONFIG, extra_plugins={"pingpong": PingPong()}, members=people,
                               start=START)
    loop = asyncio.get_running_loop()
    adapter = bot.adapter
    deleted: list[tuple[datetime, float]] = []
    real_delete = adapter.delete

    async def delete(*args: Any, **kwargs: Any) -> None:
        deleted.append((bot.clock.now(), loop.time()))
        await real_delete(*args, **kwargs)

    adapter.delete = delete  # type: ignore[method-assign]
    try:
        bot.take()
        for n in range(commands):
            await adapter.inject_message("bench", f"m{n % members}", "general", f"!ping {n}", f"c{n}")
        if wait:  # let the bot work on the commands first (at most `wait` seconds of loop time)
            app = bot.app
            assert app is not None
            try:
                await asyncio.wait_for(asyncio.shield(app.settle()), wait)
            except TimeoutError:
                pass
        arrived = (bot.clock.now(), loop.time())
        await adapter.inject_message("bench", "m0", "general", AD, "ad")
        await bot.settle()
        done = loop.time()
        assert deleted, "the ad was not deleted"
        (v_del, l_del) = deleted[0]
        sends = [a for a in bot.take() if a["action"] == "send"]
        answers = sum(line.count("pong ") for s in sends for line in s["text"].splitlines())
        last = max((_instant(s["time"]) for s in sends), default=arrived[0])
        return {
            "ad_latency": (v_del - arrived[0]).total_seconds() + (l_del - arrived[1]),
            "answers": answers,
            "messages": len(sends),
            "last_answer": (last - arrived[0]).total_seconds() + (done - arrived[1]),
        }
    finally:
        await bot.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--commands", type=int, default=1000)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    print(f"backlog: {args.commands} commands from {args.members} members, then an ad; "
          f"channel pace 5 per 5 s; {args.runs} runs ({'outbound flow' if _paced_outbox() else 'outbox'})")
    for wait, when in ((0.0, "right behind the commands"),
                       (10.0, "once the bot worked on them for up to 10 s")):
        results = []
        for _ in range(args.runs):
            loop = FastForwardLoop()
            try:
                results.append(loop.run_until_complete(one_run(args.commands, args.members, wait)))
            finally:
                loop.close()
        latencies = sorted(r["ad_latency"] for r in results)
        p99 = latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))]
        last = results[-1]
        print(f"  the ad arrives {when}:")
        print(f"    arrival -> deletion: p50 {statistics.median(latencies):.3f} s, p99 {p99:.3f} s")
        print(f"    command answers in the channel: {last['answers']:.0f} of {args.commands}, "
              f"in {last['messages']:.0f} messages; the last {last['last_answer']:.1f} s after the ad")


if __name__ == "__main__":
    main()
