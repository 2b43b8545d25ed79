"""MatrixAdapter hardening (issue 10) against a real Synapse: hostile edits, catch-up after
downtime, a receiver that survives bad events and storage errors, clean start-up errors."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from adapter_helpers import (
    KEY,
    FakeHost,
    MemoryKV,
    World,
    crash,
    join_community,
    make_world,
    send,
    wait_message,
)
from synapse_harness import PASSWORD, MatrixUserFactory, SpaceFactory, SynapseServer

from hearth.adapters.matrix import ops
from hearth.adapters.matrix.adapter import MatrixAdapter
from hearth.errors import StartupError, StorageError
from hearth.events import MemberJoinedEvent, MemberLeftEvent, MessageEditedEvent, MessagePostedEvent


def edit_content(original: str, text: str) -> dict[str, object]:
    return {"m.new_content": {"msgtype": "m.text", "body": text},
            "m.relates_to": {"rel_type": "m.replace", "event_id": original}}


@pytest.mark.asyncio
async def test_an_edit_counts_only_when_its_sender_wrote_the_original(
        synapse: SynapseServer, matrix_user: MatrixUserFactory, make_space: SpaceFactory) -> None:
    world = await make_world(synapse, matrix_user, make_space, children=("general",))
    alice, bob = await matrix_user("alice"), await matrix_user("bob")
    for user in (alice, bob):
        await join_community(user, world)
    adapter, host = await world.started()
    try:
        general = world.room("general")
        bobs = await send(bob, general, "hello all")
        forged = await send(alice, general, "* buy now", **edit_content(bobs, "Buy followers https://spam.example"))
        own = await send(alice, general, "my own words")
        own_edit = await send(alice, general, "* spam", **edit_content(own, "Buy followers https://spam.example"))
        edited = await host.wait(MessageEditedEvent)
        assert edited.id == own_edit and edited.message.id == own
        assert not host.of(MessageEditedEvent, lambda e: e.id == forged)  # ignored, as the spec says
        assert not host.of(MessagePostedEvent, lambda e: e.id == forged)

        # deleting the edited message removes the edit (which carries the new text) too
        channel = adapter.resolve_channel(KEY, "general")
        assert channel is not None
        await adapter.delete(KEY, channel, own, "ad")
        for event_id in (own, own_edit):
            await wait_message(bob, general, lambda e, i=event_id: e["event_id"] == i and e["content"] == {})
    finally:
        await adapter.stop()


@pytest.mark.asyncio
async def test_an_edit_of_an_event_the_bot_never_saw_is_checked_against_its_sender(
        synapse: SynapseServer, matrix_user: MatrixUserFactory, make_space: SpaceFactory) -> None:
    world = await make_world(synapse, matrix_user, make_space, children=("general",))
    alice, bob = await matrix_user("alice"), await matrix_user("bob")
    for user in (alice, bob):
        await join_community(user, world)
    general = world.room("general")
    bobs = await send(bob, general, "said before the bot ran")
    alices = await send(alice, general, "also before")
    adapter, host = await world.started()
    try:
        await send(alice, general, "* x", **edit_content(bobs, "Buy followers https://spam.example"))
        mine = await send(alice, general, "* y", **edit_content(alices, "changed"))
        edited = await host.wait(MessageEditedEvent)
        assert edited.id == mine and edited.message.id == alices  # read from the homeserver
        assert len(host.of(MessageEditedEvent)) == 1
    finally:
        await adapter.stop()


async def _sent_while_down(client: object, room: str, count: int, prefix: str) -> list[str]:
    ids: list[str] = []
    for start in range(0, count, 50):  # in parallel batches (order by id list below)
        batch = await asyncio.gather(*(send(client, room, f"{prefix} {n}")  # type: ignore[arg-type]
                                       for n in range(start, min(count, start + 50))))
        ids.extend(batch)
    return ids


@pytest.mark.asyncio
async def test_catch_up_after_downtime_is_complete_beyond_a_thousand_events(
        synapse: SynapseServer, matrix_user: MatrixUserFactory, make_space: SpaceFactory) -> None:
    world = await make_world(synapse, matrix_user, make_space, children=("general",))
    alice = await matrix_user("alice")
    await join_community(alice, world)
    adapter, host = await world.started()
    await adapter.stop()
    missed = await _sent_while_down(alice, world.room("general"), 1300, "missed")
    adapter, host = await world.started()
    try:
        got = {e.id for e in host.of(MessagePostedEvent)}
        assert got == set(missed)  # all of them, handed over before start() returned
        assert not host.skipped
    finally:
        await adapter.stop()


@pytest.mark.asyncio
async def test_catch_up_past_the_limit_handles_the_newest_and_reports_the_rest(
        synapse: SynapseServer, matrix_user: MatrixUserFactory, make_space: SpaceFactory) -> None:
    world = await make_world(synapse, matrix_user, make_space, children=("general", "ads"))
    alice = await matrix_user("alice")
    await join_community(alice, world)
    adapter, host = await world.started()
    await adapter.stop()
    older = await _sent_while_down(alice, world.room("general"), 150, "general")
    newer = [await send(alice, world.room("ads"), f"ads {n}") for n in range(30)]
    host, adapter = FakeHost(world.kv, catch_up_limit=100), world.adapter()
    await adapter.start(host)
    try:
        got = [e.id for e in host.of(MessagePostedEvent)]
        assert len(got) == 100 and got[-30:] == newer  # the newest 100, in order
        assert set(got[:70]) <= set(older)
        assert host.skipped == [(KEY, "matrix", 80)]
    finally:
        await adapter.stop()


@pytest.mark.asyncio
async def test_malformed_events_do_not_stop_the_receiver(
        synapse: SynapseServer, matrix_user: MatrixUserFactory, make_space: SpaceFactory) -> None:
    world = await make_world(synapse, matrix_user, make_space, children=("general",))
    alice = await matrix_user("alice")
    await join_community(alice, world)
    adapter, host = await world.started()
    try:
        general = world.room("general")
        odd = [ops.check(await alice.room_send(general, "m.room.message", content), "send").event_id
               for content in ({"msgtype": "m.text", "body": "a", "m.relates_to": "oops"},
                               {"msgtype": "m.text", "body": "b", "m.relates_to": {"m.in_reply_to": "x"}},
                               {"msgtype": "m.text", "body": "c", "formatted_body": 7,
                                "m.relates_to": {"rel_type": "m.replace", "event_id": 5,
                                                 "m.in_reply_to": []}})]
        ops.check(await alice.room_send(general, "m.reaction", {"m.relates_to": "up"}), "send")
        after = await send(alice, general, "still heard")
        await host.wait(MessagePostedEvent, lambda e: e.id == after)
        assert [e.message.text for e in host.of(MessagePostedEvent, lambda e: e.id in odd)] == ["a", "b", "c"]
    finally:
        await adapter.stop()


@pytest.mark.asyncio
async def test_an_event_that_cannot_be_processed_is_skipped_and_logged(
        synapse: SynapseServer, matrix_user: MatrixUserFactory, make_space: SpaceFactory,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from hearth.adapters.matrix import inbound as module

    world = await make_world(synapse, matrix_user, make_space, children=("general",))
    alice = await matrix_user("alice")
    await join_community(alice, world)
    adapter, host = await world.started()
    real = module.message_parts

    def fragile(content: Any) -> Any:
        if content.get("body") == "boom":
            raise ValueError("a case nobody thought of")
        return real(content)

    monkeypatch.setattr(module, "message_parts", fragile)
    try:
        general = world.room("general")
        boom = await send(alice, general, "boom")
        after = await send(alice, general, "still heard")
        await host.wait(MessagePostedEvent, lambda e: e.id == after)
        assert not host.of(MessagePostedEvent, lambda e: e.id == boom)
        assert f"could not process event {boom}" in caplog.text
    finally:
        await adapter.stop()


def stored_position(world: World) -> dict[str, Any]:
    raw = world.kv.data.get(f"sync_token:{world.bot.user_id}")
    return json.loads(raw) if raw else {}


def stored_token(world: World) -> str | None:
    return stored_position(world).get("token")


class GatedHost(FakeHost):
    """A core that handles events only as far as the test allows (``allowed`` events)."""

    def __init__(self, kv: MemoryKV) -> None:
        super().__init__(kv)
        self.allowed = 0
        self._progress = asyncio.Event()

    def allow(self, count: int) -> None:
        self.allowed = count
        self._progress.set()

    async def handled(self) -> None:
        mark = len(self.events)
        while self.allowed < mark:
            self._progress.clear()
            await self._progress.wait()


@pytest.mark.asyncio
async def test_a_crash_while_catching_up_replays_only_what_was_not_handled(
        synapse: SynapseServer, matrix_user: MatrixUserFactory, make_space: SpaceFactory) -> None:
    world = await make_world(synapse, matrix_user, make_space, children=("general",))
    alice = await matrix_user("alice")
    await join_community(alice, world)
    adapter, host = await world.started()
    await adapter.stop()
    missed = await _sent_while_down(alice, world.room("general"), 250, "missed")

    gated, adapter = GatedHost(world.kv), world.adapter()
    await adapter.start(gated)  # all 250 received; none handled yet
    received = [e.id for e in gated.of(MessagePostedEvent)]  # in the room's order
    assert sorted(received) == sorted(missed)
    before = stored_position(world)
    gated.allow(len(gated.events) - 100)  # all but the last 100 are handled, then a crash
    for _ in range(200):
        if stored_position(world) != before:
            break
        await asyncio.sleep(0.02)
    assert stored_position(world)["token"] == before["token"]  # the response is not done yet
    await crash(adapter)

    adapter, host = await world.started()
    try:
        got = [e.id for e in host.of(MessagePostedEvent)]
        assert got == received[100:]  # the first 100 were handled (checkpointed) before the crash
    finally:
        await adapter.stop()


class FlakyKV(MemoryKV):
    """Fails to store the sync position a few times (a SQLite write lock held too long)."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def set(self, key: str, value: str) -> None:
        if key.startswith("sync_token") and self.failures:
            self.failures -= 1
            raise StorageError("database is locked")
        await super().set(key, value)


