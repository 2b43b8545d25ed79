"""pytest plugin (entry point ``pytest11``): the ``hearth_bot`` fixture.

``hearth_bot(config, **options)`` starts a :class:`~hearth.adapters.testing.TestBot`
(config is a path or YAML text) and closes it after the test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - pytest-asyncio is a test extra
    pytest_asyncio = None  # type: ignore[assignment]

if pytest_asyncio is not None:
    from hearth.adapters.testing.harness import TestBot

    @pytest_asyncio.fixture
    async def hearth_bot() -> AsyncIterator[Callable[..., Awaitable[TestBot]]]:
        """Factory: ``bot = await hearth_bot(CONFIG, start=..., members=[...])``."""
        bots: list[TestBot] = []

        async def make(config: Any, **options: Any) -> TestBot:
            bot = await TestBot.create(config, **options)
            bots.append(bot)
            return bot

        yield make
        for bot in bots:
            await bot.close()
