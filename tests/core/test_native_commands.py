"""Natively invoked commands (Discord slash commands) enter the community's inbox."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hearth import Command, PluginConfig, hookimpl
from hearth.adapters.testing import TestBot
from hearth.events import CommandInvokedEvent
from hearth.models import Message

CONFIG = """
command_flood: off   # ten commands from one member at once: not what these tests are about
communities:
  tea:
    channels: {general: {discord: "1"}}
    discord: {guild: "1"}
    plugins: {counter: {}}
"""


class Counter:
    """Counts messages slowly; ``count`` answers how many were seen, ``busy`` takes its time."""

    seen = 0
    running = 0
    overlapped = False

    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl
    async def on_message(self, message: Any) -> None:
        await asyncio.sleep(0.01)
        Counter.seen += 1

    @hookimpl
    def register_commands(self) -> list[Command]:
        async def count(inv: Any) -> str:
            return f"seen {Counter.seen}"

        async def busy(inv: Any) -> str:
            Counter.overlapped |= Counter.running > 0
            Counter.running += 1
            await asyncio.sleep(0.01)
            Counter.running -= 1
            return "done"

        return [Command(name="count", handler=count), Command(name="busy", handler=busy)]


def invoked(bot: TestBot, text: str, n: int) -> CommandInvokedEvent:
    member = bot.adapter.person("tea", "ann").member()
    channel = bot.adapter.channel("tea", "general")
    message = Message(platform=member.platform, id=f"ix{n}", channel=channel, author=member,
                      text=text, time_ms=bot.clock.now_ms())
    return CommandInvokedEvent(platform=member.platform, id=f"slash:{n}", community="tea",
                               time=bot.clock.now(), message=message)


@pytest.mark.asyncio
async def test_native_command_waits_its_turn_and_its_answer_is_returned_not_sent() -> None:
    Counter.seen, Counter.running, Counter.overlapped = 0, 0, False
    bot = await TestBot.create(CONFIG, extra_plugins={"counter": Counter()},
                               members=[{"id": "ann"}])
    try:
        assert bot.app is not None
        for n in range(3):
            await bot.adapter.inject_message("tea", "ann", "general", f"m{n}", f"id{n}")
        assert Counter.seen < 3  # queued, not handled yet
        assert await bot.app.run_command(invoked(bot, "count", 1)) == ["seen 3"]
        answers = await asyncio.gather(*(bot.app.run_command(invoked(bot, "busy", n))
                                         for n in range(2, 12)))
        assert answers == [["done"]] * 10 and not Counter.overlapped
        unknown = await bot.app.run_command(invoked(bot, "nosuch", 12))
        assert len(unknown) == 1 and "Unknown command" in unknown[0]
        await bot.settle()
        assert bot.sent("send") == []  # answers go back to the adapter, not to the channel
    finally:
        await bot.close()