@pytest.mark.asyncio
async def test_storage_errors_and_a_bad_response_do_not_stop_the_receiver(
        synapse: SynapseServer, matrix_user: MatrixUserFactory, make_space: SpaceFactory,
        caplog: pytest.LogCaptureFixture) -> None:
    world = await make_world(synapse, matrix_user, make_space, children=("general",))
    alice = await matrix_user("alice")
    await join_community(alice, world)
    world.kv = FlakyKV(failures=0)
    adapter, host = await world.started()
    try:
        assert adapter.syncer is not None
        general = world.room("general")
        world.kv.failures = 2
        first = await send(alice, general, "first")
        await host.wait(MessagePostedEvent, lambda e: e.id == first)

        handle, broken = adapter.syncer.handle, [True]

        async def once_broken(resp: object, deliver: bool) -> None:
            if broken:
                broken.clear()
                raise KeyError("next_batch")  # one response the adapter cannot process
            await handle(resp, deliver)  # type: ignore[arg-type]

        adapter.syncer.handle = once_broken
        second = await send(alice, general, "second")
        await host.wait(MessagePostedEvent, lambda e: e.id == second, within=20)
        for _ in range(200):
            if stored_token(world) == adapter.syncer.token:
                break
            await asyncio.sleep(0.05)
        assert world.kv.failures == 0 and not broken
        assert stored_token(world) == adapter.syncer.token
        assert "storing the sync position failed" in caplog.text
        assert "processing a sync response failed" in caplog.text
    finally:
        await adapter.stop()


