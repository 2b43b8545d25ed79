"""Compiled hook tables: per community, only what its enabled plugins implement, rightly called."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from hearth import PluginConfig, hookimpl
from hearth.adapters.testing import TestBot
from hearth.dispatch import HookTable

CONFIG = """
communities:
  tea:
    discord: {guild: "1"}
    channels: {general: {discord: "11"}}
    plugins: {full: {}, picky: {}, bare: {}}
  quiet:
    discord: {guild: "2"}
    channels: {general: {discord: "21"}}
    plugins: {bare: {}}
"""

Factory = Callable[..., Awaitable[TestBot]]


class Base:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig


class Full(Base):
    """Takes the hookspecs' arguments in their order (called positionally)."""

    @hookimpl
    async def on_message(self, ctx: Any, message: Any) -> None:
        self.calls.append(("message", ctx.key, ctx.plugin, message.text))

    @hookimpl
    def on_member_join(self, ctx: Any, member: Any, invited_by: Any) -> None:
        self.calls.append(("join", ctx.key, member.id, invited_by))


class Picky(Base):
    """Takes some of the arguments, in another order (called by keyword)."""

    @hookimpl
    async def on_message(self, message: Any, ctx: Any) -> None:
        self.calls.append(("message", ctx.key, ctx.plugin, message.text))

    @hookimpl
    def on_member_join(self, member: Any) -> None:
        self.calls.append(("join", member.id))


class Bare(Base):
    """Takes no arguments at all."""

    @hookimpl
    def on_message(self) -> None:
        self.calls.append(("message",))


@pytest.mark.asyncio
async def test_each_implementation_gets_the_arguments_it_names(hearth_bot: Factory) -> None:
    full, picky, bare = Full(), Picky(), Bare()
    bot = await hearth_bot(CONFIG, extra_plugins={"full": full, "picky": picky, "bare": bare},
                           members=[{"id": "carl"}])
    await bot.say("carl", "general", "hello")
    await bot.join("dora", invited_by="carl")
    assert full.calls == [("message", "tea", "full", "hello"), ("join", "tea", "dora", "carl")]
    assert picky.calls == [("message", "tea", "picky", "hello"), ("join", "dora")]
    assert bare.calls == [("message",)]


@pytest.mark.asyncio
async def test_a_community_table_holds_only_its_enabled_plugins_implementations(
    hearth_bot: Factory,
) -> None:
    full, picky, bare = Full(), Picky(), Bare()
    bot = await hearth_bot(CONFIG, extra_plugins={"full": full, "picky": picky, "bare": bare})
    assert bot.app is not None
    tea, quiet = bot.app._hooks["tea"], bot.app._hooks["quiet"]
    assert sorted(i.plugin for i in tea.get("on_message", ())) == ["bare", "full", "picky"]
    assert [i.plugin for i in quiet.get("on_message", ())] == ["bare"]
    # a hook no enabled plugin implements is not in the table at all: nothing to call
    assert "on_member_join" not in quiet and quiet.get("on_member_join", ()) == ()
    assert "on_reaction" not in tea
    # each implementation is bound to its own plugin's context in that community
    assert {(i.plugin, i.ctx.key, i.ctx.plugin) for i in tea.get("on_member_join", ())} == {
        ("full", "tea", "full"), ("picky", "tea", "picky")}


class Failing(Base):
    @hookimpl
    async def on_startup(self, ctx: Any) -> None:
        raise RuntimeError("no start")

    @hookimpl
    async def on_message(self, ctx: Any, message: Any) -> None:
        self.calls.append(("message", message.text))


@pytest.mark.asyncio
@pytest.mark.hearth_plugin_errors
async def test_a_plugin_disabled_at_startup_leaves_every_table(hearth_bot: Factory) -> None:
    failing, bare = Failing(), Bare()
    config = CONFIG.replace("{full: {}, picky: {}, bare: {}}", "{full: {}, bare: {}}")
    bot = await hearth_bot(config, extra_plugins={"full": failing, "bare": bare},
                           members=[{"id": "carl"}])
    assert bot.app is not None
    assert all("on_message" not in t or all(i.plugin != "full" for i in t.get("on_message", ()))
               for t in bot.app._hooks.values())
    await bot.say("carl", "general", "hello")
    assert failing.calls == [] and bare.calls == [("message",)]


def test_without_drops_one_plugin_and_hooks_left_empty() -> None:
    from hearth.registry import load_plugins

    plugins = load_plugins({"full": Full(), "bare": Bare()}, use_entry_points=False)
    contexts = {"full": object(), "bare": object()}
    table = HookTable.compile(plugins, ["full", "bare"], contexts)
    assert "on_member_join" in table
    less = table.without("full")
    assert "on_member_join" not in less
    assert [i.plugin for i in less.get("on_message", ())] == ["bare"]
