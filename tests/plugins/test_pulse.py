"""Scenario tests for pulse over several simulated weeks (virtual time): rule reminders that
taper, topics that back off, inactivity reminders and removal, health reports."""

from __future__ import annotations

import itertools
import logging
from datetime import datetime, timedelta

import pytest

from hearth import Pyramid, hookimpl

START = "2026-11-02T08:00:00+08:00"  # a Monday morning
T0 = datetime.fromisoformat(START)
t = datetime.fromisoformat

BASE = """
communities:
  tea:
    timezone: Asia/Shanghai
    rules: "1. Be kind."
    discord: {{guild: "1"}}
    channels: {{general: {{discord: "11"}}, mods: {{discord: "44"}}}}
    plugins:
      pulse:
{pulse}
"""

PEOPLE = [
    {"id": "olivia", "role": "owner"},
    {"id": "adam", "role": "admin"},
    {"id": "lea", "role": "leader"},
    {"id": "leo", "role": "leader"},
    {"id": "bob"},
    {"id": "carol"},
]


def config(pulse: str, extra: str = "") -> str:
    body = "\n".join("        " + line for line in pulse.strip().splitlines())
    return BASE.format(pulse=body) + extra


async def make(hearth_bot, pulse: str, **options):
    options.setdefault("start", START)
    options.setdefault("members", PEOPLE)
    bot = await hearth_bot(config(pulse), **options)
    bot.take()
    return bot


def only(acts, action, **match):
    return [a for a in acts if a["action"] == action and all(a.get(k) == v for k, v in match.items())]


def days_of(acts):
    return [t(a["time"]).date() for a in acts]


# --------------------------------------------------------------------------- rule reminders


REMINDERS = "rules_reminder: {channel: general, pin: true}"


@pytest.mark.asyncio
async def test_reminders_are_daily_while_young_then_weekly_pinning_the_newest(hearth_bot):
    bot = await make(hearth_bot, REMINDERS)
    await bot.wait("35d")
    acts = bot.take()
    sends = only(acts, "send", channel="general")
    assert all(s["text"] == "📌 A reminder of our rules:\n1. Be kind." for s in sends)
    days = days_of(sends)
    young = [d for d in days if d < (T0 + timedelta(days=14)).date()]
    assert len(young) == 14 and all((b - a).days == 1 for a, b in itertools.pairwise(young))
    later = [d for d in days if d >= (T0 + timedelta(days=14)).date()]
    assert [(b - a).days for a, b in itertools.pairwise(days[13:])] == [7] * len(later)
    assert all(t(s["time"]).hour == 10 for s in sends)
    # Each reminder is pinned; from the second on, the previous one is unpinned.
    pins, unpins = only(acts, "pin"), only(acts, "unpin")
    assert len(pins) == len(sends) and len(unpins) == len(sends) - 1
    assert [u["message"] for u in unpins] == [p["message"] for p in pins[:-1]]


@pytest.mark.asyncio
async def test_a_restart_neither_repeats_a_reminder_nor_forgets_the_pinned_one(hearth_bot):
    bot = await make(hearth_bot, REMINDERS)
    await bot.wait("3h")  # the first reminder at 10:00
    [first] = only(bot.take(), "pin")
    await bot.restart(downtime="1h")
    await bot.wait("1h")
    assert not only(bot.take(), "send")  # today's reminder is out already
    await bot.wait("1d")
    acts = bot.take()
    assert len(only(acts, "send")) == 1 and only(acts, "unpin")[0]["message"] == first["message"]


@pytest.mark.asyncio
async def test_an_established_community_is_not_young(hearth_bot):
    old = [{**p, "joined": "2024-01-01T00:00:00+00:00"} for p in PEOPLE]
    bot = await make(hearth_bot, REMINDERS, members=old)
    await bot.wait("21d")
    sends = only(bot.take(), "send", channel="general")
    assert [(b - a).days for a, b in zip(days_of(sends), days_of(sends)[1:], strict=False)] == [7, 7]


