"""Bounded queues, rate limits, migrations, and log lines that name community and plugin."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from hearth import PluginConfig, Store, hookimpl
from hearth.adapters.testing import TestBot
from hearth.errors import StorageError
from hearth.inbox import Inbox
from hearth.logs import ContextFilter
from hearth.storage import Database


@pytest.mark.asyncio
async def test_inbox_makes_producers_wait_when_full() -> None:
    inbox: Inbox[int] = Inbox(2)
    await inbox.put(1)
    await inbox.put(2)
    blocked = asyncio.create_task(inbox.put(3))
    await asyncio.sleep(0)
    assert not blocked.done() and len(inbox) == 2
    assert await inbox.get() == 1
    await blocked
    assert [await inbox.get(), await inbox.get()] == [2, 3]
    for _ in range(3):
        inbox.task_done()
    await asyncio.wait_for(inbox.join(), 1)


@pytest.mark.asyncio
async def test_taking_without_waiting_also_lets_a_waiting_producer_in() -> None:
    inbox: Inbox[int] = Inbox(1)
    await inbox.put(1)
    blocked = asyncio.create_task(inbox.put(2))
    await asyncio.sleep(0)
    assert inbox.get_nowait() == 1
    await asyncio.wait_for(blocked, 1)
    assert inbox.get_nowait() == 2
    with pytest.raises(IndexError):
        inbox.get_nowait()


@pytest.mark.asyncio
async def test_migrations_run_once_in_order_and_refuse_a_newer_schema(tmp_path: Path) -> None:
    calls: list[str] = []

    async def v1(store: Store) -> None:
        calls.append("v1")
        await store.execute(f"CREATE TABLE {store.table('t')} (x INTEGER)")

    async def v2(store: Store) -> None:
        calls.append("v2")
        await store.execute(f"ALTER TABLE {store.table('t')} ADD COLUMN y TEXT")

    async def broken(store: Store) -> None:
        await store.execute(f"INSERT INTO {store.table('t')} (x) VALUES (1)")
        raise RuntimeError("half-way")

    db = await Database.open(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        store = Store(db, "demo")
        assert await db.migrate(store, [v1]) == 1
        assert await db.migrate(store, [v1, v2]) == 2
        assert calls == ["v1", "v2"]
        with pytest.raises(RuntimeError):
            await db.migrate(store, [v1, v2, broken])
        assert await db.version("demo") == 2
        assert await db.fetch("SELECT * FROM demo_t") == []  # the failed step rolled back
        with pytest.raises(StorageError, match="newer than this Hearth knows"):
            await db.migrate(store, [v1])
    finally:
        await db.close()


class Chatty:
    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl
    def on_message(self, message: Any) -> None:
        logging.getLogger("chatty").warning("heard %s", message.text)


def _with_plugin(name: str) -> str:
    """A one-community config enabling the plugin ``name`` alone."""
    return f"""
communities:
  tea:
    channels: {{general: {{discord: "1"}}}}
    discord: {{guild: "1"}}
    plugins: {{{name}: {{}}}}
