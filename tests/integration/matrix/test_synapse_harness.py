"""The harness itself: two users talk in a room; a restart keeps the data."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import pytest
from nio import AsyncClient, ErrorResponse, RoomMessageText, RoomPreset, SyncResponse
from synapse_harness import MatrixUserFactory, SpaceFactory, SynapseServer

bench_dir = Path(__file__).resolve().parents[3] / "benchmarks"


def ok(resp: object) -> object:
    assert not isinstance(resp, ErrorResponse), resp
    return resp


async def wait_for_message(client: AsyncClient, room_id: str, event_id: str) -> RoomMessageText:
    """Sync with the since token until ``event_id`` shows up in ``room_id``'s timeline."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        resp = await client.sync(timeout=1000, since=client.next_batch)
        assert isinstance(resp, SyncResponse), resp
        room = resp.rooms.join.get(room_id)
        for ev in room.timeline.events if room else []:
            if ev.event_id == event_id:
                assert isinstance(ev, RoomMessageText)
                return ev
    raise TimeoutError(event_id)


@pytest.mark.asyncio
async def test_two_users_exchange_a_message(matrix_user: MatrixUserFactory) -> None:
    alice, bob = await matrix_user("alice"), await matrix_user("bob")
    room = await alice.room_create(preset=RoomPreset.private_chat, invite=[bob.user_id])
    room_id = ok(room).room_id  # type: ignore[attr-defined]
    ok(await bob.join(room_id))
    ok(await bob.sync(timeout=0))
    sent = ok(await alice.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": "hi bob"}))
    ev = await wait_for_message(bob, room_id, sent.event_id)  # type: ignore[attr-defined]
    assert (ev.body, ev.sender) == ("hi bob", alice.user_id)


@pytest.mark.asyncio
async def test_make_space(matrix_user: MatrixUserFactory, make_space: SpaceFactory) -> None:
    admin = await matrix_user("admin", admin=True)
    space = await make_space(admin, children=("a", "b"))
    hier = ok(await admin.space_get_hierarchy(space.space_id))
    got = {r["room_id"] for r in hier.rooms}  # type: ignore[attr-defined]
    assert got == {space.space_id, *space.rooms.values()}


@pytest.mark.asyncio
async def test_restart_keeps_data(synapse: SynapseServer, matrix_user: MatrixUserFactory) -> None:
    alice = await matrix_user("alice")
    room_id = ok(await alice.room_create(name="durable")).room_id  # type: ignore[attr-defined]
    sent = ok(await alice.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": "kept"}))
    url = synapse.url
    await asyncio.to_thread(synapse.restart)
    assert synapse.url == url and synapse.running
    # same access token, same room, same event
    got = ok(await alice.room_get_event(room_id, sent.event_id))  # type: ignore[attr-defined]
    assert got.event.body == "kept"  # type: ignore[attr-defined]
    name = ok(await alice.room_get_state_event(room_id, "m.room.name"))
    assert name.content["name"] == "durable"  # type: ignore[attr-defined]


@pytest.mark.asyncio
async def test_bare_latency_benchmark_runs(synapse: SynapseServer) -> None:
    """benchmarks/matrix_bare_latency.py stays usable (a handful of round trips)."""
    sys.path.insert(0, str(bench_dir))
    try:
        import matrix_bare_latency as bench
    finally:
        sys.path.remove(str(bench_dir))
    stats = await bench.bare_nio_latency(synapse.url, synapse.secret, n=5, warmup=1)
    assert stats.n == 5 and 0 < stats.min_ms <= stats.median_ms <= stats.p99_ms < 5000