@pytest.mark.asyncio
async def test_a_wave_of_joins_brings_daily_reminders_back(hearth_bot):
    old = [{**p, "joined": "2024-01-01T00:00:00+00:00"} for p in PEOPLE]
    bot = await make(hearth_bot, REMINDERS, members=old)
    await bot.wait("8d")
    assert len(only(bot.take(), "send")) == 2  # weekly
    for i in range(9):
        await bot.join(f"new{i}")
    await bot.wait("3d")
    assert len(only(bot.take(), "send")) == 0  # nine joins are no wave
    await bot.join("new9")  # the tenth within a week
    await bot.wait("5d")
    assert len(only(bot.take(), "send")) == 5  # daily again


@pytest.mark.asyncio
async def test_without_the_pin_capability_reminders_are_posted_unpinned(hearth_bot):
    bot = await make(hearth_bot, REMINDERS, without=["pin"])
    await bot.wait("2d")
    acts = bot.take()
    assert len(only(acts, "send")) == 2 and not only(acts, "pin") and not only(acts, "unpin")


WELCOME_REMINDER = """
communities:
  tea:
    rules: "1. Be kind."
    discord: {guild: "1"}
    channels: {general: {discord: "11"}}
    plugins:
      welcome: {channel: general, reminder: {every: 1d, at: "09:00"}}
"""


@pytest.mark.asyncio
async def test_the_deprecated_welcome_reminder_still_works(hearth_bot):
    from hearth.bootstrap import load

    loaded = load(WELCOME_REMINDER, text=True)
    [warning] = [w for w in loaded.warnings if "reminder" in w.key]
    assert warning.key == "communities.tea.plugins.welcome.reminder"
    assert "deprecated" in warning.problem and "pulse.rules_reminder instead" in warning.problem
    bot = await hearth_bot(WELCOME_REMINDER, start="2026-11-02T08:00:00+00:00")
    await bot.wait("2d")
    assert len([s for s in bot.sent("send") if "reminder of our rules" in s["text"]]) == 2


@pytest.mark.asyncio
async def test_pulse_wins_over_the_deprecated_welcome_reminder(hearth_bot):
    from hearth.bootstrap import load

    both = WELCOME_REMINDER.replace(
        'reminder: {every: 1d, at: "09:00"}}',
        'reminder: {every: 1d, at: "09:00"}}\n      pulse: {rules_reminder: {channel: general, every: 7d,'
        ' early: {every: 7d}}}')
    loaded = load(both, text=True)
    [warning] = [w for w in loaded.warnings if "reminder" in w.key]
    assert "ignored, as communities.tea.plugins.pulse.rules_reminder is set" in warning.problem
    bot = await hearth_bot(both, start="2026-11-02T08:00:00+00:00")
    await bot.wait("3d")
    sends = bot.sent("send")
    assert len(sends) == 1 and sends[0]["text"].startswith("📌")  # pulse's, at 10:00; welcome's none


# --------------------------------------------------------------------------- topics


TOPICS = 'topics: {channel: general, at: "20:00", pool: ["Tea?", "Teaware?", "Water?"]}'


def topics_in(acts):
    return [a for a in only(acts, "send", channel="general") if a["text"].startswith("💬")]


@pytest.mark.asyncio
async def test_topics_back_off_when_unanswered_and_recover_when_answered(hearth_bot):
    bot = await make(hearth_bot, TOPICS)
    await bot.wait("30d")
    posted = topics_in(bot.take())
    gaps = [(b - a).days for a, b in zip(days_of(posted), days_of(posted)[1:], strict=False)]
    assert gaps[:4] == [2, 4, 7, 7]  # halving the cadence, down to weekly
    # The pool is used up before any topic repeats.
    texts = [p["text"] for p in posted]
    assert sorted(texts[:3]) == sorted(f"💬 Today's topic: {x}" for x in ("Tea?", "Teaware?", "Water?"))

    # The next topic gets a reply: daily again.
    for _ in range(24 * 8):
        await bot.wait("1h")
        acts = topics_in(bot.take())
        if acts:
            break
    topic_id = bot.adapter.last_bot_message[("tea", "general")]
    await bot.wait("1h")
    await bot.say("bob", "general", "Oolong!", reply_to=topic_id)
    await bot.wait("5d")
    after = topics_in(bot.take())
    assert len(after) >= 2 and (t(after[0]["time"]) - t(acts[0]["time"])).days == 1


