"""guard on the testing adapter, in virtual time: reports, manual moderation, word lists (issue 17)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

START = "2026-11-20T19:00:00+08:00"
MEMBERS = [
    {"id": "olivia", "name": "Olivia", "role": "owner"},
    {"id": "adam", "name": "Adam", "role": "admin"},
    {"id": "lee", "name": "Lee", "role": "leader"},
    {"id": "lena", "name": "Lena", "role": "leader"},
    {"id": "alice", "name": "Alice"},
    {"id": "bob", "name": "Bob"},
    {"id": "carol", "name": "Carol"},
]
GUARD: dict[str, Any] = {
    "reports": {"channel": "mods", "reward": "thanks"},
    "words": {"block": ["some insult", "傻逼"], "action": "strike"},
    "escalation": ["warn", {"mute": "1h"}, {"mute": "24h"}, "kick", "ban"],
    "strike_decay": "30d",
    "audit_channel": "mods",
}


def config(language: str = "en", powers: list[str] | None = None, **changes: Any) -> str:
    plugins: dict[str, Any] = {"guard": {**GUARD, **changes}}
    community: dict[str, Any] = {
        "timezone": "Asia/Shanghai",
        "language": language,
        "discord": {"guild": "1"},
        "channels": {"general": {"discord": "11"}, "mods": {"discord": "44"}},
        "plugins": plugins,
    }
    if powers is not None:
        plugins["leaders"] = {"powers": powers}
    return yaml.safe_dump({"communities": {"tea-house": community}}, allow_unicode=True)


async def make(hearth_bot, cfg: str | None = None, **kw: Any):
    bot = await hearth_bot(cfg or config(), start=START, members=kw.pop("members", MEMBERS), **kw)
    bot.take()
    return bot


def kinds(actions: list[dict[str, Any]]) -> list[str]:
    return [a["action"] for a in actions]


def one(actions: list[dict[str, Any]], action: str, **match: Any) -> dict[str, Any]:
    found = [a for a in actions if a["action"] == action and all(a.get(k) == v for k, v in match.items())]
    assert len(found) == 1, (action, match, actions)
    return found[0]


# --------------------------------------------------------------------------- reports


@pytest.mark.asyncio
async def test_a_report_is_numbered_sent_to_moderators_receipted_and_the_command_removed(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("bob", "general", "you are all idiots", ref="rude")
    await bot.say("alice", "general", "!report insults everyone", ref="r1", reply_to="rude")
    acts = bot.take()
    filed = one(acts, "send", channel="mods")
    assert filed["text"] == (
        "Report 1: Bob (`bob`) in #general: `you are all idiots`\n"
        "Reported by Alice (`alice`): insults everyone\n"
        "Decide with !uphold 1 or !dismiss 1 [REASON]."
    )
    assert one(acts, "dm", member="alice")["text"] == (
        "Thank you: your report 1 of Bob's message in #general was filed. The moderators will decide.")
    assert one(acts, "delete", message="r1")["member"] == "alice"
    assert not [a for a in acts if a["action"] == "send" and a["channel"] == "general"]


@pytest.mark.asyncio
async def test_reports_of_one_message_are_merged_and_numbers_go_on(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("bob", "general", "rude words", ref="m1")
    await bot.say("bob", "general", "more rude words", ref="m2")
    await bot.say("alice", "general", "!report", reply_to="m1")
    await bot.say("carol", "general", "!report me too", reply_to="m1")
    await bot.say("carol", "general", "!report", reply_to="m2")
    acts = bot.take()
    mods = [a["text"] for a in acts if a["action"] == "send" and a["channel"] == "mods"]
    assert mods[0].startswith("Report 1: Bob")
    assert mods[1] == "Report 1: also reported by Carol (`carol`): me too"
    assert mods[2].startswith("Report 2: Bob")
    assert one(acts, "dm", member="carol", text=(
        "Thank you: that message was already reported; your report is added to report 1."))


@pytest.mark.asyncio
async def test_report_needs_a_message_and_never_of_ones_own(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("alice", "general", "!report", ref="bare")
    acts = bot.take()
    assert one(acts, "dm", member="alice")["text"].startswith("Reply to the message with !report")
    await bot.say("alice", "general", "my own", ref="own")
    await bot.say("alice", "general", "!report", reply_to="own")
    assert one(bot.take(), "dm", member="alice")["text"] == "You cannot report your own message."


@pytest.mark.asyncio
async def test_report_by_message_link(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("bob", "general", "rude words", ref="900")
    await bot.say("alice", "general", "!report https://discord.com/channels/1/general/900 rude")
    assert "Reported by Alice (`alice`): rude" in one(bot.take(), "send", channel="mods")["text"]


@pytest.mark.asyncio
async def test_uphold_removes_strikes_and_thanks_publicly(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("bob", "general", "rude words", ref="m1")
    await bot.say("alice", "general", "!report", reply_to="m1")
    bot.take()
    await bot.say("adam", "mods", "!uphold 1")
    acts = bot.take()
    assert one(acts, "delete", message="m1")["member"] == "bob"
    assert one(acts, "dm", member="bob")["text"] == (
        "Your message in #general was removed after a report: it broke the rules. "
        "This is a warning (strike 1).")
    assert one(acts, "dm", member="alice")["text"] == (
        "Your report 1 was upheld: the message was removed. Thank you!")
    assert one(acts, "send", channel="general")["text"] == (
        "Thanks to @alice for reporting a message that broke the rules.")
    assert one(acts, "send", channel="mods", reply_to=None)["text"] == (
        "guard: Adam (`adam`) upheld report 1: Bob (`bob`) got strike 1: warned.")


@pytest.mark.asyncio
async def test_reward_none_thanks_by_dm_only(hearth_bot):
    bot = await make(hearth_bot, config(reports={"channel": "mods", "reward": "none"}))
    await bot.say("bob", "general", "rude words", ref="m1")
    await bot.say("alice", "general", "!report", reply_to="m1")
    await bot.say("adam", "mods", "!uphold 1")
    acts = bot.take()
    assert not [a for a in acts if a["action"] == "send" and a["channel"] == "general"]
    assert one(acts, "dm", member="alice",
               text="Your report 1 was upheld: the message was removed. Thank you!")


@pytest.mark.asyncio
async def test_uphold_of_an_unknown_or_decided_report_does_nothing(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("adam", "mods", "!uphold 7")
    assert kinds(acts := bot.take()) == ["send"]
    assert acts[0]["text"] == "There is no report 7. Reports are numbered 1, 2, … in this community."
    await bot.say("bob", "general", "rude words", ref="m1")
    await bot.say("alice", "general", "!report", reply_to="m1")
    await bot.say("adam", "mods", "!dismiss 1 just banter")
    bot.take()
    await bot.say("adam", "mods", "!uphold 1")
    acts = bot.take()
    assert kinds(acts) == ["send"]
    assert acts[0]["text"] == "Report 1 was already dismissed by Adam (`adam`)."
    await bot.say("adam", "mods", "!uphold one")
    assert "is not a whole number" in bot.take()[0]["text"]


@pytest.mark.asyncio
async def test_dismiss_tells_the_reporter_and_a_decided_message_is_not_reported_again(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("bob", "general", "harmless", ref="m1")
    await bot.say("alice", "general", "!report", reply_to="m1")
    bot.take()
    await bot.say("lee", "mods", "!dismiss 1 just banter")
    acts = bot.take()
    assert one(acts, "dm", member="alice")["text"] == "Your report 1 was reviewed and dismissed: just banter"
    assert one(acts, "send", channel="mods", text="Report 1 dismissed.")
    await bot.say("carol", "general", "!report", reply_to="m1")
    assert one(bot.take(), "dm", member="carol")["text"] == (
        "That message was already reported and the report was decided (report 1).")


@pytest.mark.asyncio
async def test_a_reporter_with_many_dismissed_reports_is_throttled(hearth_bot):
    throttle = {"dismissed": 2, "within": "7d"}
    bot = await make(hearth_bot, config(reports={"channel": "mods", "throttle": throttle}))
    for i in (1, 2):
        await bot.say("bob", "general", f"fine message {i}", ref=f"m{i}")
        await bot.say("alice", "general", "!report", reply_to=f"m{i}")
        await bot.say("adam", "mods", f"!dismiss {i}")
    bot.take()
    await bot.say("bob", "general", "another", ref="m3")
    await bot.say("alice", "general", "!report", reply_to="m3", ref="r3")
    acts = bot.take()
    assert one(acts, "dm", member="alice")["text"] == (
        "2 of your reports were dismissed in the last 7d; you can report again 2026-11-27 19:00 "
        "(Asia/Shanghai).")
    assert not [a for a in acts if a["action"] == "send" and a["channel"] == "mods"]
    assert one(acts, "delete", message="r3")
    await bot.wait("7d")
    await bot.say("alice", "general", "!report", reply_to="m3")
    assert one(bot.take(), "send", channel="mods")["text"].startswith("Report 3: Bob")


# --------------------------------------------------------------------------- manual moderation


@pytest.mark.asyncio
async def test_leader_with_moderate_can_warn_and_mute_but_not_kick(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("lee", "general", "!warn @bob stop shouting")
    acts = bot.take()
    assert one(acts, "dm", member="bob")["text"] == (
        "A moderator warned you in tea-house: stop shouting (strike 1).")
    assert one(acts, "send", channel="mods")["text"] == (
        "guard: Bob (`bob`) warned by Lee (`lee`): stop shouting (strike 1).")
    assert one(acts, "send", channel="general")["text"] == "Bob (`bob`) was warned (strike 1)."
    await bot.say("lee", "general", "!mute @bob 2h spamming")
    acts = bot.take()
    assert one(acts, "mute", member="bob")["until"] == "2026-11-20T21:00:00+08:00"
    await bot.say("bob", "general", "can I talk?")
    assert one(bot.take(), "refused", member="bob")["why"] == "muted"
    await bot.say("lee", "general", "!kick @bob")
    acts = bot.take()
    assert kinds(acts) == ["send"]
    assert "!kick is for admins and above" in acts[0]["text"]


@pytest.mark.asyncio
async def test_a_reason_with_an_apostrophe_or_quotes_is_taken_as_written(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("lee", "general", "!warn @bob don't call people \"names\"")
    assert one(bot.take(), "dm", member="bob")["text"] == (
        "A moderator warned you in tea-house: don't call people \"names\" (strike 1).")


@pytest.mark.asyncio
async def test_nobody_acts_on_an_equal_or_higher_role(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("lee", "general", "!mute @lena 1h")
    assert bot.take()[0]["text"] == "You cannot mute Lena (`lena`): their role (leader) is not below yours."
    await bot.say("adam", "general", "!ban @olivia")
    acts = bot.take()
    assert kinds(acts) == ["send"]
    assert acts[0]["text"] == "You cannot ban Olivia (`olivia`): their role (owner) is not below yours."


@pytest.mark.asyncio
async def test_mute_durations_bad_over_long_and_clamped(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("lee", "general", "!mute @bob soon")
    acts = bot.take()
    assert kinds(acts) == ["send"]
    assert "'soon' is not a duration such as 90s, 10m, 2h, 1h30m or 7d" in acts[0]["text"]
    await bot.say("lee", "general", "!mute @bob 400d")
    acts = bot.take()
    assert kinds(acts) == ["send"] and "DURATION is at most 366d" in acts[0]["text"]
    await bot.say("lee", "general", "!mute @bob 60d flooding")
    acts = bot.take()
    assert one(acts, "mute", member="bob")["until"] == "2026-12-18T19:00:00+08:00"
    assert one(acts, "send", channel="general")["text"].startswith(
        "Mutes last at most 28d (Discord's limit): muting for 28d.\nBob (`bob`) is muted until 2026-12-18")


@pytest.mark.asyncio
async def test_kick_ban_unmute_unban_by_admin(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("adam", "general", "!ban @carol spam bot")
    acts = bot.take()
    assert kinds(acts)[:1] == ["dm"]
    assert one(acts, "dm", member="carol")["text"] == (
        "A moderator banned you from tea-house: spam bot (strike 1).")
    assert one(acts, "ban", member="carol")
    await bot.say("adam", "general", "!unban @carol")
    acts = bot.take()
    assert one(acts, "unban", member="carol")
    assert one(acts, "send", channel="general")["text"] == "Carol (`carol`) is no longer banned."
    await bot.say("adam", "general", "!mute @bob 1h")
    await bot.say("adam", "general", "!unmute @bob")
    acts = bot.take()
    assert one(acts, "unmute", member="bob")
    await bot.say("bob", "general", "free again")
    assert bot.take() == []


@pytest.mark.asyncio
async def test_a_pardon_lifts_guards_running_mute_and_only_that(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("adam", "general", "!mute @bob 2h spamming")
    bot.take()
    await bot.say("adam", "general", "!pardon @bob")
    acts = bot.take()
    assert one(acts, "unmute", member="bob")
    assert one(acts, "dm", member="bob")["text"] == "You may post in tea-house again."
    assert one(acts, "send", channel="mods")["text"] == (
        "guard: Adam (`adam`) lifted the mute (with a pardon) of Bob (`bob`).")
    await bot.say("bob", "general", "free again")
    assert bot.take() == []
    # a mute that ended already, or one lifted with !unmute, is not lifted again
    await bot.say("adam", "general", "!mute @carol 1h")
    await bot.wait("2h")
    await bot.say("adam", "general", "!mute @alice 1h")
    await bot.say("adam", "general", "!unmute @alice")
    bot.take()
    await bot.say("adam", "general", "!pardon @carol")
    await bot.say("adam", "general", "!pardon @alice")
    assert "unmute" not in kinds(bot.take())


@pytest.mark.asyncio
async def test_a_pardon_lifts_a_mute_the_ladder_imposed(hearth_bot):
    bot = await make(hearth_bot)
    for _ in range(2):  # warn, then the ladder's 1h mute
        await bot.say("bob", "general", "what some insult")
    assert one(bot.take(), "mute", member="bob")["until"] == "2026-11-20T20:00:00+08:00"
    await bot.say("adam", "general", "!pardon @bob 1")
    assert one(bot.take(), "unmute", member="bob")


# --------------------------------------------------------------------------- word lists


@pytest.mark.asyncio
async def test_blocked_word_in_full_width_or_with_zero_width_is_caught(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("bob", "general", "you are ｓｏｍｅ　ＩＮＳＵＬＴ", ref="w1")
    acts = bot.take()
    assert one(acts, "delete", message="w1")
    assert one(acts, "dm", member="bob")["text"] == (
        "Your message in #general was removed: it contains words this community does not allow "
        "(`some insult`). This is a warning (strike 1).")
    assert one(acts, "send", channel="mods")["text"] == (
        "guard: removed a message by Bob (`bob`) in #general (word list: `some insult`). "
        "Strike 1: warned.")
    await bot.say("carol", "general", "some\u200b insult", ref="w2")
    await bot.say("carol", "general", "你是傻逼吗", ref="w3")
    assert {a["message"] for a in bot.take() if a["action"] == "delete"} == {"w2", "w3"}
    await bot.say("alice", "general", "wholesome insulting? no: awesome insulation")
    assert bot.take() == []


@pytest.mark.asyncio
async def test_word_actions_remove_and_report(hearth_bot):
    bot = await make(hearth_bot, config(words={"block": ["darn"], "action": "remove"}))
    await bot.say("bob", "general", "darn it", ref="w1")
    acts = bot.take()
    assert kinds(acts) == ["dm", "send", "delete"]
    assert "Strike" not in acts[1]["text"]
    await bot.close()  # one bot at a time on a database (on PostgreSQL the second would stand by)
    bot2 = await make(hearth_bot, config(words={"block": ["darn"], "action": "report"}))
    await bot2.say("bob", "general", "darn it", ref="w1")
    acts = bot2.take()
    assert kinds(acts) == ["send"]
    assert acts[0]["text"].startswith(
        "Report 1: Bob (`bob`) in #general: `darn it`\nReported by the word list")


@pytest.mark.asyncio
async def test_word_patterns_run_on_the_linear_engine(hearth_bot):
    bot = await make(hearth_bot, config(words={"block": [], "patterns": [r"idi+ot"]}))
    await bot.say("bob", "general", "what an idiiiot", ref="w1")
    assert one(bot.take(), "delete", message="w1")


# --------------------------------------------------------------------------- one ledger


def both(**guard: Any) -> str:
    data = yaml.safe_load(config(**guard))
    community = data["communities"]["tea-house"]
    community["channels"]["ads"] = {"discord": "22"}
    community["plugins"]["ad_window"] = {
        "windows": [{"days": ["fri"], "from": "20:00", "to": "22:00"}],
        "ad_channels": ["ads"],
        "escalation": ["warn", {"mute": "1h"}, {"mute": "24h"}, "kick", "ban"],
        "audit_channel": "mods",
    }
    return yaml.safe_dump(data, allow_unicode=True)


@pytest.mark.asyncio
async def test_an_ad_strike_then_an_upheld_report_escalate_to_a_mute(hearth_bot):
    """Issue 17 done-when: one ledger; guard's ladder sees the ad strike too."""
    bot = await make(hearth_bot, both())
    await bot.say("bob", "general", "Best tea deals at https://cheap-tea.com/sale", ref="ad")
    acts = bot.take()
    assert "This is a warning (strike 1)." in one(acts, "dm", member="bob")["text"]
    await bot.say("bob", "general", "you are all fools", ref="rude")
    await bot.say("alice", "general", "!report rude", reply_to="rude")
    await bot.say("lee", "mods", "!uphold 1")
    acts = bot.take()
    assert one(acts, "mute", member="bob")["until"] == "2026-11-20T20:00:00+08:00"
    assert one(acts, "dm", member="bob")["text"].endswith(
        "You are muted until 2026-11-20 20:00 (Asia/Shanghai) (strike 2).")
    await bot.say("bob", "general", "let me speak")
    assert one(bot.take(), "refused", member="bob")["why"] == "muted"
    await bot.wait("1h")
    bot.take()
    await bot.say("bob", "general", "sorry everyone")
    assert bot.take() == []


