"""welcome's join waves on Discord: each newcomer of the wave gets a timeout (the real
discord.py inside Hearth, against the wire-level fake Discord), and ``!unhold`` ends them."""

from __future__ import annotations

from pathlib import Path

import pytest
from discord_host import hearth_app

from fake_discord import FakeDiscord, TimedOut, standard_scene


def config_yaml(fake: FakeDiscord, guild: int, general: int, mods: int) -> str:
    return f"""
accounts:
  discord: {{token: "${{HEARTH_TEST_DISCORD_TOKEN}}", api_url: "{fake.api_url}"}}
communities:
  tea:
    timezone: UTC
    discord: {{guild: "{guild}"}}
    channels:
      general: {{discord: "{general}"}}
      mods: {{discord: "{mods}"}}
    plugins:
      welcome:
        channel: general
        raid: {{joins: 2, within: 1m, channel: mods}}
"""


@pytest.mark.asyncio
async def test_a_held_newcomer_cannot_post_until_unhold(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    async with FakeDiscord() as fake:
        scene = standard_scene(fake)
        guild = scene.guild
        monkeypatch.setenv("HEARTH_TEST_DISCORD_TOKEN", fake.token)
        text = config_yaml(fake, guild.id, scene.general.id, scene.lounge.id)
        async with hearth_app(fake, text, tmp_path / "h.db") as running:
            wave = [fake.add_user(f"new{n}") for n in range(3)]
            for user in wave:
                await fake.user_joins(guild, user)
            alert = await running.post_containing(scene.lounge.id, "Join wave: 3 people joined")
            assert "!unhold" in alert.json["content"]
            for user in wave:  # one timeout each, paced by the outbound flow
                timeout = await fake.wait_for_request(
                    "PATCH", f"/guilds/{guild.id}/members/{user.id}",
                    predicate=lambda r: bool((r.json or {}).get("communication_disabled_until")))
                assert timeout.status < 300
            with pytest.raises(TimedOut):
                await fake.user_says(scene.general, wave[1], "cheap followers here")
            owner = fake.state.users[guild.owner_id]
            mark = fake.request_mark()
            await fake.user_says(scene.lounge, owner, "!unhold")
            await running.post_containing(scene.lounge.id, "Hold lifted", since=mark)
            for user in wave:
                await fake.wait_for_request(
                    "PATCH", f"/guilds/{guild.id}/members/{user.id}", since=mark,
                    predicate=lambda r: "communication_disabled_until" in (r.json or {})
                    and (r.json or {})["communication_disabled_until"] is None)
            said = await fake.user_says(scene.general, wave[1], "hello everyone")
            assert said.content == "hello everyone"
