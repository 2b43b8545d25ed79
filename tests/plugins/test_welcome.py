"""The welcome ritual: joins, bursts, acceptance, deadlines, rejoin, restart, introductions."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from welcome_support import STAFF, START, config, texts_of

from hearth import Role
from hearth.plugins.welcome import records

pytestmark = pytest.mark.asyncio


def t(value: str) -> datetime:
    return datetime.fromisoformat(value)


# --------------------------------------------------------------------------- joining


async def test_single_join_welcomes_grants_newcomer_and_sends_rules(hearth_bot):
    bot = await hearth_bot(
        config(message="Welcome {mention} ({name}) to {community}, member #{member_count}, "
                       "invited by {inviter}!",
               rules="1. Tea only.", community_name="The Tea House"),
        start=START, members=STAFF)
    await bot.join("alice", invited_by="carol")
    acts = bot.take()
    assert [a["action"] for a in acts] == ["grant_role", "dm", "send"]
    assert acts[0] == {**acts[0], "member": "alice", "role": "newcomer"}
    assert acts[1]["member"] == "alice"
    assert "1. Tea only." in acts[1]["text"] and "!agree" in acts[1]["text"] and "✅" in acts[1]["text"]
    welcome = acts[2]
    assert welcome["channel"] == "general"
    assert welcome["text"].startswith(
        "Welcome @alice (Alice) to The Tea House, member #4, invited by @carol!")
    assert "Tell us who you are" in welcome["text"]
    assert t(welcome["time"]) == t(START)
    assert bot.role_of("alice") == Role.NEWCOMER


async def test_burst_of_joins_is_welcomed_in_one_message(hearth_bot):
    bot = await hearth_bot(config(burst="60s"), start=START, members=STAFF)
    await bot.join("alice")
    await bot.wait("20s")
    await bot.join("bob")
    await bot.wait("30s")
    await bot.join("dan")
    assert not bot.sent("send")  # rules went by DM at once; the welcome waits
    assert len(bot.sent("dm")) == 3
    await bot.wait("10s")  # 60s after the first join
    sends = bot.sent("send")
    assert len(sends) == 1
    assert t(sends[0]["time"]) == t(START) + timedelta(seconds=60)
    assert "@alice, @bob, @dan" in sends[0]["text"]
    assert "We are 6 now" in sends[0]["text"]
    # A later join starts a new quiet period.
    await bot.wait("5m")
    await bot.join("erin")
    await bot.wait("1m")
    sends = bot.sent("send")
    assert len(sends) == 2 and "@erin" in sends[1]["text"] and "@alice" not in sends[1]["text"]


async def test_member_leaving_before_the_burst_is_not_welcomed(hearth_bot):
    bot = await hearth_bot(config(burst="60s"), start=START, members=STAFF)
    await bot.join("alice")
    await bot.join("bob")
    await bot.leave("bob")
    await bot.wait("1m")
    [send] = bot.sent("send")
    assert "@alice" in send["text"] and "@bob" not in send["text"]


async def test_zero_burst_welcomes_each_join_at_once(hearth_bot):
    bot = await hearth_bot(config(burst="0s"), start=START, members=STAFF)
    await bot.join("alice")
    await bot.join("bob")
    assert len(bot.sent("send")) == 2


async def test_rules_in_channel_and_dm(hearth_bot):
    bot = await hearth_bot(config(rules_delivery=["dm", "channel"], rules="No ads."),
                           start=START, members=STAFF)
    await bot.join("alice")
    sends = bot.sent("send")
    assert len(sends) == 2
    assert "@alice" in sends[1]["text"] and "No ads." in sends[1]["text"]
    assert "No ads." in bot.sent("dm", member="alice")[0]["text"]


async def test_rules_command_shows_rules_any_time(hearth_bot):
    bot = await hearth_bot(config(rules="1. Be nice."), start=START, members=STAFF)
    await bot.say("carol", "general", "!rules")
    [reply] = bot.sent("send")
    assert "1. Be nice." in reply["text"] and "!agree" not in reply["text"]
    await bot.join("alice")
    bot.take()
    await bot.dm("alice", "!rules")
    rules, how = texts_of(bot.take(), "dm", member="alice")
    assert rules == "The rules of tea-house:\n\n1. Be nice."  # the core's command
    assert "!agree by 2026-11-21 19:00" in how  # and welcome tells a newcomer how to accept


# --------------------------------------------------------------------------- acceptance


async def test_accept_by_command(hearth_bot):
    bot = await hearth_bot(config(), start=START, members=STAFF)
    await bot.join("alice")
    bot.take()
    await bot.say("alice", "general", "!agree")
    acts = bot.take()
    assert [(a["action"], a.get("role")) for a in acts] == [
        ("grant_role", "member"), ("revoke_role", "newcomer"), ("send", None)]
    assert "You are now a member" in acts[2]["text"]
    assert bot.role_of("alice") == Role.MEMBER
    await bot.say("alice", "general", "!agree")
    assert "already a member" in bot.take()[0]["text"]
    await bot.wait("3d")  # the deadline was cancelled
    assert bot.is_present("alice") and not bot.sent("kick")


async def test_accept_by_reaction_on_the_dm_rules(hearth_bot):
    bot = await hearth_bot(config(), start=START, members=STAFF)
    await bot.join("alice")
    bot.take()
    await bot.react("alice", "last-bot-message", "👍", in_="dm")
    assert not bot.take()  # not the configured emoji
    await bot.react("alice", "last-bot-message", "✅", in_="dm")
    acts = bot.take()
    assert bot.role_of("alice") == Role.MEMBER
    assert acts[-1]["action"] == "dm" and "You are now a member" in acts[-1]["text"]


async def test_accept_by_reaction_on_the_channel_rules_only_by_its_newcomers(hearth_bot):
    bot = await hearth_bot(config(rules_delivery=["channel"], accept={"reaction": "👍"}),
                           start=START, members=STAFF)
    await bot.join("alice")
    assert not bot.sent("dm")
    await bot.react("carol", "last-bot-message", "👍", in_="general")  # not hers to accept
    await bot.join("bob")
    assert bot.role_of("bob") == Role.NEWCOMER
    rules_for_alice = bot.sent("send")[1]
    assert "@alice" in rules_for_alice["text"]
    # the latest rules post is bob's: alice's reaction there does not count, bob's does
    await bot.react("alice", "last-bot-message", "👍", in_="general")
    await bot.react("bob", "last-bot-message", "👍", in_="general")
    assert bot.role_of("bob") == Role.MEMBER
    assert bot.role_of("alice") == Role.NEWCOMER


async def test_custom_accept_command_name(hearth_bot):
    bot = await hearth_bot(config(accept={"command": "!consent"}), start=START, members=STAFF)
    await bot.join("alice")
    assert "!consent" in bot.sent("dm", member="alice")[0]["text"]
    bot.take()
    await bot.dm("alice", "!agree")
    assert "Unknown command !agree" in bot.take()[0]["text"]
    await bot.dm("alice", "!help")
    assert "!consent" in bot.take()[-1]["text"]
    await bot.dm("alice", "!consent")
    assert bot.role_of("alice") == Role.MEMBER
    await bot.dm("alice", "!help")
    assert "!consent" not in bot.take()[-1]["text"]  # done: no longer for her


# --------------------------------------------------------------------------- deadline


async def test_timeout_kicks_with_a_reason(hearth_bot):
    bot = await hearth_bot(config(accept={"within": "2h", "on_timeout": "kick"}), start=START, members=STAFF)
    await bot.join("alice")
    await bot.wait("1h59m")
    assert bot.is_present("alice")
    await bot.wait("1m")
    [kick] = bot.sent("kick")
    assert kick["member"] == "alice" and kick["reason"] == "did not accept the rules within 2h"
    assert t(kick["time"]) == t(START) + timedelta(hours=2)
    assert not bot.is_present("alice")


async def test_timeout_reminds_once_then_leaves_them_be(hearth_bot):
    bot = await hearth_bot(config(accept={"within": "2h", "on_timeout": "remind"}),
                           start=START, members=STAFF)
    await bot.join("alice")
    bot.take()
    await bot.wait("2h")
    [dm] = texts_of(bot.take(), "dm", member="alice")
    assert "you have not accepted the rules" in dm and "!agree" in dm
    await bot.wait("3d")
    assert not bot.take()
    assert bot.role_of("alice") == Role.NEWCOMER and bot.is_present("alice")
    await bot.dm("alice", "!agree")  # still possible later
    assert bot.role_of("alice") == Role.MEMBER


async def test_timeout_nothing_does_nothing(hearth_bot):
    bot = await hearth_bot(config(accept={"within": "2h", "on_timeout": "nothing"}),
                           start=START, members=STAFF)
    await bot.join("alice")
    bot.take()
    await bot.wait("5d")
    assert not bot.take()
    assert bot.role_of("alice") == Role.NEWCOMER


async def test_leaving_cancels_the_deadline(hearth_bot):
    bot = await hearth_bot(config(), start=START, members=STAFF)
    await bot.join("alice")
    await bot.leave("alice")
    await bot.wait("2d")
    assert not bot.sent("kick")


# --------------------------------------------------------------------------- rejoin, old members, restart


async def test_rejoin_goes_through_the_ritual_again(hearth_bot):
    bot = await hearth_bot(config(), start=START, members=STAFF)
    await bot.join("alice")
    await bot.dm("alice", "!agree")
    await bot.leave("alice")
    bot.take()
    await bot.wait("1d")
    await bot.join("alice")
    acts = bot.take()
    assert [a["action"] for a in acts] == ["grant_role", "dm", "send"]
    assert bot.role_of("alice") == Role.NEWCOMER
    await bot.wait("1d")
    assert bot.sent("kick", member="alice")  # the new deadline applies


async def test_members_from_before_the_bot_are_not_newcomers(hearth_bot):
    bot = await hearth_bot(config(gate={"invitation_codes": True}), start=START, members=STAFF)
    await bot.say("carol", "general", "!agree")
    await bot.say("carol", "general", "!code ABCDEFGH")
    replies = texts_of(bot.take(), "send")
    assert "already a member" in replies[0]
    assert "for newcomers" in replies[1]
    assert not bot.sent("grant_role") and not bot.sent("revoke_role")
    await bot.wait("3d")
    assert not bot.sent("kick")


async def test_restart_with_a_pending_deadline(hearth_bot):
    bot = await hearth_bot(config(accept={"within": "24h"}), start=START, members=STAFF)
    await bot.join("alice")
    await bot.join("bob")
    await bot.wait("1h")
    await bot.restart()
    await bot.dm("bob", "!agree")
    await bot.wait("22h59m")
    assert not bot.sent("kick")
    await bot.wait("1m")
    assert [k["member"] for k in bot.sent("kick")] == ["alice"]


async def test_deadline_missed_while_down_runs_at_startup(hearth_bot):
    bot = await hearth_bot(config(accept={"within": "24h"}), start=START, members=STAFF)
    await bot.join("alice")
    await bot.restart(downtime="30h")
    [kick] = bot.sent("kick")
    assert kick["member"] == "alice" and t(kick["time"]) == t(START) + timedelta(hours=30)


async def test_burst_survives_a_restart(hearth_bot):
    bot = await hearth_bot(config(burst="60s"), start=START, members=STAFF)
    await bot.join("alice")
    await bot.restart(downtime="10s")
    await bot.join("bob")
    await bot.wait("50s")
    [send] = bot.sent("send")
    assert "@alice, @bob" in send["text"]


# --------------------------------------------------------------------------- introductions


async def test_first_message_in_the_intro_channel_is_recognised(hearth_bot):
    bot = await hearth_bot(config(introduction={"channel": "intro", "prompt": "Who are you?"}),
                           start=START, members=STAFF)
    await bot.join("alice")
    assert "Who are you? (in #intro)" in bot.sent("send")[0]["text"]
    await bot.say("alice", "general", "hello all")
    await bot.say("alice", "intro", "I'm Alice, I grow oolong.", ref="hi")
    await bot.say("alice", "intro", "Also pu'er.")
    await bot.say("carol", "intro", "Welcome Alice!")
    thanks = bot.sent("send", channel="intro")
    assert len(thanks) == 1 and thanks[0]["reply_to"] == "hi"
    store = bot.app.contexts["tea-house"]["welcome"].store
    assert await records.introduction(store, "testing", "alice") == "hi"


# --------------------------------------------------------------------------- language, degradation


async def test_chinese_defaults(hearth_bot):
    bot = await hearth_bot(config(language="zh"), start=START, members=STAFF)
    await bot.join("alice")
    assert "请阅读群规" in bot.sent("dm")[0]["text"]
    assert bot.sent("send")[0]["text"].startswith("欢迎 @alice 加入 tea-house")


async def test_text_overrides(hearth_bot):
    bot = await hearth_bot(config(texts={"accepted": "Welcome aboard, {name}."}), start=START, members=STAFF)
    await bot.join("alice")
    await bot.dm("alice", "!agree")
    assert bot.sent("dm")[-1]["text"] == "Welcome aboard, Alice."


async def test_without_dm_rules_go_to_the_channel(hearth_bot):
    bot = await hearth_bot(config(), start=START, members=STAFF, without=["DM"])
    await bot.join("alice")
    sends = bot.sent("send")
    assert not bot.sent("dm") and len(sends) == 2
    assert "@alice" in sends[1]["text"] and "Be kind" in sends[1]["text"]
    await bot.react("alice", "last-bot-message", "✅", in_="general")
    assert bot.role_of("alice") == Role.MEMBER


async def test_a_member_who_refuses_dms_gets_the_rules_in_the_channel(hearth_bot):
    bot = await hearth_bot(config(burst="1m"), start=START, members=STAFF)
    bot.refuse_dms("bob")
    await bot.join("bob")
    await bot.join("alice")
    await bot.wait("1m")
    assert [d["member"] for d in bot.sent("dm")] == ["alice"]  # bob's DM was refused
    posts = [s["text"] for s in bot.sent("send") if "please read our rules" in s["text"]]
    assert len(posts) == 1 and "@bob" in posts[0] and "@alice" not in posts[0]


async def test_without_kick_the_timeout_reminds(hearth_bot):
    bot = await hearth_bot(config(accept={"within": "1h"}), start=START, members=STAFF, without=["KICK"])
    await bot.join("alice")
    await bot.wait("1h")
    assert not bot.sent("kick") and bot.is_present("alice")
    assert "you have not accepted" in bot.sent("dm")[-1]["text"]


# --------------------------------------------------------------------------- the example


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


async def test_example_scenario_shows_the_ritual():
    from hearth.bootstrap import load
    from hearth.simulate import load_scenario, run_scenario

    root = EXAMPLES
    loaded = load(root / "community.yaml")
    out: list[dict] = []
    await run_scenario(loaded, load_scenario(root / "scenarios" / "welcome.yaml", loaded), out.append)
    mine = [a for a in out if a.get("member") in ("alice", "bob", "dan")
            or "@alice" in a.get("text", "") or "@dan" in a.get("text", "")]
    assert [a["text"].split("\n")[0] for a in mine if a["action"] == "send"][:1] == [
        "Welcome @alice, @bob, @dan to tea-house! We are 6 now."]
    assert {(a["member"], a["role"]) for a in out if a["action"] == "grant_role"} >= {
        ("alice", "member"), ("bob", "member"), ("dan", "newcomer")}
    assert [a["member"] for a in out if a["action"] == "kick"] == ["dan"]
    assert any("Thanks for introducing yourself, @alice" in a.get("text", "") for a in out)


# --------------------------------------------------------------------------- the network fails


async def test_a_newcomer_is_recorded_as_left_only_once_the_kick_went_through(hearth_bot):
    bot = await hearth_bot(config(accept={"within": "2h", "on_timeout": "kick"}), start=START,
                           members=STAFF)
    await bot.join("alice")
    bot.adapter.go_down(t(START) + timedelta(hours=3))
    app = bot.app
    await app.scheduler.advance(t(START) + timedelta(hours=2, minutes=30), app.settle)
    person = await records.Newcomers(app.contexts["tea-house"]["welcome"].store).get(
        "testing", "alice")
    assert person is not None and person.status == "pending"  # not "left": she is still here
    assert bot.is_present("alice") and not bot.sent("kick")
    await bot.wait("1h")
    [kick] = bot.sent("kick")
    assert t(kick["time"]) >= t(START) + timedelta(hours=3)
    person = await records.Newcomers(app.contexts["tea-house"]["welcome"].store).get(
        "testing", "alice")
    assert person is not None and person.status == "left" and not bot.is_present("alice")


async def test_rules_dms_over_the_backlog_bound_are_posted_in_the_channel(hearth_bot):
    bot = await hearth_bot(config(burst="60s", accept={"reaction": "✅"}), start=START, members=STAFF)
    app = bot.app
    app.outbound(bot.adapter)._max_queued = 5  # a small bound, so a small wave reaches it
    for n in range(30):
        await bot.adapter.inject_join("tea-house", f"n{n}", f"N{n}")
    await app.settle()
    await bot.wait("60s")
    dms = bot.sent("dm")
    assert 10 <= len(dms) < 30  # paced and bounded: the rest were dropped, not sent later
    [_welcome, post] = bot.sent("send", channel="general")
    assert "please read our rules" in post["text"] and "others" in post["text"]
    dropped = sorted({f"n{n}" for n in range(30)} - {d["member"] for d in dms})
    # A newcomer whose DM was dropped accepts by reacting to the channel's rules post.
    await bot.react(dropped[-1], "last-bot-message", "✅", in_="general")
    assert bot.role_of(dropped[-1]) == Role.MEMBER


# --------------------------------------------------------------------------- join floods


async def test_a_wave_of_joins_is_paced_bounded_and_never_holds_up_other_members(hearth_bot):
    bot = await hearth_bot(config(burst="60s"), start=START, members=STAFF)
    bot.adapter.latency = timedelta(milliseconds=200)  # every network call takes a while
    app = bot.app
    asked = None
    for n in range(300):  # 300 joins in 51 s
        when = t(START) + timedelta(seconds=n * 51 / 300)
        await app.scheduler.advance(when, app.settle)
        await bot.adapter.inject_join("tea-house", f"n{n}", f"N{n}")
        if n == 150:
            asked = when
            await bot.adapter.inject_message("tea-house", "carol", "general", "!help", "help1")
    await bot.settle()
    [answer] = [s for s in bot.sent("send") if s.get("reply_to") == "help1"]
    assert asked is not None and t(answer["time"]) - asked <= timedelta(seconds=2)
    dms = bot.sent("dm")
    assert len(dms) == 300
    assert t(dms[-1]["time"]) >= t(START) + timedelta(minutes=4)  # about one a second, not all at once
    [welcome] = [s for s in bot.sent("send") if s["text"].startswith("Welcome")]
    assert "@n0, @n1, @n2, @n3, @n4 and 295 others" in welcome["text"]
    assert len(welcome["text"]) < 500
async def test_rules_in_the_deprecated_place_are_still_sent(hearth_bot):
    import yaml

    data = yaml.safe_load(config())
    data["communities"]["tea-house"]["plugins"]["welcome"]["rules"] = "1. Old place."
    bot = await hearth_bot(yaml.safe_dump(data), start=START, members=STAFF)
    await bot.join("alice")
    assert "1. Old place." in bot.sent("dm", member="alice")[0]["text"]
    await bot.say("carol", "general", "!rules")
    assert bot.sent("send")[-1]["text"] == "The rules of tea-house:\n\n1. Old place."
