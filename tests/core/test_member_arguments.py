"""A command naming someone who is not a member gets a clear reply, in every plugin (one path)."""

from __future__ import annotations

import pytest

from hearth.adapters.testing import TestBot

CONFIG = """\
communities:
  tea:
    discord: {guild: "1"}
    channels: {general: {discord: "11"}}
    plugins:
      ad_window: {}
      flash: {creators: member}
"""


@pytest.mark.asyncio
@pytest.mark.parametrize("command", ["!strikes {who}", "!pardon {who}", "!adpass {who}",
                                     '!flash "night talk" 1h {who}'])
async def test_an_unknown_or_departed_member_is_named_in_the_reply(hearth_bot, command: str) -> None:
    bot: TestBot = await hearth_bot(CONFIG, members=[{"id": "olivia", "role": "owner"}, {"id": "carol"}])
    await bot.say("olivia", "general", command.format(who="@ghost"))
    assert bot.take()[-1]["text"].startswith("there is no member @ghost here\nUsage: !")
    await bot.leave("carol")
    await bot.say("olivia", "general", command.format(who="@carol"))
    assert bot.take()[-1]["text"].startswith("@carol is no longer a member here (they left)\nUsage: !")
