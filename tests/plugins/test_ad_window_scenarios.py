"""ad_window end to end on the testing adapter, under virtual time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import yaml

from hearth.events import MessageEditedEvent

FRIDAY_EVENING = "2026-11-20T19:00:00+08:00"  # a Friday, an hour before the window opens
MEMBERS = [
    {"id": "olivia", "role": "owner"},
    {"id": "adam", "role": "admin"},
    {"id": "lee", "role": "leader"},
    {"id": "alice"},
    {"id": "bob"},
]
AD = "Best tea deals at https://cheap-tea.com/sale"
BASE: dict[str, Any] = {
    "windows": [{"days": ["fri"], "from": "20:00", "to": "22:00"}],
    "ad_channels": ["ads"],
    "per_window_quota": 1,
    "exempt_roles": ["admin", "leader"],
    "detect": {"allow_domains": ["example.org"], "repeat": {"copies": 3, "within": "10m"}},
    "escalation": ["warn", {"mute": "1h"}, {"mute": "24h"}, "kick", "ban"],
    "strike_decay": "30d",
    "announce": {"channel": "general"},
    "audit_channel": "mods",
}


def config(timezone: str = "Asia/Shanghai", language: str = "en", platform: str = "discord",
           **changes: Any) -> str:
    ids = {"discord": ["11", "22", "33", "44"],
           "matrix": ["!gen:example.org", "!ads:example.org", "!intro:example.org", "!mods:example.org"]}
    binding = {"discord": {"guild": "1"}, "matrix": {"space": "!space:example.org"}}[platform]
    names = ["general", "ads", "intro", "mods"]
    community = {
        "timezone": timezone,
        "language": language,
        platform: binding,
        "channels": {n: {platform: i} for n, i in zip(names, ids[platform], strict=True)},
        "plugins": {"ad_window": {**BASE, **changes}},
    }
    return yaml.safe_dump({"communities": {"tea-house": community}}, allow_unicode=True)


async def make(hearth_bot, cfg: str | None = None, start: str = FRIDAY_EVENING, **kw: Any):
    bot = await hearth_bot(cfg or config(), start=start, members=kw.pop("members", MEMBERS), **kw)
    bot.take()
    return bot


def kinds(actions: list[dict[str, Any]]) -> list[str]:
    return [a["action"] for a in actions]


def t(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --------------------------------------------------------------------------- enforcement


@pytest.mark.asyncio
async def test_ad_outside_the_window_is_deleted_with_dm_strike_and_one_audit_line(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("alice", "general", AD, ref="m1")
    acts = bot.take()
    assert kinds(acts) == ["dm", "send", "delete"]
    dm, audit, delete = acts
    assert dm["member"] == "alice"
    assert dm["text"] == (
        "Your message in #general was removed: links to other sites are only allowed during the ad "
        "window or at any time in #ads. The next window opens Friday 20:00 (Asia/Shanghai). "
        "This is a warning (strike 1)."
    )
    assert audit["channel"] == "mods"
    assert audit["text"] == (
        "ad_window: removed a message by Alice (`alice`) in #general (link: `cheap-tea.com`; "
        "outside the ad window). Strike 1: warned."
    )
    assert (delete["message"], delete["member"], delete["channel"]) == ("m1", "alice", "general")
    assert "outside the ad window" in delete["reason"]


@pytest.mark.asyncio
async def test_ordinary_chat_and_allowed_sites_are_never_touched(hearth_bot):
    bot = await make(hearth_bot)
    for text in ["good morning everyone", "the rules are on example.org",
                 "see https://example.org/rules. It was updated yesterday.",
                 "meeting at 20:00 on 2026-11-27, price 12.50", "I use WeChat with my parents",
                 "我用微信和家人聊天", "+1 good idea"]:
        await bot.say("alice", "general", text)
    assert bot.take() == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("join us discord.gg/teaparty", "invite"),
        ("https://matrix.to/#/#party:elsewhere.org", "invite"),
        ("add me on WeChat/Telegram/WhatsApp: tealover88", "contact"),
        ("call +86 138 0013 8000 for wholesale", "phone"),
        ("cheap-tea (dot) com", "link"),
        ("ｃｈｅａｐ－ｔｅａ．ｃｏｍ", "link"),
        ("hxxps://cheap-tea.com", "link"),
        ("FREE SAMPLES today", "pattern"),
    ],
)
@pytest.mark.asyncio
async def test_each_detector_removes_its_ad(hearth_bot, text, kind):
    bot = await make(hearth_bot, config(detect={**BASE["detect"], "patterns": [r"free\s+samples"]}))
    await bot.say("alice", "general", text, ref="ad")
    acts = bot.take()
    assert kinds(acts) == ["dm", "send", "delete"]
    assert f"({kind}: " in acts[1]["text"]


@pytest.mark.asyncio
async def test_repeated_text_across_channels_is_removed_with_its_copies(hearth_bot):
    bot = await make(hearth_bot)
    text = "Anyone want to buy my homemade oolong? Great price"
    await bot.say("alice", "general", text, ref="c1")
    await bot.wait("2m")
    await bot.say("alice", "intro", text, ref="c2")
    assert bot.take() == []
    await bot.wait("2m")
    await bot.say("alice", "mods", text, ref="c3")
    acts = bot.take()
    assert kinds(acts) == ["dm", "send", "delete", "delete", "delete"]
    assert "repeated messages" in acts[0]["text"]
    assert [a["message"] for a in acts if a["action"] == "delete"] == ["c1", "c2", "c3"]


@pytest.mark.asyncio
async def test_repeats_spread_beyond_the_span_are_fine(hearth_bot):
    bot = await make(hearth_bot)
    text = "Is anyone going to the tea fair this weekend?"
    for channel in ("general", "intro", "general"):
        await bot.say("alice", channel, text)
        await bot.wait("6m")
    assert bot.take() == []


# --------------------------------------------------------------------------- windows


@pytest.mark.asyncio
async def test_window_edges_first_and_last_minute(hearth_bot):
    bot = await make(hearth_bot, start="2026-11-20T19:59:00+08:00")
    await bot.say("alice", "general", AD, ref="early")  # the minute before: out
    assert kinds(bot.take()) == ["dm", "send", "delete"]
    await bot.at("2026-11-20T20:00:00+08:00")
    bot.take()  # the opening announcement
    await bot.say("bob", "general", AD, ref="first")  # the first minute: in
    assert bot.take() == []
    await bot.at("2026-11-20T21:59:30+08:00")
    await bot.say("alice", "general", "Tea sets at https://cheap-tea.com/sets", ref="last")  # last minute
    assert bot.take() == []
    await bot.at("2026-11-20T22:00:00+08:00")
    assert kinds(bot.take()) == ["send"]  # the closing announcement
    await bot.say("lee", "general", "hi")
    await bot.say("bob", "general", "Last chance https://cheap-tea.com", ref="late")
    acts = bot.take()
    assert kinds(acts) == ["dm", "send", "delete"] and acts[2]["message"] == "late"
    assert "The next window opens Friday 20:00 (Asia/Shanghai)" in acts[0]["text"]


@pytest.mark.asyncio
async def test_window_crossing_midnight(hearth_bot):
    cfg = config(windows=[{"days": ["fri"], "from": "22:00", "to": "02:00"}])
    bot = await make(hearth_bot, cfg, start="2026-11-20T21:59:00+08:00")
    await bot.say("alice", "general", AD)
    assert kinds(bot.take()) == ["dm", "send", "delete"]
    await bot.at("2026-11-21T01:59:00+08:00")  # Saturday morning, still Friday's window
    await bot.say("bob", "general", AD)
    assert kinds(bot.take()) == ["send"]  # only the opening announcement, at 22:00
    await bot.at("2026-11-21T02:00:00+08:00")
    acts = bot.take()
    assert kinds(acts) == ["send"]
    assert acts[0]["text"] == "The ad window is closed. The next one opens Friday 22:00 (Asia/Shanghai)."
    await bot.say("bob", "general", "More https://cheap-tea.com")
    assert kinds(bot.take()) == ["dm", "send", "delete"]


@pytest.mark.asyncio
async def test_dst_change_between_two_weekly_windows(hearth_bot):
    bot = await make(hearth_bot, config(timezone="Europe/Berlin"), start="2026-03-27T20:30:00+01:00")
    await bot.say("alice", "general", AD)  # inside Friday's window (CET)
    assert bot.take() == []
    await bot.at("2026-03-27T22:00:00+01:00")
    bot.take()
    await bot.say("alice", "general", AD)
    acts = bot.take()
    assert "The next window opens Friday 20:00 (Europe/Berlin)" in acts[0]["text"]
    await bot.at("2026-04-03T19:59:00+02:00")  # clocks moved forward on Sunday
    await bot.say("bob", "general", AD)
    assert kinds(bot.take()) == ["dm", "send", "delete"]
    await bot.at("2026-04-03T20:00:00+02:00")
    opened = bot.take()
    assert kinds(opened) == ["send"] and t(opened[0]["time"]) == t("2026-04-03T18:00:00+00:00")
    assert opened[0]["text"].startswith("The ad window is open until Friday 22:00 (Europe/Berlin)")
    await bot.say("bob", "general", AD)
    assert bot.take() == []


@pytest.mark.asyncio
async def test_announcements_open_and_close_every_week(hearth_bot):
    bot = await make(hearth_bot)
    await bot.at("2026-11-27T23:00:00+08:00")
    sends = [(t(a["time"]), a["text"]) for a in bot.take()]
    assert sends == [
        (t("2026-11-20T20:00:00+08:00"),
         "The ad window is open until Friday 22:00 (Asia/Shanghai): each member may post 1 ad(s) now "
         "or at any time in #ads."),
        (t("2026-11-20T22:00:00+08:00"),
         "The ad window is closed. The next one opens Friday 20:00 (Asia/Shanghai)."),
        (t("2026-11-27T20:00:00+08:00"),
         "The ad window is open until Friday 22:00 (Asia/Shanghai): each member may post 1 ad(s) now "
         "or at any time in #ads."),
        (t("2026-11-27T22:00:00+08:00"),
         "The ad window is closed. The next one opens Friday 20:00 (Asia/Shanghai)."),
    ]


@pytest.mark.asyncio
async def test_restart_during_the_window_still_closes_it_once(hearth_bot):
    bot = await make(hearth_bot)
    await bot.at("2026-11-20T20:30:00+08:00")
    bot.take()
    await bot.restart(downtime="10m")
    await bot.at("2026-11-20T22:30:00+08:00")
    acts = bot.take()
    assert kinds(acts) == ["send"] and "closed" in acts[0]["text"]


@pytest.mark.asyncio
async def test_no_announcements_without_a_channel(hearth_bot):
    bot = await make(hearth_bot, config(announce={}))
    await bot.at("2026-11-28T00:00:00+08:00")
    assert bot.take() == []


# --------------------------------------------------------------------------- quota, exemptions, passes


@pytest.mark.asyncio
async def test_quota_per_member_per_window(hearth_bot):
    bot = await make(hearth_bot, start="2026-11-20T20:05:00+08:00")
    await bot.say("alice", "general", AD, ref="a1")
    await bot.say("bob", "general", AD, ref="b1")
    assert bot.take() == []
    await bot.say("alice", "general", "Also https://cheap-tea.com/cups", ref="a2")
    acts = bot.take()
    assert kinds(acts) == ["dm", "send", "delete"] and acts[2]["message"] == "a2"
    assert acts[0]["text"].startswith(
        "Your message in #general was removed: you have already posted 1 ad(s) in this window")
    assert "The next window opens Friday 20:00 (Asia/Shanghai)" in acts[0]["text"]
    assert "over the window's quota" in acts[1]["text"]
    await bot.at("2026-11-27T20:01:00+08:00")
    bot.take()
    await bot.say("alice", "general", AD)  # a new window, a new quota
    assert bot.take() == []


@pytest.mark.asyncio
async def test_quota_survives_a_restart(hearth_bot):
    bot = await make(hearth_bot, start="2026-11-20T20:05:00+08:00")
    await bot.say("alice", "general", AD)
    await bot.restart(downtime="5m")
    bot.take()
    await bot.say("alice", "general", AD)
    assert kinds(bot.take()) == ["dm", "send", "delete"]


@pytest.mark.asyncio
async def test_editing_an_allowed_ad_does_not_use_the_quota_again(hearth_bot):
    bot = await make(hearth_bot, start="2026-11-20T20:05:00+08:00")
    await bot.say("alice", "general", AD, ref="a1")
    await bot.edit("alice", "a1", AD + " (now 20% off)")
    assert bot.take() == []


@pytest.mark.asyncio
async def test_ad_channel_is_always_open_and_uses_no_quota(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("alice", "ads", AD)
    await bot.say("alice", "ads", "call +86 138 0013 8000, add me on wechat: teashop88")
    assert bot.take() == []
    await bot.at("2026-11-20T20:10:00+08:00")
    bot.take()
    await bot.say("alice", "general", AD)
    assert bot.take() == []


@pytest.mark.asyncio
async def test_exempt_roles_and_owners(hearth_bot):
    bot = await make(hearth_bot)
    for member in ("olivia", "adam", "lee"):
        await bot.say(member, "general", AD)
    assert bot.take() == []


@pytest.mark.asyncio
async def test_roles_above_the_listed_ones_are_exempt_too(hearth_bot):
    bot = await make(hearth_bot, config(exempt_roles=["leader"]))
    await bot.say("adam", "general", AD)  # admin is above leader
    assert bot.take() == []
    await bot.close()  # one bot at a time on a database (on PostgreSQL the second would stand by)
    strict = await make(hearth_bot, config(exempt_roles=[]))
    await strict.say("lee", "general", AD)
    await strict.say("adam", "general", AD)
    await strict.say("olivia", "general", AD)  # owners always
    assert kinds(strict.take()) == ["dm", "send", "delete"] * 2


@pytest.mark.asyncio
async def test_adpass_allows_one_ad_outside_the_window_and_survives_restart(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("alice", "general", "!adpass @bob")
    assert kinds(bot.take()) == ["send"]  # refused: admins only
    await bot.say("adam", "general", "!adpass @bob")
    acts = bot.take()
    assert [(a["channel"], a["text"]) for a in acts] == [
        ("mods", "ad_window: Adam (`adam`) gave Bob (`bob`) an ad pass (1 held)."),
        ("general", "Bob (`bob`) may post one ad outside the window (passes held: 1)."),
    ]
    await bot.restart(downtime="1m")
    bot.take()
    await bot.say("bob", "general", "!ads")
    assert "You also hold 1 ad pass(es)" in bot.take()[0]["text"]
    await bot.say("bob", "general", AD, ref="p1")
    assert bot.take() == []
    await bot.say("bob", "general", AD, ref="p2")
    assert kinds(bot.take()) == ["dm", "send", "delete"]


@pytest.mark.asyncio
async def test_pass_covers_an_ad_over_the_quota(hearth_bot):
    bot = await make(hearth_bot, start="2026-11-20T20:05:00+08:00")
    await bot.say("adam", "general", "!adpass @alice")
    bot.take()
    await bot.say("alice", "general", AD)
    await bot.say("alice", "general", AD + " again")
    assert bot.take() == []
    await bot.say("alice", "general", AD + " and again")
    assert kinds(bot.take()) == ["dm", "send", "delete"]


# --------------------------------------------------------------------------- escalation


@pytest.mark.asyncio
async def test_full_escalation_ladder_and_the_last_step_repeats(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("alice", "general", AD)  # 1: warn
    acts = bot.take()
    assert kinds(acts) == ["dm", "send", "delete"] and "Strike 1: warned." in acts[1]["text"]

    await bot.say("alice", "general", AD)  # 2: mute 1h
    acts = bot.take()
    assert kinds(acts) == ["dm", "mute", "send", "delete"]
    assert t(acts[1]["until"]) == t("2026-11-20T20:00:00+08:00")
    assert "You are muted until Friday 20:00 (Asia/Shanghai) (strike 2)." in acts[0]["text"]
    assert "Strike 2: muted until Friday 20:00 (Asia/Shanghai)." in acts[2]["text"]
    await bot.wait("1h")
    unmute = next(a for a in bot.take() if a["action"] == "unmute")
    assert t(unmute["time"]) == t("2026-11-20T20:00:00+08:00")

    await bot.at("2026-11-20T22:30:00+08:00")
    bot.take()
    await bot.say("alice", "general", AD)  # 3: mute 24h
    acts = bot.take()
    assert kinds(acts) == ["dm", "mute", "send", "delete"]
    assert t(acts[1]["until"]) == t("2026-11-21T22:30:00+08:00")
    await bot.wait("24h")
    assert "unmute" in kinds(bot.take())

    await bot.say("alice", "general", AD)  # 4: kick
    acts = bot.take()
    # Lanes run side by side: only the DM before the removal is an order.
    assert sorted(kinds(acts)) == ["delete", "dm", "kick", "send"]
    assert kinds(acts).index("dm") < kinds(acts).index("kick")
    assert "You are removed from the community (strike 4)." in acts[0]["text"]
    assert not bot.is_present("alice")

    await bot.join("alice")
    bot.take()
    await bot.say("alice", "general", AD)  # 5: ban
    acts = bot.take()
    assert sorted(kinds(acts)) == ["ban", "delete", "dm", "send"]
    assert kinds(acts).index("dm") < kinds(acts).index("ban")
    assert "Strike 5: banned." in bot.sent("send")[-1]["text"]
    await bot.close()  # one bot at a time on a database (on PostgreSQL the second would stand by)

    short = await make(hearth_bot, config(escalation=["warn", "kick"]))
    for _ in range(2):
        await short.say("bob", "general", AD)
        await short.join("bob")
    await short.say("bob", "general", AD)  # 3: the last entry repeats
    assert "kick" in kinds(short.take()[-4:])
    assert [a["action"] for a in short.actions if a["action"] in ("kick", "ban")] == ["kick", "kick"]


@pytest.mark.asyncio
async def test_a_new_mute_never_shortens_a_running_one(hearth_bot):
    bot = await make(hearth_bot, config(escalation=["warn", {"mute": "24h"}, {"mute": "1h"}]))
    for n in range(3):  # all three reach the network before the first mute (a muted member is refused)
        await bot.adapter.inject_message(bot.community, "alice", "general", AD, f"ad{n}")
    await bot.settle()
    mutes = [a for a in bot.take() if a["action"] == "mute"]
    assert [t(m["until"]) for m in mutes] == [t("2026-11-21T19:00:00+08:00")] * 2
    await bot.wait("2h")
    assert "unmute" not in kinds(bot.take())
    await bot.wait("23h")
    assert "unmute" in kinds(bot.take())


@pytest.mark.asyncio
async def test_strikes_decay(hearth_bot):
    bot = await make(hearth_bot, config(strike_decay="7d"))
    await bot.say("alice", "general", AD)
    await bot.wait("6d")
    bot.take()
    await bot.at("2026-11-26T19:00:00+08:00")  # Thursday: strike 1 is 6 days old
    await bot.say("alice", "general", AD)
    assert "mute" in kinds(bot.take())
    await bot.at("2026-12-04T12:00:00+08:00")  # both older than 7 days
    bot.take()
    await bot.say("alice", "general", AD)
    acts = bot.take()
    assert "mute" not in kinds(acts) and "This is a warning (strike 1)." in acts[0]["text"]


@pytest.mark.asyncio
async def test_strikes_and_pardon_commands(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("alice", "general", AD)
    await bot.say("alice", "intro", "add me on telegram: @teashop")
    bot.take()
    await bot.say("bob", "general", "!strikes @alice")
    assert "Only admins and leaders with the moderate power" in bot.take()[0]["text"]
    await bot.say("lee", "general", "!strikes @alice")
    assert bot.take()[0]["text"] == (
        "Alice (`alice`) has 2 active strike(s):\n"
        "- 2026-11-20 19:00: links to other sites `#general: cheap-tea.com` (ad_window, on testing);"
        " expires 2026-12-20 19:00\n"
        "- 2026-11-20 19:00: contact handles `#intro: add me on telegram: @teashop`"
        " (ad_window, on testing);"
        " expires 2026-12-20 19:00"
    )
    await bot.dm("alice", "!strikes")  # a member sees their own (muted: by DM)
    assert bot.take()[0]["text"].startswith("Alice (`alice`) has 2 active strike(s):")
    await bot.say("lee", "general", "!pardon @alice")
    assert "for admins and above" in bot.take()[0]["text"]
    await bot.say("adam", "general", "!pardon @alice")
    acts = bot.take()
    assert kinds(acts) == ["unmute", "send", "send"]  # the running mute is lifted
    assert acts[1]["text"] == "ad_window: Adam (`adam`) pardoned Alice (`alice`) (2 strike(s) cleared)."
    assert acts[2]["text"] == "Pardoned 2 strike(s) of Alice (`alice`); 0 active strike(s) left."
    await bot.say("adam", "general", "!pardon @alice")
    assert bot.take()[0]["text"] == "Alice (`alice`) has no active strikes to pardon."
    await bot.say("lee", "general", "!strikes @alice")
    assert bot.take()[0]["text"] == "Alice (`alice`) has no active strikes."
    await bot.say("alice", "general", AD)
    assert "This is a warning (strike 1)." in bot.take()[0]["text"]
    await bot.wait("2h")
    assert "unmute" not in kinds(bot.take())  # the pardoned mute's job is gone


@pytest.mark.asyncio
async def test_leaders_without_the_moderate_power_cannot_see_strikes(hearth_bot):
    class Powers:
        from hearth import hookimpl

        @staticmethod
        @hookimpl
        def leader_powers():
            return ["announce"]

    cfg = yaml.safe_load(config())
    cfg["communities"]["tea-house"]["plugins"]["powers"] = None
    bot = await make(hearth_bot, yaml.safe_dump(cfg), extra_plugins={"powers": Powers})
    await bot.say("lee", "general", "!strikes @alice")
    assert "needs the 'moderate' power" in bot.take()[0]["text"]


@pytest.mark.asyncio
async def test_restart_between_strikes_and_unmute_after_restart(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("alice", "general", AD)
    await bot.restart(downtime="5m")
    bot.take()
    await bot.say("alice", "general", AD)  # strike 2 remembered: mute 1h
    acts = bot.take()
    assert kinds(acts) == ["dm", "mute", "send", "delete"]
    await bot.restart(downtime="2h")  # the mute ended while stopped
    acts = bot.take()
    assert kinds(acts)[:1] == ["unmute"] and acts[0]["member"] == "alice"


# --------------------------------------------------------------------------- commands, language, matrix


@pytest.mark.asyncio
async def test_ads_command(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("alice", "general", "!ads")
    assert bot.take()[0]["text"] == (
        "The next ad window opens Friday 20:00 (Asia/Shanghai) and lasts until Friday 22:00 "
        "(Asia/Shanghai). You may post 1 ad(s) in it. Ads are always allowed in #ads."
    )
    await bot.at("2026-11-20T20:30:00+08:00")
    bot.take()
    await bot.say("alice", "general", "!ads")
    assert bot.take()[0]["text"].startswith(
        "The ad window is open until Friday 22:00 (Asia/Shanghai). You have 1 of 1 ad(s) left in it.")
    await bot.say("alice", "general", AD)
    await bot.say("alice", "general", "!ads")
    assert "You have 0 of 1 ad(s) left" in bot.take()[0]["text"]


@pytest.mark.asyncio
async def test_chinese_texts_and_overrides(hearth_bot):
    bot = await make(hearth_bot, config(language="zh", texts={"step_warn": "警告一次！"}))
    await bot.say("alice", "general", "加我微信 teashop88")
    dm = bot.take()[0]
    assert dm["text"] == (
        "你在 #general 的消息已被删除：联系方式只允许在广告时段内发布，或随时发在 #ads。"
        "下一个广告时段开始于 周五 20:00（Asia/Shanghai）。 警告一次！"
    )


@pytest.mark.asyncio
async def test_matrix_links_inside_the_community_are_fine(hearth_bot):
    bot = await make(hearth_bot, config(platform="matrix"), platform="matrix")
    await bot.say("alice", "general", "rules: https://matrix.to/#/!gen:example.org")
    await bot.say("alice", "general", "our space https://matrix.to/#/!space:example.org")
    await bot.say("alice", "general", "ping https://matrix.to/#/@bob:elsewhere.org")
    assert bot.take() == []
    await bot.say("alice", "general", "join https://matrix.to/#/#party:elsewhere.org")
    acts = bot.take()
    assert kinds(acts) == ["dm", "send", "delete"]
    assert "invitations to other servers or rooms" in acts[0]["text"]


@pytest.mark.asyncio
async def test_matrix_a_mute_ends_with_one_unmute(hearth_bot):
    """Matrix has no timed mute: the core's job lifts it, the plugin's own job does not again."""
    bot = await make(hearth_bot, config(platform="matrix"), platform="matrix")
    await bot.say("alice", "general", AD)  # 1: warn
    await bot.say("alice", "general", AD)  # 2: mute 1h
    assert "mute" in kinds(bot.take())
    await bot.wait("1d")
    unmutes = [a for a in bot.take() if a["action"] == "unmute"]
    assert [(t(a["time"]), a["member"]) for a in unmutes] == [(t("2026-11-20T20:00:00+08:00"), "alice")]


async def edit_racing_its_deletion(bot, member: str, channel: str, message_id: str, text: str) -> None:
    """An edit event that arrives after the bot deleted the message (the adapter no longer has it)."""
    adapter = bot.adapter
    person = adapter.person(bot.community, member)
    edited = adapter._message(bot.community, adapter.channel(bot.community, channel), person, text,
                              message_id, None)
    await adapter.host.submit(MessageEditedEvent(platform=adapter.name, id=f"edit:{message_id}:{text}",
                                                 community=bot.community, time=bot.clock.now(),
                                                 message=edited))
    await bot.settle()


@pytest.mark.asyncio
async def test_an_edit_of_a_removed_ad_is_not_a_second_offence(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("alice", "general", AD, ref="once")
    bot.take()
    await edit_racing_its_deletion(bot, "alice", "general", "once", AD + " edited")
    assert bot.take() == []  # no second DM, strike or delete
    await bot.say("alice", "general", AD)
    assert "strike 2" in bot.take()[0]["text"]


@pytest.mark.asyncio
async def test_editing_chat_into_an_ad_is_caught(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("alice", "general", "hello all", ref="m1")
    await bot.edit("alice", "m1", "hello all, deals at cheap-tea.com")
    acts = bot.take()
    assert kinds(acts) == ["dm", "send", "delete"] and acts[2]["message"] == "m1"


def test_capabilities_are_declared():
    from hearth import Capability
    from hearth.plugins.ad_window import plugin

    needed = {n.capability for n in plugin.register_capabilities()}
    assert needed == {Capability.DELETE, Capability.DM, Capability.MUTE, Capability.KICK, Capability.BAN}


# --------------------------------------------------------------------------- edits (issue 10 item 10)


@pytest.mark.asyncio
async def test_an_ad_allowed_in_the_window_and_edited_after_it_into_another_ad_is_removed(hearth_bot):
    bot = await make(hearth_bot, start="2026-11-20T21:50:00+08:00")
    await bot.say("alice", "general", AD, ref="a1")
    assert bot.take() == []
    await bot.at("2026-11-20T22:30:00+08:00")  # the window has closed
    bot.take()
    await bot.edit("alice", "a1", "Now join discord.gg/teaparty for giveaways")
    acts = bot.take()
    assert kinds(acts) == ["dm", "send", "delete"] and acts[2]["message"] == "a1"
    assert "(invite: `discord.gg/teaparty`; outside the ad window)" in acts[1]["text"]


@pytest.mark.asyncio
async def test_an_edit_that_keeps_the_text_is_not_judged_again(hearth_bot):
    bot = await make(hearth_bot, start="2026-11-20T21:50:00+08:00")
    await bot.say("alice", "general", AD, ref="a1")
    await bot.at("2026-11-20T22:30:00+08:00")
    bot.take()
    await bot.edit("alice", "a1", AD)  # e.g. a link preview added: the same text
    assert bot.take() == []


@pytest.mark.asyncio
async def test_a_pass_covers_one_message_content_not_its_future_edits(hearth_bot):
    bot = await make(hearth_bot)
    await bot.say("adam", "mods", "!adpass @alice")
    bot.take()
    await bot.say("alice", "general", AD, ref="p1")
    assert bot.take() == []  # the pass let it through
    await bot.edit("alice", "p1", "wechat: tea_lover88 for wholesale")
    acts = bot.take()
    assert kinds(acts) == ["dm", "send", "delete"] and acts[2]["message"] == "p1"
    await bot.say("adam", "mods", "!adpass @alice")
    bot.take()
    await edit_racing_its_deletion(bot, "alice", "general", "p1", "wechat: tea_lover88 for wholesale")
    # an edit racing the deletion: no second strike, and the new pass is kept
    assert bot.take() == []
    await bot.say("alice", "general", AD)
    assert bot.take() == []


@pytest.mark.asyncio
async def test_an_edit_in_another_window_uses_that_windows_quota(hearth_bot):
    bot = await make(hearth_bot, start="2026-11-20T21:50:00+08:00")
    await bot.say("alice", "general", AD, ref="a1")
    await bot.at("2026-11-27T20:30:00+08:00")  # next Friday's window
    bot.take()
    await bot.edit("alice", "a1", "New stock at https://cheap-tea.com/new")
    assert bot.take() == []  # allowed: this window's one ad
    await bot.say("alice", "general", "More at https://cheap-tea.com/more", ref="a2")
    assert kinds(bot.take()) == ["dm", "send", "delete"]  # the quota is used by the edit


# --------------------------------------------------------------------------- names (issue 10 item 16)


@pytest.mark.asyncio
async def test_moderators_see_the_account_id_beside_a_borrowed_display_name(hearth_bot):
    members = [*MEMBERS, {"id": "mallory", "name": "alice"}]
    bot = await make(hearth_bot, members=members)
    await bot.say("mallory", "general", AD)
    audit = next(a for a in bot.take() if a["action"] == "send")
    assert audit["text"].startswith("ad_window: removed a message by alice (`mallory`) in #general")
    await bot.say("adam", "mods", "!strikes @mallory")
    assert bot.take()[0]["text"].startswith("alice (`mallory`) has 1 active strike(s)")
    await bot.say("adam", "mods", "!adpass @mallory")
    acts = bot.take()
    audit_pass = next(a for a in acts if a["channel"] == "mods" and "gave" in a["text"])
    assert audit_pass["text"] == "ad_window: Adam (`adam`) gave alice (`mallory`) an ad pass (1 held)."


@pytest.mark.asyncio
async def test_chinese_audit_line_and_dm_have_no_english_labels(hearth_bot):
    """Issue 17: the zh audit line named the kind in English (``contact:``), the plugin ``ad_window``."""
    bot = await make(hearth_bot, config(language="zh"))
    await bot.say("alice", "general", "新茶上市，价格私聊", ref="p1")
    dm, audit, delete = bot.take()
    assert dm["text"] == (
        "你在 #general 的消息已被删除：引导私聊交易的推销只允许在广告时段内发布，或随时发在 #ads。"
        "下一个广告时段开始于 周五 20:00（Asia/Shanghai）。 这是一次警告（第 1 次违规）。"
    )
    assert audit["text"] == (
        "广告管理：删除了 Alice (`alice`) 在 #general 的消息（私聊推销：`价格私聊`；不在广告时段内）。"
        "第 1 次违规：警告。"
    )
    assert delete["message"] == "p1"
    for text in (dm["text"], audit["text"]):
        words = {w for w in "".join(ch if ch.isascii() and ch.isalpha() else " " for ch in text).split()}
        assert words <= {"general", "ads", "Asia", "Shanghai", "Alice", "alice"}, words


@pytest.mark.asyncio
async def test_shop_search_and_qq_handle_are_removed_ordinary_chinese_chat_is_not(hearth_bot):
    bot = await make(hearth_bot)
    for text in ("我在淘宝买的，价格还行，198元一斤", "我私聊你了", "我的QQ号忘记了",
                 "你可以去闲鱼搜搜看，二手的便宜"):
        await bot.say("bob", "general", text)
    assert bot.take() == []
    await bot.say("alice", "general", "淘宝搜：老王茶铺", ref="shop")
    await bot.say("bob", "general", "QQ：123456789", ref="qq")
    acts = bot.take()
    assert [(a["action"], a.get("message")) for a in acts if a["action"] == "delete"] == [
        ("delete", "shop"), ("delete", "qq")]
    audits = [a["text"] for a in acts if a["action"] == "send"]
    assert "(shop search: `淘宝搜:老王茶铺`" in audits[0]
    assert "(contact: `qq:123456789`" in audits[1]
