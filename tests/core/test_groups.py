"""The core group lifecycle (``ctx.groups``) on the testing adapter, in virtual time."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import pytest

from hearth import hookimpl
from hearth.groups import RETRY_DISSOLVE

START = "2026-11-20T19:00:00+00:00"
T0 = datetime.fromisoformat(START)

CONFIG = """
communities:
  tea-house:
    channels: {general: {discord: "11"}, mods: {discord: "12"}}
    plugins:
      party: {}
"""

PEOPLE = [{"id": "ann", "role": "leader"}, {"id": "bob"}, {"id": "cat"}]


class Party:
    """A plugin that owns groups and writes down what the service tells it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any, ...]] = []

    @hookimpl
    async def on_group_reminder(self, ctx, group, left):
        self.calls.append(("reminder", group.name, left))
        await ctx.send(group.channel, f"{left} left")

    @hookimpl
    async def on_group_ending(self, ctx, group, summary):
        self.calls.append(("ending", group.name, summary))
        await ctx.send(group.channel, f"{summary.messages} messages by {summary.people}")

    @hookimpl
    async def on_group_closed(self, ctx, group, summary):
        self.calls.append(("closed", group.name, group.mode, group.state))


async def start(hearth_bot, **options):
    party = Party()
    bot = await hearth_bot(CONFIG, start=START, members=PEOPLE, extra_plugins={"party": party},
                           **options)
    bot.take()
    return bot, party


def ctx(bot):
    return bot.app.contexts["tea-house"]["party"]


async def member(bot, member_id):
    found = await ctx(bot).get_member(bot.adapter.name, member_id)
    assert found is not None
    return found


async def open_group(bot, name="night", hours=1, remind="10m", **kwargs):
    people = [await member(bot, m) for m in ("ann", "bob")]
    return await ctx(bot).groups.create(
        bot.adapter.name, name, people, topic="a night talk", expires=T0 + timedelta(hours=hours),
        remind_before=timedelta(minutes=int(remind[:-1])) if remind else None,
        data={"title": "Night"}, **kwargs)


async def state(bot, group_id):
    row = await bot.app.db.fetchrow("SELECT * FROM hearth_groups WHERE id = ?", (group_id,))
    return row["state"]


def kinds(acts):
    return [(a["action"], a.get("channel")) for a in acts]


@pytest.mark.asyncio
async def test_create_count_remind_summarise_dissolve(hearth_bot):
    bot, party = await start(hearth_bot)
    group = await open_group(bot)
    assert group is not None and group.is_open and group.members == ("ann", "bob")
    assert group.data == {"title": "Night"} and group.expires == T0 + timedelta(hours=1)
    [created] = bot.take()
    assert created["action"] == "create_group" and created["members"] == ["ann", "bob"]
    row = await bot.app.db.fetchrow("SELECT * FROM hearth_groups WHERE id = ?", (group.id,))
    assert row["expires_ms"] == int((T0 + timedelta(hours=1)).timestamp() * 1000)
    assert row["plugin"] == "party" and row["community"] == "tea-house"

    await bot.say("ann", "night", "hello")
    await bot.say("bob", "night", "hi")
    await bot.say("bob", "night", "shall we?")
    await bot.say("cat", "general", "not in the group")
    bot.take()
    assert (await ctx(bot).groups.summary(group)).speakers == {"bob": 2, "ann": 1}

    await bot.wait("50m")
    assert party.calls == [("reminder", "night", timedelta(minutes=10))]
    assert [a["text"] for a in bot.take()] == ["0:10:00 left"]

    await bot.wait("10m")
    assert kinds(bot.take()) == [("send", "night"), ("dissolve_group", "night")]
    ending, closed = party.calls[1:]
    summary = ending[2]
    assert (summary.messages, summary.people, summary.lasted) == (3, 2, timedelta(hours=1))
    assert closed == ("closed", "night", "delete", "closed")
    assert await state(bot, group.id) == "closed"
    assert await ctx(bot).groups.open() == []

    await bot.wait("1d")
    assert not bot.take() and len(party.calls) == 3


@pytest.mark.asyncio
async def test_close_early_once_and_no_reminder_after(hearth_bot):
    bot, party = await start(hearth_bot)
    group = await open_group(bot)
    await bot.wait("5m")
    assert await ctx(bot).groups.close(group) is True
    assert await ctx(bot).groups.close(group) is False  # once
    await bot.settle()
    assert [c[0] for c in party.calls] == ["ending", "closed"]
    await bot.wait("2h")
    assert [c[0] for c in party.calls] == ["ending", "closed"]


