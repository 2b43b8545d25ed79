"""Scenario tests for the flash plugin: temporary groups for one event."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from hearth import hookimpl

START = "2026-11-20T19:00:00+08:00"
T0 = datetime.fromisoformat(START)
t = datetime.fromisoformat  # actions carry ISO times

BASE = """
communities:
  tea-house:
    timezone: Asia/Shanghai
    discord: {{guild: "1"}}
    channels: {{general: {{discord: "11"}}, events: {{discord: "22"}}}}
    plugins:
      flash: {flash}
"""

PEOPLE = [
    {"id": "olivia", "role": "owner"},
    {"id": "adam", "role": "admin"},
    {"id": "lea", "role": "leader"},
    {"id": "leo", "role": "leader"},
    {"id": "bob"},
    {"id": "carol"},
    {"id": "dave"},
]


def config(flash: str = "{}") -> str:
    return BASE.format(flash=flash)


async def make(hearth_bot, flash: str = "{}", **options):
    options.setdefault("start", START)
    options.setdefault("members", PEOPLE)
    bot = await hearth_bot(config(flash), **options)
    bot.take()
    return bot


def replies(acts, channel="general"):
    return [a["text"] for a in acts if a["action"] == "send" and a["channel"] == channel]


def only(acts, action):
    return [a for a in acts if a["action"] == action]


# --------------------------------------------------------------------------- opening


@pytest.mark.asyncio
async def test_open_with_named_members(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("lea", "general", '!flash "Night talk" 1h30m @bob @carol')
    acts = bot.take()
    [group] = only(acts, "create_group")
    assert group["channel"] == "night-talk"
    assert group["members"] == ["lea", "bob", "carol"]
    assert group["private"] is True
    assert t(group["expires"]) == T0 + timedelta(hours=1, minutes=30)
    assert "Night talk" in group["topic"]
    [purpose] = replies(acts, "night-talk")
    assert "Night talk" in purpose and "@lea" in purpose and "20:30" in purpose
    assert "flash join" not in purpose  # invitation only
    [reply] = replies(acts)
    assert "#night-talk" in reply and "@bob" in reply and "@carol" in reply

    # Named members make the group invitation-only.
    await bot.say("dave", "general", "!flash join night-talk")
    acts = bot.take()
    assert not only(acts, "invite")
    assert "invited" in replies(acts)[0]


@pytest.mark.asyncio
async def test_open_sign_up_without_names(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("lea", "general", '!flash "Tea swap"')
    acts = bot.take()
    [group] = only(acts, "create_group")
    assert group["members"] == ["lea"]
    assert t(group["expires"]) == T0 + timedelta(hours=2)  # default_duration
    assert "!flash join tea-swap" in replies(acts)[0]
    assert "!flash join tea-swap" in replies(acts, "tea-swap")[0]

    await bot.say("dave", "general", "!flash join tea-swap")
    acts = bot.take()
    assert only(acts, "invite") == [
        {**only(acts, "invite")[0], "channel": "tea-swap", "member": "dave"}
    ]
    assert "#tea-swap" in replies(acts)[0]

    await bot.say("dave", "general", "!flash join tea-swap")
    acts = bot.take()
    assert not only(acts, "invite") and "already in" in replies(acts)[0]

    await bot.say("lea", "general", "!flash join tea-swap")  # the creator is in already
    assert not only(bot.take(), "invite")

    await bot.say("carol", "general", "!flash join no-such-thing")
    acts = bot.take()
    assert not only(acts, "invite") and "no open flash group called no-such-thing" in replies(acts)[0]


@pytest.mark.asyncio
async def test_naming_only_oneself_is_still_invitation_only(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("lea", "general", '!flash "Planning" @lea')
    acts = bot.take()
    assert only(acts, "create_group")[0]["members"] == ["lea"]
    await bot.say("dave", "general", "!flash join planning")
    assert not only(bot.take(), "invite")


@pytest.mark.asyncio
async def test_channel_names_come_from_titles_and_stay_distinct(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("lea", "general", "!flash “Nachtgespräch über Tee!”")
    await bot.say("lea", "general", '!flash "夜谈 Tea"')
    await bot.say("leo", "general", '!flash "Nachtgespräch über Tee"')
    names = [a["channel"] for a in only(bot.take(), "create_group")]
    assert names == ["nachtgespräch-über-tee", "夜谈-tea", "nachtgespräch-über-tee-2"]
    await bot.say("dave", "general", "!flash join nachtgespräch-über-tee-2")
    assert only(bot.take(), "invite")[0]["channel"] == "nachtgespräch-über-tee-2"


@pytest.mark.asyncio
async def test_who_may_open(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("bob", "general", '!flash "Night talk"')
    acts = bot.take()
    assert not only(acts, "create_group")
    assert "leaders and above" in replies(acts)[0]
    for who in ("lea", "adam", "olivia"):
        await bot.say(who, "general", f'!flash "By {who}"')
    assert len(only(bot.take(), "create_group")) == 3


@pytest.mark.asyncio
async def test_creators_key_lowers_the_bar(hearth_bot):
    bot = await make(hearth_bot, "{creators: member}")
    await bot.say("bob", "general", '!flash "Open to all"')
    assert only(bot.take(), "create_group")
    await bot.say("lea", "general", "!flash list")
    assert "open-to-all" in replies(bot.take())[0]


class NoFlashPower:
    """Leaders hold some powers here, but not ``flash``."""

    @hookimpl
    def leader_powers(self):
        return ["pin", "announce"]


@pytest.mark.asyncio
async def test_leaders_need_the_flash_power(hearth_bot):
    bot = await hearth_bot(
        config().replace("flash: {}", "flash: {}\n      nopower: null"),
        start=START, members=PEOPLE, extra_plugins={"nopower": NoFlashPower()},
    )
    bot.take()
    await bot.say("lea", "general", '!flash "Night talk"')
    acts = bot.take()
    assert not only(acts, "create_group") and "'flash' power" in replies(acts)[0]
    await bot.say("adam", "general", '!flash "Night talk"')
    assert only(bot.take(), "create_group")


@pytest.mark.asyncio
async def test_at_most_max_open_groups(hearth_bot):
    bot = await make(hearth_bot, "{max_open: 2}")
    await bot.say("lea", "general", '!flash "One"')
    await bot.say("leo", "general", '!flash "Two"')
    await bot.say("adam", "general", '!flash "Three"')
    acts = bot.take()
    assert [a["channel"] for a in only(acts, "create_group")] == ["one", "two"]
    assert "2 flash groups are already open" in replies(acts)[-1]
    await bot.say("lea", "general", "!flash close one")
    await bot.say("adam", "general", '!flash "Three"')
    assert [a["channel"] for a in only(bot.take(), "create_group")] == ["three"]


@pytest.mark.asyncio
async def test_duration_limit(hearth_bot):
    bot = await make(hearth_bot, "{max_duration: 1d, default_duration: 3h}")
    await bot.say("lea", "general", '!flash "Long retreat" 2d @bob')
    acts = bot.take()
    assert not only(acts, "create_group")
    assert replies(acts) == ["2d is too long: a flash group lasts at most 1d."]
    await bot.say("lea", "general", '!flash "Long retreat" 1d @bob')
    [group] = only(bot.take(), "create_group")
    assert t(group["expires"]) == T0 + timedelta(days=1)
    await bot.say("lea", "general", '!flash "Short"')
    [group] = only(bot.take(), "create_group")
    assert t(group["expires"]) == T0 + timedelta(hours=3)


@pytest.mark.asyncio
async def test_refused_where_groups_cannot_be_created(hearth_bot):
    bot = await make(hearth_bot, without=["GROUPS"])
    await bot.say("lea", "general", '!flash "Night talk"')
    acts = bot.take()
    assert not only(acts, "create_group")
    assert "cannot create group channels" in replies(acts)[0]


# --------------------------------------------------------------------------- the end


@pytest.mark.asyncio
async def test_reminder_then_automatic_end_with_summary(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("lea", "general", '!flash "Night talk" 1h @bob @carol')
    await bot.say("bob", "night-talk", "hello")
    await bot.say("carol", "night-talk", "hi bob")
    await bot.say("bob", "night-talk", "shall we start?")
    await bot.say("bob", "general", "this one is elsewhere")
    bot.take()

    await bot.wait("49m")
    assert not bot.take()
    await bot.wait("1m")
    [reminder] = bot.take()
    assert reminder["channel"] == "night-talk" and "closes in 10m" in reminder["text"]
    assert t(reminder["time"]) == T0 + timedelta(minutes=50)

    await bot.wait("10m")
    summary, dissolve = bot.take()
    assert summary["channel"] == "night-talk" and summary["action"] == "send"
    assert "after 1h" in summary["text"]
    assert "participants: 2, messages: 3" in summary["text"]
    assert "deleted" in summary["text"]
    assert dissolve == {**dissolve, "action": "dissolve_group", "channel": "night-talk", "mode": "delete",
                        "time": "2026-11-20T20:00:00+08:00"}

    await bot.say("dave", "general", "!flash list")
    assert replies(bot.take()) == ["No flash group is open right now."]
    await bot.wait("1d")
    assert not bot.take()


@pytest.mark.asyncio
async def test_no_reminder_when_the_group_is_shorter_than_remind_before(hearth_bot):
    bot = await make(hearth_bot, "{remind_before: 30m}")
    await bot.say("lea", "general", '!flash "Quick one" 20m')
    bot.take()
    await bot.wait("20m")
    acts = bot.take()
    assert [a["action"] for a in acts] == ["send", "dissolve_group"]
    assert "is over" in acts[0]["text"]


@pytest.mark.asyncio
async def test_list_shows_time_left(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("lea", "general", '!flash "Night talk" 1h @bob')
    await bot.say("leo", "general", '!flash "Tea swap" 3h')
    await bot.wait("15m")
    bot.take()
    await bot.say("dave", "general", "!flash list")
    [text] = replies(bot.take())
    lines = text.splitlines()
    assert lines[0] == "Open flash groups:"
    assert "#night-talk" in lines[1] and "closes in 45m" in lines[1] and "invitation only" in lines[1]
    assert "#tea-swap" in lines[2] and "closes in 2h45m" in lines[2] and "!flash join tea-swap" in lines[2]


@pytest.mark.asyncio
async def test_early_close_by_creator_and_admin(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("lea", "general", '!flash "Night talk" 1h @bob')
    await bot.say("leo", "general", '!flash "Tea swap" 1h')
    await bot.wait("20m")
    bot.take()

    await bot.say("bob", "general", "!flash close night-talk")  # a member of it, not its creator
    acts = bot.take()
    assert not only(acts, "dissolve_group")
    assert "Only @lea" in replies(acts)[0]
    await bot.say("leo", "general", "!flash close night-talk")  # another leader
    assert not only(bot.take(), "dissolve_group")

    await bot.say("lea", "general", "!flash close night-talk")
    acts = bot.take()
    assert "after 20m" in replies(acts, "night-talk")[0]
    assert only(acts, "dissolve_group")[0]["channel"] == "night-talk"
    assert replies(acts) == ["Closed flash group #night-talk."]

    await bot.say("adam", "general", "!flash close tea-swap")
    assert only(bot.take(), "dissolve_group")[0]["channel"] == "tea-swap"

    # Nothing of either group happens later: jobs were cancelled.
    await bot.wait("2h")
    assert not bot.take()
    await bot.say("lea", "general", "!flash close night-talk")
    assert "no open flash group" in replies(bot.take())[0]


@pytest.mark.asyncio
async def test_close_without_a_name(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("lea", "general", "!flash close")
    assert "Name the flash group" in replies(bot.take())[0]

    await bot.say("lea", "general", '!flash "Night talk" @bob')
    await bot.say("lea", "general", '!flash "Tea swap"')
    bot.take()
    await bot.say("lea", "general", "!flash close")
    acts = bot.take()
    assert not only(acts, "dissolve_group")
    assert "night-talk, tea-swap" in replies(acts)[0]

    # Inside a group, it closes that group; the summary is the answer.
    await bot.say("lea", "tea-swap", "!flash close")
    acts = bot.take()
    assert only(acts, "dissolve_group")[0]["channel"] == "tea-swap"
    assert not replies(acts)
    # One open group left: it is the one.
    await bot.wait("10s")  # (lea's sixth command in a moment would be flood-ignored)
    await bot.say("lea", "general", "!flash close")
    acts = bot.take()
    assert only(acts, "dissolve_group")[0]["channel"] == "night-talk"
    assert replies(acts) == ["Closed flash group #night-talk."]


@pytest.mark.asyncio
async def test_archive_instead_of_delete(hearth_bot):
    bot = await make(hearth_bot, "{on_close: archive}")
    await bot.say("lea", "general", '!flash "Night talk" 1h')
    acts = bot.take()
    assert "archived (read-only)" in replies(acts, "night-talk")[0]
    await bot.wait("1h")
    acts = bot.take()
    assert "archived" in replies(acts, "night-talk")[-1]
    assert only(acts, "dissolve_group")[0]["mode"] == "archive"
    assert bot.adapter.groups["night-talk"]["mode"] == "archive"


@pytest.mark.asyncio
async def test_matrix_archives_and_says_so_once(hearth_bot, caplog):
    caplog.set_level(logging.WARNING)
    bot = await make(hearth_bot, platform="matrix")
    await bot.say("lea", "general", '!flash "One" 1h')
    await bot.say("leo", "general", '!flash "Two" 2h')
    acts = bot.take()
    assert "archived" in replies(acts, "one")[0]  # the purpose tells what will really happen
    await bot.wait("2h")
    acts = bot.take()
    assert [a["mode"] for a in only(acts, "dissolve_group")] == ["archive", "archive"]
    fallback = [r for r in caplog.records if "cannot delete" in r.getMessage()]
    assert len(fallback) == 1
    assert "archive" in fallback[0].getMessage()


@pytest.mark.asyncio
async def test_announce_channel(hearth_bot):
    bot = await make(hearth_bot, "{announce: events}")
    await bot.say("lea", "general", '!flash "Tea swap" 1h')
    await bot.say("lea", "general", '!flash "Private" 1h @bob')
    acts = bot.take()
    [opened] = replies(acts, "events")  # only open sign-up groups are announced
    assert "Tea swap" in opened and "!flash join tea-swap" in opened
    await bot.say("dave", "tea-swap", "hi")
    await bot.wait("1h")
    summaries = replies(bot.take(), "events")
    assert len(summaries) == 2
    assert "#tea-swap" in summaries[0] and "participants: 1, messages: 1" in summaries[0]


# --------------------------------------------------------------------------- restarts


@pytest.mark.asyncio
async def test_restart_before_the_end_keeps_the_group(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("lea", "general", '!flash "Night talk" 1h @bob')
    await bot.say("bob", "night-talk", "before the restart")
    await bot.wait("10m")
    await bot.restart(downtime="20m")
    bot.take()

    await bot.say("carol", "general", "!flash list")
    assert "#night-talk" in replies(bot.take())[0] and "closes in 30m" in replies(bot.actions)[-1]
    await bot.say("bob", "night-talk", "after the restart")
    await bot.say("lea", "night-talk", "welcome back")
    await bot.wait("20m")
    [reminder] = bot.take()
    assert "closes in 10m" in reminder["text"]
    await bot.wait("10m")
    summary, dissolve = bot.take()
    assert "participants: 2, messages: 3" in summary["text"]
    assert dissolve["action"] == "dissolve_group" and t(dissolve["time"]) == T0 + timedelta(hours=1)


@pytest.mark.asyncio
async def test_restart_after_the_end_closes_at_start_up(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("lea", "general", '!flash "Night talk" 1h @bob')
    await bot.say("bob", "night-talk", "see you later")
    await bot.wait("30m")
    bot.take()
    await bot.restart(downtime="3h")
    acts = bot.take()
    # No stale reminder: the group is summarised and dissolved at start-up.
    assert [a["action"] for a in acts] == ["send", "dissolve_group"]
    assert all(t(a["time"]) == T0 + timedelta(hours=3, minutes=30) for a in acts)
    assert "participants: 1, messages: 1" in acts[0]["text"]
    assert bot.adapter.groups["night-talk"]["open"] is False
    await bot.say("lea", "general", "!flash list")
    assert replies(bot.take()) == ["No flash group is open right now."]
    await bot.restart(downtime="1h")
    assert not bot.take()


@pytest.mark.asyncio
async def test_restart_between_reminder_and_end(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("lea", "general", '!flash "Night talk" 1h @bob')
    await bot.wait("45m")
    bot.take()
    await bot.restart(downtime="10m")  # the reminder fell due while down: late, but true
    [reminder] = bot.take()
    assert "closes in 5m" in reminder["text"]
    await bot.wait("5m")
    assert only(bot.take(), "dissolve_group")


@pytest.mark.asyncio
async def test_a_close_interrupted_by_a_crash_is_finished_at_start_up(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("lea", "general", '!flash "Night talk" 1h @bob')
    # As if the bot died after claiming the end, before dissolving the channel.
    await bot.app.db.execute("UPDATE hearth_groups SET state = 'closing'")
    await bot.app.scheduler.cancel("tea-house", "hearth", "group:1:end")
    bot.take()
    await bot.restart(downtime="1m")
    assert [(a["action"], a["channel"]) for a in bot.take()] == [("dissolve_group", "night-talk")]
    await bot.restart()
    assert not bot.take()


# --------------------------------------------------------------------------- texts


@pytest.mark.asyncio
async def test_texts_are_configurable_and_chinese_by_default_in_zh(hearth_bot):
    zh = config().replace("timezone: Asia/Shanghai", "timezone: Asia/Shanghai\n    language: zh")
    bot = await hearth_bot(zh, start=START, members=PEOPLE)
    bot.take()
    await bot.say("lea", "general", '!flash "夜谈" 1h')
    assert "快闪群" in replies(bot.take())[0]
    await bot.close()  # one bot at a time on a database (on PostgreSQL the second would stand by)

    custom = config('{texts: {closed: "Bye {name}!"}}')
    bot = await hearth_bot(custom, start=START, members=PEOPLE)
    await bot.say("lea", "general", '!flash "Night talk" 1h')
    await bot.say("lea", "general", "!flash close night-talk")
    assert replies(bot.take())[-1] == "Bye night-talk!"


# --------------------------------------------------------------------------- the example


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def example_flash_only():
    """The example community config with only the flash plugin (and no accounts)."""
    import yaml

    from hearth.bootstrap import load
    from hearth.simulate import load_scenario

    data = yaml.safe_load((EXAMPLES / "community.yaml").read_text(encoding="utf-8"))
    data.pop("accounts", None)
    plugins = data["communities"]["tea-house"]["plugins"]
    assert "flash" in plugins  # the example community enables it
    data["communities"]["tea-house"]["plugins"] = {"flash": plugins["flash"]}
    loaded = load(yaml.safe_dump(data, allow_unicode=True), text=True)
    return loaded, load_scenario(EXAMPLES / "scenarios" / "flash.yaml", loaded)


@pytest.mark.asyncio
async def test_example_scenario_runs_against_the_example_config():
    from hearth.simulate import run_scenario

    loaded, scenario = example_flash_only()
    out: list[dict] = []
    await run_scenario(loaded, scenario, out.append)

    kinds = [(a["action"], a.get("channel")) for a in out]
    assert ("create_group", "night-talk") in kinds and ("create_group", "tea-swap") in kinds
    assert ("invite", "tea-swap") in kinds
    assert [a["channel"] for a in out if a["action"] == "dissolve_group"] == ["night-talk", "tea-swap"]
    assert any("closes in 10m" in a.get("text", "") for a in out)
    assert out[-1]["text"] == "No flash group is open right now."


# --------------------------------------------------------------------------- the network fails


async def _state(bot, name: str) -> str:
    row = await bot.app.db.fetchrow("SELECT state FROM hearth_groups WHERE name = ?", (name,))
    return row["state"]


@pytest.mark.asyncio
async def test_a_group_is_closed_only_once_its_channel_really_was_dissolved(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("lea", "general", '!flash "Night talk" 1h @bob')
    bot.take()
    bot.adapter.go_down(T0 + timedelta(hours=3))  # the network is unreachable at the end
    app = bot.app
    await app.scheduler.advance(T0 + timedelta(hours=2), app.settle)  # time passes, retries fail
    assert await _state(bot, "night-talk") == "closing"  # not "closed": the room is still open
    assert bot.adapter.groups["night-talk"]["open"]
    assert not only(bot.take(), "dissolve_group")
    await bot.wait("2h")  # the network is back: the retry goes through
    [dissolved] = only(bot.take(), "dissolve_group")
    assert datetime.fromisoformat(dissolved["time"]) >= T0 + timedelta(hours=3)
    assert await _state(bot, "night-talk") == "closed"
    assert not bot.adapter.groups["night-talk"]["open"]


@pytest.mark.asyncio
async def test_a_group_whose_channel_is_already_gone_is_recorded_closed(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("lea", "general", '!flash "Night talk" 1h @bob')
    bot.adapter.groups["night-talk"]["open"] = False  # someone deleted the channel by hand
    await bot.wait("1h")
    assert await _state(bot, "night-talk") == "closed"


@pytest.mark.asyncio
async def test_the_dashboard_panel_lists_open_groups_with_a_close_button(hearth_bot):
    bot = await make(hearth_bot)
    [panel] = await bot.app.dashboard_panels("tea-house")
    assert panel.title == "Flash groups" and not panel.rows
    await bot.say("lea", "general", '!flash "Night talk" 2h @bob')
    [panel] = await bot.app.dashboard_panels("tea-house")
    [row] = panel.rows
    assert row.cells[1:5] == ("Night talk", "Lea", "2", "0")
    [close] = row.actions
    assert (close.command, close.args) == ("flash close", (row.cells[0],))
    await bot.say("adam", "general", f"!{close.command} {row.cells[0]}")  # as the page would, an admin
    [panel] = await bot.app.dashboard_panels("tea-house")
    assert not panel.rows
