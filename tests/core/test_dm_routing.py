"""Direct messages belong to the community their sender is a member of now; never a guess."""

from __future__ import annotations

from typing import Any

import pytest

from hearth.adapters.testing import TestBot

ONE = """
communities:
  tea-house:
    channels: {general: {discord: "1"}}
    discord: {guild: "1"}
    plugins: {flash: {}}
"""
TWO = ONE + """\
  book-club:
    channels: {general: {discord: "2"}}
    discord: {guild: "2"}
    plugins: {flash: {}}
"""


def _dms(bot: TestBot, member: str) -> list[str]:
    return [a["text"] for a in bot.take() if a["action"] == "dm" and a["member"] == member]


@pytest.mark.asyncio
async def test_a_banned_member_keeps_no_rights_through_a_dm() -> None:
    bot = await TestBot.create(ONE, members=[{"id": "owner", "role": "owner"}, {"id": "mallory"}])
    try:
        await bot.say("owner", "general", '!flash "Night talk" 2h')
        assert bot.app is not None
        ctx = bot.app.contexts["tea-house"]["hearth"]
        mallory = await ctx.get_member("testing", "mallory")
        assert mallory is not None
        await ctx.ban(mallory, "spam")
        await bot.settle()
        bot.take()
        await bot.dm("mallory", "!flash join night-talk")
        await bot.dm("mallory", "!flash list")
        assert bot.take() == []  # no answer, no invitation
        await bot.dm("mallory", "!help")
        (answer,) = _dms(bot, "mallory")
        assert answer.startswith("You are not a member of a community this bot serves")
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_a_dm_is_attributed_to_the_senders_only_community_with_their_role_there() -> None:
    bot = await TestBot.create(TWO, members=[{"id": "lea", "role": "admin"}])
    try:
        await bot.dm("lea", '!flash "Night talk" 1h')  # the adapter's guess is not needed
        assert [a["action"] for a in bot.take()][:1] == ["create_group"]
    finally:
        await bot.close()


@pytest.mark.asyncio
async def test_a_member_of_several_communities_is_asked_or_names_one() -> None:
    bot = await TestBot.create(TWO, members=[{"id": "lea"}])
    try:
        bot.adapter.add_person("book-club", "lea", "Lea")
        await bot.dm("lea", "!flash list")
        (question,) = _dms(bot, "lea")
        assert question == ("You are a member of several communities here (tea-house, book-club): "
                            "put the one you mean at the end of the command, e.g. !flash list tea-house")
        await bot.dm("lea", "hello there")  # not a command: nobody can tell where it belongs
        assert bot.take() == []

        seen: list[Any] = []
        assert bot.app is not None
        original = bot.app._run_command

        async def spy(community: str, message: Any, line: str) -> None:
            seen.append((community, line))
            await original(community, message, line)

        bot.app._run_command = spy  # type: ignore[method-assign]
        await bot.dm("lea", "!flash list book-club")
        assert seen == [("book-club", "flash list")]
        (answer,) = _dms(bot, "lea")
        assert not answer.startswith("You are")
        await bot.dm("lea", "!flash list chess-club")  # not a community of hers: still ambiguous
        assert _dms(bot, "lea")[0].startswith("You are a member of several communities")
    finally:
        await bot.close()
