"""The leaders plugin beyond proposals: the council, the powers as commands, cohorts,
tasks and the demotion of silent leaders (testing adapter, virtual time, both backends)."""

from __future__ import annotations

import pytest

START = "2026-11-20T10:00:00+08:00"

CONFIG = """
command_flood: off
communities:
  tea-house:
    timezone: Asia/Shanghai
    discord: {{guild: "1"}}
    channels: {{general: {{discord: "11"}}, council: {{discord: "77"}}}}
    plugins:
      leaders: {leaders}
"""

PEOPLE = [{"id": "olivia", "role": "owner"}, {"id": "adam", "role": "admin"},
          {"id": "ann", "role": "leader"}, {"id": "ben", "role": "leader"},
          *({"id": f"m{i}"} for i in range(6))]


async def make(hearth_bot, leaders: str = "{channel: council}", **options):
    options.setdefault("start", START)
    options.setdefault("members", PEOPLE)
    bot = await hearth_bot(CONFIG.format(leaders=leaders), **options)
    return bot


def only(acts, action, **match):
    return [a for a in acts if a["action"] == action and all(a.get(k) == v for k, v in match.items())]


def sent(acts, channel):
    return [a["text"] for a in only(acts, "send", channel=channel)]


def dms(acts, to):
    return [a["text"] for a in only(acts, "dm", member=to)]


def role_of(bot, member_id: str) -> str:
    assert bot.app is not None
    record = bot.app.contexts[bot.community]["hearth"].member(f"testing:{member_id}")
    assert record is not None
    return record.role.label


# --------------------------------------------------------------------------- council


@pytest.mark.asyncio
async def test_leaders_are_let_into_the_council_and_removed_as_the_list_changes(hearth_bot):
    bot = await make(hearth_bot)
    acts = bot.take()  # at start-up, the leaders already there are let in
    assert {a["member"] for a in only(acts, "invite", channel="council")} == {"ann", "ben"}
    assert sorted(bot.adapter.channel_members[(bot.community, "council")]) == ["ann", "ben"]
    await bot.say("olivia", "general", "!leaders approve @m0")
    await bot.say("m0", "general", "!leaders accept")
    acts = bot.take()
    assert [a["member"] for a in only(acts, "invite")] == ["m0"]
    assert any("Welcome to the council, @m0" in t for t in sent(acts, "council"))
    await bot.say("ann", "general", "!leaders resign")
    await bot.say("olivia", "general", "!leaders revoke @ben")
    acts = bot.take()
    assert sorted(a["member"] for a in only(acts, "remove_from_group", channel="council")) == ["ann", "ben"]
    assert bot.adapter.channel_members[(bot.community, "council")] == ["m0"]
    await bot.restart()  # nothing is invited or removed twice
    assert not only(bot.take(), "invite") and not only(bot.take(), "remove_from_group")


@pytest.mark.asyncio
async def test_a_council_the_network_refuses_is_tried_again(hearth_bot):
    bot = await make(hearth_bot, members=[p for p in PEOPLE if p["id"] != "ben"])
    bot.take()
    bot.adapter.fail_next("invite", refuse=True)
    await bot.say("olivia", "general", "!leaders approve @m0")
    await bot.say("m0", "general", "!leaders accept")
    assert role_of(bot, "m0") == "leader" and not only(bot.take(), "invite")
    await bot.wait("7d")  # the review brings the council in step
    assert [a["member"] for a in only(bot.take(), "invite")] == ["m0"]


# --------------------------------------------------------------------------- powers


@pytest.mark.asyncio
async def test_announce_posts_and_pins_unpinning_the_previous_one(hearth_bot):
    bot = await make(hearth_bot)
    bot.take()
    await bot.say("ann", "general", "!announce Tea tasting on Friday at 20:00")
    acts = bot.take()
    [post] = only(acts, "send", channel="general")
    assert post["text"] == "📣 Tea tasting on Friday at 20:00\n— @ann"
    [pin] = only(acts, "pin")
    first = pin["message"]
    assert not only(acts, "unpin")
    await bot.say("ben", "general", "!announce Moved to Saturday")
    acts = bot.take()
    assert [a["message"] for a in only(acts, "unpin")] == [first]
    assert only(acts, "pin")[0]["message"] != first
    # a member is refused with the standard refusal; nothing posted or pinned
    await bot.say("m1", "general", "!announce Buy my tea")
    acts = bot.take()
    [refusal] = sent(acts, "general")
    assert "!announce is for leaders and above" in refusal and not only(acts, "pin")
    await bot.say("ann", "general", "!announce")
    assert "missing TEXT" in sent(bot.take(), "general")[0]
    await bot.dm("ann", "!announce hello")
    assert "not by direct message" in dms(bot.take(), "ann")[0]


