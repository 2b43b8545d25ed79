"""Events received by a process that does not act for their community reach the one that does.

Two Hearth processes (two apps, each with its own pool) on one PostgreSQL: the
receiver stores the events (``hearth_inbox``), the owner handles them in order,
once; what is handled and deleted is recorded for every process (``hearth_once``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio

from hearth import PluginConfig, hookimpl
from hearth.adapters.testing import TestBot
from hearth.codec import CodecError, decode, encode
from hearth.events import (
    ActionDoneEvent,
    ChoiceMadeEvent,
    Event,
    MemberJoinedEvent,
    MessageDeletedEvent,
    MessagePostedEvent,
    ReactionAddedEvent,
    RoleChangedEvent,
)
from hearth.models import Channel, Member, Message, Reaction, Role, SentMessage
from hearth.outbox import Outcome
from hearth.status import status
from hearth.timeutil import to_ms
from tests.processes import Processes, app_of, until

CONFIG = """
communities:
  tea:
    timezone: Europe/Berlin
    channels: {general: {discord: "1"}}
    discord: {guild: "1"}
    plugins: {recorder: {}}
"""
START = "2026-03-02T08:00:00+01:00"


class Recorder:
    """Records the texts of the messages it handles, in order; one text can be held."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.hold: str | None = None
        self.gate = asyncio.Event()
        self.changed = asyncio.Event()

    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl
    async def on_message(self, ctx: Any, message: Message) -> None:
        self.texts.append(message.text)
        self.changed.set()
        if message.text == self.hold:
            await self.gate.wait()

    @hookimpl
    async def on_answer(self, ctx: Any, member: Member, question_key: str, answer: Any,
                        data: dict[str, Any]) -> None:
        self.texts.append(f"{question_key}: {answer.text}")
        self.changed.set()

    async def until(self, count: int) -> None:
        """Wait until ``count`` texts are in (in real time: the owner takes stored events
        when the database notifies it)."""
        await until(self.changed, lambda: len(self.texts) >= count)


def _processes(url: str) -> Processes[Recorder]:
    return Processes(url, CONFIG, "recorder", Recorder, start=START, members=[{"id": "ann"}])


@pytest_asyncio.fixture
async def processes(postgres_url: str) -> AsyncIterator[Processes[Recorder]]:
    running = _processes(postgres_url)
    yield running
    await running.close()


def _watch_done(bot: TestBot) -> Callable[[], Awaitable[None]]:
    """Watch ``bot`` finish stored events; returns a wait until none is left in the table."""
    inbox = app_of(bot).inbox
    done, finished = inbox.done, asyncio.Event()

    async def watched(routed: Any) -> None:
        await done(routed)
        finished.set()

    async def drained() -> None:
        while True:
            finished.clear()
            await bot.settle()  # an event being finished is committed
            if not await app_of(bot).db.fetchval("SELECT COUNT(*) FROM hearth_inbox"):
                return
            await finished.wait()

    inbox.done = watched
    return lambda: asyncio.wait_for(drained(), 10)


async def _stored(bot: TestBot) -> list[str]:
    """The texts of the messages stored for another process, in order."""
    rows = await app_of(bot).db.fetch("SELECT event FROM hearth_inbox ORDER BY id")
    events = [decode(r["event"]) for r in rows]
    return [e.message.text for e in events if isinstance(e, MessagePostedEvent)]


async def _post(bot: TestBot, text: str) -> None:
    await bot.adapter.inject_message("tea", "ann", "general", text, bot.next_id())


def _message(text: str, event_id: str) -> MessagePostedEvent:
    """One event of the network, as every process connected to it receives it."""
    when = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    channel = Channel(platform="testing", id="general", name="general")
    author = Member(platform="testing", id="ann", name="Ann")
    message = Message(platform="testing", id=event_id, channel=channel, author=author, text=text,
                      time_ms=to_ms(when))
    return MessagePostedEvent(platform="testing", id=event_id, community="tea", time=when,
                              message=message)


