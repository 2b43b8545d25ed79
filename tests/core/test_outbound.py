"""The outbound flow: lanes, pacing in virtual time, merging, retries, outcomes, flood control."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

import pytest

from hearth import Command, Invocation, PluginConfig, Role, hookimpl
from hearth.adapters.testing import TestBot
from hearth.adapters.testing.adapter import PACES
from hearth.clock import VirtualClock
from hearth.events import CommandInvokedEvent
from hearth.models import Channel, Member, Message, SentMessage
from hearth.outbox import Outbound, Outcome, Request
from hearth.ports import Pace
from hearth.timeutil import to_ms

pytestmark = pytest.mark.asyncio

START = datetime.fromisoformat("2026-11-20T19:00:00+00:00")
AD = "Best tea deals at https://cheap-tea.com/sale"


class Pinger:
    """``!ping`` answers ``pong``; ``!post`` posts, pins and reports what became of it."""

    def __init__(self) -> None:
        self.outcomes: list[Outcome] = []

    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl
    def register_commands(self) -> list[Command]:
        async def ping(inv: Invocation) -> str:
            return f"pong {inv.message.id}"

        async def post(inv: Invocation) -> None:
            await inv.ctx.send("general", "pinned news", pin=True, unpin_previous="old-news",
                               then="posted", data={"asked_by": inv.member.id})

        return [Command(name="ping", handler=ping, min_role=Role.MEMBER, help="pong"),
                Command(name="post", handler=post, min_role=Role.ADMIN, help="post news")]

    @hookimpl
    async def on_action_done(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)


def config(plugins: str = "pinger: {}", top: str = "") -> str:
    return f"""
{top}
communities:
  tea:
    discord: {{guild: "1"}}
    channels: {{general: {{discord: "11"}}, mods: {{discord: "44"}}}}
    plugins:
      {plugins}
"""


AD_WINDOW = "ad_window: {windows: [{days: [sat], from: '20:00', to: '22:00'}], audit_channel: mods}"


async def bot_with(pinger: Pinger, members: int = 200, plugins: str = "pinger: {}",
                   top: str = "") -> TestBot:
    people = [{"id": f"m{n}"} for n in range(members)] + [{"id": "olivia", "role": "owner"}]
    bot = await TestBot.create(config(plugins, top), extra_plugins={"pinger": pinger},
                               members=people, start=START)
    bot.take()
    return bot


def pinger_ctx(bot: TestBot) -> Any:
    """The pinger's context in the community."""
    assert bot.app is not None
    return bot.app.contexts["tea"]["pinger"]


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def when(action: dict[str, Any]) -> datetime:
    """When an action was delivered (``bot.take()`` gives ISO text)."""
    return datetime.fromisoformat(action["time"])


# --------------------------------------------------------------------------- moderation vs backlog


async def test_an_ad_is_moderated_while_hundreds_of_replies_wait_in_the_same_channel() -> None:
    pinger = Pinger()
    bot = await bot_with(pinger, plugins=f"pinger: {{}}\n      {AD_WINDOW}")
    try:
        app = bot.app
        assert app is not None
        for n in range(600):  # three commands from each of 200 members, then an ad
            await bot.adapter.inject_message("tea", f"m{n % 200}", "general", "!ping", f"c{n}")
        await bot.adapter.inject_message("tea", "m7", "general", AD, "ad")
        await app.settle()  # every event handled; the replies wait for the channel's pace
        [delete] = bot.sent("delete")
        assert delete["message"] == "ad" and when(delete) == START
        assert len(bot.sent("send", channel="general")) <= 5  # Discord: 5 per 5 s
        assert app.outbound_queued() > 0
        await bot.settle()  # deliver the backlog, in virtual time
        sends = bot.sent("send", channel="general")
        answered = [line for s in sends for line in s["text"].splitlines() if "pong" in line]
        assert len(answered) == 600  # merged, none dropped
        assert len(sends) < 60 and all(len(s["text"]) <= 2000 for s in sends)
        assert [when(s) for s in sends] == sorted(when(s) for s in sends)
        assert when(sends[-1]) > START  # reported when delivered
        assert "@m5 pong c5" in answered  # a merged reply names the member it answers
        assert [int(line.split()[-1][1:]) for line in answered] == list(range(600))  # in order
    finally:
        await bot.close()


async def test_a_natively_invoked_commands_answer_is_never_merged() -> None:
    pinger = Pinger()
    bot = await bot_with(pinger)
    try:
        app = bot.app
        assert app is not None
        for n in range(40):
            await bot.adapter.inject_message("tea", f"m{n}", "general", "!ping", f"c{n}")
        channel = bot.adapter.channel("tea", "general")
        author = bot.adapter.person("tea", "m100").member()
        native = Message(platform="testing", id="ix1", channel=channel, author=author, text="ping",
                         time_ms=to_ms(START))
        answers = await app.run_command(CommandInvokedEvent(
            platform="testing", id="slash:ix1", community="tea", time=START, message=native))
        await bot.settle()
        assert answers == ["pong ix1"]  # handed to the adapter whole, for its own answer path
        assert not [s for s in bot.sent("send") if "ix1" in s["text"]]
        assert any("\n" in s["text"] for s in bot.sent("send"))  # the others were merged
    finally:
        await bot.close()


