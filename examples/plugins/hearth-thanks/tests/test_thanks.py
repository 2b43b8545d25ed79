"""Tested with Hearth's testing adapter, like the built-in plugins."""

from __future__ import annotations

import hearth_thanks
import pytest

CONFIG = """
communities:
  tea-house:
    discord: {guild: "1"}
    channels: {general: {discord: "11"}}
    plugins:
      thanks: {top: 2}
"""


@pytest.mark.asyncio
async def test_thanks_are_counted_and_survive_a_restart(hearth_bot) -> None:
    bot = await hearth_bot(CONFIG, extra_plugins={"thanks": hearth_thanks},
                           members=[{"id": "ann"}, {"id": "bo"}, {"id": "cy"}])
    await bot.say("ann", "general", "thanks @bo for the oolong tips")
    await bot.say("cy", "general", "Thank you @bo and @ann!")
    await bot.say("bo", "general", "thanks @bo")  # thanking yourself does not count
    await bot.say("cy", "general", "@ann where is the kettle?")  # no thanks, no count
    await bot.restart()
    await bot.say("cy", "general", "!thanks")
    assert bot.take()[-1]["text"] == "Most thanked: @bo (2), @ann (1)"
    await bot.say("cy", "general", "!thanks x")
    assert bot.take()[-1]["text"] == "unexpected 'x'\nUsage: !thanks [COUNT]"
