"""The breakout questionnaire on Discord: buttons for one choice, a select menu for several,
and a restart mid-questionnaire (real discord.py inside Hearth, against the fake Discord)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from discord_host import hearth_app

from fake_discord import FakeDiscord, Message, Scene, User, standard_scene


def config(fake: FakeDiscord, scene: Scene) -> str:
    return f"""
accounts:
  discord: {{token: "{fake.token}", api_url: "{fake.api_url}"}}
communities:
  tea:
    discord: {{guild: "{scene.guild.id}"}}
    channels: {{general: {{discord: "{scene.general.id}"}}}}
    plugins:
      breakout:
        questions:
          - {{key: career, ask: "What do you do?", choices: [engineering, design, other]}}
          - {{key: interests, ask: "Pick what you enjoy", choices: [tea, hiking, books], multiple: true}}
"""


async def dm(fake: FakeDiscord, user: User, count: int) -> Message:
    """The bot's ``count``-th DM to ``user`` (waiting for it)."""
    channel = fake.dm_channel(user)
    for _ in range(500):
        sent = [m for m in fake.messages_in(channel) if m.author.id == fake.bot_user.id]
        if len(sent) >= count:
            return sent[count - 1]
        await asyncio.sleep(0.01)
    raise AssertionError(f"no DM #{count} to {user.username}")


def row(message: Message) -> list[dict[str, Any]]:
    [components] = message.components
    return list(dict(components)["components"])


@pytest.mark.asyncio
async def test_the_breakout_questionnaire_on_discord_across_a_restart(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        scene = standard_scene(fake)
        alice = scene.alice
        async with hearth_app(fake, config(fake, scene), tmp_path / "h.db"):
            await fake.user_says(scene.general, alice, "!breakout")
            intro = await dm(fake, alice, 1)
            assert intro.content.startswith("Let's find people here")
            first = await dm(fake, alice, 2)
            assert first.content.startswith("[tea] What do you do?\n1. engineering")
            buttons = row(first)
            assert [(b["type"], b["label"]) for b in buttons] == [
                (2, "engineering"), (2, "design"), (2, "other")]
        # Hearth stops with the first question open; its buttons still answer after a restart.
        async with hearth_app(fake, config(fake, scene), tmp_path / "h.db"):
            click = await fake.use_component(first, alice, buttons[1]["custom_id"])
            assert (await fake.wait_for_interaction_response(click))["type"] == 7
            second = await dm(fake, alice, 3)
            [menu] = row(second)
            assert menu["type"] == 3 and menu["max_values"] == 3
            pick = await fake.use_component(second, alice, menu["custom_id"], ["1", "3"])
            assert (await fake.wait_for_interaction_response(pick))["type"] == 7
            thanks = await dm(fake, alice, 4)
            assert thanks.content == "Thank you! You take part in the next breakout round."
            assert fake.message(second.id).content.endswith("\n→ tea, books")
        assert not fake.unknown_requests()
