"""Shared test configuration: the storage backends (SQLite, and a real PostgreSQL).

``storage_url`` runs a test once on each backend. Every plugin scenario (a test
in ``tests/plugins`` using ``hearth_bot``) runs on both too: there the
``hearth_storage`` fixture, which ``hearth_bot`` uses, is parametrized.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import postgres
import pytest
import pytest_asyncio
from browser import browser  # noqa: F401 - the headless Chromium fixture, for every page test

BACKENDS = ["sqlite", "postgresql"]
PLUGIN_TESTS = Path(__file__).resolve().parent / "plugins"


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


@asynccontextmanager
async def _fresh(request: pytest.FixtureRequest, backend: str) -> AsyncIterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{request.getfixturevalue('tmp_path') / 'hearth.db'}"
        return
    async with postgres.fresh_schema(request.getfixturevalue("postgres_server")) as url:
        yield url


@pytest_asyncio.fixture(params=BACKENDS)
async def storage_url(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A fresh database on each backend in turn: the test runs once on SQLite, once on PostgreSQL."""
    async with _fresh(request, request.param) as url:
        yield url


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "hearth_storage" in metafunc.fixturenames and PLUGIN_TESTS in metafunc.definition.path.parents:
        metafunc.parametrize("hearth_storage", BACKENDS, indirect=True)


@pytest_asyncio.fixture
async def hearth_storage(request: pytest.FixtureRequest) -> AsyncIterator[str | None]:
    """``hearth_bot``'s database: None (a fresh SQLite file per bot) unless parametrized."""
    backend = getattr(request, "param", None)
    if backend is None:
        yield None
        return
    async with _fresh(request, backend) as url:
        yield url