@pytest.mark.asyncio
async def test_two_members_talking_after_a_topic_answer_it(hearth_bot):
    bot = await make(hearth_bot, TOPICS)
    await bot.at("2026-11-02T20:30:00+08:00")
    await bot.say("bob", "general", "Pu'er today")
    await bot.say("bob", "general", "and you?")
    await bot.wait("4h")  # one member alone is no answer
    await bot.wait("1d")
    assert len(topics_in(bot.take())) == 1  # tomorrow skipped: every 2 days now
    await bot.at("2026-11-04T20:10:00+08:00")
    assert len(topics_in(bot.take())) == 1
    await bot.say("bob", "general", "Jasmine")
    await bot.say("carol", "general", "Longjing here")
    await bot.wait("1d")
    assert len(topics_in(bot.take())) == 1  # answered: the next day's topic comes


@pytest.mark.asyncio
async def test_no_topic_on_a_busy_day(hearth_bot):
    bot = await make(hearth_bot, 'topics: {channel: general, pool: ["Tea?"], skip_if_active: 3}')
    for text in ("a", "b", "c"):
        await bot.say("bob", "general", text)
    await bot.at("2026-11-02T21:00:00+08:00")
    assert topics_in(bot.take()) == []
    await bot.wait("1d")
    assert len(topics_in(bot.take())) == 1  # a quiet day: the topic comes


LEADER_TOPICS = 'topics: {channel: general, at: "20:00", pool: ["Tea?", "Teaware?"], by: leaders}'


@pytest.mark.asyncio
async def test_leaders_take_turns_and_the_bot_posts_when_the_leader_on_duty_does_not(hearth_bot):
    bot = await make(hearth_bot, LEADER_TOPICS)
    await bot.at("2026-11-02T17:00:00+08:00")
    [duty] = only(bot.take(), "dm")
    assert duty["member"] == "lea" and "!topic" in duty["text"] and "20:00" in duty["text"]
    # Another leader is not on duty (and no announce power is granted).
    await bot.say("leo", "general", "!topic Who brews in clay?")
    assert "lea" in only(bot.take(), "send")[0]["text"]
    await bot.say("lea", "general", "!topic Who brews in clay?")
    acts = bot.take()
    [topic] = topics_in(acts)
    assert topic["text"] == "💬 Today's topic, from @lea: Who brews in clay?"
    await bot.say("bob", "general", "Me!", reply_to=bot.adapter.last_bot_message[("tea", "general")])
    await bot.at("2026-11-02T20:05:00+08:00")
    assert topics_in(bot.take()) == []  # the leader's topic is today's

    # The next day Leo is on duty, says nothing: the bot posts the suggestion at 20:00.
    await bot.at("2026-11-03T17:00:00+08:00")
    [duty] = only(bot.take(), "dm")
    assert duty["member"] == "leo"
    suggestion = duty["text"].split("An idea: ")[1].split(" (if")[0]
    await bot.at("2026-11-03T20:00:00+08:00")
    [topic] = topics_in(bot.take())
    assert topic["text"] == f"💬 Today's topic: {suggestion}"
    # A member cannot post topics.
    await bot.say("bob", "general", "!topic mine")
    assert "leader" in only(bot.take(), "send")[0]["text"]


# --------------------------------------------------------------------------- inactivity


INACTIVITY = """
inactivity: {nudge_after: 30d, remove_after: 7d, moderators: mods}
"""


