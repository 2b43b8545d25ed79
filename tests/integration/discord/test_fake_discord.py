"""The real discord.py client against the wire-level fake Discord."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
import pytest_asyncio
from discord import app_commands
from fake_discord import (
    FakeDiscord,
    Scene,
    client_kwargs,
    make_fast,
    run_client,
)


class TestBot(discord.Client):
    """A plain discord.Client with a command tree; the tests drive it directly."""

    __test__ = False  # not a pytest test class

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**client_kwargs(**kwargs))
        make_fast(self)
        self.tree = app_commands.CommandTree(self)
        self.ready_count = 0

        @self.tree.command(name="echo", description="Echo some text")
        async def echo(interaction: discord.Interaction, text: str, who: discord.Member) -> None:
            await interaction.response.send_message(f"{who.display_name}: {text}")
            await interaction.followup.send("followup")

        @self.tree.command(name="later", description="Deferred answer")
        async def later(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.edit_original_response(content="done later")

    async def on_ready(self) -> None:
        self.ready_count += 1


@pytest_asyncio.fixture
async def bot(fake: FakeDiscord, scene: Scene) -> AsyncIterator[TestBot]:
    client = TestBot()
    async with run_client(client, fake.token):
        yield client


def is_from(user_id: int):  # type: ignore[no-untyped-def]
    return lambda m: m.author.id == user_id


@pytest.mark.asyncio
async def test_ready_with_guild(fake: FakeDiscord, scene: Scene, bot: TestBot) -> None:
    assert bot.user is not None and bot.user.id == fake.bot_user.id
    assert bot.application_id == fake.application_id
    guild = bot.get_guild(scene.guild.id)
    assert guild is not None and guild.name == "Hearth Test"
    assert guild.chunked and guild.member_count == 4  # bot, owner, alice, bob
    assert guild.default_role.id == guild.id
    assert {c.name for c in guild.channels} == {"general", "Community", "lounge"}
    assert guild.get_channel(scene.lounge.id).category.id == scene.category.id  # type: ignore[union-attr]
    assert guild.me.guild_permissions.administrator
    assert fake.find_requests("GET", "/users/@me")
    assert fake.find_requests("GET", "/oauth2/applications/@me")
    assert not fake.unknown_requests()
