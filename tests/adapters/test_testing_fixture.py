"""The ``hearth_bot`` fixture as plugin authors use it: failing on plugin errors."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

PLUGIN_TEST = '''
import pytest
from hearth import PluginConfig, hookimpl

CONFIG = """
communities:
  tea:
    channels: {general: {}}
    plugins: {crashy: {}}
"""


class Crashy:
    @hookimpl
    def register_config_schema(self):
        return PluginConfig

    @hookimpl
    async def on_message(self, ctx, message):
        if "boom" in message.text:
            raise RuntimeError("crashy blew up")


@pytest.mark.asyncio
async def test_unexpected(hearth_bot):
    bot = await hearth_bot(CONFIG, extra_plugins={"crashy": Crashy()}, members=[{"id": "ann"}])
    await bot.say("ann", "general", "boom")


@pytest.mark.asyncio
async def test_expected_in_a_block(hearth_bot):
    bot = await hearth_bot(CONFIG, extra_plugins={"crashy": Crashy()}, members=[{"id": "ann"}])
    with bot.expect_plugin_errors() as errors:
        await bot.say("ann", "general", "boom")
    assert [(e.plugin, e.where, str(e.error)) for e in errors] == [
        ("crashy", "on_message", "crashy blew up")]
    await bot.say("ann", "general", "calm")


@pytest.mark.asyncio
async def test_expected_but_none_raised(hearth_bot):
    bot = await hearth_bot(CONFIG, extra_plugins={"crashy": Crashy()}, members=[{"id": "ann"}])
    with bot.expect_plugin_errors():
        await bot.say("ann", "general", "calm")


@pytest.mark.asyncio
@pytest.mark.hearth_plugin_errors
async def test_marked(hearth_bot):
    bot = await hearth_bot(CONFIG, extra_plugins={"crashy": Crashy()}, members=[{"id": "ann"}])
    await bot.say("ann", "general", "boom")
    assert len(bot.plugin_errors) == 1
'''


def test_a_plugin_error_fails_the_test_unless_expected(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_crashy=PLUGIN_TEST)
    pytester.makeini("[pytest]\nasyncio_mode = strict\n")
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=2)
    out = result.stdout.str()
    assert "FAILED test_crashy.py::test_unexpected" in out
    assert "plugin 'crashy' raised in on_message (community 'tea')" in out
    assert "RuntimeError: crashy blew up" in out  # the plugin's traceback
    assert "FAILED test_crashy.py::test_expected_but_none_raised" in out
    assert "a plugin error was expected, but no plugin raised" in out


def test_capabilities_can_be_taken_away_by_name() -> None:
    from hearth import Capability
    from hearth.adapters.testing import TestingAdapter

    adapter = TestingAdapter(communities={}, imitate="matrix", without=["DM", Capability.PIN])
    assert not adapter.can(Capability.DM) and not adapter.can(Capability.PIN)
    assert not adapter.can(Capability.GROUP_DELETE) and adapter.can(Capability.KICK)
    with pytest.raises(ValueError, match="unknown capability 'telepathy'"):
        TestingAdapter(communities={}, without=["telepathy"])


@pytest.mark.asyncio
async def test_the_imitated_network_refuses_banned_and_kicked_members(hearth_bot) -> None:
    config = "communities:\n  tea:\n    channels: {general: {}}\n"
    bot = await hearth_bot(config, members=[{"id": "bob"}, {"id": "carl"}])
    core = bot.app.contexts["tea"]["hearth"]
    await core.ban(await core.get_member("testing", "bob"), "spam")
    await core.kick(await core.get_member("testing", "carl"), "rude")
    await bot.settle()  # actions are queued: deliver them
    bot.take()
    await bot.join("bob")  # a banned member cannot come back
    await bot.say("bob", "general", "let me in")
    await bot.say("carl", "general", "sorry")
    assert [(a["action"], a["member"], a["why"]) for a in bot.take()] == [
        ("refused", "bob", "banned"), ("refused", "bob", "banned"), ("refused", "carl", "kicked")]
    await bot.join("carl")  # a kicked member may rejoin, and post again
    await bot.say("carl", "general", "!rules")
    assert bot.take()[-1]["action"] == "send" and not bot.is_present("bob")
