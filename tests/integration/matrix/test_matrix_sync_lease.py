"""Several Hearth processes on one PostgreSQL and one Matrix account: one at a time syncs.

Two apps (each with its own database pool and Matrix client, as two ``hearth run``
would have) share a real PostgreSQL and a bot account on a real Synapse. The
holder of the lease ``matrix sync @bot`` syncs; the other acts for its own
community through the client API, with the events the syncing one stores for it.
When the syncing process dies or stops, the other takes the sync over from the
position it stored.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from adapter_helpers import (
    KEY,
    FakeHost,
    World,
    crash_app,
    join_community,
    make_world,
    recent,
    send,
    wait_message,
)
from click.testing import CliRunner
from nio import AsyncClient
from synapse_harness import MatrixUserFactory, Space, SpaceFactory, SynapseServer

from hearth.adapters.matrix import ops
from hearth.adapters.matrix.adapter import MatrixAdapter
from hearth.app import App, bindings_for
from hearth.bootstrap import load
from hearth.cli import main
from hearth.errors import StorageError
from hearth.events import MessagePostedEvent
from hearth.models import Member, Role

TOKEN_ENV = "HEARTH_TEST_MATRIX_TOKEN"
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
AD = "Cheap followers at https://spam.example.com"
#: a lease lasts 3 s here (renewed every second), instead of 20 s
LEASE_TTL = timedelta(seconds=3)


def config_yaml(world: World, cake: Space, storage: str) -> str:
    other_day = DAYS[(dt.datetime.now(dt.UTC).weekday() + 2) % 7]  # an ad window never "now"

    def community(space: Space) -> str:
        return f"""
    timezone: UTC
    matrix: {{space: "{space.space_id}"}}
    channels:
      general: {{matrix: "{space.rooms['general']}"}}
      ads: {{matrix: "{space.rooms['ads']}"}}
    plugins:
      ad_window:
        windows: [{{days: [{other_day}], from: "20:00", to: "21:00"}}]
        ad_channels: [ads]
        escalation: [warn]
"""
    return f"""
storage: {json.dumps(storage)}
command_prefix: "!"
accounts:
  matrix:
    homeserver: {world.synapse.url}
    user_id: "{world.bot.user_id}"
    access_token: ${{{TOKEN_ENV}}}
communities:
  tea:{community(world.space)}
  cake:{community(cake)}
"""


class Process:
    """One Hearth process: its app and Matrix adapter; what its adapter sent is recorded."""

    def __init__(self, config: str, storage: str) -> None:
        loaded = load(config, text=True, strict_accounts=True)
        self.adapter = MatrixAdapter(account=loaded.config.accounts["matrix"],
                                     communities=bindings_for(loaded.config, MatrixAdapter))
        self.app = App(loaded.config, loaded.plugins, [self.adapter], storage=storage)
        #: the events this process answered (a reply's ``reply_to``)
        self.answered: list[str] = []
        send = self.adapter.send

        async def recording(community: str | None, channel: Any, text: str, *,
                            reply_to: str | None = None) -> Any:
            sent = await send(community, channel, text, reply_to=reply_to)
            if reply_to is not None:
                self.answered.append(reply_to)
            return sent

        self.adapter.send = recording  # type: ignore[method-assign]

    def answers(self, *questions: str) -> list[str]:
        """Which of ``questions`` this process answered, in the order answered (with repeats)."""
        return [event for event in self.answered if event in questions]

    def owns(self) -> frozenset[str]:
        return self.app.leases.owned() or frozenset()

    def syncs(self) -> bool:
        return self.adapter.sync_lease in self.app.leases.claimed()

    async def crash(self) -> None:
        """Stop abruptly, as ``kill -9`` would: nothing settled, stored or given back."""
        await crash_app(self.app)


async def eventually(check: Callable[[], bool | Awaitable[bool]], what: str,
                     timeout: float = 30.0) -> None:  # noqa: ASYNC109
    """Wait until ``check()`` holds (polling: the leases move on the database's clock)."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if not isinstance(found, bool):
            found = await found
        if found:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f}s: {what}")
        await asyncio.sleep(0.1)


