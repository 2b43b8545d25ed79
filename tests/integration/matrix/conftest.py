"""Fixtures: ONE real Synapse per pytest session, fresh users and rooms per test.

- ``synapse``: session-scoped :class:`SynapseServer` (data dir on /dev/shm when present,
  or ``$SYNAPSE_TEST_DIR``); skipped only when matrix-synapse is not importable.
- ``matrix_user``: async factory ``await matrix_user("bot", admin=True)`` returning a
  logged-in ``nio.AsyncClient`` for a brand-new user (closed after the test).
- ``make_space``: async factory ``await make_space(admin_client, children=("a", "b"))``.

pytest-asyncio runs in strict mode; async fixtures and tests use the function loop scope
(the session fixture is synchronous, so no loop is shared across tests).
"""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from nio import AsyncClient, AsyncClientConfig
from synapse_harness import (
    PASSWORD,
    MatrixUserFactory,
    Space,
    SpaceFactory,
    SynapseServer,
    create_space_with_rooms,
    make_data_dir,
    register_user,
)


@pytest.fixture(scope="session")
def synapse() -> Iterator[SynapseServer]:
    """One Synapse for the whole session; its data dir is removed afterwards."""
    if importlib.util.find_spec("synapse") is None:
        pytest.skip("matrix-synapse is not installed (pip install matrix-synapse)")
    base = os.environ.get("SYNAPSE_TEST_DIR")
    data_dir = Path(base) if base else make_data_dir()
    hs = SynapseServer(data_dir)
    hs.start()
    try:
        yield hs
    finally:
        hs.stop()
        if not base and not os.environ.get("HEARTH_KEEP_SYNAPSE_DIR"):
            shutil.rmtree(data_dir, ignore_errors=True)


_ids = itertools.count()
_run = uuid.uuid4().hex[:6]  # unique names even when SYNAPSE_TEST_DIR is reused


@pytest_asyncio.fixture(loop_scope="function")
async def matrix_user(synapse: SynapseServer) -> AsyncIterator[MatrixUserFactory]:
    """``await matrix_user(name="user", admin=False)`` -> logged-in AsyncClient.

    Each call registers a new user ``<name><n>_<run>`` (password ``pw``); nio is
    configured to return 429s and timeouts instead of silently retrying.
    """
    clients: list[AsyncClient] = []

    async def make(name: str = "user", admin: bool = False) -> AsyncClient:
        localpart = f"{name}{next(_ids)}_{_run}"
        reg = await asyncio.to_thread(register_user, synapse.url, synapse.secret, localpart, PASSWORD, admin)
        client = AsyncClient(
            synapse.url,
            reg["user_id"],
            config=AsyncClientConfig(max_limit_exceeded=0, max_timeouts=0),
        )
        client.restore_login(reg["user_id"], reg["device_id"], reg["access_token"])
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


@pytest_asyncio.fixture(loop_scope="function")
async def make_space(synapse: SynapseServer) -> SpaceFactory:
    """``await make_space(admin, name="Community", children=("general", "random"))``."""

    async def make(
        admin: AsyncClient,
        name: str = "Community",
        children: tuple[str, ...] = ("general", "random"),
        public: bool = True,
    ) -> Space:
        return await create_space_with_rooms(
            admin, name, children, server_name=synapse.server_name, public=public
        )

    return make