@pytest.mark.asyncio
async def test_a_never_speaking_member_is_nudged_then_removed_and_staff_never_touched(hearth_bot):
    bot = await make(hearth_bot, INACTIVITY)
    await bot.wait("30d")
    assert bot.take() == []
    await bot.wait("4h")  # 30 days after the bot first saw them, at the daily round (12:00)
    acts = bot.take()
    nudged = sorted(a["member"] for a in only(acts, "dm"))
    assert nudged == ["bob", "carol"]  # not the owner, admin or leaders
    assert all("removed on 2026-12-09" in a["text"] for a in only(acts, "dm"))
    # Carol answers the reminder by DM: she stays. Bob says nothing.
    await bot.dm("carol", "Sorry, busy weeks! I'm still here.")
    await bot.wait("6d")
    [notice] = only(bot.take(), "send", channel="mods")
    assert "@bob" in notice["text"] and "@carol" not in notice["text"]
    assert t(notice["time"]).date().isoformat() == "2026-12-08"
    await bot.wait("1d")
    acts = bot.take()
    [kick] = only(acts, "kick")
    assert kick["member"] == "bob" and "silent" in kick["reason"]
    assert t(kick["time"]).date().isoformat() == "2026-12-09"
    await bot.wait("60d")
    kicked = {a["member"] for a in bot.sent("kick")}
    assert kicked <= {"bob", "carol"} and not kicked & {"olivia", "adam", "lea", "leo"}
    assert not {a["member"] for a in bot.sent("dm")} & {"olivia", "adam", "lea", "leo"}


@pytest.mark.asyncio
async def test_a_member_who_speaks_after_the_reminder_is_kept(hearth_bot):
    bot = await make(hearth_bot, INACTIVITY, members=[{"id": "olivia", "role": "owner"}, {"id": "bob"}])
    await bot.wait("30d")
    await bot.wait("4h")
    assert only(bot.take(), "dm")
    await bot.say("bob", "general", "I'm back")
    await bot.wait("10d")
    acts = bot.take()
    assert not only(acts, "kick") and not only(acts, "send", channel="mods")


@pytest.mark.asyncio
async def test_without_remove_after_members_are_only_reminded(hearth_bot):
    bot = await make(hearth_bot, "inactivity: {nudge_after: 7d}")
    await bot.wait("40d")
    acts = bot.take()
    assert sorted(a["member"] for a in only(acts, "dm")) == ["bob", "carol"]  # once each
    assert not only(acts, "kick") and "removed" not in only(acts, "dm")[0]["text"]


@pytest.mark.asyncio
async def test_removals_are_capped_per_day(hearth_bot):
    many = [{"id": "olivia", "role": "owner"}] + [{"id": f"m{i}"} for i in range(5)]
    bot = await make(hearth_bot, """
inactivity: {nudge_after: 1d, remove_after: 1d, max_removals_per_day: 2, moderators: mods}
""", members=many)
    await bot.wait("10d")
    kicks = only(bot.take(), "kick")
    assert len(kicks) == 5
    per_day: dict[str, int] = {}
    for k in kicks:
        per_day[k["time"][:10]] = per_day.get(k["time"][:10], 0) + 1
    assert max(per_day.values()) == 2


@pytest.mark.asyncio
async def test_a_member_who_refuses_dms_is_logged_and_removed_only_after_the_full_grace(
        hearth_bot, caplog):
    bot = await make(hearth_bot, INACTIVITY, members=[{"id": "olivia", "role": "owner"}, {"id": "bob"}])
    bot.refuse_dms("bob")
    with caplog.at_level(logging.INFO, logger="hearth.plugins.pulse"):
        await bot.wait("30d")
        await bot.wait("4h")
    assert any("not delivered" in r.getMessage() and "bob" in r.getMessage() for r in caplog.records)
    await bot.say("olivia", "mods", "!quiet")
    [reply] = only(bot.take(), "send", channel="mods")
    assert "@bob" in reply["text"] and "direct messages refused" in reply["text"]
    await bot.wait("6d")
    assert not only(bot.take(), "kick")
    await bot.wait("1d")
    [kick] = only(bot.take(), "kick")
    assert t(kick["time"]) - (T0 + timedelta(days=30, hours=4)) == timedelta(days=7)