@pytest.mark.asyncio
async def test_events_the_standby_receives_are_handled_by_the_owner_in_order_once(
        processes: Processes[Recorder]) -> None:
    owner, by_owner = await processes.start()
    standby, by_standby = await processes.start()
    assert app_of(owner).leases.owned() == {"tea"} and app_of(standby).leases.owned() == frozenset()
    by_owner.hold = "one"
    for text in ("one", "two", "three"):
        await _post(standby, text)
    await standby.settle()  # stored: the standby may save its network position
    await by_owner.until(1)  # notified, the owner took them, and handles "one"
    assert await _stored(standby) == ["one", "two", "three"] and by_standby.texts == []
    lines = await status(app_of(standby).db)
    assert lines[-2:] == ["events stored for the process acting for their community:", "  tea: 3"]
    by_owner.gate.set()
    await owner.settle()
    assert by_owner.texts == ["one", "two", "three"]
    assert await _stored(owner) == []  # each deleted once handled
    app = app_of(owner)
    assert await app.inbox.take(app.leases.owned(), everything=True) == 0
    # the owner's own events and stored ones: each in the order it reached the owner
    await _post(owner, "four")
    await _post(standby, "five")
    await by_owner.until(5)
    await owner.settle()
    assert by_owner.texts == ["one", "two", "three", "four", "five"] and by_standby.texts == []


@pytest.mark.asyncio
async def test_the_receiver_counts_an_event_handled_only_once_it_is_stored(
        processes: Processes[Recorder]) -> None:
    await processes.start()
    standby, _ = await processes.start()
    app = app_of(standby)
    gate, order = asyncio.Event(), []
    put = app.inbox.put

    async def slow_put(community: str, events: list[Event]) -> None:
        await gate.wait()  # the database is slow to store them
        await put(community, events)
        order.append("stored")

    app.inbox.put = slow_put
    await _post(standby, "one")
    # what an adapter awaits before saving its network position (a Matrix sync token)
    handled = asyncio.create_task(app.handled())
    handled.add_done_callback(lambda _: order.append("handled"))
    for _ in range(50):
        await asyncio.sleep(0)
    assert not handled.done() and await _stored(standby) == []
    gate.set()
    await handled
    assert order == ["stored", "handled"]


@pytest.mark.asyncio
async def test_a_crash_between_storing_and_handling_loses_nothing(processes: Processes[Recorder]) -> None:
    owner, by_owner = await processes.start()
    standby, by_standby = await processes.start()
    by_owner.hold = "two"  # the owner dies while handling "two"
    for text in ("one", "two", "three"):
        await _post(standby, text)
    await standby.settle()
    await by_owner.until(2)
    await processes.kill(owner)
    assert by_owner.texts == ["one", "two"]
    assert await _stored(standby) == ["two", "three"]  # "one" was handled and deleted
    db = app_of(standby).db
    await db.execute("UPDATE hearth_leases SET expires_ms = 0")  # the owner's lease expired
    assert await app_of(standby).leases.renew() == {"tea"}
    await by_standby.until(2)  # taking over, the standby takes the stored events
    await standby.settle()
    assert by_standby.texts == ["two", "three"]  # "one" is not handled a second time
    assert await _stored(standby) == []


@pytest.mark.asyncio
async def test_an_event_received_twice_is_handled_once(processes: Processes[Recorder]) -> None:
    owner, by_owner = await processes.start()
    standby, by_standby = await processes.start()
    drained = _watch_done(owner)
    event = _message("hello", "$same")
    for bot in (owner, standby):  # both processes are connected to the network
        await app_of(bot).submit(event)
        await bot.settle()
    await drained()  # the copy the standby stored: handled already, so only deleted
    assert by_owner.texts == ["hello"]
    await owner.close()
    await standby.close()
    restarted, by_restarted = await processes.start()  # the network delivers it again
    await app_of(restarted).submit(event)
    await restarted.settle()
    assert by_restarted.texts == [] and by_standby.texts == [] and by_owner.texts == ["hello"]
    await app_of(restarted).submit(_message("hello again", "$new"))
    await restarted.settle()
    assert by_restarted.texts == ["hello again"]


@pytest.mark.asyncio
async def test_a_stored_event_the_owner_cannot_read_is_kept_and_does_not_block_the_others(
        processes: Processes[Recorder]) -> None:
    owner, by_owner = await processes.start()
    standby, _ = await processes.start()
    app = app_of(owner)
    await app.db.execute("INSERT INTO hearth_inbox (community, event) VALUES (?, ?)",
                         ("tea", '{"type": "EventOfANewerHearth", "event": {}}'))
    await _post(standby, "after it")
    await by_owner.until(1)
    await owner.settle()
    assert by_owner.texts == ["after it"]
    left = await app.db.fetch("SELECT event FROM hearth_inbox")
    assert [r["event"] for r in left] == ['{"type": "EventOfANewerHearth", "event": {}}']
    assert await app.inbox.take(app.leases.owned(), everything=True) == 0  # not read again


