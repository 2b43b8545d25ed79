"""The in-memory testing adapter, its scenario harness and its pytest plugin.

Plugin authors test their plugins the way the built-ins are tested::

    async def test_welcome(hearth_bot):
        bot = await hearth_bot(CONFIG_YAML, start="2026-11-20T19:00:00+08:00")
        await bot.join("alice")
        assert bot.take()[0]["action"] == "send"
"""

from hearth.adapters.testing.adapter import PROFILES, Person, TestingAdapter, format_action
from hearth.adapters.testing.harness import PluginErrors, TestBot

__all__ = ["PROFILES", "Person", "PluginErrors", "TestBot", "TestingAdapter", "format_action"]
