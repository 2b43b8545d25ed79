"""Helpers for the Matrix adapter tests: a fake core host and a community on Synapse."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from nio import AsyncClient, MessageDirection
from synapse_harness import MatrixUserFactory, Space, SpaceFactory, SynapseServer

from hearth.adapters.matrix import ops
from hearth.adapters.matrix.adapter import MatrixAdapter
from hearth.adapters.matrix.schema import MatrixAccount, MatrixBinding
from hearth.adapters.testing.host import MemoryKV, RecordingHost
from hearth.events import Event
from hearth.ports import CommunityBinding

E = TypeVar("E", bound=Event)
KEY = "tea-house"


class FakeHost(RecordingHost):
    """What the core offers an adapter; records submitted events."""

    async def run_command(self, event: Event) -> list[str]:
        return []

    def of(self, kind: type[E], pred: Callable[[E], bool] = lambda e: True) -> list[E]:
        return [e for e in self.events if isinstance(e, kind) and pred(e)]

    async def wait(self, kind: type[E], pred: Callable[[E], bool] = lambda e: True,
                   within: float = 15.0) -> E:
        deadline = time.monotonic() + within
        while True:
            found = self.of(kind, pred)
            if found:
                return found[0]
            if time.monotonic() > deadline:
                seen = [type(e).__name__ for e in self.events]
                raise AssertionError(f"no {kind.__name__} matching within {within}s; saw {seen}")
            await asyncio.sleep(0.02)


@dataclass
class World:
    """A community on Synapse: owner, the bot's nio client, a space with rooms."""

    synapse: SynapseServer
    owner: AsyncClient
    bot: AsyncClient
    space: Space
    kv: MemoryKV = field(default_factory=MemoryKV)

    def room(self, name: str) -> str:
        return self.space.rooms[name]

    def account(self, **extra: Any) -> MatrixAccount:
        fields = {"homeserver": self.synapse.url, "user_id": self.bot.user_id,
                  "access_token": self.bot.access_token, **extra}
        return MatrixAccount(**fields)

    def bindings(self) -> dict[str, CommunityBinding]:
        return {KEY: CommunityBinding(key=KEY, space=MatrixBinding(space=self.space.space_id),
                                      channels=dict(self.space.rooms))}

    def adapter(self, **extra: Any) -> MatrixAdapter:
        return MatrixAdapter(account=self.account(**extra), communities=self.bindings())

    async def started(self, **extra: Any) -> tuple[MatrixAdapter, FakeHost]:
        adapter, host = self.adapter(**extra), FakeHost(self.kv)
        await adapter.start(host)
        return adapter, host


async def make_world(
    synapse: SynapseServer,
    matrix_user: MatrixUserFactory,
    make_space: SpaceFactory,
    *,
    bot_level: int = 100,
    children: tuple[str, ...] = ("general", "ads", "intro", "mods"),
) -> World:
    owner, bot = await matrix_user("owner"), await matrix_user("bot")
    space = await make_space(owner, "Tea House", children)
    for room_id in (space.space_id, *space.rooms.values()):
        await ops.invite(owner, room_id, bot.user_id)
        if bot_level:
            await ops.set_power_level(owner, room_id, bot.user_id, bot_level)
    return World(synapse, owner, bot, space)


async def join_community(client: AsyncClient, world: World, *rooms: str) -> None:
    await ops.join(client, world.space.space_id)
    for name in rooms or tuple(world.space.rooms):
        await ops.join(client, world.room(name))


async def recent(client: AsyncClient, room_id: str, limit: int = 30) -> list[dict[str, Any]]:
    """The room's latest events (newest first) as raw dicts."""
    resp = ops.check(await client.room_messages(room_id, start="", direction=MessageDirection.back,
                                                limit=limit), "messages")
    return [e.source for e in resp.chunk]


async def wait_message(client: AsyncClient, room_id: str, pred: Callable[[dict[str, Any]], bool],
                       within: float = 15.0) -> dict[str, Any]:
    """Poll the room until an event matching ``pred`` shows up."""
    deadline = time.monotonic() + within
    while True:
        for ev in await recent(client, room_id):
            if pred(ev):
                return ev
        if time.monotonic() > deadline:
            bodies = [(e.get("sender"), (e.get("content") or {}).get("body")) for e in
                      await recent(client, room_id, 10)]
            raise AssertionError(f"no matching event in {room_id} within {within}s; latest: {bodies}")
        await asyncio.sleep(0.05)


def body_has(text: str, sender: str | None = None) -> Callable[[dict[str, Any]], bool]:
    def pred(ev: dict[str, Any]) -> bool:
        body = (ev.get("content") or {}).get("body")
        return (isinstance(body, str) and text in body
                and (sender is None or ev.get("sender") == sender))

    return pred


async def send(client: AsyncClient, room_id: str, body: str, **content: Any) -> str:
    resp = await client.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": body, **content})
    event_id: str = ops.check(resp, "send").event_id
    return event_id


async def crash(adapter: MatrixAdapter) -> None:
    """Stop ``adapter`` abruptly, as ``kill -9`` would: no flush of the position, no stop."""
    assert adapter.syncer is not None
    tasks = [*adapter._tasks, *adapter.syncer._checkpoints]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await adapter.nio.close()


async def crash_app(app: Any) -> None:
    """Stop a Hearth app on Matrix abruptly: its adapters crash, nothing is settled,
    written or given back, its database connections close."""
    for adapter in app.adapters:
        assert isinstance(adapter, MatrixAdapter)
        await crash(adapter)
    await app.supervisor.stop()
    assert app.db is not None
    await app.db.close()
    app.db = None
    app.started = False