@pytest.mark.asyncio
async def test_a_power_the_community_withholds_is_refused_to_leaders_not_admins(hearth_bot):
    bot = await make(hearth_bot, "{channel: council, powers: [pin]}")
    bot.take()
    await bot.say("ann", "general", "!announce Hello")
    acts = bot.take()
    assert "needs the 'announce' power" in sent(acts, "general")[0] and not only(acts, "pin")
    await bot.say("adam", "general", "!announce Hello from the admin")
    assert only(bot.take(), "pin")


@pytest.mark.asyncio
async def test_pin_and_unpin_as_a_reply(hearth_bot):
    bot = await make(hearth_bot)
    bot.take()
    target = await bot.say("m1", "general", "The schedule: …")
    await bot.say("ann", "general", "!pin", reply_to=target)
    acts = bot.take()
    assert [a["message"] for a in only(acts, "pin", channel="general")] == [target]
    assert sent(acts, "general") == ["Pinned."]
    await bot.say("ann", "general", "!unpin", reply_to=target)
    assert [a["message"] for a in only(bot.take(), "unpin")] == [target]
    await bot.say("ann", "general", "!pin")
    acts = bot.take()
    assert "Reply to the message to pin or unpin with !pin" in sent(acts, "general")[0]
    assert not only(acts, "pin")
    await bot.say("m2", "general", "!pin", reply_to=target)
    assert not only(bot.take(), "pin")


# --------------------------------------------------------------------------- cohorts


@pytest.mark.asyncio
async def test_cohorts_are_stable_respect_span_and_take_newcomers_to_their_inviters_leader(hearth_bot):
    bot = await make(hearth_bot, "{channel: council, span: 4}")
    await bot.say("m0", "general", "hello")
    bot.take()
    await bot.say("ann", "general", "!cohort")
    [mine] = sent(bot.take(), "general")
    lines = mine.splitlines()
    assert lines[0] == "Your cohort (3, span 4):"
    assert len(lines) == 4
    await bot.say("ben", "general", "!cohort")
    bens = sent(bot.take(), "general")[0]
    anns = {line.split(":")[0] for line in lines[1:]}
    assert not anns & {line.split(":")[0] for line in bens.splitlines()[1:]}
    inviter = next(line for line in lines[1:]).split(":")[0].removeprefix("• @")
    # the spoken member shows when; the others never spoke
    assert "@m0: last spoke 2026-11-20 10:00" in mine + bens and "last spoke never" in mine + bens
    await bot.join("nia", invited_by=inviter)
    await bot.say("ann", "general", "!cohort")
    after = sent(bot.take(), "general")[0].splitlines()
    assert after[0] == "Your cohort (4, span 4):" and set(lines[1:]) <= set(after)
    assert any("@nia" in line for line in after)
    # ann's cohort is full: the next newcomer she would get goes to the smallest
    await bot.join("oto", invited_by=inviter)
    await bot.say("ben", "general", "!cohort")
    assert "@oto" in sent(bot.take(), "general")[0]
    # someone who leaves drops out; the others stay where they were
    await bot.leave("nia")
    await bot.say("ann", "general", "!cohort")
    left = sent(bot.take(), "general")[0].splitlines()
    assert left[0] == "Your cohort (3, span 4):" and set(left[1:]) == set(lines[1:])
    await bot.say("m3", "general", "!cohort")
    assert "!cohort is for leaders and above" in sent(bot.take(), "general")[0]
    await bot.say("adam", "general", "!cohort")
    assert "Only leaders have a cohort" in sent(bot.take(), "general")[0]


@pytest.mark.asyncio
async def test_a_crowded_cohort_makes_the_review_propose_another_leader(hearth_bot):
    people = [p for p in PEOPLE if p["id"] != "ben"]
    bot = await make(hearth_bot, "{channel: council, span: 2, share: 0.05}", members=people)
    for i in range(6):
        await bot.say(f"m{i}", "general", f"thanks @m{(i + 1) % 6}")
    bot.take()
    await bot.say("adam", "general", "!leaders propose")
    assert "Proposed 1" in sent(bot.take(), "general")[0]


# --------------------------------------------------------------------------- tasks


