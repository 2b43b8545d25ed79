"""Several Hearth processes on one database, in one event loop (each a TestBot with its
own pool and imitated network), for the tests of what crosses between processes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from hearth.adapters.testing import TestBot

P = TypeVar("P")


def app_of(bot: TestBot) -> Any:
    """``bot``'s running app."""
    assert bot.app is not None
    return bot.app


async def until(changed: asyncio.Event, done: Callable[[], bool]) -> None:
    """Wait (in real time: stored events travel through the database) until ``done()``,
    looking again whenever ``changed`` is set; at most 10 seconds."""
    async def wait() -> None:
        while not done():
            changed.clear()
            await changed.wait()

    await asyncio.wait_for(wait(), 10)


class Processes(Generic[P]):
    """Processes started with ``config`` and a fresh plugin ``name`` (made by ``make``)
    each; :meth:`close` ends those still running."""

    def __init__(self, url: str, config: str, name: str, make: Callable[[], P], *,
                 start: str, members: list[dict[str, Any]]) -> None:
        self.url, self.config, self.name, self.make = url, config, name, make
        self.start_at, self.members = start, members
        self.bots: list[TestBot] = []
        self.plugins: list[P] = []

    async def start(self) -> tuple[TestBot, P]:
        plugin = self.make()
        bot = await TestBot.create(self.config, extra_plugins={self.name: plugin},
                                   members=self.members, start=self.start_at, storage=self.url)
        self.bots.append(bot)
        self.plugins.append(plugin)
        return bot, plugin

    async def kill(self, bot: TestBot) -> None:
        """What kill -9 leaves behind: nothing more is handled, delivered or written, and
        the process's leases stay until they expire."""
        app = app_of(bot)
        app.started = False  # no clean stop: nothing settled or written, no lease given back
        await app.stop()
        bot.app = None
        self.bots.remove(bot)

    async def take_over(self, bot: TestBot, community: str = "tea") -> None:
        """The dead process's leases expire; ``bot`` takes its communities at its renewal."""
        app = app_of(bot)
        await app.db.execute("UPDATE hearth_leases SET expires_ms = 0")
        assert community in await app.leases.renew()

    async def close(self) -> None:
        for bot in self.bots:
            await bot.close()
