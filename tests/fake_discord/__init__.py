"""A wire-level fake Discord (REST v10 + Gateway v10) for integration tests.

Typical use with discord.py::

    async with FakeDiscord() as fake:
        restore = point_discord_py_at(fake.api_url, fake.gateway_url)
        guild = fake.add_guild("Test Guild")
        ...
        await client.start(fake.token)

``discordpy`` (which imports discord.py) is imported lazily so the fake itself
only needs aiohttp.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .gateway import CloseCode, GatewayFrame, Intents, Op
from .latency import LatencyStats, measure_reply_latency, percentile
from .rest import FaultRule, Recorded
from .scenes import Scene, standard_scene
from .server import FakeDiscord, TimedOut
from .state import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    OVERWRITE_MEMBER,
    OVERWRITE_ROLE,
    AppCommand,
    Channel,
    Guild,
    InteractionRecord,
    Member,
    Message,
    Overwrite,
    Role,
    User,
)

if TYPE_CHECKING:
    from .discordpy import client_kwargs, make_fast, point_discord_py_at, run_client

__all__ = [
    "ADMINISTRATOR",
    "ALL_PERMISSIONS",
    "OVERWRITE_MEMBER",
    "OVERWRITE_ROLE",
    "AppCommand",
    "Channel",
    "CloseCode",
    "FakeDiscord",
    "FaultRule",
    "GatewayFrame",
    "Guild",
    "Intents",
    "InteractionRecord",
    "LatencyStats",
    "Member",
    "Message",
    "Op",
    "Overwrite",
    "Recorded",
    "Role",
    "Scene",
    "TimedOut",
    "User",
    "client_kwargs",
    "make_fast",
    "measure_reply_latency",
    "percentile",
    "point_discord_py_at",
    "run_client",
    "standard_scene",
]


def __getattr__(name: str) -> Any:
    if name in ("make_fast", "point_discord_py_at", "run_client", "client_kwargs"):
        from . import discordpy

        return getattr(discordpy, name)
    raise AttributeError(name)
