"""Dispatch throughput: the workload bot frameworks are compared on.

20,000 messages from 8 members in 4 channels through the full inbound path of
the testing adapter (event in, de-duplication, dispatch, command parsing,
reply out). One plugin answers every 10th message, ``!ping <n>``, with
``pong <n>`` and counts the rest. 500 untimed warm-up messages. The clock
stops when every reply reached the adapter and every other message was
counted. Then CPU per message for chatter alone and for commands alone (the
least of several rounds, since other load on the machine only adds to it), and
p50/p99 latency of one ``!ping`` at a time (closed loop).

    python benchmarks/dispatch.py [--messages 20000] [--kind mix|chatter|commands]

``--kind`` makes the timed messages of one kind only (after the same warm-up);
with ``--rounds 0 --pings 0`` the script is what a counter of instructions
(callgrind) runs twice, with two message counts, to take the difference per
message. It runs on older trees too (the code before issue 11).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import resource
import statistics
import time
from typing import Any

from hearth import Command, Invocation, Param, PluginConfig, hookimpl
from hearth.adapters.testing import TestBot
from hearth.config import HearthConfig

CONFIG = """
command_flood: off   # eight members send thousands of commands: the workload, not a flood
communities:
  bench:
    discord: {guild: "1"}
    channels:
      c0: {discord: "10"}
      c1: {discord: "11"}
      c2: {discord: "12"}
      c3: {discord: "13"}
    plugins: {pingpong: {}}
"""
if "command_flood" not in HearthConfig.model_fields:  # a build from before flood control
    CONFIG = CONFIG.replace("command_flood: off", "")
MEMBERS = [f"m{i}" for i in range(8)]
CHANNELS = ["c0", "c1", "c2", "c3"]
ROUNDS = 7


class PingPong:
    """Answers ``!ping <n>`` with ``pong <n>``; counts every other message."""

    def __init__(self) -> None:
        self.counted = 0

    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl
    def register_commands(self) -> list[Command]:
        async def ping(inv: Invocation) -> str:
            return f"pong {inv.args['n']}"

        return [Command(name="ping", handler=ping, params=(Param("n", "int"),))]

    @hookimpl
    def on_message(self) -> None:
        self.counted += 1


def _text(i: int, kind: str) -> str:
    if kind == "chatter" or (kind == "mix" and i % 10):
        return f"message number {i} about tea"
    return f"!ping {i}"


async def _feed(bot: TestBot, start: int, count: int, kind: str = "mix") -> None:
    adapter, community = bot.adapter, bot.community
    for i in range(start, start + count):
        await adapter.inject_message(community, MEMBERS[i % 8], CHANNELS[i % 4], _text(i, kind), f"x{i}")


async def _cpu_per_message(bot: TestBot, start: int, count: int, kind: str) -> float:
    """CPU µs per message for a stream of one kind only (``chatter`` or ``commands``)."""
    gc.collect()
    cpu0 = time.process_time()
    await _feed(bot, start, count, kind)
    await bot.settle()
    return (time.process_time() - cpu0) / count * 1e6


async def main(messages: int, warmup: int, pings: int, kind: str = "mix",
               rounds: int = ROUNDS) -> dict[str, Any]:
    plugin = PingPong()
    # platform="testing": a network with no pace, so the figures are the bot's own work
    bot = await TestBot.create(CONFIG, extra_plugins={"pingpong": plugin}, platform="testing",
                               members=[{"id": m} for m in MEMBERS])
    try:
        await _feed(bot, 0, warmup)
        await bot.settle()
        plugin.counted = 0
        # the adapter's own record of actions: bot.actions would keep a formatted copy of each
        replies_before = len(bot.adapter.actions)
        gc.collect()
        cpu0, t0 = time.process_time(), time.perf_counter()
        await _feed(bot, warmup, messages, kind)
        await bot.settle()
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        replies = len(bot.adapter.actions) - replies_before
        expected = sum(1 for i in range(warmup, warmup + messages) if _text(i, kind).startswith("!"))
        assert replies == expected and plugin.counted == messages - expected, (replies, plugin.counted)

        # The least of several rounds: CPU time is inflated by whatever else the machine runs.
        base = warmup + messages
        chatter = commands = float("inf")
        for _ in range(rounds):
            chatter = min(chatter, await _cpu_per_message(bot, base, messages // 4, "chatter"))
            base += messages // 4
            commands = min(commands, await _cpu_per_message(bot, base, messages // 10, "commands"))
            base += messages // 10
        latencies = []
        for n in range(pings):
            before = len(bot.adapter.actions)
            t = time.perf_counter()
            await bot.adapter.inject_message(bot.community, "m0", "c0", f"!ping {n}", f"p{base + n}")
            while len(bot.adapter.actions) == before:  # noqa: ASYNC110 - a busy-wait keeps timer noise out
                await asyncio.sleep(0)
            latencies.append(time.perf_counter() - t)
        await bot.settle()
    finally:
        await bot.close()
    latencies.sort()
    return {
        "messages": messages,
        "messages_per_second": messages / elapsed,
        "cpu_us_per_message": cpu / messages * 1e6,
        "cpu_us_chatter": chatter,
        "cpu_us_command": commands,
        "p50_us": statistics.median(latencies) * 1e6 if latencies else math.nan,
        "p99_us": latencies[int(len(latencies) * 0.99) - 1] * 1e6 if latencies else math.nan,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--pings", type=int, default=1_000)
    parser.add_argument("--kind", choices=("mix", "chatter", "commands"), default="mix")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args()
    r = asyncio.run(main(args.messages, args.warmup, args.pings, args.kind, args.rounds))
    print(f"messages            {r['messages']}")
    print(f"messages/second     {r['messages_per_second']:,.0f}")
    mix = "mix: 1 command in 10" if args.kind == "mix" else f"{args.kind} only"
    print(f"CPU per message     {r['cpu_us_per_message']:.1f} µs ({mix})")
    print(f"  chatter only      {r['cpu_us_chatter']:.1f} µs")
    print(f"  commands only     {r['cpu_us_command']:.1f} µs")
    print(f"!ping latency p50   {r['p50_us']:.0f} µs")
    print(f"!ping latency p99   {r['p99_us']:.0f} µs")
    print(f"peak RSS            {r['peak_rss_mb']:.1f} MiB")
