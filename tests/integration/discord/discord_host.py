"""A minimal AdapterHost for driving the Discord adapter on its own against the fake."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from fake_discord import FakeDiscord
from hearth.adapters.discord.adapter import DiscordAdapter
from hearth.adapters.discord.schema import DiscordAccount, DiscordBinding
from hearth.clock import SystemClock
from hearth.commands import Command
from hearth.events import Event
from hearth.models import Role
from hearth.ports import CommunityBinding

E = TypeVar("E", bound=Event)
FAST = {"guild_ready_timeout": 0.05}


class MemoryKV:
    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    async def get(self, key: str) -> str | None:
        return self.data.get(key)

    async def set(self, key: str, value: str) -> None:
        self.data[key] = value


class RecordingHost:
    """Records submitted events; ``on_command`` answers natively invoked commands."""

    def __init__(self, commands: Sequence[Command] = ()) -> None:
        self.clock = SystemClock()
        self.kv = MemoryKV()
        self.events: list[Event] = []
        self.command_list = list(commands)
        self.on_command: Callable[[Any], Any] | None = None
        self._changed = asyncio.Condition()

    async def submit(self, event: Event) -> None:
        async with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def commands(self, community: str) -> Sequence[Command]:
        return self.command_list

    async def run_command(self, event: Event) -> None:
        await self.submit(event)
        if self.on_command is not None:
            await self.on_command(event)

    async def wait_for(self, kind: type[E], check: Callable[[E], bool] = lambda e: True,
                       timeout: float = 5.0) -> E:  # noqa: ASYNC109
        def found() -> E | None:
            return next((e for e in self.events if isinstance(e, kind) and check(e)), None)

        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: found() is not None)
        result = found()
        assert result is not None
        return result


def binding(guild_id: int, key: str = "tea", channels: dict[str, str] | None = None,
            roles: dict[Role, str] | None = None, **space: Any) -> dict[str, CommunityBinding]:
    return {key: CommunityBinding(key=key, space=DiscordBinding(guild=str(guild_id), **space),
                                  channels=channels or {}, roles=roles or {})}


def make_adapter(fake: FakeDiscord, communities: dict[str, CommunityBinding],
                 **account: Any) -> DiscordAdapter:
    acct = DiscordAccount(token=fake.token, api_url=fake.api_url, **account)
    return DiscordAdapter(account=acct, communities=communities, start_timeout=10,
                          client_options=FAST)


@asynccontextmanager
async def running(adapter: DiscordAdapter, host: RecordingHost) -> AsyncIterator[DiscordAdapter]:
    await adapter.start(host)
    try:
        yield adapter
    finally:
        await adapter.stop()