@pytest.mark.asyncio
async def test_tasks_are_posted_claimed_done_and_digested_for_the_owner(hearth_bot):
    bot = await make(hearth_bot)
    bot.take()
    await bot.say("adam", "general", '!task Welcome the five newcomers of this week')
    acts = bot.take()
    assert sent(acts, "general") == ["Task #1 is posted to the council."]
    assert sent(acts, "council") == ["📋 Task #1: Welcome the five newcomers of this week\n"
                                     "A leader takes it with !claim 1."]
    await bot.say("adam", "general", "!task Tidy the pinned messages")
    bot.take()
    await bot.say("m1", "general", "!tasks")
    assert sent(bot.take(), "general")[0].splitlines() == [
        "Open tasks:", "• #1 (open): Welcome the five newcomers of this week",
        "• #2 (open): Tidy the pinned messages"]
    await bot.say("ann", "general", "!claim 1")
    assert sent(bot.take(), "general")[0].startswith("Task #1 is yours")
    await bot.say("ben", "general", "!claim 1")
    assert sent(bot.take(), "general") == ["Task #1 is @ann's."]
    await bot.say("ben", "general", "!done 1")
    assert sent(bot.take(), "general") == ["Task #1 is @ann's."]
    await bot.say("ann", "general", "!claim 1")
    assert "yours already" in sent(bot.take(), "general")[0]
    await bot.say("m1", "general", "!claim 2")  # members cannot claim
    assert "for leaders and above" in sent(bot.take(), "general")[0]
    await bot.say("ann", "general", "!claim 9")
    assert "There is no task #9" in sent(bot.take(), "general")[0]
    await bot.say("ann", "general", "!claim one")
    assert "is not a whole number" in sent(bot.take(), "general")[0]
    await bot.say("ann", "general", "!done 1")
    assert sent(bot.take(), "general") == ["Task #1 is done. Thank you!"]
    await bot.say("ann", "general", "!done 1")
    assert sent(bot.take(), "general") == ["Task #1 is done already."]
    await bot.say("m1", "general", "!tasks")
    assert sent(bot.take(), "general")[0].splitlines() == [
        "Open tasks:", "• #2 (open): Tidy the pinned messages"]
    # a day later the unclaimed one is posted again, the claimed one is not
    await bot.wait("1d")
    assert sent(bot.take(), "council") == ["📋 Still unclaimed, task #2: Tidy the pinned messages\n"
                                           "A leader takes it with !claim 2."]
    await bot.say("ben", "general", "!done 2")  # a leader may finish an open task at once
    bot.take()
    await bot.wait("1d")
    assert sent(bot.take(), "council") == []
    await bot.wait("5d")  # the week is up: the owner's digest (and the review)
    digest = [t for t in dms(bot.take(), "olivia") if "this week" in t]
    assert digest == ["Done by the leaders of tea-house this week (2):\n"
                      "• #1 Welcome the five newcomers of this week: @ann\n"
                      "• #2 Tidy the pinned messages: @ben"]


