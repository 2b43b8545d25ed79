"""The invitation-code gate: issuing, redeeming (valid, wrong, expired, used up), throttling, referrals."""

from __future__ import annotations

import re

import pytest
import yaml
from welcome_support import STAFF, START, config, texts_of

from hearth import Role, hookimpl
from hearth.plugins.welcome import records

pytestmark = pytest.mark.asyncio

GATED = {"gate": {"invitation_codes": True}}


async def issue(bot, who: str = "lee", args: str = "") -> str:
    await bot.say(who, "mods", f"!invite {args}".strip())
    reply = bot.take()[-1]["text"]
    found = re.search(r"Invitation code (\w+):", reply)
    assert found, reply
    return found.group(1)


async def test_leader_issues_a_code_and_a_newcomer_redeems_it_then_agrees(hearth_bot):
    bot = await hearth_bot(config(**GATED), start=START, members=STAFF)
    code = await issue(bot, args="2 3d")
    assert len(code) == 8
    await bot.join("alice")
    dm = bot.sent("dm", member="alice")[0]["text"]
    assert "invitation code" in dm and "!code CODE" in dm
    bot.take()
    await bot.dm("alice", f"!code {code.lower()}")  # codes are not case-sensitive
    [reply] = texts_of(bot.take(), "dm", member="alice")
    assert "invited by @lee" in reply and "!agree" in reply
    assert bot.role_of("alice") == Role.NEWCOMER
    await bot.dm("alice", "!agree")
    assert bot.role_of("alice") == Role.MEMBER
    store = bot.app.contexts["tea-house"]["welcome"].store
    [edge] = await records.referrals(store)
    assert edge["inviter"] == ("testing", "lee") and edge["invitee"] == ("testing", "alice")
    assert edge["via"] == "code" and edge["code"] == code


async def test_agree_first_is_told_what_is_missing_then_the_code_completes(hearth_bot):
    bot = await hearth_bot(config(**GATED), start=START, members=STAFF)
    code = await issue(bot, who="olivia")
    await bot.join("alice")
    bot.take()
    await bot.dm("alice", "!agree")
    [reply] = texts_of(bot.take(), "dm")
    assert "One step left" in reply and "!code" in reply
    assert bot.role_of("alice") == Role.NEWCOMER
    await bot.dm("alice", f"!code {code}")
    acts = bot.take()
    assert bot.role_of("alice") == Role.MEMBER
    assert "invited by @olivia" in acts[-1]["text"] and "You are now a member" in acts[-1]["text"]
    await bot.dm("alice", f"!code {code}")
    assert "for newcomers" in bot.take()[-1]["text"]


async def test_wrong_expired_and_used_up_codes_get_clear_replies(hearth_bot):
    bot = await hearth_bot(config(**GATED), start=START, members=STAFF)
    short = await issue(bot, args="1 1h")
    single = await issue(bot, args="1")
    await bot.join("alice")
    await bot.join("bob")
    await bot.join("dan")
    bot.take()
    await bot.dm("alice", "!code NOPE1234")
    assert texts_of(bot.take(), "dm") == ["NOPE1234 is not a valid invitation code. Check it and try again."]
    await bot.dm("alice", f"!code {single}")
    assert "invited by @lee" in bot.take()[-1]["text"]
    await bot.dm("alice", f"!code {short}")
    assert "already redeemed" in bot.take()[-1]["text"]
    await bot.dm("bob", f"!code {single}")
    assert texts_of(bot.take(), "dm") == [
        f"The invitation code {single} has been used up. Ask your inviter for a new one."]
    await bot.wait("1h")
    await bot.dm("dan", f"!code {short}")
    [reply] = texts_of(bot.take(), "dm")
    assert reply == (f"The invitation code {short} expired on 2026-11-20 20:00. "
                     "Ask your inviter for a new one.")
    assert bot.role_of("bob") == Role.NEWCOMER and bot.role_of("dan") == Role.NEWCOMER