# --------------------------------------------------------------------------- compound and outcomes


async def test_a_compound_send_pins_and_unpins_and_reports_its_message() -> None:
    pinger = Pinger()
    bot = await bot_with(pinger, members=1)
    try:
        await bot.say("olivia", "general", "!post")
        acts = [a for a in bot.take() if a["action"] in ("send", "pin", "unpin")]
        [send, pin, unpin] = acts
        sent_id = bot.adapter.last_bot_message[("tea", "general")]
        assert (pin["message"], unpin["message"]) == (sent_id, "old-news")
        [outcome] = pinger.outcomes
        assert (outcome.key, outcome.status, outcome.data) == ("posted", "done", {"asked_by": "olivia"})
        assert outcome.sent[0].id == sent_id and send["text"] == "pinned news"
    finally:
        await bot.close()


async def test_unreachable_network_is_retried_with_backoff_until_it_is_back() -> None:
    pinger = Pinger()
    bot = await bot_with(pinger, members=1)
    try:
        bot.adapter.go_down(at(30))
        await bot.say("m0", "general", "!ping")
        [send] = bot.sent("send")
        assert when(send) == at(31)  # retried after 1, 2, 4, 8 and 16 s
    finally:
        await bot.close()


async def test_a_429_is_waited_out_for_the_delay_the_network_gives() -> None:
    pinger = Pinger()
    bot = await bot_with(pinger, members=1)
    try:
        bot.adapter.fail_next("send", retry_after=2.5)
        await bot.say("m0", "general", "!ping")
        [send] = bot.sent("send")
        assert when(send) == at(2.5)
    finally:
        await bot.close()


# --------------------------------------------------------------------------- lanes


def _perform(log: list[str], clock: VirtualClock, what: str) -> Any:
    async def run(text: str | None, _reply: str | None) -> SentMessage:
        log.append(f"{what}@{(clock.now() - START).total_seconds():g}")
        return SentMessage(platform="x", id=what, channel=Channel(platform="x", id="c"))
    return run


async def _drive(clock: VirtualClock, outbound: Outbound, until: float) -> None:
    while True:
        await outbound.quiet()
        wake = clock.next_wake()
        if wake is None or wake > at(until):
            return
        clock.set(wake)


async def _noop(*_: Any) -> None:
    return None


