"""Driving the Discord adapter against the fake: on its own (a minimal AdapterHost), or in Hearth."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from fake_discord import FakeDiscord, InteractionRecord, Recorded
from hearth.adapters.discord.adapter import DiscordAdapter
from hearth.adapters.discord.schema import DiscordAccount, DiscordBinding
from hearth.adapters.testing.host import RecordingHost as BaseHost
from hearth.app import App, bindings_for
from hearth.bootstrap import load
from hearth.commands import Command
from hearth.events import Event
from hearth.models import Role
from hearth.ports import CommunityBinding
from hearth.storage import Database

E = TypeVar("E", bound=Event)
FAST = {"guild_ready_timeout": 0.05}


class RecordingHost(BaseHost):
    """Records submitted events; ``on_command`` answers natively invoked commands.

    Every event counts as handled at once, unless the test holds ``handling``
    (cleared: ``handled()`` waits until it is set again).
    """

    def __init__(self, commands: Sequence[Command] = ()) -> None:
        super().__init__(commands=commands)
        self.on_command: Callable[[Any], Awaitable[list[str] | None]] | None = None
        self.handling = asyncio.Event()
        self.handling.set()
        self.handled_calls = 0
        self._changed = asyncio.Condition()

    async def submit(self, event: Event) -> None:
        async with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    async def handled(self) -> None:
        async with self._changed:
            self.handled_calls += 1
            self._changed.notify_all()
        await self.handling.wait()

    async def wait_for_handled(self, calls: int, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until ``handled()`` was called ``calls`` times."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: self.handled_calls >= calls)

    async def run_command(self, event: Event) -> list[str]:
        await self.submit(event)
        answers = await self.on_command(event) if self.on_command is not None else None
        return answers or []

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


async def eventually(check: Callable[[], Awaitable[bool]], what: str,
                     timeout: float = 60.0) -> None:  # noqa: ASYNC109
    """Wait until ``check()`` is true (polling: the processes are elsewhere)."""
    try:
        async with asyncio.timeout(timeout):
            while not await check():  # noqa: ASYNC110 (other processes change what is checked)
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise AssertionError(f"not within {timeout:.0f}s: {what}") from None


async def holders(db: Database) -> dict[str, str]:
    """Each live shard lease's holder (``host:pid:suffix``)."""
    if "hearth_leases" not in await db.tables():
        return {}
    rows = await db.fetch("SELECT community, holder FROM hearth_leases WHERE community LIKE"
                          " 'discord shard %' AND expires_ms > CAST(EXTRACT(EPOCH FROM"
                          " clock_timestamp()) * 1000 AS BIGINT)")
    return {r["community"]: r["holder"] for r in rows}


@dataclass
class Running:
    """Hearth (the App with the Discord adapter) running against the fake."""

    fake: FakeDiscord
    app: App
    adapter: DiscordAdapter

    def posts(self, channel_id: int, since: int = 0) -> list[Recorded]:
        return self.fake.find_requests("POST", f"/channels/{channel_id}/messages", since=since)

    async def post_containing(self, channel_id: int, text: str, since: int = 0,
                              timeout: float = 5.0) -> Recorded:  # noqa: ASYNC109
        return await self.fake.wait_for_request(
            "POST", f"/channels/{channel_id}/messages", timeout, since=since,
            predicate=lambda r: r.status == 200 and text in str((r.json or {}).get("content")))


    async def slash_answer(self, interaction: InteractionRecord, timeout: float = 5.0  # noqa: ASYNC109
                           ) -> str:
        """The answer to a slash command: the response's text, or the deferred response's edit."""
        webhook = f"/webhooks/{self.fake.application_id}/{interaction.token}"

        def answer(r: Recorded) -> bool:
            if r.status >= 300:
                return False
            if r.path == f"/interactions/{interaction.id}/{interaction.token}/callback":
                return bool(r.json.get("type") == 4)
            return r.path in (webhook, f"{webhook}/messages/@original")

        found = await self.fake.wait_for_request("*", re.compile(".*"), timeout, predicate=answer)
        body = found.json["data"] if found.path.endswith("/callback") else found.json
        return str(body["content"])


@asynccontextmanager
async def hearth_app(fake: FakeDiscord, config: str, db: Path | str,
                     plugins: Mapping[str, Any] | None = None,
                     **adapter_settings: Any) -> AsyncIterator[Running]:
    """Start Hearth from YAML ``config`` with its database at ``db`` (a path: SQLite, or a
    database URL), the adapter's attributes set from ``adapter_settings``; stop it after."""
    loaded = load(config, text=True, strict_accounts=True, extra_plugins=plugins)
    adapter = DiscordAdapter(account=loaded.config.accounts["discord"],
                             communities=bindings_for(loaded.config, DiscordAdapter),
                             client_options=FAST)
    for name, value in adapter_settings.items():
        setattr(adapter, name, value)
    storage = db if isinstance(db, str) else f"sqlite:///{db}"
    app = App(loaded.config, loaded.plugins, [adapter], storage=storage)
    await app.start()
    try:
        yield Running(fake, app, adapter)
    finally:
        await app.stop()
