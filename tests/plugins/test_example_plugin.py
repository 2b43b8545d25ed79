"""The example plugin (examples/plugins/hearth-thanks) on both storage backends."""

from __future__ import annotations

import hearth_thanks
import pytest

CONFIG = """
communities:
  tea-house:
    channels: {general: {}}
    plugins:
      thanks: {top: 2}
  cafe:
    channels: {general: {}}
    plugins:
      thanks: {}
"""


@pytest.mark.asyncio
async def test_thanks_are_counted_per_community_and_survive_a_restart(hearth_bot) -> None:
    bot = await hearth_bot(CONFIG, extra_plugins={"thanks": hearth_thanks}, community="tea-house",
                           members=[{"id": "ann"}, {"id": "bo"}, {"id": "cy"}])
    await bot.say("ann", "general", "thanks @bo for the oolong tips")
    await bot.say("cy", "general", "Thank you @bo and @ann!")
    await bot.restart()
    await bot.say("cy", "general", "!thanks")
    assert bot.take()[-1]["text"] == "Most thanked: @bo (2), @ann (1)"
    assert bot.app is not None
    cafe = bot.app.contexts["cafe"]["thanks"].store
    assert await cafe.select("counts") == []  # the other community's store sees none of it