@pytest.mark.asyncio
async def test_unclaimed_tasks_survive_a_restart_and_show_in_the_health(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("adam", "general", "!task Plan the spring outing")
    bot.take()
    await bot.restart()
    await bot.wait("1d")
    assert "Still unclaimed, task #1" in sent(bot.take(), "council")[0]
    assert bot.app is not None
    pyramid = await bot.app.contexts[bot.community]["hearth"].pyramid()
    assert pyramid.unclaimed_tasks == 1 and pyramid.leaders == 2
    await bot.wait("6d")
    [health] = [t for t in dms(bot.take(), "olivia") if t.startswith("Pyramid")]
    assert "Unclaimed tasks: 1." in health


@pytest.mark.asyncio
async def test_a_task_needs_a_council(hearth_bot):
    bot = await make(hearth_bot, "{}")
    bot.take()
    await bot.say("adam", "general", "!task Something")
    assert "no council channel" in sent(bot.take(), "general")[0]
    await bot.say("adam", "general", "!task")
    assert "missing TEXT" in sent(bot.take(), "general")[0]


# --------------------------------------------------------------------------- demotion


@pytest.mark.asyncio
async def test_a_silent_leader_is_told_then_demoted_a_week_later(hearth_bot):
    bot = await make(hearth_bot, "{channel: council, inactive_after: 10d}")
    await bot.say("ann", "general", "!cohort")  # ann's people before
    anns = sent(bot.take(), "general")[0]
    for _ in range(11):
        await bot.say("ben", "general", "still here")
        await bot.wait("1d")
    acts = bot.take()
    [warning] = dms(acts, "ann")
    assert "We have not heard from you in tea-house for 10d" in warning
    assert dms(acts, "ben") == [] and role_of(bot, "ann") == "leader"
    assert bot.app is not None
    pyramid = await bot.app.contexts[bot.community]["hearth"].pyramid()
    assert pyramid.inactive_leaders == 1
    await bot.restart()  # the demotion is a stored job
    for _ in range(7):
        await bot.say("ben", "general", "still here")
        await bot.wait("1d")
    acts = bot.take()
    assert role_of(bot, "ann") == "member"
    assert "no longer a leader" in dms(acts, "ann")[-1]
    assert any("@ann was silent too long" in t for t in dms(acts, "olivia"))
    assert [a["member"] for a in only(acts, "remove_from_group", channel="council")] == ["ann"]
    # her cohort went to ben (the only leader left)
    await bot.say("ben", "general", "!cohort")
    bens = sent(bot.take(), "general")[0]
    assert all(line.split(":")[0] in bens for line in anns.splitlines()[1:])


@pytest.mark.asyncio
async def test_a_warned_leader_who_speaks_up_stays_a_leader(hearth_bot):
    bot = await make(hearth_bot, "{channel: council, inactive_after: 10d}")
    await bot.wait("11d")
    assert dms(bot.take(), "ann")
    await bot.wait("3d")
    await bot.say("ann", "general", "Sorry, I was travelling!")
    await bot.wait("5d")
    assert role_of(bot, "ann") == "leader"
    assert not any("no longer a leader" in t for t in dms(bot.take(), "ann"))


# --------------------------------------------------------------------------- texts


@pytest.mark.asyncio
async def test_chinese_texts_for_tasks_and_cohorts(hearth_bot):
    zone = "timezone: Asia/Shanghai"
    bot = await hearth_bot(CONFIG.format(leaders="{channel: council}").replace(
        zone, zone + "\n    language: zh"), start=START, members=PEOPLE)
    bot.take()
    await bot.say("adam", "general", "!task 欢迎新人")
    acts = bot.take()
    assert sent(acts, "general") == ["任务 #1 已发到领袖议事室。"]
    assert sent(acts, "council")[0].startswith("📋 任务 #1：欢迎新人")
    await bot.say("ann", "general", "!cohort")
    assert sent(bot.take(), "general")[0].startswith("你的小组（")


TWO_NETWORKS = """
command_flood: off
communities:
  tea-house:
    discord: {guild: "1"}
    matrix: {space: "!space:example.org"}
    channels:
      general: {discord: "11", matrix: "!gen:example.org"}
      council: {discord: "77"}
    plugins:
      leaders: {channel: council}
"""


@pytest.mark.asyncio
async def test_where_the_council_is_not_mapped_the_bot_makes_the_room(hearth_bot):
    bot = await hearth_bot(TWO_NETWORKS, start=START, networks=["discord", "matrix"], members=[
        {"id": "olivia", "role": "owner"}, {"id": "ann", "role": "leader"},
        {"id": "mia", "role": "leader", "platform": "matrix"}, {"id": "max", "platform": "matrix"}])
    acts = bot.take()
    # Discord: the mapped channel, ann let in; Matrix: a room of the bot's, with mia
    assert [(a["network"], a["member"]) for a in only(acts, "invite")] == [("discord", "ann")]
    [room] = only(acts, "create_group")
    assert (room["network"], room["channel"], room["members"]) == ("matrix", "leaders-council", ["mia"])
    await bot.say("olivia", "general", "!leaders approve @max")  # on Discord: no such member there
    bot.take()
    await bot.say("olivia", "general", "!task Plan the tasting")
    posted = {(a["network"], a["channel"]) for a in only(bot.take(), "send") if "Task #1:" in a["text"]}
    assert posted == {("discord", "council"), ("matrix", "leaders-council")}
    await bot.set_role("max", "leader")  # made a leader on the network: let into the room
    acts = bot.take()
    assert [(a["network"], a["channel"], a["member"]) for a in only(acts, "invite")] == [
        ("matrix", "leaders-council", "max")]
    await bot.set_role("mia", "member")
    acts = bot.take()
    assert [(a["network"], a["member"]) for a in only(acts, "remove_from_group")] == [("matrix", "mia")]
    await bot.restart()  # the room is the core's record: not made twice
    assert not only(bot.take(), "create_group")
