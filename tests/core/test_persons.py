"""People across networks and the strike ledger, on the testing adapter in virtual time."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from hearth import PluginConfig, PluginContext, hookimpl
from hearth.adapters.testing import TestBot
from hearth.people.persons import LinkRefused

CONFIG = """
communities:
  tea:
    timezone: UTC
    channels: {general: {}}
"""


def core(bot: TestBot) -> PluginContext:
    assert bot.app is not None
    return bot.app.contexts[bot.community]["hearth"]


def as_plugin(bot: TestBot, plugin: str) -> PluginContext:
    """The core's context under another plugin's name (strikes name their source)."""
    ctx = core(bot)
    return PluginContext(ctx._app, ctx.community, plugin, None, ctx.store)


@pytest.mark.asyncio
async def test_every_account_gets_a_person_when_first_seen_and_keeps_it_after_a_restart(
        tmp_path: Path) -> None:
    bot = await TestBot.create(CONFIG, members=[{"id": "olivia", "role": "owner"}],
                               storage=tmp_path / "h.db")
    try:
        await bot.join("nina")
        bot.add_member("omar")  # never listed, never joined: first seen posting
        await bot.say("omar", "general", "hello")
        assert bot.app is not None
        await bot.app.people.ledger.flush()
        persons = bot.app.people.persons
        ids = {m: persons.known("tea", (bot.adapter.name, m)) for m in ("olivia", "nina", "omar")}
        assert None not in ids.values() and len(set(ids.values())) == 3
        nina = await core(bot).person(f"{bot.adapter.name}:nina")
        assert nina.id == ids["nina"] and nina.accounts == ((bot.adapter.name, "nina"),)
        assert not nina.linked
        await bot.restart()
        assert (await core(bot).person((bot.adapter.name, "nina"))).id == ids["nina"]
        # a new account after the restart gets an id never given before
        fresh = await core(bot).person((bot.adapter.name, "zoe"))
        assert fresh.id > max(i for i in ids.values() if i is not None)
        assert [r.id for r in core(bot).accounts(fresh)] == []  # not in the directory
        assert [r.id for r in core(bot).accounts((bot.adapter.name, "nina"))] == ["nina"]
        with pytest.raises(LookupError):
            await core(bot).person(10_000)
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_strikes_from_two_plugins_add_up_expire_and_are_pardoned_newest_first() -> None:
    async with await TestBot.create(CONFIG, members=[{"id": "sam"}]) as bot:
        ads, guard = as_plugin(bot, "ad_window"), as_plugin(bot, "guard")
        sam = (bot.adapter.name, "sam")
        await ads.strikes.add(sam, "invite_link", lasts=timedelta(days=1), detail="x" * 500)
        await bot.wait("1h")
        await guard.strikes.add(sam, "abuse", lasts=timedelta(days=7))
        await bot.wait("1h")
        await guard.strikes.add(sam, "spam", lasts=timedelta(days=7))
        assert await ads.strikes.count(sam) == 3
        active = await guard.strikes.active(sam)
        assert [(s.source, s.reason) for s in active] == [
            ("ad_window", "invite_link"), ("guard", "abuse"), ("guard", "spam")]
        assert len(active[0].detail) == 200 and active[0].account == sam
        await bot.wait("1d")  # the ad strike decayed
        assert await guard.strikes.count(sam) == 2
        assert await guard.strikes.pardon(sam, 1) == 1
        assert [s.reason for s in await ads.strikes.active(sam)] == ["abuse"]
        assert await ads.strikes.pardon(sam) == 1
        assert await ads.strikes.count(sam) == 0


class Recorder:
    """A plugin that records merges."""

    def __init__(self) -> None:
        self.merges: list[tuple[str, int, int]] = []

    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl
    async def on_persons_merged(self, ctx: PluginContext, kept: int, merged: int) -> None:
        self.merges.append((ctx.key, kept, merged))


WITH_RECORDER = CONFIG + "    plugins: {recorder: {}}\n"


@pytest.mark.asyncio
async def test_joining_two_people_merges_their_strikes_and_tells_plugins(tmp_path: Path) -> None:
    recorder = Recorder()
    bot = await TestBot.create(WITH_RECORDER, extra_plugins={"recorder": recorder},
                               storage=tmp_path / "h.db")
    try:
        ctx, app = core(bot), bot.app
        assert app is not None
        ann_d, ann_m, bob = ("discord", "1"), ("matrix", "@ann:example.org"), ("matrix", "@bob:x")
        old = await ctx.person(ann_d)
        await ctx.person(bob)
        new = await ctx.person(ann_m)
        await ctx.strikes.add(ann_d, "spam")
        await ctx.strikes.add(ann_m, "abuse")
        await ctx.strikes.add(ann_m, "abuse")
        await ctx.strikes.add(bob, "spam")
        person = await app.join_persons("tea", ann_m, ann_d)
        assert person.id == old.id and person.accounts == (ann_d, ann_m)
        assert recorder.merges == [("tea", old.id, new.id)]
        for account in (ann_d, ann_m):
            assert (await ctx.person(account)).id == old.id
            assert await ctx.strikes.count(account) == 3
        assert await ctx.strikes.count(bob) == 1
        with pytest.raises(LookupError):
            await ctx.person(new.id)  # retired
        with pytest.raises(LinkRefused, match="already linked"):
            await app.join_persons("tea", ann_d, ann_m)
        with pytest.raises(LinkRefused, match="one account per network"):
            await app.join_persons("tea", bob, ann_d)  # ann already has a matrix account
        await bot.restart()
        assert (await core(bot).person(ann_m)).accounts == (ann_d, ann_m)
        assert await core(bot).strikes.count(ann_m) == 3
        fresh = await core(bot).person(("discord", "2"))
        assert fresh.id not in (old.id, new.id)  # a retired id is never given again
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_forget_erases_the_persons_strikes_link_codes_and_group_memberships() -> None:
    async with await TestBot.create(CONFIG, members=[{"id": "ann"}, {"id": "bo"}]) as bot:
        ctx, app = core(bot), bot.app
        assert app is not None and app.db is not None
        platform = bot.adapter.name
        ann, bo = (platform, "ann"), (platform, "bo")
        matrix_ann = ("matrix", "@ann:example.org")
        await app.join_persons("tea", ann, matrix_ann)
        await ctx.strikes.add(matrix_ann, "spam")
        await ctx.strikes.add(bo, "spam")
        await bot.dm("ann", "!link")
        members = [r.member for r in ctx.accounts(ann) + ctx.accounts(bo)]
        group = await ctx.groups.create(platform, "tea-talk", members, topic="tea")
        assert group is not None
        await bot.say("ann", "tea-talk", "hello")
        assert [g.id for g in await ctx.groups.of(matrix_ann)] == [group.id]  # through the link
        db = app.db
        queries = ["SELECT 1 FROM hearth_strikes WHERE member_id = '@ann:example.org'",
                   "SELECT 1 FROM hearth_link_codes WHERE member_id = 'ann'",
                   "SELECT 1 FROM hearth_accounts WHERE member_id = 'ann'",
                   "SELECT 1 FROM hearth_group_members WHERE member = 'ann'",
                   "SELECT 1 FROM hearth_group_speakers WHERE member = 'ann'"]
        assert all([await db.fetch(q) for q in queries])
        await app.forget(ann)
        assert [await db.fetch(q) for q in queries] == [[]] * len(queries)
        assert await ctx.strikes.count(bo) == 1  # another person's strikes stay
        left = await ctx.person(matrix_ann)  # the linked account stays, on its own
        assert left.accounts == (matrix_ann,) and await ctx.strikes.count(left) == 0
        assert await db.fetch("SELECT 1 FROM hearth_group_members WHERE member = 'bo'")