@pytest.mark.asyncio
async def test_a_revoked_token_stops_the_receiver_with_an_error(
        synapse: SynapseServer, matrix_user: MatrixUserFactory, make_space: SpaceFactory) -> None:
    world = await make_world(synapse, matrix_user, make_space, children=("general",))
    adapter, host = await world.started()
    try:
        ops.check(await world.bot.logout(), "logout")  # the bot's token is no longer valid
        await asyncio.wait_for(host.supervisor.failed.wait(), 60)  # at once, not retried forever
        assert "M_UNKNOWN_TOKEN" in (host.supervisor.reason or "")
    finally:
        await adapter.stop()


@pytest.mark.asyncio
async def test_a_wrong_password_is_a_clean_startup_error(
        synapse: SynapseServer, matrix_user: MatrixUserFactory, make_space: SpaceFactory) -> None:
    world = await make_world(synapse, matrix_user, make_space, children=("general",))
    wrong = f"not-{PASSWORD}-at-all"
    adapter = world.adapter(password=wrong, access_token=None)
    with pytest.raises(StartupError) as info:
        await adapter.start(FakeHost())
    text = str(info.value)
    assert "M_FORBIDDEN" in text and world.bot.user_id in text and "\n" not in text
    assert wrong not in text and info.value.__cause__ is None