"""


@pytest.mark.asyncio
async def test_log_lines_name_the_community_and_plugin(caplog: pytest.LogCaptureFixture) -> None:
    config = _with_plugin("chatty")
    caplog.handler.addFilter(ContextFilter())
    bot = await TestBot.create(config, extra_plugins={"chatty": Chatty()}, members=[{"id": "ann"}])
    try:
        with caplog.at_level(logging.WARNING, logger="chatty"):
            await bot.say("ann", "general", "hello")
    finally:
        await bot.close()
    (record,) = [r for r in caplog.records if r.name == "chatty"]
    assert (record.community, record.plugin, record.getMessage()) == ("tea", "chatty", "heard hello")


class Starter:
    """A plain hook that starts a task, then fails."""

    def __init__(self) -> None:
        self.tasks: list[asyncio.Task[None]] = []

    @hookimpl
    def on_message(self, message: Any) -> None:
        async def later() -> None:
            logging.getLogger("chatty").warning("later, after %s", message.text)

        self.tasks.append(asyncio.get_running_loop().create_task(later()))
        raise RuntimeError("no more")


@pytest.mark.asyncio
async def test_a_plain_hook_s_failure_and_its_task_are_logged_as_it(caplog: pytest.LogCaptureFixture) -> None:
    config = _with_plugin("starter")
    caplog.handler.addFilter(ContextFilter())
    starter = Starter()
    bot = await TestBot.create(config, extra_plugins={"starter": starter}, members=[{"id": "ann"}])
    try:
        with caplog.at_level(logging.WARNING), bot.expect_plugin_errors() as errors:
            await bot.say("ann", "general", "hello")
            await asyncio.gather(*starter.tasks)
            logging.getLogger("chatty").warning("outside")
    finally:
        await bot.close()
    lines = {r.getMessage(): (r.community, r.plugin) for r in caplog.records if r.name != "asyncio"}
    assert lines["later, after hello"] == ("tea", "starter")
    assert lines["plugin starter failed in on_message"] == ("tea", "starter")
    assert lines["outside"] == ("-", "-")
    assert [(e.plugin, e.where) for e in errors] == [("starter", "on_message")]


class Kicker:
    def __init__(self) -> None:
        self.results: list[tuple[str, str]] = []

    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl
    async def on_message(self, ctx: Any, message: Any) -> None:
        from hearth.models import Member

        ghost = Member(platform=message.platform, id="ghost", name="Ghost")
        await ctx.kick(ghost, "test", then="ghost")
        await ctx.kick(message.author, "test", then="author")

    @hookimpl
    async def on_action_done(self, outcome: Any) -> None:
        self.results.append((outcome.key, outcome.status))


@pytest.mark.asyncio
async def test_actions_tell_the_plugin_what_the_platform_did(caplog: pytest.LogCaptureFixture) -> None:
    config = """
communities:
  tea:
    channels: {general: {discord: "1"}}
    discord: {guild: "1"}
    plugins: {kicker: {}}
"""
    kicker = Kicker()
    bot = await TestBot.create(config, extra_plugins={"kicker": kicker}, members=[{"id": "ann"}])
    try:
        with caplog.at_level(logging.INFO):
            await bot.say("ann", "general", "hello")
    finally:
        await bot.close()
    assert kicker.results == [("ghost", "gone"), ("author", "done")]
    assert "no member 'ghost' in tea" in caplog.text


@pytest.mark.asyncio
async def test_inbox_reached_waits_for_the_first_items_only() -> None:
    inbox: Inbox[int] = Inbox(10)
    for n in range(3):
        await inbox.put(n)
    mark = inbox.put_count
    waiting = asyncio.create_task(inbox.reached(mark))
    await inbox.get()
    inbox.task_done()
    await inbox.put(99)  # a later item must not hold the waiter back
    await asyncio.sleep(0)
    assert not waiting.done()
    for _ in range(2):
        await inbox.get()
        inbox.task_done()
    await asyncio.wait_for(waiting, 1)
    assert len(inbox) == 1


class Slow:
    """Takes a while over every message, so handling lags behind receiving."""

    seen: list[str] = []

    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl
    async def on_message(self, message: Any) -> None:
        await asyncio.sleep(0.01)
        Slow.seen.append(message.text)


@pytest.mark.asyncio
async def test_handled_returns_only_after_every_submitted_event_was_handled() -> None:
    config = """
communities:
  tea:
    channels: {general: {discord: "1"}, mods: {discord: "2"}}
    discord: {guild: "1"}
    plugins: {slow: {}}
"""
    Slow.seen = []
    bot = await TestBot.create(config, extra_plugins={"slow": Slow()}, members=[{"id": "ann"}])
    try:
        assert bot.app is not None
        for n in range(5):
            await bot.adapter.inject_message("tea", "ann", "general", f"m{n}", f"id{n}")  # queued only
        assert len(Slow.seen) < 5
        await bot.app.handled()
        assert Slow.seen == [f"m{n}" for n in range(5)]
        await bot.app.report_skipped("tea", "discord", 1234)
        await bot.settle()
        (report,) = bot.sent("send", channel="mods")
        assert "1234 events on discord were not handled" in report["text"]
    finally:
        await bot.close()