@pytest.mark.asyncio
async def test_invite_and_remove_from_group(hearth_bot):
    bot, _ = await start(hearth_bot)
    group = await open_group(bot)
    cat = await member(bot, "cat")
    assert await ctx(bot).groups.invite(group, cat)
    group = await ctx(bot).groups.get(group.id)
    assert group.members == ("ann", "bob", "cat")
    bob = await member(bot, "bob")
    assert await ctx(bot).groups.remove(group, bob)
    acts = bot.take()
    assert [(a["action"], a["member"]) for a in acts[1:]] == [("invite", "cat"),
                                                             ("remove_from_group", "bob")]
    assert bot.adapter.groups["night"]["members"] == ["ann", "cat"]
    group = await ctx(bot).groups.get(group.id)
    assert group.members == ("ann", "cat")
    await ctx(bot).groups.close(group)
    await bot.settle()
    closed = await ctx(bot).groups.get(group.id)
    assert not await ctx(bot).groups.remove(closed, cat)  # a closed group: nothing to do


@pytest.mark.asyncio
async def test_dissolve_falls_back_to_archive_and_says_so_once(hearth_bot, caplog):
    caplog.set_level(logging.WARNING)
    bot, party = await start(hearth_bot, platform="matrix")  # rooms cannot be deleted
    await open_group(bot, "one", hours=1)
    await open_group(bot, "two", hours=2)
    await bot.wait("2h")
    acts = [a for a in bot.take() if a["action"] == "dissolve_group"]
    assert [a["mode"] for a in acts] == ["archive", "archive"]
    assert [c[2] for c in party.calls if c[0] == "closed"] == ["archive", "archive"]
    said = [r.getMessage() for r in caplog.records if "cannot delete" in r.getMessage()]
    assert len(said) == 1 and "archived instead" in said[0]


@pytest.mark.asyncio
async def test_restart_before_the_end(hearth_bot):
    bot, party = await start(hearth_bot)
    group = await open_group(bot)
    await bot.say("bob", "night", "before")
    await bot.restart(downtime="20m")
    bot.take()
    await bot.say("ann", "night", "after")  # still counted: the open groups were reloaded
    await bot.wait("30m")
    assert [c[0] for c in party.calls] == ["reminder"]
    await bot.wait("10m")
    summary = next(c[2] for c in party.calls if c[0] == "ending")
    assert summary.speakers == {"bob": 1, "ann": 1}
    assert await state(bot, group.id) == "closed"


@pytest.mark.asyncio
async def test_restart_after_the_end_closes_at_start_up_without_a_stale_reminder(hearth_bot):
    bot, party = await start(hearth_bot)
    group = await open_group(bot)
    await bot.wait("30m")
    bot.take()
    await bot.restart(downtime="3h")
    assert [c[0] for c in party.calls] == ["ending", "closed"]
    assert kinds(bot.take()) == [("send", "night"), ("dissolve_group", "night")]
    assert await state(bot, group.id) == "closed"
    await bot.restart(downtime="1h")
    assert not bot.take()


@pytest.mark.asyncio
async def test_a_refused_dissolution_stays_closing_and_is_retried(hearth_bot):
    bot, party = await start(hearth_bot)
    group = await open_group(bot)
    bot.adapter.fail_next("dissolve_group", refuse=True)
    await bot.wait("1h")
    assert await state(bot, group.id) == "closing"
    assert bot.adapter.groups["night"]["open"]
    assert [c[0] for c in party.calls] == ["reminder", "ending"]
    await bot.wait(RETRY_DISSOLVE - timedelta(seconds=1))
    assert await state(bot, group.id) == "closing"
    await bot.wait("1s")
    assert await state(bot, group.id) == "closed"
    assert not bot.adapter.groups["night"]["open"]
    assert [c[0] for c in party.calls] == ["reminder", "ending", "closed"]  # one summary only


@pytest.mark.asyncio
async def test_a_refused_dissolution_is_retried_at_start_up(hearth_bot):
    bot, _ = await start(hearth_bot)
    group = await open_group(bot)
    bot.adapter.fail_next("dissolve_group", refuse=True)
    await bot.wait("1h")
    assert await state(bot, group.id) == "closing"
    await bot.restart(downtime="1m")
    assert await state(bot, group.id) == "closed"


