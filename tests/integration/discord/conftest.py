"""Fixtures for running the real discord.py client against the fake Discord."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from fake_discord import FakeDiscord, Scene, point_discord_py_at, standard_scene
from hearth.storage import Database


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """A started fake Discord, with discord.py pointed at it for the test."""
    async with FakeDiscord() as server:
        restore = point_discord_py_at(server.api_url, server.gateway_url)
        try:
            yield server
        finally:
            restore()


@pytest_asyncio.fixture
async def database(postgres_url: str) -> AsyncIterator[Database]:
    """A connection to the test's PostgreSQL database, to look at what the processes share."""
    db = await Database.open(postgres_url)
    try:
        yield db
    finally:
        await db.close()


@pytest.fixture
def scene(fake: FakeDiscord) -> Scene:
    """The standard scene: guild, #general, Community/#lounge, role Member, alice, bob."""
    return standard_scene(fake)
