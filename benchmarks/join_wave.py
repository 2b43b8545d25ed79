"""Join-wave benchmark: how fast a wave of newcomers is held on Discord.

``--joins`` accounts join at one instant (``welcome.raid: {joins: 10, within: 1m}``) on
the testing adapter imitating Discord's pace (50 requests a second in all, DMs 10 per 10 s
per member). Each newcomer of the wave gets a timeout (a mute) and the rules by DM.
Measured: the CPU time the bot spends per join (real), how many timeouts were sent, and
when the last one landed after the wave began (network time: the outbound flow's pacing,
in virtual time), with the alerts to the moderators (one is expected).

    python benchmarks/join_wave.py [--joins 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import datetime, timedelta

from hearth.adapters.testing import TestBot

CONFIG = """
communities:
  bench:
    discord: {guild: "1"}
    channels: {general: {discord: "10"}, mods: {discord: "20"}}
    plugins:
      welcome:
        channel: general
        burst: 60s
        raid: {joins: 10, within: 1m, channel: mods}
"""
START = "2026-11-20T19:00:00+00:00"


async def run(joins: int) -> dict[str, float]:
    bot = await TestBot.create(CONFIG, members=[{"id": "olivia", "role": "owner"}], start=START)
    try:
        bot.take()
        began = bot.clock.now()
        cpu = time.process_time()
        for n in range(joins):  # all at one instant: the worst a wave can be
            await bot.adapter.inject_join("bench", f"new{n}", f"New{n}", None)
        await bot.wait(timedelta(hours=1))  # every join handled, the paced actions sent
        cpu = time.process_time() - cpu
        actions = bot.take()
        mutes = [a for a in actions if a["action"] == "mute"]
        last = max(datetime.fromisoformat(a["time"]) for a in mutes)
        alerts = [a for a in actions if a["action"] == "send" and "Join wave" in a["text"]]
        return {"cpu_per_join_ms": cpu / joins * 1000, "timeouts": len(mutes),
                "last_timeout_s": (last - began).total_seconds(), "alerts": len(alerts),
                "dms": sum(a["action"] == "dm" for a in actions)}
    finally:
        await bot.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--joins", type=int, default=1000)
    args = parser.parse_args()
    r = asyncio.run(run(args.joins))
    print(f"join wave: {args.joins} joins at once, raid joins 10 within 1m, Discord's pace")
    print(f"  CPU per join (handling it, and the hour of paced actions after): "
          f"{r['cpu_per_join_ms']:.2f} ms")
    print(f"  timeouts sent: {r['timeouts']:.0f}; the last {r['last_timeout_s']:.1f} s after the first join")
    print(f"  alerts to the moderators: {r['alerts']:.0f}; rules DMs sent: {r['dms']:.0f}")


if __name__ == "__main__":
    main()