@pytest.mark.asyncio
async def test_at_the_networks_cap_creation_is_refused_and_the_admins_told(hearth_bot):
    bot, _ = await start(hearth_bot)
    bot.adapter.max_groups = 1
    assert await open_group(bot, "one") is not None
    assert await open_group(bot, "two") is None
    await bot.settle()
    acts = bot.take()
    assert kinds(acts)[0] == ("create_group", "one")
    [note] = [a for a in acts if a["action"] == "send"]
    assert note["channel"] == "mods" and "'two'" in note["text"] and "allows" in note["text"]
    assert len(await ctx(bot).groups.open()) == 1


@pytest.mark.asyncio
async def test_without_group_channels_nothing_is_created(hearth_bot):
    bot, _ = await start(hearth_bot, without=["groups"])
    assert await open_group(bot) is None
    assert not bot.take()


@pytest.mark.asyncio
async def test_a_group_without_expiry_stays_until_closed(hearth_bot):
    bot, party = await start(hearth_bot)
    people = [await member(bot, "ann")]
    group = await ctx(bot).groups.create(bot.adapter.name, "standing", people, topic="t")
    assert group is not None and group.expires is None
    await bot.wait("30d")
    assert party.calls == [] and await state(bot, group.id) == "open"


@pytest.mark.asyncio
async def test_plugins_see_only_their_own_groups(hearth_bot):
    config = CONFIG.replace("party: {}", "party: {}\n      other: {}")
    party, other = Party(), Party()
    bot = await hearth_bot(config, start=START, members=PEOPLE,
                           extra_plugins={"party": party, "other": other})
    group = await open_group(bot)
    theirs = bot.app.contexts["tea-house"]["other"].groups
    assert await theirs.open() == [] and await theirs.get(group.id) is None
    await bot.wait("1h")
    assert other.calls == [] and [c[0] for c in party.calls] == ["reminder", "ending", "closed"]


@pytest.mark.asyncio
async def test_a_reminder_text_supplied_at_creation_is_posted_with_the_time_left(hearth_bot):
    bot, party = await start(hearth_bot)
    group = await open_group(bot, reminder="Closing in {left}: say goodbye {politely}")
    bot.take()
    await bot.wait("49m")
    await bot.restart(downtime="1m30s")  # it fell due while down: late, with the true time left
    texts = [a["text"] for a in bot.take() if a["action"] == "send"]
    assert texts[0] == "Closing in 10m: say goodbye {politely}"  # 9m30s, rounded up
    assert party.calls[0][:2] == ("reminder", group.name)


class Talkative(Party):
    """Says a lot at the end: more than Discord's pace lets through at once."""

    @hookimpl
    async def on_group_ending(self, ctx, group, summary):
        for n in range(8):
            await ctx.send(group.channel, f"last words {n}")


@pytest.mark.asyncio
async def test_the_dissolution_waits_for_what_was_said_before_it(hearth_bot):
    bot = await hearth_bot(CONFIG, start=START, members=PEOPLE,
                           extra_plugins={"party": Talkative()})
    await open_group(bot)
    bot.take()
    await bot.wait("1h")
    await bot.wait("1m")  # the channel's pace spreads the last words over a few seconds
    acts = [a for a in bot.take() if "left" not in a.get("text", "")]
    *said, dissolved = acts
    assert dissolved["action"] == "dissolve_group"
    assert "\n".join(a["text"] for a in said) == "\n".join(f"last words {n}" for n in range(8))
    assert dissolved["time"] > said[0]["time"]  # it waited for the channel's pace


@pytest.mark.asyncio
async def test_a_group_as_a_thread_where_the_network_offers_threads(hearth_bot, caplog):
    bot, _ = await start(hearth_bot)
    [general] = ctx(bot).channels("general")
    group = await open_group(bot, within=general)
    [created] = bot.take()
    assert created["action"] == "create_group" and created["within"] == "general"
    await bot.say("bob", group.channel.id, "in the thread")
    assert (await ctx(bot).groups.summary(group)).messages == 1

    # A network without private threads refuses cleanly: no group, one log line.
    bot, _ = await start(hearth_bot, platform="matrix")
    [general] = ctx(bot).channels("general")
    with caplog.at_level(logging.WARNING):
        assert await open_group(bot, within=general) is None
        assert await open_group(bot, within=general) is None
    assert not bot.take()
    assert sum("group_threads" in r.getMessage() for r in caplog.records) == 1
