"""Queued actions outlive their process, and a handler run again does not repeat them.

Two Hearth processes on one PostgreSQL (each a TestBot with its own imitated
network, the way test_routing runs them): actions a process queued and did not
deliver before it died are delivered by the next owner, once, in order; an
action whose key (its job run or event, and its ordinal) is recorded as
delivered is not performed again (see ``hearth.journal``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio

from hearth import PluginConfig, hookimpl
from hearth.adapters.testing import TestBot
from hearth.models import Member, Message
from hearth.scheduler import Job
from hearth.status import status
from hearth.text import mention
from tests.processes import Processes, app_of, until

CONFIG = """
communities:
  tea:
    timezone: Europe/Berlin
    channels: {general: {discord: "1"}}
    discord: {guild: "1"}
    plugins: {greeter: {}}
"""
START = "2026-03-02T08:00:00+01:00"


class Greeter:
    """A job that welcomes a member by DM and kicks them; replies and bursts of messages."""

    def __init__(self) -> None:
        self.runs: list[int] = []  # the attempt of each job run
        self.keys: list[str] = []  # the idempotency key of each job run
        self.fail_first = False
        self.kick = True
        self.texts: list[str] = []
        self.hold = asyncio.Event()
        self.holding = False
        self.changed = asyncio.Event()  # a message was handled (up to its hold)

    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl
    async def on_job_due(self, ctx: Any, job: Job) -> None:
        self.runs.append(job.attempt)
        self.keys.append(job.idempotency_key)
        member = await ctx.get_member("testing", job.data["member"])
        await ctx.dm(member, "Welcome, Ann! Please introduce yourself.")
        if self.fail_first:
            if job.attempt == 1:
                raise RuntimeError("the database hiccuped after the welcome")
            await ctx.send("general", "welcomed")
            return
        if self.kick:
            await ctx.kick(member, "no introduction")

    @hookimpl
    async def on_message(self, ctx: Any, message: Message) -> None:
        self.texts.append(message.text)
        if message.text == "hi":
            await ctx.reply(message, "hello")
            self.changed.set()
            if self.holding:
                await self.hold.wait()  # the process dies while handling it
        elif message.text.startswith("say "):
            for word in message.text.split()[1:]:
                await ctx.send("general", _said(word))
        self.changed.set()


def _said(word: str) -> str:
    """What ``say`` sends for ``word``: ``@ann`` becomes a mention of Ann."""
    ann = Member(platform="testing", id="ann", name="Ann")
    return mention(ann) + " two" if word == "@ann" else word


@pytest_asyncio.fixture
async def processes(postgres_url: str) -> AsyncIterator[Processes[Greeter]]:
    running = Processes(postgres_url, CONFIG, "greeter", Greeter, start=START,
                        members=[{"id": "ann", "name": "Ann"}])
    yield running
    for greeter in running.plugins:
        greeter.hold.set()
    await running.close()


def _done(bot: TestBot, *kinds: str) -> list[tuple[str, str]]:
    """What ``bot``'s network saw done, of ``kinds``: (action, text or member)."""
    return [(a["action"], a.get("text") or a["member"]) for a in bot.adapter.actions
            if a["action"] in kinds]


async def _rows(bot: TestBot) -> int:
    return int(await app_of(bot).db.fetchval("SELECT COUNT(*) FROM hearth_outbound"))


async def _run_due_job(bot: TestBot, after: timedelta) -> None:
    """Schedule the welcome job of Ann ``after`` from now and run it (and nothing after)."""
    app = app_of(bot)
    ctx = app.contexts["tea"]["greeter"]
    due = app.clock.now() + after
    await ctx.schedule("welcome:ann", due, data={"member": "ann"})
    await app.scheduler.advance(due, app.settle)


@pytest.mark.asyncio
async def test_a_job_s_welcome_and_kick_queued_by_a_process_that_died_are_delivered_once(
        processes: Processes[Greeter]) -> None:
    first, by_first = await processes.start()
    survivor, by_survivor = await processes.start()
    first.adapter.latency = timedelta(seconds=5)  # the network is slow: nothing arrives yet
    await _run_due_job(first, timedelta(minutes=1))
    assert by_first.runs == [1] and _done(first, "dm", "kick") == []
    assert await _rows(first) == 2  # stored before the job was recorded done
    lines = await status(app_of(first).db)
    assert lines[-2:] == ["actions queued and not yet delivered (stored):", "  tea: 2"]
    await processes.kill(first)
    await processes.take_over(survivor)
    await survivor.settle()
    assert _done(survivor, "dm", "kick") == [
        ("dm", "Welcome, Ann! Please introduce yourself."), ("kick", "ann")]
    await app_of(survivor)._write_records()
    assert await _rows(survivor) == 0  # each row deleted once delivered
    await survivor.wait("1h")  # the job was done: it does not run again
    assert by_survivor.runs == [] and len(_done(survivor, "dm", "kick")) == 2


@pytest.mark.asyncio
async def test_a_job_retried_by_another_process_does_not_repeat_its_delivered_welcome(
        processes: Processes[Greeter]) -> None:
    first, by_first = await processes.start()
    survivor, by_survivor = await processes.start()
    by_first.fail_first = by_survivor.fail_first = True
    with first.expect_plugin_errors():
        await _run_due_job(first, timedelta(minutes=1))
    assert _done(first, "dm") == [("dm", "Welcome, Ann! Please introduce yourself.")]
    await app_of(first)._write_records()  # as the writer does five times a second
    await processes.kill(first)
    await processes.take_over(survivor)
    await survivor.wait("2m")  # the retry, 30 seconds after the failure
    assert by_first.runs == [1] and by_survivor.runs == [2]
    assert _done(survivor, "dm", "send") == [("send", "welcomed")]  # not welcomed twice
    await app_of(survivor)._write_records()
    assert await _rows(survivor) == 0


