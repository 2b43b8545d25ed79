"""Where discord.py connects: the one place that points it at another Discord-compatible server.

discord.py sends REST to the class attribute ``discord.http.Route.BASE`` and
opens the gateway at ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` (a
``yarl.URL`` since 2.2; both undocumented but stable since 2.0). For an
``api_url`` other than Discord's own, both are set here, the gateway address
being asked from the server (``GET {api_url}/gateway``) as Discord clients do,
and :meth:`Endpoint.restore` puts the previous values back.
"""

from __future__ import annotations

import logging

import aiohttp
import discord.gateway
import discord.http
import yarl

from hearth.errors import StartupError

log = logging.getLogger(__name__)

DISCORD_API = "https://discord.com/api/v10"


class Endpoint:
    """discord.py pointed at ``api_url`` until :meth:`restore`."""

    def __init__(self, api_url: str) -> None:
        self.api_url = api_url.rstrip("/")
        self._saved: tuple[str, yarl.URL] | None = None

    @property
    def is_discord(self) -> bool:
        return self.api_url == DISCORD_API

    async def apply(self, token: str) -> None:
        """Point discord.py at ``api_url`` (nothing to do for Discord itself)."""
        if self.is_discord or self._saved is not None:
            return
        gateway = await self._ask_gateway(token)
        self._saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
        discord.http.Route.BASE = self.api_url
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway
        log.info("using the Discord-compatible server at %s (gateway %s)", self.api_url, gateway)

    def restore(self) -> None:
        if self._saved is not None:
            discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = self._saved
            self._saved = None

    async def _ask_gateway(self, token: str) -> yarl.URL:
        url = f"{self.api_url}/gateway"
        headers = {"Authorization": f"Bot {token}"}  # Discord does not need it; some servers do
        try:
            timeout = aiohttp.ClientTimeout(total=15)
            async with aiohttp.ClientSession(timeout=timeout) as session, \
                    session.get(url, headers=headers) as resp:
                if resp.status == 401:
                    raise StartupError(f"{self.api_url} refused the bot token (accounts.discord.token)")
                if resp.status != 200:
                    raise StartupError(f"GET {url} answered HTTP {resp.status}; is api_url right?")
                data = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise StartupError(f"cannot reach the Discord API at {self.api_url}: {exc}") from exc
        gateway = data.get("url") if isinstance(data, dict) else None
        if not isinstance(gateway, str) or not gateway:
            raise StartupError(f"GET {url} did not name a gateway url")
        return yarl.URL(gateway)
