"""Join waves (raid): the wave's newcomers held, the moderators alerted once, !unhold, the hour."""

from __future__ import annotations

import pytest
from welcome_support import STAFF, START, config, texts_of

from hearth import ConfigError
from hearth.bootstrap import load

RAID = {"joins": 3, "within": "1m", "channel": "mods"}


async def wave(bot, count: int = 4) -> None:
    for n in range(count):
        await bot.join(f"new{n}")
        await bot.wait("10s")


def kinds(acts, kind):
    return [a for a in acts if a["action"] == kind]


@pytest.mark.asyncio
async def test_on_discord_each_newcomer_of_the_wave_is_timed_out_until_unhold(hearth_bot):
    bot = await hearth_bot(config(raid=RAID), start=START, members=STAFF)
    await wave(bot, 3)  # not more than joins: no wave
    assert not kinds(bot.take(), "mute")
    await bot.wait("1m")
    await wave(bot, 4)
    acts = bot.take()
    assert sorted(m["member"] for m in kinds(acts, "mute")) == ["new0", "new1", "new2", "new3"]
    assert {m["until"] for m in kinds(acts, "mute")} == {"2026-11-20T20:02:00+08:00"}
    [alert] = texts_of(acts, "send", channel="mods")
    assert alert.startswith("⚠️ Join wave: 4 people joined within 1m.") and "!unhold" in alert
    await bot.join("late")  # joins while the wave is on hold: held too, no second alert
    acts = bot.take()
    assert [m["member"] for m in kinds(acts, "mute")] == ["late"]
    assert not texts_of(acts, "send", channel="mods")
    await bot.say("new1", "general", "buy my stuff")
    assert kinds(bot.take(), "refused")[0]["why"] == "muted"
    await bot.say("carol", "mods", "!unhold")  # admins only
    assert "for admins" in bot.take()[-1]["text"]
    await bot.say("olivia", "mods", "!unhold")
    acts = bot.take()
    assert sorted(m["member"] for m in kinds(acts, "unmute")) == ["late", "new0", "new1", "new2", "new3"]
    assert texts_of(acts, "send", channel="mods")[-1] == (
        "Hold lifted: the join wave's newcomers (5 joins) may post again.")
    await bot.say("new1", "general", "hello, sorry")
    assert not kinds(bot.take(), "refused")
    await bot.say("olivia", "mods", "!unhold")
    assert bot.take()[-1]["text"] == "No join wave is on hold."


@pytest.mark.asyncio
async def test_on_matrix_one_hold_for_the_whole_wave_ends_by_itself_after_an_hour(hearth_bot):
    bot = await hearth_bot(config(raid={"joins": 2, "within": "5m"}, gate={"approval": {"channel": "mods"}}),
                           start=START, members=STAFF, platform="matrix")
    await wave(bot, 3)
    acts = bot.take()
    assert len(kinds(acts, "hold")) == 1 and not kinds(acts, "mute")
    assert any("Join wave: 3 people" in t for t in texts_of(acts, "send", channel="mods"))  # approval's
    await bot.say("new0", "general", "hi")
    assert kinds(bot.take(), "refused")[0]["why"] == "held"
    await bot.say("carol", "general", "members still talk")
    assert not kinds(bot.take(), "refused")
    await bot.restart()  # the hold and its end survive a restart
    await bot.wait("59m")
    assert not kinds(bot.take(), "release")
    await bot.wait("1m")
    acts = bot.take()
    assert len(kinds(acts, "release")) == 1
    assert texts_of(acts, "send", channel="mods")[-1] == (
        "The hold on the join wave (3 joins) ended after 1h: its newcomers may post again.")
    await bot.say("new0", "general", "hi again")
    assert not kinds(bot.take(), "refused")


@pytest.mark.asyncio
async def test_where_the_network_cannot_refuse_held_messages_are_removed(hearth_bot):
    bot = await hearth_bot(config(raid=RAID), start=START, members=STAFF,
                           without=["mute", "hold_newcomers"])
    await wave(bot)
    bot.take()
    await bot.say("new2", "general", "first")
    await bot.say("new2", "general", "second")
    acts = bot.take()
    assert len(kinds(acts, "delete")) == 2
    [notice] = texts_of(acts, "dm", member="new2")  # told once
    assert "cannot post for now (until 20:00 at the latest)" in notice
    await bot.dm("new2", "!agree")  # the ritual goes on by DM
    assert "You are now a member" in texts_of(bot.take(), "dm", member="new2")[-1]


@pytest.mark.asyncio
async def test_alert_in_chinese(hearth_bot):
    bot = await hearth_bot(config(language="zh", raid=RAID), start=START, members=STAFF)
    await wave(bot)
    [alert] = texts_of(bot.take(), "send", channel="mods")
    assert alert.startswith("⚠️ 加入潮:1m 内有 4 人加入。")


@pytest.mark.parametrize("joins", [1, 0])
def test_a_wave_needs_at_least_two_joins(joins):
    with pytest.raises(ConfigError) as err:
        load(config(raid={"joins": joins}), text=True)
    assert "welcome.raid.joins" in str(err.value)


def test_raid_then_is_hold():
    with pytest.raises(ConfigError) as err:
        load(config(raid={"joins": 5, "then": "kick"}), text=True)
    assert "welcome.raid.then" in str(err.value)


@pytest.mark.asyncio
async def test_on_discord_the_timeouts_run_out_by_themselves_at_the_hour(hearth_bot):
    bot = await hearth_bot(config(raid=RAID), start=START, members=STAFF)
    await wave(bot)
    bot.take()
    await bot.wait("1h")
    acts = bot.take()
    assert not kinds(acts, "unmute")  # no call per newcomer: Discord ends the timeouts
    assert "ended after 1h" in texts_of(acts, "send", channel="mods")[-1]
    await bot.say("new0", "general", "hello")
    assert not kinds(bot.take(), "refused")