@pytest_asyncio.fixture
async def silent_server() -> AsyncIterator[str]:
    """A homeserver URL on 127.0.0.1 that accepts connections and never answers."""
    conns: list[socket.socket] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.setblocking(False)

    async def accept() -> None:
        loop = asyncio.get_running_loop()
        while True:
            conn, _ = await loop.sock_accept(server)
            conns.append(conn)

    task = asyncio.create_task(accept())
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        task.cancel()
        for conn in conns:
            conn.close()
        server.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("credential", ["access_token", "password"])
async def test_an_unreachable_homeserver_fails_within_the_start_timeout(
        silent_server: str, monkeypatch: pytest.MonkeyPatch, credential: str,
        caplog: pytest.LogCaptureFixture) -> None:
    from hearth.adapters.matrix.schema import MatrixAccount
    from hearth.ports import CommunityBinding

    monkeypatch.setattr(MatrixAdapter, "start_timeout", 1.5)
    account = MatrixAccount(homeserver=silent_server, user_id="@bot:localhost", **{credential: "secret"})
    adapter = MatrixAdapter(account=account, communities={KEY: CommunityBinding(key=KEY, space=None)})
    caplog.set_level(logging.WARNING)
    loop = asyncio.get_running_loop()
    began = loop.time()
    with pytest.raises(StartupError) as info:
        await asyncio.wait_for(adapter.start(FakeHost()), 30)  # nio alone waits 60 s per request
    assert loop.time() - began < 10
    assert "within 1.5 s" in str(info.value) and "\n" not in str(info.value)
    assert "secret" not in str(info.value)


@pytest.mark.asyncio
async def test_a_stop_while_the_core_cannot_handle_events_ends_and_keeps_them_for_later(
        synapse: SynapseServer, matrix_user: MatrixUserFactory, make_space: SpaceFactory,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from hearth.adapters.matrix import client as module

    monkeypatch.setattr(module, "STOP_GRACE", 0.5)
    world = await make_world(synapse, matrix_user, make_space, children=("general",))
    alice = await matrix_user("alice")
    await join_community(alice, world)
    adapter, host = await world.started()
    await adapter.stop()
    gated, adapter = GatedHost(world.kv), world.adapter()
    gated.allow(10**9)
    await adapter.start(gated)
    gated.allow(len(gated.events))  # from now on nothing is handled (a failed core)
    pending = await send(alice, world.room("general"), "received, never handled")
    await gated.wait(MessagePostedEvent, lambda e: e.id == pending)
    await asyncio.wait_for(adapter.stop(), 10)  # does not wait forever

    adapter, host = await world.started()
    try:
        assert [e.id for e in host.of(MessagePostedEvent)] == [pending]
    finally:
        await adapter.stop()


@pytest.mark.asyncio
async def test_joins_and_leaves_missed_in_a_long_downtime_are_told_apart_from_room_moves(
        synapse: SynapseServer, matrix_user: MatrixUserFactory, make_space: SpaceFactory) -> None:
    world = await make_world(synapse, matrix_user, make_space, children=("general", "ads"))
    alice, bob, carol = await matrix_user("alice"), await matrix_user("bob"), await matrix_user("carol")
    await join_community(alice, world, "general")
    await join_community(bob, world)
    adapter, host = await world.started()
    await adapter.stop()

    await ops.join(alice, world.room("ads"))  # a member moving into one more room: not a join
    for room_id in (world.room("general"), world.room("ads"), world.space.space_id):
        ops.check(await bob.room_leave(room_id), "leave")
    await join_community(carol, world, "general")
    await _sent_while_down(alice, world.room("general"), 150, "chatter")  # the above is in the gap
    await _sent_while_down(alice, world.room("ads"), 150, "ads")

    adapter, host = await world.started()
    try:
        assert [e.member.id for e in host.of(MemberJoinedEvent)] == [carol.user_id]
        assert [e.member.id for e in host.of(MemberLeftEvent)] == [bob.user_id]
    finally:
        await adapter.stop()
