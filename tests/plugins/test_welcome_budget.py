"""Scarce codes: each issuer's budget (gate.codes_per_issuer) and the inviter's penalty."""

from __future__ import annotations

import re

import pytest
import yaml
from welcome_support import STAFF, START, config, texts_of

from hearth import ConfigError, Role
from hearth.bootstrap import load

BUDGET = {"invitation_codes": True, "codes_per_issuer": {"count": 3, "per": "7d"}}
AD = "Best tea deals at https://cheap-tea.com/sale"


def with_ads(**welcome) -> str:
    """welcome and ad_window (START is a Friday, an hour before the ad window): the first ad
    strike kicks."""
    data = yaml.safe_load(config(**welcome))
    data["communities"]["tea-house"]["plugins"]["ad_window"] = {
        "windows": [{"days": ["fri"], "from": "20:00", "to": "22:00"}],
        "escalation": ["kick"], "audit_channel": "mods"}
    return yaml.safe_dump(data, allow_unicode=True)


async def invite(bot, who: str, args: str = "") -> str:
    await bot.say(who, "mods", f"!invite {args}".strip())
    return bot.take()[-1]["text"]


def code_in(reply: str) -> str:
    found = re.search(r"Invitation code (\w+):", reply)
    assert found, reply
    return found.group(1)


@pytest.mark.asyncio
async def test_each_issuer_hands_out_a_limited_number_of_uses_per_period(hearth_bot):
    bot = await hearth_bot(config(gate=BUDGET), start=START, members=STAFF)
    reply = await invite(bot, "lee", "2")  # a code for 2 people counts 2
    assert code_in(reply) and reply.endswith(
        "You may hand out 1 more invitation(s) this period (3 per 7d).")
    await bot.wait("1h")
    assert await invite(bot, "lee", "2") == (
        "You may hand out 3 invitation(s) per 7d; 1 left now, more from 2026-11-27 19:00.")
    assert "0 more invitation(s)" in await invite(bot, "lee")
    assert "0 left now" in await invite(bot, "lee")
    reply = await invite(bot, "olivia", "5")  # the owner (and admins) are exempt
    assert code_in(reply) and "invitation(s) this period" not in reply
    await bot.wait("7d")
    assert "2 more invitation(s)" in await invite(bot, "lee")  # the first code's 2 uses are back


@pytest.mark.asyncio
async def test_a_code_larger_than_the_whole_budget_is_refused(hearth_bot):
    bot = await hearth_bot(config(language="zh", gate=BUDGET), start=START, members=STAFF)
    assert await invite(bot, "lee", "4") == "你每 7d 可以发出 3 个邀请名额,还剩 3 个。"


@pytest.mark.asyncio
async def test_an_invitee_removed_for_ads_costs_the_inviter_one_use(hearth_bot):
    bot = await hearth_bot(with_ads(gate=BUDGET), start=START, members=STAFF)
    code = code_in(await invite(bot, "lee"))
    await bot.join("alice")
    await bot.dm("alice", f"!code {code}")
    await bot.dm("alice", "!agree")
    assert bot.role_of("alice") == Role.MEMBER
    bot.take()
    await bot.say("alice", "general", AD)
    acts = bot.take()
    assert [k["member"] for k in acts if k["action"] == "kick"] == ["alice"]
    [penalty] = texts_of(acts, "dm", member="lee")
    assert penalty.startswith("Alice, whom you invited, was removed (ad_window: strike 1")
    assert "0 more invitation(s)" in await invite(bot, "lee")  # 3 - 1 code - 1 penalty - 1 now
    ctx = bot.app.contexts["tea-house"]["welcome"]
    [lee] = await ctx.referrals(("testing", "lee"))
    assert lee.removed_count == 1


@pytest.mark.asyncio
async def test_no_penalty_after_a_month_or_for_a_removal_by_the_gate(hearth_bot):
    bot = await hearth_bot(with_ads(gate=BUDGET, accept={"within": "2h"}), start=START, members=STAFF)
    first = code_in(await invite(bot, "lee"))
    second = code_in(await invite(bot, "lee"))
    await bot.join("alice")
    await bot.dm("alice", f"!code {first}")
    await bot.dm("alice", "!agree")
    await bot.join("bob")
    await bot.dm("bob", f"!code {second}")  # never agrees: the gate removes him
    await bot.wait("2h")
    await bot.wait("31d")  # a Monday evening: outside the ad window
    await bot.say("alice", "general", AD)
    assert [k["member"] for k in bot.sent("kick")] == ["bob", "alice"]
    assert not any("whom you invited" in t for t in texts_of(bot.take(), "dm", member="lee"))
    ctx = bot.app.contexts["tea-house"]["welcome"]
    assert await ctx.store.select("penalties") == []


def test_a_budget_needs_a_positive_count():
    with pytest.raises(ConfigError) as err:
        load(config(gate={"codes_per_issuer": {"count": 0}}), text=True)
    assert "welcome.gate.codes_per_issuer.count" in str(err.value)
