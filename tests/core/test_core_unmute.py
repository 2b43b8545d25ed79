"""Mutes on a network that cannot end them itself are lifted by one persistent core job."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio

from hearth import PluginConfig, hookimpl
from hearth.adapters.testing import TestBot
from hearth.models import Capability, Member

CONFIG = """
communities:
  tea:
    timezone: UTC
    channels: {general: {discord: "1"}}
    discord: {guild: "1"}
    plugins: {warden: {}}
"""


class Warden:
    """A plugin that only exists to be the one muting (tests call its context)."""

    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig


async def _bot(**kwargs: Any) -> TestBot:
    return await TestBot.create(CONFIG, extra_plugins={"warden": Warden()}, strict=True,
                                members=[{"id": "bob"}], start="2026-03-02T08:00:00+00:00",
                                **kwargs)


@pytest_asyncio.fixture
async def bot() -> AsyncIterator[TestBot]:
    """A network without timed mutes (as Matrix)."""
    bot = await _bot(without=[Capability.TIMED_MUTE])
    try:
        yield bot
    finally:
        await bot.close()


def _ctx(bot: TestBot) -> Any:
    assert bot.app is not None
    return bot.app.contexts["tea"]["warden"]


async def _bob(bot: TestBot) -> Member:
    member = await _ctx(bot).get_member(bot.adapter.name, "bob")
    assert member is not None
    return member


async def _mute(bot: TestBot, until: datetime) -> None:
    await _ctx(bot).mute(await _bob(bot), until, "testing")
    await bot.settle()


async def _unmute_jobs(bot: TestBot) -> list[Any]:
    assert bot.app is not None
    return await bot.app.contexts["tea"]["hearth"].jobs("unmute:")


def _unmutes(bot: TestBot) -> list[str]:
    return [a["time"] for a in bot.sent("unmute", member="bob")]


@pytest.mark.asyncio
async def test_the_core_unmutes_at_the_end_of_the_mute(bot: TestBot) -> None:
    await _mute(bot, bot.clock.now() + timedelta(hours=1))
    (job,) = await _unmute_jobs(bot)
    assert (job.plugin, job.key) == ("hearth", "unmute:testing:bob")
    await bot.wait("59m")
    await bot.say("bob", "general", "still muted?")
    assert bot.sent("refused", member="bob") and _unmutes(bot) == []
    await bot.wait("1m")
    assert _unmutes(bot) == ["2026-03-02T09:00:00+00:00"]
    await bot.say("bob", "general", "free again")
    assert len(bot.sent("refused", member="bob")) == 1
    assert await _unmute_jobs(bot) == []


@pytest.mark.asyncio
async def test_the_unmute_survives_a_restart(bot: TestBot) -> None:
    await _mute(bot, bot.clock.now() + timedelta(hours=2))
    await bot.restart(downtime="30m")
    await bot.wait("1h29m")
    assert _unmutes(bot) == []
    await bot.wait("1m")
    assert _unmutes(bot) == ["2026-03-02T10:00:00+00:00"]


@pytest.mark.asyncio
async def test_a_mute_that_ran_out_during_downtime_is_lifted_at_start_up(bot: TestBot) -> None:
    await _mute(bot, bot.clock.now() + timedelta(hours=1))
    await bot.restart(downtime="3h")
    assert _unmutes(bot) == ["2026-03-02T11:00:00+00:00"]
    await bot.wait("1d")
    assert len(_unmutes(bot)) == 1


@pytest.mark.asyncio
async def test_muting_again_moves_the_one_unmute(bot: TestBot) -> None:
    await _mute(bot, bot.clock.now() + timedelta(hours=1))
    await bot.wait("10m")
    await _mute(bot, bot.clock.now() + timedelta(hours=3))
    (job,) = await _unmute_jobs(bot)
    assert job.due == datetime.fromisoformat("2026-03-02T11:10:00+00:00")
    await bot.wait("1d")
    assert _unmutes(bot) == ["2026-03-02T11:10:00+00:00"]  # once, at the later end


@pytest.mark.asyncio
async def test_an_explicit_unmute_cancels_the_core_job(bot: TestBot) -> None:
    await _mute(bot, bot.clock.now() + timedelta(hours=1))
    await bot.wait("10m")
    await _ctx(bot).unmute(await _bob(bot))
    await bot.settle()
    assert await _unmute_jobs(bot) == []
    await bot.wait("1d")
    assert _unmutes(bot) == ["2026-03-02T08:10:00+00:00"]  # no second unmute at 09:00


@pytest.mark.asyncio
async def test_a_network_with_timed_mutes_ends_them_itself() -> None:
    bot = await _bot()  # Discord's capabilities: timeouts end by themselves
    try:
        assert bot.adapter.can(Capability.TIMED_MUTE)
        await _mute(bot, bot.clock.now() + timedelta(hours=1))
        assert await _unmute_jobs(bot) == []
        await bot.wait("2h")
        assert _unmutes(bot) == []
        await bot.say("bob", "general", "the timeout is over")
        assert bot.sent("refused", member="bob") == []
    finally:
        await bot.close()
