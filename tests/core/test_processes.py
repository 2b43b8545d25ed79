"""Two Hearth processes (two apps, each with its own pool) on one PostgreSQL: one acts at a time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from test_jobs import CONFIG, Clockwork

from hearth.adapters.testing import TestBot


async def _process(plugin: Clockwork, url: str) -> TestBot:
    return await TestBot.create(CONFIG, extra_plugins={"clockwork": plugin}, members=[{"id": "ann"}],
                                start="2026-03-02T08:00:00+01:00", storage=url)


@pytest.mark.asyncio
async def test_the_standby_acts_for_nothing_until_the_owner_stops(postgres_url: str) -> None:
    owner_plugin, standby_plugin = Clockwork(), Clockwork()
    owner = await _process(owner_plugin, postgres_url)
    standby = await _process(standby_plugin, postgres_url)
    try:
        assert owner.app is not None and standby.app is not None
        assert owner.app.leases.owned() == {"tea"} and standby.app.leases.owned() == frozenset()
        for bot in (owner, standby):  # both receive the network's events
            await bot.adapter.inject_message("tea", "ann", "general", "hello", "m1")
            await bot.settle()
        assert owner_plugin.log == ["message start", "message end"]
        assert standby_plugin.log == []
        ctx = owner.app.contexts["tea"]["clockwork"]
        await ctx.schedule("due", ctx.now() + timedelta(minutes=1))
        await standby.wait("2m")
        await owner.wait("2m")
        assert [r[0] for r in owner_plugin.runs] == ["due"] and standby_plugin.runs == []
        await ctx.schedule("later", ctx.now() + timedelta(minutes=1))
        await owner.close()  # a clean stop gives its leases back
        assert await standby.app.leases.renew() == {"tea"}
        await standby.wait("2m")
        assert [r[0] for r in standby_plugin.runs] == ["later"]
        assert [r[0] for r in owner_plugin.runs] == ["due"]
    finally:
        await owner.close()
        await standby.close()
