"""``help`` lists what the member can use now; near misses suggest the nearest command."""

from __future__ import annotations

import pytest

from hearth import Command, Role
from hearth.commands import CommandRegistry

CONFIG = """
communities:
  tea:
    channels: {general: {}}
    plugins:
      welcome: {gate: {invitation_codes: true}}
      flash: {}
"""
PEOPLE = [{"id": "olivia", "role": "owner"}, {"id": "bob"}]


def listed(text: str) -> list[str]:
    """The commands listed, by name (``!flash join``)."""
    return [" ".join(w for w in line.split(" — ")[0].split() if w.islower() and "[" not in w)
            for line in text.splitlines()[1:-1]]


@pytest.mark.asyncio
async def test_help_lists_only_what_the_member_can_use_now(hearth_bot) -> None:
    bot = await hearth_bot(CONFIG, members=PEOPLE)
    await bot.say("olivia", "general", "!help")
    owner = listed(bot.take()[-1]["text"])
    assert "!agree" not in owner and "!code" not in owner
    assert {"!help", "!rules", "!flash", "!invite"} <= set(owner)

    await bot.join("nina")
    bot.take()
    await bot.dm("nina", "!help")
    assert {"!agree", "!code", "!rules"} <= set(listed(bot.take()[-1]["text"]))
    await bot.dm("nina", "!agree")  # agreed; the code is still missing
    await bot.dm("nina", "!help")
    newcomer = listed(bot.take()[-1]["text"])
    assert "!agree" not in newcomer and "!code" in newcomer

    await bot.say("bob", "general", "!help")
    member = listed(bot.take()[-1]["text"])
    assert "!agree" not in member and "!code" not in member and "!flash join" in member


@pytest.mark.asyncio
async def test_unknown_commands_and_sub_commands_suggest_the_nearest(hearth_bot) -> None:
    bot = await hearth_bot(CONFIG, members=PEOPLE)
    await bot.say("bob", "general", "!flsh list")
    assert bot.take()[-1]["text"] == (
        "Unknown command !flsh. Did you mean !flash list? Type !help to see the commands.")
    await bot.say("bob", "general", "!rulez")
    assert bot.take()[-1]["text"] == (
        "Unknown command !rulez. Did you mean !rules? Type !help to see the commands.")
    await bot.say("bob", "general", "!flash jion night-talk")  # bob may not open one
    assert bot.take()[-1]["text"] == (
        "!flash is for leaders and above; you are a member.\nDid you mean !flash join?")
    await bot.say("olivia", "general", "!flash jion night-talk 2h later")  # a malformed opening
    assert bot.take()[-1]["text"].endswith("\nDid you mean !flash join?")
    await bot.say("bob", "general", "!help flash lst")
    assert bot.take()[-1]["text"] == "There is no command !flash lst. Did you mean !flash list? Try !help."
    await bot.say("bob", "general", "!xyzzy")
    assert bot.take()[-1]["text"] == "Unknown command !xyzzy. Type !help to see the commands."


def test_two_word_commands_are_suggested_without_a_one_word_one() -> None:
    async def run(inv: object) -> None:
        return None

    registry = CommandRegistry([Command(name=n, handler=run, min_role=Role.MEMBER)
                                for n in ("breakout preview", "breakout run", "ban")])
    assert registry.suggest("breakout prevew") == "breakout preview"
    assert registry.suggest("bann @carl") == "ban"
    assert registry.suggest("tea") is None