@pytest.mark.asyncio
async def test_chinese_texts_for_members_and_moderators(hearth_bot):
    bot = await make(hearth_bot, config(language="zh"))
    await bot.say("bob", "general", "你是傻逼吗", ref="w1")
    acts = bot.take()
    assert one(acts, "dm", member="bob")["text"] == (
        "你在 #general 的消息已被删除：其中含有本社群不允许的词语（`傻逼`）。 这是一次警告（第 1 次违规）。")
    assert one(acts, "send", channel="mods")["text"] == (
        "群管：删除了 Bob (`bob`) 在 #general 的消息（屏蔽词：`傻逼`）。第 1 次违规：警告。")
    await bot.say("lee", "general", "!mute @bob 2h 刷屏")
    acts = bot.take()
    assert one(acts, "dm", member="bob")["text"] == (
        "管理员在 tea-house 将你禁言至 2026-11-20 21:00（Asia/Shanghai）：刷屏（第 2 次违规）。")
    assert one(acts, "send", channel="mods")["text"] == (
        "群管：Bob (`bob`) 被 Lee (`lee`) 禁言至 2026-11-20 21:00（Asia/Shanghai）：刷屏（第 2 次违规）。")
    await bot.say("lee", "general", "!warn @lena 吵")
    assert bot.take()[0]["text"] == "你不能警告 Lena (`lena`)：对方的身份（骨干）不低于你。"


@pytest.mark.asyncio
async def test_the_dashboard_panel_lists_open_reports_and_its_buttons_are_the_commands(hearth_bot):
    bot = await make(hearth_bot)
    [panel] = await bot.app.dashboard_panels("tea-house")
    assert panel.title == "Open reports" and not panel.rows and panel.waiting
    assert (panel.min_role.label, panel.power) == ("leader", "moderate")
    await bot.say("bob", "general", "you are all idiots", ref="rude")
    await bot.say("alice", "general", "!report insults everyone", reply_to="rude")
    [panel] = await bot.app.dashboard_panels("tea-house")
    [row] = panel.rows
    assert row.cells == ("Bob", "1", "you are all idiots", "#general", "Alice (alice)")
    assert row.member == ("testing", "bob")
    uphold, dismiss = row.actions
    assert (uphold.command, uphold.args, dismiss.command) == ("uphold", ("1",), "dismiss")
    await bot.say("lee", "general", f"!{dismiss.command} {' '.join(dismiss.args)}")  # as the page would
    [panel] = await bot.app.dashboard_panels("tea-house")
    assert not panel.rows