@pytest.mark.asyncio
async def test_quiet_lists_who_is_due_and_when(hearth_bot):
    bot = await make(hearth_bot, INACTIVITY)
    await bot.wait("25d")
    await bot.say("carol", "general", "hello")
    await bot.say("olivia", "mods", "!quiet")
    [reply] = only(bot.take(), "send", channel="mods")
    assert "@bob" in reply["text"] and "2026-12-02" in reply["text"]  # within a week
    assert "@carol" not in reply["text"] and "@lea" not in reply["text"]
    await bot.say("bob", "mods", "!quiet")
    assert "admin" in only(bot.take(), "send")[0]["text"]  # members may not


# --------------------------------------------------------------------------- health


HEALTH = "health: {channel: mods, day: mon}"


@pytest.mark.asyncio
async def test_weekly_reports_with_a_chart_and_the_dying_warnings(hearth_bot):
    bot = await make(hearth_bot, HEALTH)
    await bot.wait("1h")
    [first] = only(bot.take(), "file", channel="mods")  # the first Monday 09:00
    assert t(first["time"]).isoformat() == "2026-11-02T09:00:00+08:00"
    await bot.say("bob", "general", "hi all")
    await bot.say("carol", "general", "hi bob", reply_to="s1")
    await bot.join("dan", invited_by="bob")
    await bot.join("eve", invited_by="bob")
    await bot.leave("eve")
    await bot.wait("7d")
    [report] = only(bot.take(), "file", channel="mods")
    assert report["file"] == "activity.png" and report["bytes"] > 1000
    assert t(report["time"]).isoformat() == "2026-11-09T09:00:00+08:00"
    text = report["text"]
    assert "Active members (wrote in the last 7 days): 2 of 7" in text
    assert "Joins: 2 · leaves: 1" in text and "Top referrers: @bob (2)" in text
    assert "Leaders:" not in text  # no plugin answers the pyramid hook
    png = list(bot.adapter.files.values())[-1][1]
    assert png.startswith(b"\x89PNG")

    await bot.wait("7d")  # two weeks of (nearly) no member-to-member talk
    acts = bot.take()
    warnings = [a for a in only(acts, "send", channel="mods") if "going quiet" in a["text"]]
    assert len(warnings) == 1 and "!flash" in warnings[0]["text"] and "breakout" in warnings[0]["text"]
    assert len(only(acts, "file")) == 1
    await bot.wait("50d")
    acts = bot.take()
    assert len(only(acts, "file")) == 7  # weekly
    assert [a for a in only(acts, "send", channel="mods") if "going quiet" in a["text"]] == []
    [proposal] = [a for a in only(acts, "send", channel="mods") if "dissolving" in a["text"]]
    assert "60 days" in proposal["text"]


@pytest.mark.asyncio
async def test_talk_ends_a_quiet_spell(hearth_bot):
    bot = await make(hearth_bot, "health: {channel: mods, dying_below: 1}")
    await bot.wait("10d")
    for _ in range(2):
        await bot.say("bob", "general", "hi @carol")
    await bot.wait("10d")
    assert not [a for a in bot.sent("send", channel="mods") if "going quiet" in a["text"]]


class Leaders:
    """A stand-in for the plugin that manages leaders."""

    @hookimpl
    def register_config_schema(self):
        return None

    @hookimpl
    async def pyramid(self, ctx):
        return Pyramid(leaders=2, members=6, largest_cohort=3)


@pytest.mark.asyncio
async def test_the_report_names_the_leaders_from_the_pyramid_hook(hearth_bot):
    text = config(HEALTH).replace("      pulse:", "      leaders_stub:\n      pulse:")
    bot = await hearth_bot(text, start=START, members=PEOPLE, extra_plugins={"leaders_stub": Leaders()})
    await bot.say("adam", "mods", "!health")
    [report] = only(bot.take(), "file", channel="mods")
    assert "Leaders: 2 (33% of members) · largest cohort: 3" in report["text"]


@pytest.mark.asyncio
async def test_the_report_without_file_sending_is_text(hearth_bot):
    bot = await make(hearth_bot, HEALTH, without=["files"])
    await bot.say("adam", "mods", "!health")
    acts = bot.take()
    assert not only(acts, "file") and "Health of tea" in only(acts, "send", channel="mods")[0]["text"]