class Setup:
    """Synapse users and communities, and the processes started on one database."""

    def __init__(self, world: World, cake: Space, alice: AsyncClient, storage: str) -> None:
        self.world, self.cake, self.alice, self.storage = world, cake, alice, storage
        self.config = config_yaml(world, cake, storage)
        self.processes: list[Process] = []

    def general(self, community: str) -> str:
        space = self.world.space if community == "tea" else self.cake
        return space.rooms["general"]

    async def start(self) -> Process:
        process = Process(self.config, self.storage)
        await process.app.start()
        self.processes.append(process)
        return process

    async def two(self) -> tuple[Process, Process]:
        """The first process (it syncs) and the second, each owning one community."""
        first = await self.start()
        assert first.syncs() and first.adapter.syncer is not None
        second = await self.start()
        assert not second.syncs() and second.adapter.syncer is None
        await eventually(lambda: len(first.owns()) == 1 and len(second.owns()) == 1,
                         "the two processes own a community each")
        return first, second

    async def replies(self, question: str) -> list[dict[str, Any]]:
        """The bot's replies to the event ``question`` (in any of the communities)."""
        found = []
        for key in ("tea", "cake"):
            found += [e for e in await recent(self.alice, self.general(key), 50)
                      if e.get("sender") == self.world.bot.user_id
                      and e["content"].get("m.relates_to", {}).get("m.in_reply_to", {})
                      .get("event_id") == question]
        return found

    async def answered_once(self, community: str, by: Process) -> str:
        """Ask ``!help`` in ``community``: it is answered, once, by ``by``."""
        question = await send(self.alice, self.general(community), "!help")
        await wait_message(self.alice, self.general(community),
                           lambda e: e["content"].get("m.relates_to", {}).get("m.in_reply_to", {})
                           .get("event_id") == question, within=30)
        return question


@pytest_asyncio.fixture
async def setup(synapse: SynapseServer, matrix_user: MatrixUserFactory, make_space: SpaceFactory,
                postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Setup]:
    monkeypatch.setattr(App, "lease_ttl", LEASE_TTL)
    world = await make_world(synapse, matrix_user, make_space, children=("general", "ads"))
    cake = await make_space(world.owner, "Cake Shop", ("general", "ads"))
    for room_id in (cake.space_id, *cake.rooms.values()):
        await ops.invite(world.owner, room_id, world.bot.user_id)
        await ops.set_power_level(world.owner, room_id, world.bot.user_id, 100)
    alice = await matrix_user("alice")
    await join_community(alice, world)
    for room_id in (cake.space_id, *cake.rooms.values()):
        await ops.join(alice, room_id)
    monkeypatch.setenv(TOKEN_ENV, world.bot.access_token)
    running = Setup(world, cake, alice, postgres_url)
    try:
        yield running
    finally:
        for process in reversed(running.processes):
            if process.app.started:
                await process.app.stop()


def count_syncs(monkeypatch: pytest.MonkeyPatch) -> list[AsyncClient]:
    """The client of every ``/sync`` request made from now on."""
    clients: list[AsyncClient] = []
    sync = AsyncClient.sync

    async def counted(self: AsyncClient, *args: Any, **kwargs: Any) -> Any:
        clients.append(self)
        return await sync(self, *args, **kwargs)

    monkeypatch.setattr(AsyncClient, "sync", counted)
    return clients


