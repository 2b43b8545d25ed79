"""pytest plugin (entry point ``pytest11``): the ``hearth_bot`` fixture.

``hearth_bot(config, **options)`` starts a :class:`~hearth.adapters.testing.TestBot`
(config is a path or YAML text) and closes it after the test. Its bots use a
fresh SQLite file each, or the storage URL the ``hearth_storage`` fixture
gives: override that fixture in a conftest to run scenarios on PostgreSQL.

A plugin that raises fails the test, with its traceback, unless the test
expects it: around the steps with ``with bot.expect_plugin_errors(): …``, or
for the whole test with ``@pytest.mark.hearth_plugin_errors``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - pytest-asyncio is a test extra
    pytest_asyncio = None  # type: ignore[assignment]

MARKER = "hearth_plugin_errors"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}: plugins may raise during this test without failing it"
    )


if pytest_asyncio is not None:
    from hearth.adapters.testing.harness import TestBot

    @pytest.fixture
    def hearth_storage() -> str | None:
        """The storage URL of ``hearth_bot``'s bots; None: a fresh SQLite file for each."""
        return None

    @pytest_asyncio.fixture
    async def hearth_bot(
        request: pytest.FixtureRequest, hearth_storage: str | None,
    ) -> AsyncIterator[Callable[..., Awaitable[TestBot]]]:
        """Factory: ``bot = await hearth_bot(CONFIG, start=..., members=[...])``."""
        bots: list[TestBot] = []
        strict = request.node.get_closest_marker(MARKER) is None

        async def make(config: Any, **options: Any) -> TestBot:
            options.setdefault("strict", strict)
            if hearth_storage is not None:
                options.setdefault("storage", hearth_storage)
            bot = await TestBot.create(config, **options)
            bots.append(bot)
            return bot

        yield make
        for bot in bots:
            await bot.close()
        for bot in bots:
            bot.check_plugin_errors()  # raised while stopping (on_shutdown)