@pytest.mark.asyncio
async def test_a_message_is_deleted_once_whichever_process_asks(processes: Processes[Recorder]) -> None:
    owner, _ = await processes.start()
    standby, _ = await processes.start()
    message = _message("buy now", "$ad").message
    assert await app_of(owner).delete_message("tea", message, "an ad") is True
    assert await app_of(owner).delete_message("tea", message, "an ad") is False
    await owner.close()
    assert await app_of(standby).leases.renew() == {"tea"}
    assert await app_of(standby).delete_message("tea", message, "an ad") is False
    await standby.settle()
    assert standby.sent("delete") == []


@pytest.mark.asyncio
async def test_a_question_asked_by_the_previous_owner_is_answered_on_the_new_one(
        processes: Processes[Recorder]) -> None:
    owner, _ = await processes.start()
    standby, by_standby = await processes.start()
    ctx = app_of(owner).contexts["tea"]["recorder"]
    ann = ctx.member(("testing", "ann"))
    assert ann is not None
    await ctx.ask(ann.member, "Your favourite tea?", key="tea")
    await owner.settle()
    await owner.close()
    assert await app_of(standby).leases.renew() == {"tea"}
    await standby.dm("ann", "oolong")
    assert by_standby.texts == ["tea: oolong"]


@pytest.mark.asyncio
async def test_plugin_caches_are_emptied_when_a_community_is_taken(processes: Processes[Recorder]) -> None:
    owner, _ = await processes.start()
    standby, _ = await processes.start()
    stale = app_of(standby).contexts["tea"]["recorder"]
    stale.cache["seen"] = {"ann"}  # from when it last acted for tea
    await owner.close()
    assert await app_of(standby).leases.renew() == {"tea"}
    assert stale.cache == {}


@pytest.mark.asyncio
async def test_with_one_process_the_inbox_hands_events_over_in_process(tmp_path: Any) -> None:
    one = _processes(f"sqlite:///{tmp_path / 'hearth.db'}")
    bot, recorder = await one.start()
    try:
        app = app_of(bot)
        assert not app.inbox.shared
        await app.inbox.put("tea", [_message("from the dashboard", "dash:1")])
        await bot.settle()
        assert recorder.texts == ["from the dashboard"]
        assert await app.db.fetchval("SELECT COUNT(*) FROM hearth_inbox") == 0
    finally:
        await bot.close()


def test_every_event_survives_the_codec() -> None:
    when = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    channel = Channel(platform="matrix", id="!r:x", name="general")
    member = Member(platform="matrix", id="@a:x", name="Ann 安", role=Role.LEADER)
    message = Message(platform="matrix", id="$m", channel=channel, author=member, text="hi 你好",
                      time_ms=to_ms(when), mentions=("@b:x",), links=("https://a.example",), reply_to="$l",
                      raw={"not": "kept"})
    common: dict[str, Any] = {"platform": "matrix", "id": "$e", "community": "tea", "time": when}
    events: list[Event] = [
        MessagePostedEvent(**common, message=message),
        MemberJoinedEvent(**common, member=member, invited_by="@b:x"),
        RoleChangedEvent(**common, member=member, old=Role.MEMBER, new=Role.LEADER),
        ReactionAddedEvent(**common, reaction=Reaction(platform="matrix", message_id="$m",
                                                       channel=channel, member=member, emoji="👍",
                                                       time=when)),
        ChoiceMadeEvent(**common, member=member, question=3, picked=(1, 2)),
        MessageDeletedEvent(**common, channel=channel, message_id="$m"),
        ActionDoneEvent(**common, plugin="welcome", outcome=Outcome(
            key="k", data={"n": [1, 2]}, action="send", status="done", time=when,
            sent=(SentMessage(platform="matrix", id="$s", channel=channel),))),
    ]
    for event in events:
        back = decode(encode(event))
        assert back == event and type(back) is type(event)
    posted = decode(encode(events[0]))
    assert isinstance(posted, MessagePostedEvent)
    assert posted.message.author.role is Role.LEADER and posted.message.mentions == ("@b:x",)
    assert posted.message.text == "hi 你好" and posted.message.raw is None
    changed = decode(encode(events[2]))
    assert isinstance(changed, RoleChangedEvent) and changed.new.label == "leader"
    with pytest.raises(CodecError):
        decode('{"type": "NoSuchEvent", "event": {}}')
    with pytest.raises(CodecError):
        decode('{"type": "RoleChangedEvent", "event": {"old": 9}}')
