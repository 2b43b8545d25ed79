"""Helpers to run the real discord.py client against the fake."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import discord
import discord.gateway
import discord.http
import yarl


def point_discord_py_at(api_url: str, gateway_url: str) -> Callable[[], None]:
    """Send discord.py's REST to ``api_url`` and its gateway to ``gateway_url``.

    Sets the class attributes ``discord.http.Route.BASE`` and
    ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` (undocumented, stable since
    2.0; ``DEFAULT_GATEWAY`` is a ``yarl.URL`` since 2.2). Affects clients created
    afterwards in this process. Returns a function restoring the previous values.
    """
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = api_url.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)

    def restore() -> None:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway

    return restore


async def _identify_now(shard_id: int | None, *, initial: bool = False) -> None:
    """Replacement for ``Client.before_identify_hook`` without its 5 s sleep."""


def make_fast(client: discord.Client) -> discord.Client:
    """Drop the 5 s wait before re-identifying (fine for a fake, not for Discord)."""
    client.before_identify_hook = _identify_now  # type: ignore[method-assign]
    return client


def client_kwargs(**overrides: Any) -> dict[str, Any]:
    """Client keyword arguments suited to tests: all intents, guild_ready_timeout=0.05."""
    kwargs: dict[str, Any] = {"intents": discord.Intents.all(), "guild_ready_timeout": 0.05}
    kwargs.update(overrides)
    return kwargs


@contextlib.asynccontextmanager
async def run_client(client: discord.Client, token: str, timeout: float = 5.0  # noqa: ASYNC109
                     ) -> AsyncIterator[asyncio.Task[None]]:
    """Run ``client.start(token)`` in a task until on_ready; close the client on exit.

    Raises whatever ``start`` raised if it failed before becoming ready (e.g.
    ``discord.LoginFailure``, ``discord.PrivilegedIntentsRequired``).
    """
    task = asyncio.create_task(client.start(token))
    ready = asyncio.create_task(client.wait_until_ready())
    done, _ = await asyncio.wait({task, ready}, timeout=timeout,
                                 return_when=asyncio.FIRST_COMPLETED)
    if ready not in done:
        ready.cancel()
        if task in done:
            await client.close()
            task.result()  # re-raises the failure of start()
            raise RuntimeError("discord client stopped before it was ready")
        await client.close()
        task.cancel()
        raise TimeoutError("discord client did not become ready")
    try:
        yield task
    finally:
        await client.close()
        with contextlib.suppress(asyncio.CancelledError, discord.DiscordException):
            await asyncio.wait_for(task, 5.0)