@pytest.mark.asyncio
async def test_an_event_handled_again_after_a_takeover_does_not_resend_its_reply(
        processes: Processes[Greeter]) -> None:
    owner, by_owner = await processes.start()
    standby, by_standby = await processes.start()
    by_owner.holding = True
    # the standby receives it and stores it for the owner, which replies, then dies
    await standby.adapter.inject_message("tea", "ann", "general", "hi", standby.next_id())
    await standby.settle()
    await until(by_owner.changed, lambda: by_owner.texts == ["hi"])  # its reply is queued
    await app_of(owner).outbound(owner.adapter).quiet()
    assert _done(owner, "send") == [("send", "hello")]
    await app_of(owner)._write_records()  # the reply's delivery is recorded; the event is not
    await processes.kill(owner)
    assert await app_of(standby).db.fetchval("SELECT COUNT(*) FROM hearth_inbox") == 1
    await processes.take_over(standby)
    await until(by_standby.changed, lambda: by_standby.texts == ["hi"])  # handled again
    await standby.settle()
    assert _done(standby, "send") == []  # its reply is not sent twice


@pytest.mark.asyncio
async def test_a_channel_s_order_is_kept_across_a_takeover(processes: Processes[Greeter]) -> None:
    first, _ = await processes.start()
    survivor, _ = await processes.start()
    first.adapter.latency = timedelta(seconds=5)
    await first.adapter.inject_message("tea", "ann", "general", "say one @ann three",
                                       first.next_id())
    await app_of(first).settle()  # handled; the three messages wait for the slow network
    await app_of(first)._write_records()  # as the writer does five times a second
    assert _done(first, "send") == [] and await _rows(first) == 3
    await processes.kill(first)
    await processes.take_over(survivor)
    await survivor.adapter.inject_message("tea", "ann", "general", "say four",
                                          survivor.next_id())
    await survivor.settle()
    expected = [survivor.adapter.render(_said(w))["text"] for w in ("one", "@ann", "three", "four")]
    assert [text for _, text in _done(survivor, "send")] == expected


@pytest.mark.asyncio
async def test_with_one_process_a_retried_job_does_not_repeat_its_welcome() -> None:
    greeter = Greeter()
    greeter.fail_first = True
    async with await TestBot.create(CONFIG, extra_plugins={"greeter": greeter},
                                    members=[{"id": "ann", "name": "Ann"}], start=START) as bot:
        app = app_of(bot)
        assert not app.journal.durable
        await app.contexts["tea"]["greeter"].schedule(
            "welcome:ann", app.clock.now() + timedelta(minutes=1), data={"member": "ann"})
        with bot.expect_plugin_errors():
            await bot.wait("5m")
        assert greeter.runs == [1, 2]
        assert _done(bot, "dm", "send") == [("dm", "Welcome, Ann! Please introduce yourself."),
                                            ("send", "welcomed")]


@pytest.mark.asyncio
async def test_a_job_scheduled_again_after_it_was_done_welcomes_again(storage_url: str) -> None:
    greeter = Greeter()
    greeter.kick = False
    async with await TestBot.create(CONFIG, extra_plugins={"greeter": greeter},
                                    members=[{"id": "ann", "name": "Ann"}], start=START,
                                    storage=storage_url) as bot:
        ctx = app_of(bot).contexts["tea"]["greeter"]
        for _ in range(2):  # the job is deleted once done; the next is a new job
            await ctx.schedule("welcome:ann", app_of(bot).clock.now() + timedelta(minutes=1),
                               data={"member": "ann"})
            await bot.wait("2m")
        assert len(set(greeter.keys)) == 2  # SQLite reused a deleted job's id
        assert len(_done(bot, "dm")) == 2


@pytest.mark.asyncio
async def test_actions_left_when_the_community_moved_away_go_once_in_order(
        processes: Processes[Greeter]) -> None:
    first, _ = await processes.start()
    other, _ = await processes.start()
    words = [f"w{i}" + "." * 1500 for i in range(8)]  # too long to be merged under the backlog
    await first.adapter.inject_message("tea", "ann", "general", "say " + " ".join(words),
                                       first.next_id())
    await app_of(first).settle()  # five go at once (the channel's pace); three wait for it
    assert [text for _, text in _done(first, "send")] == words[:5]
    # the first process stalled: its lease ran out and the other took the community
    await processes.take_over(other)
    assert await app_of(first).leases.renew() == frozenset()
    await first.settle()  # the three are due: not sent by a process that no longer acts there
    await other.settle()  # (the other sends them if they were written meanwhile)
    await app_of(other)._write_records()
    await app_of(other).leases.release()  # and the community comes back
    assert await app_of(first).leases.renew() == {"tea"}
    await first.settle()
    sent = [text for _, text in _done(first, "send")]
    assert sent[:5] + [text for _, text in _done(other, "send")] + sent[5:] == words
    await app_of(first)._write_records()
    assert await _rows(first) == 0
