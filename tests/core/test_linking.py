"""``!link`` across two networks, in memory and in virtual time: codes, merging, one strike count."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from hearth import Role
from hearth.adapters import testing
from hearth.adapters.testing import TestBot
from hearth.app import App, bindings_for
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


class TwoNetworks(TestBot):
    """A TestBot whose community is on an imitated Discord and an imitated Matrix at once."""

    __test__ = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.adapter.name = "discord"
        self.matrix = testing.TestingAdapter(
            communities=bindings_for(self.config, testing.TestingAdapter), imitate="matrix")
        self.matrix.name = "matrix"

    async def start(self) -> None:
        self.app = App(self.config, self.loaded.plugins, [self.adapter, self.matrix], clock=self.clock,
                       storage=self.storage, on_plugin_error=self._plugin_failed)
        await self.app.start()
        await self.settle()

    def add_matrix_member(self, member_id: str, role: str = "member") -> None:
        self.matrix.add_person(self.community, member_id, member_id, Role.parse(role))

    async def say_on_matrix(self, member_id: str, channel: str, text: str) -> None:
        await self.matrix.inject_message(self.community, member_id, channel, text, self.next_id())
        await self.settle()

    async def dm_on_matrix(self, member_id: str, text: str) -> None:
        await self.matrix.inject_dm(self.community, member_id, text, self.next_id())
        await self.settle()

    def matrix_actions(self) -> list[dict[str, Any]]:
        return list(self.matrix.actions)


ANN_M = "@ann:example.org"


async def make(plugins: dict[str, Any] | None = None, *, ann_role: str = "member",
               ann_matrix_role: str = "member") -> TwoNetworks:
    bot = TwoNetworks(load(config(plugins), text=True), start=START, strict=True)
    bot.add_member("olivia", role="owner")
    bot.add_member("ann", role=ann_role)
    bot.add_member("bo")
    bot.add_matrix_member(ANN_M, ann_matrix_role)
    bot.add_matrix_member("@cy:example.org")
    await bot.start()
    bot.take()
    return bot


def code_in(actions: list[dict[str, Any]]) -> str:
    dms = [a["text"] for a in actions if a["action"] == "dm"]
    assert dms, actions
    found = re.search(r"link ([A-Z0-9]{4}-[A-Z0-9]{4})", dms[-1])
    assert found, dms[-1]
    return found.group(1)


def last_text(actions: list[dict[str, Any]]) -> str:
    return [a for a in actions if "text" in a][-1]["text"]


async def link(bot: TwoNetworks) -> None:
    await bot.say("ann", "general", "!link")
    code = code_in(bot.take())
    await bot.dm_on_matrix(ANN_M, f"!link {code}")


@pytest.mark.asyncio
async def test_a_person_linked_across_discord_and_matrix_has_one_strike_count_and_is_muted_on_both() -> None:
    bot = await make()
    try:
        await bot.say("ann", "general", "!link")
        acts = bot.take()
        assert last_text(acts) == "I sent you a link code by direct message."
        code = code_in(acts)
        await bot.dm_on_matrix(ANN_M, f"!link {code.lower()}")  # any case
        answer = bot.matrix_actions()[-1]["text"]
        assert answer.startswith("Linked: discord:`ann`, matrix:`@ann:example.org` are now one person")
        assert bot.app is not None
        ctx = bot.app.contexts["tea"]["ad_window"]
        person = await ctx.person(("matrix", ANN_M))
        assert person.accounts == (("discord", "ann"), ("matrix", ANN_M))

        await bot.say("ann", "general", AD)  # strike 1 on Discord: a warning
        assert "This is a warning (strike 1)." in next(a["text"] for a in bot.take() if a["action"] == "dm")
        before = len(bot.matrix.actions)
        await bot.say_on_matrix(ANN_M, "general", AD)  # strike 2, from Matrix: a mute
        on_matrix = bot.matrix.actions[before:]
        assert any("muted until" in a.get("text", "") and "(strike 2)" in a["text"] for a in on_matrix)
        assert [a["member"] for a in on_matrix if a["action"] == "mute"] == [ANN_M]
        assert [a["member"] for a in bot.take() if a["action"] == "mute"] == ["ann"]  # both networks
        assert await ctx.strikes.count(("discord", "ann")) == 2
        await bot.dm_on_matrix(ANN_M, "!strikes")
        assert bot.matrix_actions()[-1]["text"].startswith("`@ann:example.org` has 2 active")
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
        await bot.dm_on_matrix(ANN_M, f"!link {code}")
        assert bot.matrix_actions()[-1]["text"].startswith("That code is not valid")
        await bot.dm("ann", "!link")  # by DM: no "sent" notice, only the code
        acts = bot.take()
        assert [a["action"] for a in acts] == ["dm"]
        code = code_in(acts)
        await bot.wait("9m")
        await bot.dm_on_matrix(ANN_M, f"!link {code}")
        assert bot.matrix_actions()[-1]["text"].startswith("Linked:")
        await bot.dm_on_matrix("@cy:example.org", f"!link {code}")  # single use
        assert bot.matrix_actions()[-1]["text"].startswith("That code is not valid")
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_wrong_codes_are_throttled() -> None:
    bot = await make()
    try:
        await bot.say("ann", "general", "!link")
        code = code_in(bot.take())
        for _ in range(5):
            await bot.dm_on_matrix(ANN_M, "!link AAAA-AAAA")
            assert bot.matrix_actions()[-1]["text"].startswith("That code is not valid")
            await bot.wait("1m")
        await bot.dm_on_matrix(ANN_M, f"!link {code}")  # even the right code waits
        assert bot.matrix_actions()[-1]["text"] == "Too many wrong codes. Try again in 5m."
        await bot.wait("5m")  # the first wrong code is 10 minutes old (and the code expired)
        await bot.dm("ann", "!link")
        await bot.dm_on_matrix(ANN_M, f"!link {code_in(bot.take())}")
        assert bot.matrix_actions()[-1]["text"].startswith("Linked:")
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
        await bot.dm_on_matrix(ANN_M, f"!link {code}")
        assert bot.matrix_actions()[-1]["text"].startswith("That code is not valid")
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_newcomers_link_only_to_a_member_and_linking_completes_no_gate() -> None:
    bot = await make(ann_role="newcomer", ann_matrix_role="newcomer")
    try:
        await link(bot)
        assert bot.matrix_actions()[-1]["text"] == (
            "Link a newcomer account only to an account that is already a member here.")
        assert bot.app is not None
        ctx = bot.app.contexts["tea"]["hearth"]
        assert not (await ctx.person(("discord", "ann"))).linked
    finally:
        await bot.close()
    bot = await make(ann_role="newcomer")
    try:
        await link(bot)
        assert bot.matrix_actions()[-1]["text"].startswith("Linked:")
        assert bot.role_of("ann") == Role.NEWCOMER  # still a newcomer on Discord
        kinds = {a["action"] for a in [*bot.adapter.actions, *bot.matrix.actions]}
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
        await bot.say_on_matrix(ANN_M, "general", AD)
        await bot.say("olivia", "general", "!adpass @ann")
        bot.take()
        assert await ctx.strikes.count(("discord", "ann")) == 1
        await link(bot)
        assert bot.matrix_actions()[-1]["text"].startswith("Linked:")
        assert await ctx.strikes.count(("discord", "ann")) == 2
        await bot.dm_on_matrix(ANN_M, "!ads")  # the pass granted on Discord is the person's
        assert "1 ad pass" in bot.matrix_actions()[-1]["text"]
        before = len(bot.matrix.actions)
        await bot.say_on_matrix(ANN_M, "general", AD + " again")
        assert not bot.matrix.actions[before:]  # allowed by the pass: no delete, no DM
        await bot.dm_on_matrix(ANN_M, "!ads")
        assert "ad pass" not in bot.matrix_actions()[-1]["text"]
    finally:
        await bot.close()
