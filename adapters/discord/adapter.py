"""The Discord adapter (being built: see the issue tracker)."""

from __future__ import annotations

from hearth.errors import StartupError
from hearth.ports import Adapter, AdapterHost

from hearth.adapters.discord.schema import DiscordAccount, DiscordBinding


class DiscordAdapter(Adapter):
    """Hearth on Discord."""

    name = "discord"
    account_schema = DiscordAccount
    binding_schema = DiscordBinding

    async def start(self, host: AdapterHost) -> None:
        raise StartupError("the discord adapter is not available in this build yet")

    async def stop(self) -> None:
        return None
