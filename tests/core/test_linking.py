"""``!link`` across two networks, in memory and in virtual time: codes, merging, one strike count."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from hearth import Role
from hearth.adapters.testing import TestBot
from hearth.bootstrap import load

START = "2026-11-20T19:00:00+08:00"  # a Friday, an hour before the ad window opens
AD = "Best tea deals at https://cheap-tea.com/sale"
AD_WINDOW = {
    "windows": [{"days": ["fri"], "from": "20:00", "to": "22:00"}],
    "per_window_quota": 1,
    "escalation": ["warn", {"mute": "1h"}, {"mute": "24h"}, "kick", "ban"],
    "strike_decay": "30d",
}


def config(plugins: dict[str, Any] | None = None) -> str:
    community = {"timezone": "Asia/Shanghai", "channels": {"general": {}},
                 "plugins": plugins if plugins is not None else {"ad_window": AD_WINDOW}}
    return yaml.safe_dump({"communities": {"tea": community}})


ANN_M = "annm"  # ann's account on Matrix


async def make(plugins: dict[str, Any] | None = None, *, ann_role: str = "member",
               ann_matrix_role: str = "member") -> TestBot:
    """The community on an imitated Discord (olivia, ann, bo) and Matrix (annm, cy) at once."""
    bot = TestBot(load(config(plugins), text=True), start=START, strict=True,
                  networks=["discord", "matrix"])
    bot.add_member("olivia", role="owner")
    bot.add_member("ann", role=ann_role)
    bot.add_member("bo")
    bot.add_member(ANN_M, role=ann_matrix_role, platform="matrix")
    bot.add_member("cy", platform="matrix")
    await bot.start()
    bot.take()
    return bot


def on(actions: list[dict[str, Any]], network: str) -> list[dict[str, Any]]:
    return [a for a in actions if a.get("network") == network]


def code_in(actions: list[dict[str, Any]]) -> str:
    dms = [a["text"] for a in actions if a["action"] == "dm"]
    assert dms, actions
    found = re.search(r"link ([A-Z0-9]{4}-[A-Z0-9]{4})", dms[-1])
    assert found, dms[-1]
    return found.group(1)


def last_text(actions: list[dict[str, Any]]) -> str:
    return [a for a in actions if "text" in a][-1]["text"]


async def link(bot: TestBot) -> None:
    await bot.say("ann", "general", "!link")
    code = code_in(bot.take())
    await bot.dm(ANN_M, f"!link {code}")


@pytest.mark.asyncio
async def test_a_person_linked_across_discord_and_matrix_has_one_strike_count_and_is_muted_on_both() -> None:
    bot = await make()
    try:
        await bot.say("ann", "general", "!link")
        acts = bot.take()
        assert last_text(acts) == "I sent you a link code by direct message."
        code = code_in(acts)
        await bot.dm(ANN_M, f"!link {code.lower()}")  # any case
        answer = last_text(bot.take())
        assert answer.startswith("Linked: discord:`ann`, matrix:`annm` are now one person")
        assert bot.app is not None
        ctx = bot.app.contexts["tea"]["ad_window"]
        person = await ctx.person(("matrix", ANN_M))
        assert person.accounts == (("discord", "ann"), ("matrix", ANN_M))

        await bot.say("ann", "general", AD)  # strike 1 on Discord: a warning
        assert "This is a warning (strike 1)." in next(a["text"] for a in bot.take() if a["action"] == "dm")
        await bot.say(ANN_M, "general", AD)  # strike 2, from Matrix: a mute
        acts = bot.take()
        assert any("muted until" in a.get("text", "") and "(strike 2)" in a["text"]
                   for a in on(acts, "matrix"))
        mutes = [(a["network"], a["member"]) for a in acts if a["action"] == "mute"]
        assert sorted(mutes) == [("discord", "ann"), ("matrix", ANN_M)]  # both networks
        assert await ctx.strikes.count(("discord", "ann")) == 2
        await bot.dm(ANN_M, "!strikes")
        assert last_text(bot.take()).startswith("Annm (`annm`) has 2 active")
        await bot.say("olivia", "general", "!pardon @ann 1")
        assert "Pardoned 1 strike(s)" in last_text(bot.take())
        assert await ctx.strikes.count(("matrix", ANN_M)) == 1
        # the activity of the person is the sum over both accounts
        assert (await ctx.activity(person, bot.clock.now())).commands >= 3
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_a_code_expires_after_ten_minutes_and_works_once() -> None:
    bot = await make()
    try:
        await bot.say("ann", "general", "!link")
        code = code_in(bot.take())
        await bot.wait("10m")
        await bot.dm(ANN_M, f"!link {code}")
        assert last_text(bot.take()).startswith("That code is not valid")
        await bot.dm("ann", "!link")  # by DM: no "sent" notice, only the code
        acts = bot.take()
        assert [a["action"] for a in acts] == ["dm"]
        code = code_in(acts)
        await bot.wait("9m")
        await bot.dm(ANN_M, f"!link {code}")
        assert last_text(bot.take()).startswith("Linked:")
        await bot.dm("cy", f"!link {code}")  # single use
        assert last_text(bot.take()).startswith("That code is not valid")
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_wrong_codes_are_throttled() -> None:
    bot = await make()
    try:
        await bot.say("ann", "general", "!link")
        code = code_in(bot.take())
        for _ in range(5):
            await bot.dm(ANN_M, "!link AAAA-AAAA")
            assert last_text(bot.take()).startswith("That code is not valid")
            await bot.wait("1m")
        await bot.dm(ANN_M, f"!link {code}")  # even the right code waits
        assert last_text(bot.take()) == "Too many wrong codes. Try again in 5m."
        await bot.wait("5m")  # the first wrong code is 10 minutes old (and the code expired)
        await bot.dm("ann", "!link")
        await bot.dm(ANN_M, f"!link {code_in(bot.take())}")
        assert last_text(bot.take()).startswith("Linked:")
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_a_code_from_the_same_network_is_refused_and_spent() -> None:
    bot = await make()
    try:
        await bot.say("ann", "general", "!link")
        code = code_in(bot.take())
        await bot.say("bo", "general", f"!link {code}")
        assert last_text(bot.take()).startswith("That code was given to an account on discord")
        await bot.dm(ANN_M, f"!link {code}")
        assert last_text(bot.take()).startswith("That code is not valid")
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_newcomers_link_only_to_a_member_and_linking_completes_no_gate() -> None:
    bot = await make(ann_role="newcomer", ann_matrix_role="newcomer")
    try:
        await link(bot)
        assert last_text(bot.take()) == (
            "Link a newcomer account only to an account that is already a member here.")
        assert bot.app is not None
        ctx = bot.app.contexts["tea"]["hearth"]
        assert not (await ctx.person(("discord", "ann"))).linked
    finally:
        await bot.close()
    bot = await make(ann_role="newcomer")
    try:
        await link(bot)
        assert last_text(bot.take()).startswith("Linked:")
        assert bot.role_of("ann") == Role.NEWCOMER  # still a newcomer on Discord
        await bot.dm(ANN_M, "!ads")  # and still a member on Matrix
        assert "for members and above" not in last_text(bot.take())
        kinds = {a["action"] for a in bot.actions}
        assert "grant_role" not in kinds and "revoke_role" not in kinds
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_linking_two_people_with_strikes_and_ad_passes_merges_them() -> None:
    bot = await make()
    try:
        assert bot.app is not None
        ctx = bot.app.contexts["tea"]["ad_window"]
        await bot.say("ann", "general", AD)
        await bot.say(ANN_M, "general", AD)
        await bot.say("olivia", "general", "!adpass @ann")
        bot.take()
        assert await ctx.strikes.count(("discord", "ann")) == 1
        await link(bot)
        assert last_text(bot.take()).startswith("Linked:")
        assert await ctx.strikes.count(("discord", "ann")) == 2
        await bot.dm(ANN_M, "!ads")  # the pass granted on Discord is the person's
        assert "1 ad pass" in last_text(bot.take())
        await bot.say(ANN_M, "general", AD + " again")
        assert not bot.take()  # allowed by the pass: no delete, no DM
        await bot.dm(ANN_M, "!ads")
        assert "ad pass" not in last_text(bot.take())
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_linked_accounts_share_the_leader_role_hearth_granted_but_not_a_networks_admin() -> None:
    bot = await make(ann_role="admin")
    try:
        await link(bot)
        assert bot.app is not None
        ctx = bot.app.contexts["tea"]["hearth"]
        await bot.dm(ANN_M, "!pardon @cy")  # an admin on Discord only
        assert "for admins and above" in last_text(bot.take())
        await bot.dm(ANN_M, "!strikes @cy")
        assert "Only admins and leaders" in last_text(bot.take())
        discord_ann = await ctx.get_member("discord", "ann")
        assert discord_ann is not None
        await ctx.grant_role(discord_ann, Role.LEADER)  # Hearth's leader: the person's
        await bot.settle()
        assert bot.app.roles.granted("tea", ("matrix", ANN_M)) == Role.LEADER
        await bot.dm(ANN_M, "!strikes @cy")
        assert last_text(bot.take()) == "Cy (`cy`) has no active strikes."
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_a_newcomer_account_stays_a_newcomer_when_linked_to_a_member() -> None:
    bot = await make()
    try:
        assert bot.app is not None
        ctx = bot.app.contexts["tea"]["hearth"]
        matrix_ann = await ctx.get_member("matrix", ANN_M)
        discord_ann = await ctx.get_member("discord", "ann")
        assert matrix_ann is not None and discord_ann is not None
        await ctx.grant_role(discord_ann, Role.MEMBER)  # she passed the gate on Discord
        await ctx.grant_role(matrix_ann, Role.NEWCOMER)  # not yet on Matrix
        await bot.settle()
        await link(bot)
        assert last_text(bot.take()).startswith("Linked:")
        assert bot.app.roles.granted("tea", ("matrix", ANN_M)) == Role.NEWCOMER
        await bot.dm(ANN_M, "!ads")  # a members' command
        assert "for members and above" in last_text(bot.take())
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_a_ban_reaches_every_linked_account_and_groups_follow_the_person() -> None:
    bot = await make()
    try:
        await link(bot)
        assert bot.app is not None
        ctx = bot.app.contexts["tea"]["hearth"]
        olivia = await ctx.get_member("discord", "olivia")
        matrix_ann = await ctx.get_member("matrix", ANN_M)
        cy = await ctx.get_member("matrix", "cy")
        assert olivia is not None and matrix_ann is not None and cy is not None
        group = await ctx.groups.create("discord", "tea-talk", [olivia], topic="tea")
        assert group is not None
        assert await ctx.groups.invite(group, matrix_ann)  # invited as her Discord account
        assert [a["member"] for a in bot.take() if a["action"] == "invite"] == ["ann"]
        assert [g.id for g in await ctx.groups.of(matrix_ann)] == [group.id]
        assert not await ctx.groups.invite(group, cy)  # no Discord account to invite
        assert await ctx.groups.of(cy) == []
        await ctx.ban(matrix_ann, "spam")
        await bot.settle()
        bans = [(a["network"], a["member"]) for a in bot.take() if a["action"] == "ban"]
        assert sorted(bans) == [("discord", "ann"), ("matrix", ANN_M)]
    finally:
        await bot.close()
