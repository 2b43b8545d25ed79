"""Hearth's reaction latency on Discord, next to a bare discord.py bot, on the same fake.

Closed loop on loopback: the fake emits MESSAGE_CREATE with ``!ping {i}``; Hearth
(the real discord.py client inside the Discord adapter, the App's queue, a
one-command plugin, the outbox) answers with ``pong``; each sample is the time
until the fake receives ``POST /channels/{id}/messages``. The bare bot is
``benchmarks/discord_bare_latency.py``'s echo bot, measured the same way.

The adapter's per-channel outbox (``send_rate = (5, 5.0)``, Discord's own
per-channel limit) lets a closed loop answer at most once a second after a burst
of five, so the loop runs with the outbox off (``send_rate = None``): what is
measured is the reaction path, not the throttle.

    .venv/bin/python benchmarks/discord_latency.py [--count 200] [--warmup 20]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

import discord

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from discord_bare_latency import run as run_bare

from fake_discord import FakeDiscord, LatencyStats, standard_scene
from hearth import Command, Param, Role, hookimpl
from hearth.adapters.discord.adapter import DiscordAdapter
from hearth.app import App, bindings_for
from hearth.bootstrap import load


async def _pong(inv: object) -> str:
    return "pong"


@hookimpl
def register_commands() -> list[Command]:
    return [Command(name="ping", handler=_pong, min_role=Role.NEWCOMER,
                    params=(Param("rest", "rest", optional=True),), help="answers pong")]


PING_PLUGIN = SimpleNamespace(register_commands=register_commands)


class UnthrottledDiscordAdapter(DiscordAdapter):
    send_rate = None


async def run_hearth(count: int, warmup: int) -> LatencyStats:
    async with FakeDiscord() as fake:
        scene = standard_scene(fake)
        yaml_text = f"""
accounts:
  discord: {{token: "{fake.token}", api_url: "{fake.api_url}"}}
communities:
  bench:
    discord: {{guild: "{scene.guild.id}"}}
    channels: {{general: {{discord: "{scene.general.id}"}}}}
    plugins: {{ping: {{}}}}
"""
        loaded = load(yaml_text, text=True, strict_accounts=True,
                      extra_plugins={"ping": PING_PLUGIN})
        adapter = UnthrottledDiscordAdapter(account=loaded.config.accounts["discord"],
                                 communities=bindings_for(loaded.config, DiscordAdapter),
                                 client_options={"guild_ready_timeout": 0.05})
        with tempfile.TemporaryDirectory() as tmp:
            app = App(loaded.config, loaded.plugins, [adapter], storage=f"sqlite:///{tmp}/b.db")
            await app.start()
            try:
                return await fake.measure_reply_latency(
                    scene.general, scene.alice, count=count, warmup=warmup, content="!ping {i}")
            finally:
                await app.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    bare = asyncio.run(run_bare(args.count, args.warmup))
    hearth = asyncio.run(run_hearth(args.count, args.warmup))
    print(f"discord.py {discord.__version__}, fake Discord on loopback, n={args.count} each")
    print(f"{'':12} {'median':>10} {'p99':>10}")
    for label, stats in (("bare bot", bare), ("Hearth", hearth)):
        print(f"{label:12} {stats.median * 1000:8.2f}ms {stats.p99 * 1000:8.2f}ms")
    print(f"Hearth adds {(hearth.median - bare.median) * 1000:.2f} ms at the median")


if __name__ == "__main__":
    main()