async def test_lanes_keep_order_share_the_global_budget_and_drop_past_their_bound(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = VirtualClock(START)
    outbound = Outbound("x", Pace(channel=(1, 1.0), total=(3, 1.0)), clock, _noop, max_queued=3)
    done: list[str] = []
    for n in range(5):  # not mergeable: pinned posts
        outbound.submit(("channel", "a"), Request("send", _perform(done, clock, f"a{n}")),
                        community="tea", plugin="p")
    late = outbound.submit(("channel", "a"), Request("send", _perform(done, clock, "a5")),
                           community="tea", plugin="p")
    for n in range(3):
        outbound.submit(("moderation",), Request("mute", _perform(done, clock, f"b{n}")),
                        community="tea", plugin="p")
    with caplog.at_level(logging.WARNING):
        await _drive(clock, outbound, 60)
    # Channel a: one a second, in order; three wait at most, the rest are dropped and counted.
    assert [d for d in done if d.startswith("a")] == ["a0@0", "a1@1", "a2@2"]
    # Moderation is not behind chatter, but the global budget (3 a second, rounded up to the
    # microsecond) is shared.
    assert [d for d in done if d.startswith("b")] == ["b0@0", "b1@0", "b2@0.333334"]
    assert late.outcome is not None and late.outcome.status == "dropped"
    # Reported with the lane: at the first drop, then at most once a minute and when it drains.
    reports = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert reports == ["x: dropped 1 actions for channel/a (backlog over 3)",
                       "x: dropped 2 actions for channel/a (backlog over 3)"]


async def test_a_kick_waits_a_bounded_time_for_the_dm_telling_why() -> None:
    pinger = Pinger()
    bot = await bot_with(pinger, members=3)
    try:
        ctx = pinger_ctx(bot)
        m0, m1 = (bot.adapter.person("tea", m).member() for m in ("m0", "m1"))
        await ctx.dm(m0, "why you are removed")
        await ctx.kick(m0, "ads")
        await bot.settle()
        assert [a["action"] for a in bot.take()] == ["dm", "kick"]
        # A DM stuck behind a long DM backlog: the kick goes after at most 10 s.
        for n in range(30):
            await ctx.dm(m1, f"news {n}")
        await ctx.dm(m1, "why you are removed")
        await ctx.kick(m1, "ads")
        await bot.settle()
        [kick] = bot.sent("kick", member="m1")
        assert when(kick) == at(10)
    finally:
        await bot.close()


async def test_the_testing_adapter_imitates_the_networks_declared_paces() -> None:
    from hearth.adapters.discord.adapter import DiscordAdapter
    from hearth.adapters.matrix.adapter import MatrixAdapter

    assert PACES["discord"] == DiscordAdapter.pace
    assert PACES["matrix"] == MatrixAdapter.pace


# --------------------------------------------------------------------------- command flood


async def test_a_member_over_the_command_limit_gets_one_notice_and_is_ignored_for_a_while() -> None:
    pinger = Pinger()
    bot = await bot_with(pinger, members=1)
    try:
        for n in range(8):
            await bot.say("m0", "general", "!ping", ref=f"p{n}")
            await bot.say("olivia", "general", "!ping", ref=f"o{n}")  # admins are exempt
        texts = [s["text"] for s in bot.sent("send") if s.get("reply_to", "").startswith("p")]
        assert texts[:5] == [f"pong p{n}" for n in range(5)]
        assert len(texts) == 6 and "slow down" in texts[5] and "1m" in texts[5]
        assert len([s for s in bot.sent("send") if s.get("reply_to", "").startswith("o")]) == 8
        await bot.wait("1m")
        await bot.say("m0", "general", "!ping", ref="again")
        assert bot.sent("send")[-1]["text"] == "pong again"
    finally:
        await bot.close()


async def test_command_flood_off_disables_it() -> None:
    pinger = Pinger()
    bot = await bot_with(pinger, members=1, top="command_flood: off")
    try:
        for n in range(8):
            await bot.say("m0", "general", "!ping", ref=f"p{n}")
        assert [s["text"] for s in bot.sent("send")] == [f"pong p{n}" for n in range(8)]
    finally:
        await bot.close()


async def test_a_pending_action_settles_once_for_its_waiters_and_later_readers() -> None:
    """The outcome is built when first asked for; a waiter that came early and one that
    comes after it settled get the same outcome, and the first settlement stands."""
    clock = VirtualClock(START)
    outbound = Outbound("x", Pace(), clock, _noop)
    done: list[str] = []
    pending = outbound.submit(("channel", "a"), Request("send", _perform(done, clock, "a0")),
                              community="tea", plugin="p", then="sent", data={"n": 1})
    assert not pending.done and pending.outcome is None and "queued" in repr(pending)
    early = asyncio.ensure_future(pending.wait())
    await _drive(clock, outbound, 5)
    outcome = await early
    assert (outcome.status, outcome.key, outcome.data, outcome.action) == ("done", "sent", {"n": 1}, "send")
    assert pending.outcome is outcome and await pending.wait() is outcome
    pending._settle("dropped", clock.now(), (), "late")  # a second settlement changes nothing
    assert pending.outcome is outcome and "done" in repr(pending)


async def test_merged_replies_go_as_one_message_and_each_settles_with_its_own_outcome() -> None:
    """One record per action: the replies merged into the first one waiting are settled
    with it, each telling its own ``then=``."""
    clock = VirtualClock(START)
    told: list[Outcome] = []

    async def notify(_community: str, _plugin: str, outcome: Outcome) -> None:
        told.append(outcome)

    outbound = Outbound("x", Pace(channel=(1, 1.0)), clock, notify)
    texts: list[str | None] = []

    async def perform(text: str | None, reply_to: str | None) -> SentMessage:
        texts.append(text)
        return SentMessage(platform="x", id=f"s{len(texts)}", channel=Channel(platform="x", id="a"))

    members = [Member(platform="x", id=f"m{n}", name=f"M{n}") for n in range(3)]
    pendings = [outbound.submit(("channel", "a"), Request("send", perform, [(f"pong {n}", members[n])],
                                                          f"r{n}", True),
                                community="tea", plugin="p", then=f"t{n}") for n in range(3)]
    await _drive(clock, outbound, 5)
    assert texts == ["@M0 pong 0\n@M1 pong 1\n@M2 pong 2"]
    outcomes = [p.outcome for p in pendings]
    assert [(o.status, o.key) for o in outcomes if o] == [("done", "t0"), ("done", "t1"), ("done", "t2")]
    assert {o.sent[0].id for o in outcomes if o} == {"s1"}
    assert sorted(o.key for o in told) == ["t0", "t1", "t2"]


async def test_a_channel_s_route_is_made_once_and_again_for_a_channel_that_changed() -> None:
    """Plain messages to a channel share one route (adapter, lane, Perform); a channel like it
    with another name gets a route of its own, so the network sees the channel it was given."""
    pinger = Pinger()
    bot = await bot_with(pinger, members=1)
    try:
        ctx = pinger_ctx(bot)
        [general] = ctx.channels("general")
        await ctx.send(general, "one")
        route = ctx._routes[general.id]
        await ctx.send(Channel(platform=general.platform, id=general.id, name=general.name), "two")
        assert ctx._routes[general.id] is route  # an equal channel: the same route
        await ctx.send(Channel(platform=general.platform, id=general.id, name="renamed"), "three")
        assert ctx._routes[general.id] is not route
        await bot.settle()
        assert [(s["channel"], s["text"]) for s in bot.sent("send")] == [
            ("general", "one"), ("general", "two"), ("renamed", "three")]
    finally:
        await bot.close()
