"""An in-memory :class:`~hearth.ports.AdapterHost` for testing an adapter on its own.

It records what the adapter submits and reports instead of running the core,
so an adapter's conversion, catch-up and position saving can be tested
against a real (or recorded) network without an app::

    host = RecordingHost()
    await adapter.start(host)
    ...
    assert [type(e) for e in host.events] == [MemberJoinedEvent]
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from hearth.clock import SystemClock
from hearth.events import Event
from hearth.models import Role
from hearth.spacing import Spacing
from hearth.supervisor import Supervisor


class MemoryKV:
    """The adapter's key/value store, in memory (share one across restarts in a test)."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    async def get(self, key: str) -> str | None:
        return self.data.get(key)

    async def set(self, key: str, value: str) -> None:
        self.data[key] = value


class MemoryRoleIds:
    """The network's ids of Hearth's roles, in memory (share one across restarts in a test)."""

    def __init__(self) -> None:
        self.data: dict[str, dict[Role, str]] = {}

    async def get(self, community: str) -> dict[Role, str]:
        return dict(self.data.get(community, {}))

    async def set(self, community: str, role: Role, network_id: str) -> None:
        self.data.setdefault(community, {})[role] = network_id


class RecordingHost:
    """Records submitted events and skipped-event reports; every event counts as handled.

    Long-running tasks run under a real :class:`~hearth.supervisor.Supervisor`,
    so an adapter's receiver fails here as it would in the app.
    """

    def __init__(self, kv: MemoryKV | None = None, *, catch_up_limit: int = 10_000,
                 commands: Sequence[Any] = (), role_ids: MemoryRoleIds | None = None) -> None:
        self.clock = SystemClock()
        self.kv = kv or MemoryKV()
        self.role_ids = role_ids or MemoryRoleIds()
        self.catch_up_limit = catch_up_limit
        self.events: list[Event] = []
        self.skipped: list[tuple[str, str, int]] = []
        self.command_list = list(commands)
        self.supervisor = Supervisor(self.clock)
        self.spacing = Spacing()  # in this process

    async def submit(self, event: Event) -> None:
        self.events.append(event)

    async def handled(self) -> None:
        return None  # recorded is handled

    async def report_skipped(self, community: str, platform: str, count: int) -> None:
        self.skipped.append((community, platform, count))

    def commands(self, community: str) -> Sequence[Any]:
        return self.command_list

    async def run_command(self, event: Event) -> list[str] | None:
        await self.submit(event)
        return []

    def supervise(self, name: str, factory: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        return self.supervisor.run(name, factory)

    async def space_out(self, key: str, interval: float) -> None:
        await self.spacing.wait(key, interval)