@pytest.mark.asyncio
async def test_one_process_syncs_and_the_other_takes_the_sync_over_after_kill_9(
        setup: Setup, matrix_user: MatrixUserFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    syncs = count_syncs(monkeypatch)
    first, second = await setup.two()
    mine, theirs = next(iter(first.owns())), next(iter(second.owns()))

    # Only the first syncs; the second's community is handled by the second, once.
    question = await setup.answered_once(theirs, second)
    await first.app.settle()
    await second.app.settle()
    assert second.answers(question) == [question] and first.answers(question) == []
    assert len(await setup.replies(question)) == 1
    assert syncs and all(client is first.adapter.nio for client in syncs)
    # What the second knows of its members it reads from the homeserver: one who joined
    # after it started, and her role.
    carol = await matrix_user("carol")
    for room_id in (setup.general(theirs),):
        await ops.join(carol, room_id)
    found = await second.app.contexts[theirs]["hearth"].get_member("matrix", carol.user_id)
    assert found is not None and found.role == Role.MEMBER
    # A message edited into an ad is deleted there with its edit (which carries the text),
    # though the edit was received by the first.
    said = await send(setup.alice, setup.general(theirs), "a word")
    edit = await send(setup.alice, setup.general(theirs), "* spam", **{
        "m.new_content": {"msgtype": "m.text", "body": AD},
        "m.relates_to": {"rel_type": "m.replace", "event_id": said}})
    for event_id in (said, edit):
        await wait_message(setup.alice, setup.general(theirs),
                           lambda e, i=event_id: e["event_id"] == i and e["content"] == {})

    # Once the first has stored its position, it dies without a word.
    await eventually(lambda: first.adapter.syncer is not None
                     and first.adapter.syncer.saved == first.adapter.syncer.token,
                     "the first process stored its sync position")
    await first.app.once.flush()  # the records written five times a second
    await first.crash()
    # Posted while nobody syncs, in the community of the dead process.
    gap = await send(setup.alice, setup.general(mine), "!help")
    await eventually(lambda: second.syncs() and second.owns() == {mine, theirs},
                     "the second process took the sync and both communities over")
    await wait_message(setup.alice, setup.general(mine),
                       lambda e: e["content"].get("m.relates_to", {}).get("m.in_reply_to", {})
                       .get("event_id") == gap, within=30)
    later = await setup.answered_once(mine, second)
    await second.app.settle()
    assert second.answers(question, gap, later) == [question, gap, later]
    for event in (question, gap, later):
        assert len(await setup.replies(event)) == 1
    assert any(client is second.adapter.nio for client in syncs)


@pytest.mark.asyncio
async def test_when_the_syncing_process_stops_the_other_syncs_on_from_its_position(
        setup: Setup, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    syncs = count_syncs(monkeypatch)
    first, second = await setup.two()
    mine = next(iter(first.owns()))
    await first.app.stop()  # stores its position and gives its leases back
    del syncs[:]
    gap = await send(setup.alice, setup.general(mine), "!help")
    await eventually(lambda: second.syncs() and len(second.owns()) == 2,
                     "the second process took the sync and both communities over")
    await wait_message(setup.alice, setup.general(mine),
                       lambda e: e["content"].get("m.relates_to", {}).get("m.in_reply_to", {})
                       .get("event_id") == gap, within=30)
    await second.app.settle()
    assert second.answers(gap) == [gap] and first.answers(gap) == []
    assert len(await setup.replies(gap)) == 1
    assert syncs and all(client is second.adapter.nio for client in syncs)
    config = tmp_path / "hearth.yaml"
    config.write_text(setup.config)
    shown = await asyncio.to_thread(CliRunner().invoke, main, ["status", str(config)])
    assert shown.exit_code == 0, shown.output
    line = next(line for line in shown.output.splitlines() if second.app.leases.name in line)
    assert line.endswith(f"owns cake, tea, matrix sync {setup.world.bot.user_id}"), shown.output


@pytest.mark.asyncio
async def test_a_process_that_cannot_renew_stops_syncing_before_another_takes_the_sync(
        setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = await setup.two()

    async def unreachable() -> None:
        raise StorageError("the database is unreachable")

    monkeypatch.setattr(first.app.leases, "renew", unreachable)
    await eventually(lambda: first.adapter.syncer is None, "the first process stopped syncing")
    assert not second.syncs()  # its lease has not run out yet
    syncs = count_syncs(monkeypatch)
    await eventually(lambda: second.syncs() and len(second.owns()) == 2,
                     "the second process took the sync and both communities over")
    question = await setup.answered_once(next(iter(first.app.config.communities)), second)
    await second.app.settle()
    assert question in second.answered and question not in first.answered
    assert len(await setup.replies(question)) == 1
    assert syncs and all(client is second.adapter.nio for client in syncs)


@pytest.mark.asyncio
async def test_an_adapter_that_does_not_sync_acts_and_its_group_rooms_are_heard_by_the_syncing_one(
        synapse: SynapseServer, matrix_user: MatrixUserFactory, make_space: SpaceFactory) -> None:
    world = await make_world(synapse, matrix_user, make_space, children=("general",))
    syncing, heard = await world.started()  # the lease holder (one shared key/value store)
    other = world.adapter()
    other.claimed(frozenset())  # another process holds ``matrix sync @bot``
    await other.start(FakeHost(world.kv))
    try:
        assert other.syncer is None
        # A member who joined after it started is known there, with the role it gives her.
        alice = await matrix_user("alice")
        await join_community(alice, world)
        await other.grant_role(KEY, member(alice), Role.LEADER)
        found = await other.get_member(KEY, alice.user_id)
        assert found is not None and found.role == Role.LEADER
        # A group room it opens is routed to its community by the syncing adapter.
        group = await other.create_group(KEY, "Night talk", [member(alice)], topic="tea at night")
        await ops.join(alice, group.id)
        said = await send(alice, group.id, "good evening")
        event = await heard.wait(MessagePostedEvent, lambda e: e.message.id == said, within=30)
        assert event.community == KEY and event.message.channel.name == "Night talk"
        # One who joined a moment ago is kicked from every room she is in.
        bob = await matrix_user("bob")
        await join_community(bob, world)
        await other.kick(KEY, member(bob), "rules")
        assert await ops._membership(world.owner, world.room("general"), bob.user_id) == "leave"
    finally:
        await other.stop()
        await syncing.stop()


def member(client: AsyncClient) -> Member:
    return Member(platform="matrix", id=client.user_id, name=client.user_id)