async def test_repeated_wrong_guesses_are_throttled(hearth_bot):
    bot = await hearth_bot(config(**GATED), start=START, members=STAFF)
    code = await issue(bot)
    await bot.join("alice")
    for n in range(5):
        await bot.dm("alice", f"!code WRONG00{n}")
        await bot.wait("1m")
    bot.take()
    await bot.dm("alice", f"!code {code}")  # even the right code waits
    assert texts_of(bot.take(), "dm") == ["Too many wrong codes. Try again in 5 min."]
    await bot.wait("5m")
    await bot.dm("alice", f"!code {code}")
    assert "invited by @lee" in bot.take()[-1]["text"]


async def test_who_may_issue_codes(hearth_bot):
    bot = await hearth_bot(config(**GATED), start=START, members=STAFF)
    await bot.say("carol", "general", "!invite")
    assert "for leaders and above" in bot.take()[-1]["text"]
    await bot.say("lee", "mods", "!invite 0")
    assert "at least 1" in bot.take()[-1]["text"]
    await bot.say("lee", "mods", "!invite 3 2d")
    reply = bot.take()[-1]["text"]
    assert "3 use(s), valid until 2026-11-22 19:00" in reply


class NoLeaderPowers:
    @hookimpl
    def leader_powers(self):
        return []


async def test_leaders_without_the_invite_codes_power_cannot_issue(hearth_bot):
    data = yaml.safe_load(config(**GATED))
    data["communities"]["tea-house"]["plugins"]["nopowers"] = {}
    bot = await hearth_bot(yaml.safe_dump(data, allow_unicode=True), start=START, members=STAFF,
                           extra_plugins={"nopowers": NoLeaderPowers()})
    await bot.say("lee", "mods", "!invite")
    assert "needs the 'invite_codes' power" in bot.take()[-1]["text"]
    await issue(bot, who="olivia")  # admins and owners always may


async def test_codes_belong_to_one_community(hearth_bot):
    data = yaml.safe_load(config(**GATED))
    other = dict(data["communities"]["tea-house"])
    data["communities"]["coffee-club"] = other
    bot = await hearth_bot(yaml.safe_dump(data, allow_unicode=True), start=START, members=STAFF,
                           community="tea-house")
    code = await issue(bot)
    contexts = bot.app.contexts
    assert await records.Codes(contexts["coffee-club"]["welcome"].store).get(code) is None
    assert await records.Codes(contexts["tea-house"]["welcome"].store).get(code) is not None


async def test_without_the_gate_a_code_only_records_the_referral(hearth_bot):
    bot = await hearth_bot(config(), start=START, members=STAFF)
    code = await issue(bot)
    await bot.join("alice")
    assert "invitation code" not in bot.sent("dm", member="alice")[0]["text"]
    await bot.dm("alice", f"!code {code}")
    assert bot.role_of("alice") == Role.NEWCOMER  # acceptance still needs agree
    await bot.dm("alice", "!agree")
    assert bot.role_of("alice") == Role.MEMBER
    store = bot.app.contexts["tea-house"]["welcome"].store
    assert [e["via"] for e in await records.referrals(store)] == ["code"]


async def test_kick_reason_names_the_gate_not_passed(hearth_bot):
    bot = await hearth_bot(config(accept={"within": "2h"}, **GATED), start=START, members=STAFF)
    await bot.join("alice")  # agrees but never redeems a code
    await bot.join("bob")  # does nothing
    await bot.dm("alice", "!agree")
    await bot.wait("2h")
    reasons = {k["member"]: k["reason"] for k in bot.sent("kick")}
    assert reasons == {"alice": "did not redeem an invitation code within 2h",
                       "bob": "did not accept the rules and redeem an invitation code within 2h"}


async def test_kick_reason_names_the_gate_in_chinese(hearth_bot):
    bot = await hearth_bot(config(language="zh", accept={"within": "2h"}, **GATED),
                           start=START, members=STAFF)
    await bot.join("alice")
    await bot.dm("alice", "!agree")
    await bot.wait("2h")
    [kick] = bot.sent("kick")
    assert kick["reason"] == "未在 2h 内兑换邀请码"
