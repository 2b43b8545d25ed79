"""The member directory at start-up with a large member list: time to ready and memory.

Two networks, each with one community of ``--members`` members (50,000 by default):

* the testing adapter (the in-memory network), and
* the real Discord adapter (discord.py) against the fake Discord on loopback,
  run in another process (so the figures are the bot's alone), which sends a
  large guild's member list only in chunks of 1,000 (op 8), like Discord.

For each: a start that does not read the member list (the adapter without
``Capability.MEMBERS``: start-up as it was before the directory), the first
start (every member is new: listed, compared and written), a restart (the
directory is read back from SQLite and compared with the list again: nothing
to write), and ``ctx.members()`` over the whole community.
RSS is the process's resident memory after each step, and how much it grew
during the step (the steps share one process: memory freed by an earlier step
is reused, so read the growth as a lower bound).

    python benchmarks/directory.py [--members 50000] [--skip-discord]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from hearth.adapters.testing import TestBot
from hearth.app import App, bindings_for
from hearth.bootstrap import load
from hearth.models import Capability

CONFIG = """
communities:
  big:
    channels: {general: {}}
"""


def rss_mb() -> float:
    """The resident set size now (not the peak), in MB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


async def timed(what: str, step: Callable[[], Awaitable[object]]) -> float:
    rss, t = rss_mb(), time.perf_counter()
    await step()
    took = time.perf_counter() - t
    print(f"  {what:<34} {took:8.2f} s   RSS {rss_mb():7.1f} MB (+{rss_mb() - rss:.1f} MB)")
    return took


def members_of(app: App | None) -> int:
    assert app is not None
    t = time.perf_counter()
    found = app.contexts["big"]["hearth"].members()
    print(f"  {'ctx.members()':<34} {time.perf_counter() - t:8.2f} s   ({len(found)} members)")
    return len(found)


async def testing(members: int, tmp: Path) -> None:
    print(f"testing adapter, {members} members")
    before = TestBot(load(CONFIG, text=True), storage=tmp / "before.db", without=["members"])
    for n in range(members):
        before.adapter.add_person("big", f"u{n}", f"User {n}")
    await timed("start without the member list", before.start)
    await before.close()
    bot = TestBot(load(CONFIG, text=True), storage=tmp / "testing.db")
    for n in range(members):
        bot.adapter.add_person("big", f"u{n}", f"User {n}")
    await timed("first start (all new)", bot.start)
    assert members_of(bot.app) == members
    await timed("restart (read back, compared)", bot.restart)
    members_of(bot.app)
    await bot.close()


def serve_fake_discord(members: int, conn: Connection) -> None:
    """The fake Discord with a guild of ``members`` members, in its own process (so the
    bot's time and memory are its own); it sends the guild's member list only in chunks
    of 1,000 (op 8), as Discord does for a large guild. Serves until told to stop."""
    from fake_discord import FakeDiscord, standard_scene

    async def serve() -> None:
        async with FakeDiscord(members_in_guild_create=False) as fake:
            scene = standard_scene(fake)
            for n in range(members):
                scene.guild.add_member(fake.add_user(f"user{n}"))
            conn.send({"token": fake.token, "api_url": fake.api_url, "guild": scene.guild.id,
                       "general": scene.general.id, "members": len(scene.guild.members)})
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)

    asyncio.run(serve())


async def discord(members: int, tmp: Path, fake: dict[str, Any]) -> None:
    from hearth.adapters.discord.adapter import DiscordAdapter

    print(f"Discord adapter on the fake Discord (another process), {fake['members']} members, "
          "listed in chunks of 1,000")
    text = f"""
accounts:
  discord: {{token: "{fake['token']}", api_url: "{fake['api_url']}"}}
communities:
  big:
    discord: {{guild: "{fake['guild']}"}}
    channels: {{general: {{discord: "{fake['general']}"}}}}
"""
    loaded = load(text, text=True, strict_accounts=True)

    def adapter(listing: bool = True) -> DiscordAdapter:
        made = DiscordAdapter(account=loaded.config.accounts["discord"],
                              communities=bindings_for(loaded.config, DiscordAdapter),
                              client_options={"guild_ready_timeout": 0.05})
        if not listing:
            made.capabilities = made.capabilities - {Capability.MEMBERS}
        return made

    def cached(made: DiscordAdapter) -> int:
        client = made.client
        guild = client.get_guild(int(fake["guild"])) if client else None
        return len(guild.members) if guild else 0

    before = adapter(listing=False)
    app = App(loaded.config, loaded.plugins, [before], storage=f"sqlite:///{tmp}/before.db")
    await timed("start without the member list", app.start)
    print(f"  {'(discord.py cached members)':<34} {cached(before):8d}")
    await app.stop()
    app = App(loaded.config, loaded.plugins, [adapter()], storage=f"sqlite:///{tmp}/discord.db")
    await timed("first start (all new)", app.start)
    members_of(app)
    await app.stop()
    app = App(loaded.config, loaded.plugins, [adapter()], storage=f"sqlite:///{tmp}/discord.db")
    await timed("restart (read back, compared)", app.start)
    members_of(app)
    await app.stop()


async def main(members: int, skip_discord: bool) -> None:
    print(f"baseline RSS {rss_mb():.1f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        await testing(members, Path(tmp))
        if skip_discord:
            return
        ours, theirs = multiprocessing.Pipe()
        server = multiprocessing.get_context("spawn").Process(
            target=serve_fake_discord, args=(members, theirs), daemon=True)
        server.start()
        try:
            fake = await asyncio.get_running_loop().run_in_executor(None, ours.recv)
            await discord(members, Path(tmp), fake)
        finally:
            ours.send("stop")
            server.join(10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--skip-discord", action="store_true")
    a = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(main(a.members, a.skip_discord))
