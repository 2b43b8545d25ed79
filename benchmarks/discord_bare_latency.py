"""Reply latency of a bare discord.py bot against the fake Discord (baseline).

Closed loop: the fake emits MESSAGE_CREATE, the bot's on_message replies, and
each sample is the time until the fake receives ``POST /channels/{id}/messages``.
Everything runs on loopback in one process and one event loop, so this is the
floor that the Hearth Discord adapter's latency is compared against.

    .venv/bin/python benchmarks/discord_bare_latency.py [--count 200] [--warmup 20]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import discord

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fake_discord import (
    FakeDiscord,
    LatencyStats,
    client_kwargs,
    make_fast,
    point_discord_py_at,
    run_client,
    standard_scene,
)


class EchoBot(discord.Client):
    """Replies to every non-bot message in the same channel."""

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot:
            return
        await message.channel.send(f"echo: {message.content}")


async def run(count: int, warmup: int) -> LatencyStats:
    async with FakeDiscord() as fake:
        restore = point_discord_py_at(fake.api_url, fake.gateway_url)
        try:
            scene = standard_scene(fake)
            bot = make_fast(EchoBot(**client_kwargs()))
            async with run_client(bot, fake.token):
                return await fake.measure_reply_latency(
                    scene.general, scene.alice, count=count, warmup=warmup
                )
        finally:
            restore()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    stats = asyncio.run(run(args.count, args.warmup))
    print(f"discord.py {discord.__version__} bare bot, fake Discord on loopback")
    print(f"median {stats.median * 1000:.2f} ms")
    print(f"p99    {stats.p99 * 1000:.2f} ms")
    print(stats.summary())


if __name__ == "__main__":
    main()