@pytest.mark.asyncio
async def test_activity_own_figures_and_leaders_see_anyones(hearth_bot):
    bot = await make(hearth_bot, HEALTH)
    await bot.say("bob", "general", "hi")
    await bot.say("carol", "general", "hi bob", reply_to="s1")
    await bot.say("bob", "general", "!activity")
    text = only(bot.take(), "send")[0]["text"]
    assert "@bob" in text and "1 messages on 1 days" in text and "1 replies received" in text
    await bot.say("bob", "general", "!activity @carol")
    assert "leaders" in only(bot.take(), "send")[0]["text"].lower()
    await bot.say("lea", "general", "!activity @carol")
    assert "@carol" in only(bot.take(), "send")[0]["text"]


@pytest.mark.asyncio
async def test_chinese_texts(hearth_bot):
    text = config(TOPICS).replace("timezone: Asia/Shanghai", "timezone: Asia/Shanghai\n    language: zh")
    bot = await hearth_bot(text, start=START, members=PEOPLE)
    await bot.at("2026-11-02T20:00:00+08:00")
    [topic] = topics_in(bot.take())
    assert topic["text"].startswith("💬 今日话题:")


@pytest.mark.asyncio
async def test_a_linked_person_is_silent_only_when_silent_on_every_network(hearth_bot):
    from hearth import Member

    bot = await make(hearth_bot, "inactivity: {nudge_after: 30d}",
                     members=[{"id": "olivia", "role": "owner"}, {"id": "bob"}, {"id": "carol"}])
    app = bot.app
    bob_elsewhere = Member(platform="matrix", id="@bob:example.org", name="Bob")
    app.people.directory.joined("tea", bob_elsewhere, bot.clock.now(), None)
    await app.join_persons("tea", (bot.adapter.name, "bob"), ("matrix", "@bob:example.org"))
    await bot.wait("20d")
    # Bob speaks on the other network (as the ledger records a message there).
    app.people.directory.active("tea", bob_elsewhere, int(bot.clock.now().timestamp() * 1000))
    await bot.wait("10d")
    await bot.wait("4h")
    assert [a["member"] for a in only(bot.take(), "dm")] == ["carol"]


@pytest.mark.asyncio
async def test_pulse_keeps_its_state_on_both_storage_backends(hearth_bot, storage_url):
    bot = await make(hearth_bot, """
rules_reminder: {channel: general, pin: true}
topics: {channel: general, pool: ["Tea?"]}
inactivity: {nudge_after: 1d, remove_after: 1d, moderators: mods}
health: {channel: mods}
""", storage=storage_url, members=[{"id": "olivia", "role": "owner"}, {"id": "bob"}])
    await bot.join("carol", invited_by="bob")
    await bot.leave("carol")
    await bot.wait("2d")
    await bot.dm("bob", "still here")  # answers his reminder
    await bot.say("olivia", "mods", "!health")
    acts = bot.take()
    assert only(acts, "unpin") and only(acts, "dm", member="bob")
    assert "Joins: 1 · leaves: 1" in only(acts, "file")[-1]["text"]
    await bot.restart()
    await bot.wait("3d")
    assert not only(bot.take(), "kick")  # his answer was kept across the restart


@pytest.mark.asyncio
async def test_the_dashboard_panels_show_the_dying_warning_and_the_silent_members(hearth_bot):
    bot = await make(hearth_bot, HEALTH + "\n" + INACTIVITY)
    warnings, silent = await bot.app.dashboard_panels("tea")
    assert (warnings.title, warnings.rows, warnings.min_role.label) == ("Health warnings", (), "leader")
    await bot.wait("25d")  # no member-to-member talk for weeks; bob and carol stay silent
    warnings, silent = await bot.app.dashboard_panels("tea")
    [row] = warnings.rows
    assert "under" in row.cells[0] and "days" in row.cells[0]
    assert {r.member for r in silent.rows} >= {("testing", "bob"), ("testing", "carol")}
    assert all(r.cells[1].startswith(("reminder", "removal")) for r in silent.rows)
