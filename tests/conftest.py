"""Shared test configuration: the storage backends (SQLite, and a real PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import postgres
import pytest
import pytest_asyncio

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """One PostgreSQL for the session (its URL); the test is skipped, with why, without one."""
    try:
        with postgres.server() as url:
            yield url
    except RuntimeError as exc:
        pytest.skip(f"no PostgreSQL to test on: {exc}")


@pytest_asyncio.fixture
async def postgres_url(postgres_server: str) -> AsyncIterator[str]:
    """A URL of a fresh, empty PostgreSQL database (a schema of its own) for one test."""
    async with postgres.fresh_schema(postgres_server) as url:
        yield url


@pytest_asyncio.fixture(params=BACKENDS)
async def storage_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh database on each backend in turn: the test runs once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hearth.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    async with postgres.fresh_schema(server) as url:
        yield url
