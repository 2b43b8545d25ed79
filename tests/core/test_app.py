"""The dispatcher: scoping, isolation, moderation phase, commands, de-duplication."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio

from hearth import (
    Capability,
    Command,
    LeaderCandidate,
    Need,
    Panel,
    PanelAction,
    PanelRow,
    Param,
    PluginConfig,
    Role,
    Verdict,
    hookimpl,
)
from hearth.adapters.testing import TestBot
from hearth.events import MessagePostedEvent

CONFIG = """
communities:
  tea:
    discord: {guild: "1"}
    channels: {general: {discord: "11"}, ads: {discord: "12"}}
    plugins: {first: {}, second: {}, mod: {}}
  quiet:
    discord: {guild: "2"}
    channels: {general: {discord: "21"}}
    plugins: {second: {}}
"""


class Recorder:
    def __init__(self, name: str) -> None:
        self.name = name
        self.seen: list[tuple[str, str]] = []

    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl
    async def on_message(self, ctx: Any, message: Any) -> None:
        self.seen.append((ctx.key, message.text))

    @hookimpl
    def on_member_join(self, ctx: Any, member: Any) -> None:  # a plain (sync) hook works too
        self.seen.append((ctx.key, f"join {member.id}"))


class Crashing(Recorder):
    @hookimpl
    async def on_message(self, ctx: Any, message: Any) -> None:
        raise RuntimeError("boom")

    @hookimpl
    def register_commands(self) -> list[Command]:
        async def echo(inv: Any) -> str:
            return f"{inv.args['who'].name} / {inv.args['text']}"

        async def broken(inv: Any) -> None:
            raise KeyError("oops")

        async def secret(inv: Any) -> str:
            return "the secret"

        return [
            Command(name="echo", handler=echo, params=(Param("who", "member"), Param("text", "rest"))),
            Command(name="broken", handler=broken),
            Command(name="secret", handler=secret, min_role=Role.ADMIN, help="admins only"),
        ]


class Moderator:
    def __init__(self) -> None:
        self.checked = 0

    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl
    def register_capabilities(self) -> list[Need]:
        return [Need(Capability.MUTE, "muting spammers")]

    @hookimpl
    async def moderate_message(self, ctx: Any, message: Any) -> Verdict | None:
        self.checked += 1
        if "spam" in message.text:
            return Verdict(reason="spam is not welcome")
        return None


Factory = Callable[..., Awaitable[TestBot]]


@pytest_asyncio.fixture
async def setup() -> AsyncIterator[tuple[TestBot, Crashing, Recorder, Moderator]]:
    first, second, mod = Crashing("first"), Recorder("second"), Moderator()
    bot = await TestBot.create(
        CONFIG, extra_plugins={"first": first, "second": second, "mod": mod}, platform="matrix",
        members=[{"id": "olivia", "role": "owner"}, {"id": "carl"}],
    )
    yield bot, first, second, mod
    await bot.close()


@pytest.mark.asyncio
async def test_a_crashing_plugin_is_logged_and_the_others_still_run(
    setup: Any, caplog: pytest.LogCaptureFixture
) -> None:
    bot, _first, second, _mod = setup
    with caplog.at_level(logging.ERROR):
        await bot.say("carl", "general", "hello")
    assert second.seen == [("tea", "hello")]
    assert any("plugin first failed in on_message" in r.getMessage() for r in caplog.records)


@pytest.mark.asyncio
async def test_only_enabled_plugins_run_for_a_community(setup: Any) -> None:
    bot, first, second, _mod = setup
    other = TestBot(bot.loaded, community="quiet")
    other.add_member("dora")
    await other.start()
    try:
        await other.say("dora", "general", "hi there")
    finally:
        await other.close()
    assert second.seen == [("quiet", "hi there")]
    assert first.seen == []


@pytest.mark.asyncio
async def test_moderation_verdict_deletes_once_and_stops_the_message(setup: Any) -> None:
    bot, _first, second, mod = setup
    await bot.say("carl", "general", "buy spam now", ref="m1")
    assert bot.take()[-1] == {
        "time": bot.now().isoformat(), "action": "delete", "community": "tea", "channel": "general",
        "message": "m1", "member": "carl", "reason": "spam is not welcome",
    }
    assert second.seen == []
    assert await bot.app.delete_message("tea", _msg(bot, "m1"), "again") is False
    await bot.dm("carl", "spam in a DM is not moderated")
    assert mod.checked == 1


def _msg(bot: TestBot, message_id: str) -> Any:
    from hearth.models import Channel, Member, Message

    return Message(platform="testing", id=message_id, channel=Channel(platform="testing", id="general"),
                   author=Member(platform="testing", id="carl", name="Carl"), text="",
                   time_ms=bot.clock.now_ms())


@pytest.mark.asyncio
async def test_duplicate_events_are_handled_once(setup: Any) -> None:
    bot, _first, second, _mod = setup
    message = await bot.adapter.inject_message("tea", "carl", "general", "once", "dup")
    event = MessagePostedEvent(platform="testing", id=bot.adapter.posted_id("dup"), community="tea",
                               time=bot.clock.now(), message=message)
    await bot.app.submit(event)
    await bot.settle()
    assert second.seen == [("tea", "once")]


@pytest.mark.asyncio
async def test_commands_parse_mentions_and_reply(setup: Any) -> None:
    bot, *_ = setup
    await bot.say("carl", "general", "!echo @olivia tea is ready", ref="c1")
    assert bot.take()[-1]["text"] == "Olivia / tea is ready"
    await bot.say("carl", "general", "!echo @nobody hi")
    assert bot.take()[-1]["text"] == "there is no member @nobody here\nUsage: !echo @member TEXT"


@pytest.mark.asyncio
async def test_refused_broken_and_unknown_commands_get_clear_replies(setup: Any) -> None:
    bot, *_ = setup
    await bot.say("carl", "general", "!secret")
    assert bot.take()[-1]["text"] == "!secret is for admins and above; you are a member."
    await bot.say("olivia", "general", "!secret")
    assert bot.take()[-1]["text"] == "the secret"
    await bot.say("carl", "general", "!broken")
    assert "failed; the error was logged" in bot.take()[-1]["text"]
    await bot.dm("carl", "!nope")
    assert bot.take()[-1] == {"time": bot.now().isoformat(), "action": "dm", "community": "tea",
                              "member": "carl",
                              "text": "Unknown command !nope. Type !help to see the commands."}


@pytest.mark.asyncio
async def test_help_lists_only_what_the_member_may_run(setup: Any) -> None:
    bot, *_ = setup
    await bot.say("carl", "general", "!help")
    text = bot.take()[-1]["text"]
    assert "!echo @member TEXT" in text and "!secret" not in text
    await bot.say("olivia", "general", "!help")
    assert "!secret — admins only" in bot.take()[-1]["text"]
    await bot.say("carl", "general", "!help secret")
    assert bot.take()[-1]["text"] == "!secret\nadmins only\nFor admins and above."


@pytest.mark.asyncio
async def test_missing_capability_is_reported_once_at_startup(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        bot = await TestBot.create(CONFIG, extra_plugins={"first": Crashing("first"),
                                   "second": Recorder("second"), "mod": Moderator()}, without=["MUTE"])
        await bot.restart()
        await bot.close()
    lines = [r.getMessage() for r in caplog.records if "cannot mute" in r.getMessage()]
    assert lines == ["mod in tea: the testing adapter cannot mute, so muting spammers is off there"] * 2


class Brewing:
    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl
    def register_commands(self) -> list[Command]:
        async def brew(inv: Any) -> str:
            return f"brewing; leaders here hold {sorted(await inv.ctx.leader_powers())}"

        return [Command(name="brew", handler=brew, min_role=Role.LEADER, power="brew")]


@pytest.mark.asyncio
async def test_leader_powers_are_collected_from_the_commands_that_declare_one(hearth_bot: Factory) -> None:
    config = "communities:\n  tea:\n    channels: {general: {}}\n    plugins: {brewing: {}}\n"
    bot = await hearth_bot(config, extra_plugins={"brewing": Brewing()},
                           members=[{"id": "lee", "role": "leader"}])
    await bot.say("lee", "general", "!brew")
    # moderate: the core's own strikes command declares it
    assert bot.take()[-1]["text"] == "brewing; leaders here hold ['brew', 'moderate']"


class Offering:
    """Offers one leader candidate (or none), for ``leader_candidates``."""

    def __init__(self, name: str, person: int | None) -> None:
        self.name, self.person = name, person

    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl
    async def leader_candidates(self, ctx: Any) -> list[LeaderCandidate] | None:
        if self.person is None:
            return None
        return [LeaderCandidate(person=self.person, reason=f"{self.name} likes them",
                                source=ctx.plugin, since=ctx.now())]


@pytest.mark.asyncio
async def test_leader_candidates_are_collected_from_every_plugin(hearth_bot: Factory) -> None:
    config = ("communities:\n  tea:\n    channels: {general: {}}\n"
              "    plugins: {one: {}, two: {}, three: {}}\n")
    bot = await hearth_bot(config, extra_plugins={
        "one": Offering("one", 7), "two": Offering("two", None), "three": Offering("three", 9)})
    ctx = bot.app.contexts["tea"]["one"]
    found = await ctx.leader_candidates()
    assert sorted((c.person, c.reason, c.source) for c in found) == [
        (7, "one likes them", "one"), (9, "three likes them", "three")]


class Showing:
    """Shows one dashboard panel (or none, or one that raises), for ``dashboard_panels``."""

    def __init__(self, title: str | None, *, crash: bool = False) -> None:
        self.title, self.crash = title, crash

    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl
    async def dashboard_panels(self, ctx: Any) -> list[Panel] | None:
        if self.crash:
            raise RuntimeError("no panel today")
        if self.title is None:
            return None
        return [Panel(title=f"{self.title} in {ctx.key}", columns=("who",),
                      rows=(PanelRow(cells=("alice",), member=("testing", "alice"),
                                     actions=(PanelAction(label="Go", command="go",
                                                          args=(("testing", "alice"),)),)),))]


@pytest.mark.asyncio
async def test_dashboard_panels_are_collected_from_every_plugin(hearth_bot: Factory) -> None:
    config = ("communities:\n  tea:\n    channels: {general: {}}\n"
              "    plugins: {one: {}, two: {}, three: {}, four: {}}\n")
    bot = await hearth_bot(config, extra_plugins={
        "one": Showing("One"), "two": Showing(None), "three": Showing("Three"),
        "four": Showing("Four", crash=True)})
    with bot.expect_plugin_errors() as errors:
        panels = await bot.app.dashboard_panels("tea")
    assert [e.plugin for e in errors] == ["four"]  # its failure is isolated
    assert sorted(p.title for p in panels) == ["One in tea", "Three in tea"]
    assert panels[0].min_role == Role.ADMIN and panels[0].power is None  # admins only by default
    assert panels[0].rows[0].actions[0].args == (("testing", "alice"),)


@pytest.mark.asyncio
async def test_seen_events_are_forgotten_yet_a_recent_repeat_is_still_dropped(
        setup: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    bot, _first, second, _mod = setup
    seen = bot.app._seen["testing"]
    monkeypatch.setattr(seen, "size", 3)
    messages = [await bot.adapter.inject_message("tea", "carl", "general", f"m{n}", f"id{n}")
                for n in range(10)]
    await bot.settle()
    # the newer ones and the three before them: at most six
    assert 3 <= len(seen) < 6

    async def again(n: int) -> None:
        await bot.app.submit(MessagePostedEvent(
            platform="testing", id=bot.adapter.posted_id(f"id{n}"), community="tea",
            time=bot.clock.now(), message=messages[n]))
        await bot.settle()

    await again(9)  # the newest three are remembered at least
    await again(7)
    await again(0)  # forgotten: handled again
    assert second.seen == [("tea", f"m{n}") for n in range(10)] + [("tea", "m0")]


@pytest.mark.asyncio
async def test_a_full_inbox_lets_the_waiting_producer_in_as_its_worker_takes_items(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import hearth.app

    monkeypatch.setattr(hearth.app, "QUEUE_SIZE", 2)
    second = Recorder("second")
    bot = await TestBot.create(CONFIG, extra_plugins={"first": Recorder("first"), "second": second,
                                                      "mod": Moderator()},
                               members=[{"id": "carl"}])
    try:
        for n in range(8):  # more than the inbox holds: submit waits for room
            await asyncio.wait_for(
                bot.adapter.inject_message("tea", "carl", "general", f"m{n}", f"id{n}"), 5)
        await bot.settle()
        assert second.seen == [("tea", f"m{n}") for n in range(8)]
        assert all(q.unfinished == 0 for q in bot.app._queues.values())
    finally:
        await bot.close()


class Plain:
    """``on_message`` not async: called without a coroutine, as its plugin."""

    def __init__(self, name: str, calls: list[tuple[str, str]], fail: bool = False) -> None:
        self.name, self.calls, self.fail = name, calls, fail

    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl
    def on_message(self, ctx: Any, message: Any) -> None:
        from hearth.logs import plugin_var

        self.calls.append((self.name, plugin_var.get()))
        if self.fail:
            raise RuntimeError("boom")


class Waiting(Plain):
    @hookimpl
    async def on_message(self, ctx: Any, message: Any) -> None:
        from hearth.logs import plugin_var

        await asyncio.sleep(0)
        self.calls.append((self.name, plugin_var.get()))


@pytest.mark.asyncio
async def test_plain_and_async_message_hooks_run_in_order_each_as_its_plugin(
        caplog: pytest.LogCaptureFixture) -> None:
    calls: list[tuple[str, str]] = []
    config = """
communities:
  tea:
    discord: {guild: "1"}
    channels: {general: {discord: "11"}}
    plugins: {a: {}, b: {}, c: {}, d: {}}
"""
    # called last registered first: a plain one that fails, an async one, a plain, an async
    plugins = {"a": Waiting("a", calls), "b": Plain("b", calls), "c": Waiting("c", calls),
               "d": Plain("d", calls, fail=True)}
    bot = await TestBot.create(config, extra_plugins=plugins, members=[{"id": "carl"}])
    try:
        with caplog.at_level(logging.ERROR):
            await bot.say("carl", "general", "hello")
            await bot.say("carl", "general", "again")
    finally:
        await bot.close()
    assert calls == [("d", "d"), ("c", "c"), ("b", "b"), ("a", "a")] * 2
    assert sum("plugin d failed in on_message" in r.getMessage() for r in caplog.records) == 2
