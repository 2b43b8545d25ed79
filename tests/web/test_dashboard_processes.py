"""The dashboard of a process that does not act for the community shown (several processes).

Two Hearth processes (two apps, each with its own pool) on one real PostgreSQL:
the first acts for ``tea``, the dashboard is served by the second. Its pages
read what the owner keeps in the database; an action is run by the owner,
once, and its answers come back through the database (``hearth_answers``).
The pages are fetched with aiohttp's test client from the real application.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from hearth import Command, PluginConfig, Role, hookimpl
from hearth.adapters.testing import TestBot
from hearth.timeutil import to_ms
from hearth.web.logins import SESSION_TTL, Session, csrf_token, sign
from hearth.web.server import COOKIE, Dashboard

CONFIG = """
web: {listen: "127.0.0.1:8470", public_url: "http://hearth.example.org"}
communities:
  tea:
    channels: {general: {}}
    plugins: {counter: {}}
"""
PEOPLE = [{"id": "olivia", "role": "owner"}, {"id": "ann"}]
START = "2026-11-20T10:00:00+00:00"


class Counter:
    """An admin command that counts its runs in the process that runs it; a run can be held."""

    def __init__(self) -> None:
        self.runs: list[str] = []
        self.gate: asyncio.Event | None = None
        self.ran = asyncio.Event()

    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl
    def register_commands(self) -> list[Command]:
        async def count(inv: Any) -> str:
            if self.gate is not None:
                await self.gate.wait()
            self.runs.append(inv.member.id)
            self.ran.set()
            return f"counted {len(self.runs)} for {inv.member.id}"

        return [Command(name="count", handler=count, min_role=Role.ADMIN, help="count a run")]


class Site:
    """The owner, the process serving the dashboard, and a browser logged in as ``olivia``."""

    def __init__(self, owner: TestBot, server: TestBot, client: TestClient, dashboard: Dashboard,
                 counters: tuple[Counter, Counter]) -> None:
        self.owner, self.server, self.client, self.dashboard = owner, server, client, dashboard
        self.by_owner, self.by_server = counters

    async def act(self, command: str) -> str:
        app = self.server.app
        assert app is not None and app.logins is not None
        session = Session(("testing", "olivia"),
                          to_ms(app.clock.now()) + int(SESSION_TTL.total_seconds()) * 1000, "n0nce")
        key = await app.logins.key()
        self.client.session.cookie_jar.update_cookies({COOKIE: sign(key, session)})
        done = await self.client.post("/c/tea/act", data={
            "csrf": csrf_token(key, session), "action": f'["{command}", []]'})
        assert done.status == 200
        return await done.text()


@pytest_asyncio.fixture
async def site(postgres_url: str) -> AsyncIterator[Site]:
    counters = Counter(), Counter()
    bots = []
    client = None
    try:
        for counter in counters:
            bots.append(await TestBot.create(CONFIG, extra_plugins={"counter": counter},
                                             members=PEOPLE, start=START, storage=postgres_url))
        owner, server = bots
        assert owner.app is not None and server.app is not None and server.app.logins is not None
        assert owner.app.leases.owned() == {"tea"} and server.app.leases.owned() == frozenset()
        await owner.app.people.ledger.flush(all_activity=True)  # the directory as the owner keeps it
        dashboard = Dashboard(server.app, server.app.logins)
        dashboard.read_again = dashboard.read_again * 0  # every page reads the database again
        client = TestClient(TestServer(dashboard.application()))
        await client.start_server()
        yield Site(owner, server, client, dashboard, counters)
    finally:
        if client is not None:
            await client.close()
        for bot in bots:
            await bot.close()


@pytest.mark.asyncio
async def test_an_action_runs_once_in_the_owner_and_its_answer_shows_here(site: Site) -> None:
    page = await site.act("count")
    assert "counted 1 for olivia" in page
    assert site.by_owner.runs == ["olivia"] and site.by_server.runs == []
    db = site.server.app.db  # type: ignore[union-attr]
    assert await db.fetchval("SELECT COUNT(*) FROM hearth_answers") == 0  # taken: deleted
    await site.owner.settle()
    assert await db.fetchval("SELECT COUNT(*) FROM hearth_inbox") == 0
    assert site.owner.take() == []  # answered on the page, not in a channel
    page = await site.act("count")
    assert "counted 2 for olivia" in page and site.by_server.runs == []


@pytest.mark.asyncio
async def test_an_answer_that_takes_too_long_says_the_action_is_queued(site: Site) -> None:
    site.by_owner.gate = asyncio.Event()
    site.dashboard.answer_wait = 0.2
    page = await site.act("count")
    assert "Queued: the process serving tea runs this shortly" in page
    assert site.by_owner.runs == []  # not failed: held in the owner
    site.by_owner.gate.set()
    await asyncio.wait_for(site.by_owner.ran.wait(), 10)
    await site.owner.settle()
    assert site.by_owner.runs == ["olivia"] and site.by_server.runs == []
    assert site.owner.take() == []  # the answers are in the database, for nobody
    db = site.server.app.db  # type: ignore[union-attr]
    assert await db.fetchval("SELECT COUNT(*) FROM hearth_answers WHERE answers IS NOT NULL") == 1
    answers = site.server.app.answers  # type: ignore[union-attr]
    assert await answers.prune() == 0  # kept a day
    await db.execute("UPDATE hearth_answers SET expires_ms = expires_ms - 86400001")
    assert await answers.prune() == 1


@pytest.mark.asyncio
async def test_pages_show_what_the_owner_keeps_in_the_database(site: Site) -> None:
    await site.owner.join("zoe", "Zoe Quill")  # seen by the owner only
    await site.owner.settle()
    await site.owner.app.people.ledger.flush(all_activity=True)  # type: ignore[union-attr]
    app = site.server.app
    assert app is not None and app.logins is not None
    session = Session(("testing", "olivia"),
                      to_ms(app.clock.now()) + int(SESSION_TTL.total_seconds()) * 1000, "n0nce")
    site.client.session.cookie_jar.update_cookies({COOKIE: sign(await app.logins.key(), session)})
    page = await (await site.client.get("/c/tea")).text()
    assert "<b>3</b>members" in page and "served by another process" in page  # Zoe counted
    member = await site.client.get("/c/tea/m/testing/zoe")
    assert member.status == 200 and "Zoe Quill" in await member.text()
