"""One community on Discord (the fake Discord, real discord.py) and Matrix (the real Synapse)
at once: ``!link`` joins a member's two accounts, and their strikes add up."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from adapter_helpers import World, body_has, join_community, make_world, send, wait_message
from synapse_harness import MatrixUserFactory, SpaceFactory, SynapseServer

from fake_discord import FakeDiscord, Scene, standard_scene
from hearth.adapters.discord.adapter import DiscordAdapter
from hearth.adapters.matrix.adapter import MatrixAdapter
from hearth.app import App, bindings_for
from hearth.bootstrap import load

AD = "Cheap followers at https://spam.example.com"


def config_yaml(fake: FakeDiscord, scene: Scene, world: World) -> str:
    return f"""
command_prefix: "!"
accounts:
  discord: {{token: "${{HEARTH_TEST_DISCORD_TOKEN}}", api_url: "{fake.api_url}"}}
  matrix:
    homeserver: {world.synapse.url}
    user_id: "{world.bot.user_id}"
    access_token: ${{HEARTH_TEST_MATRIX_TOKEN}}
communities:
  tea:
    timezone: UTC
    discord: {{guild: "{scene.guild.id}"}}
    matrix: {{space: "{world.space.space_id}"}}
    channels:
      general: {{discord: "{scene.general.id}", matrix: "{world.room('general')}"}}
    plugins:
      ad_window:
        windows: []
        escalation: [warn, {{mute: 1h}}]
"""


@pytest.mark.asyncio
async def test_a_person_linked_across_discord_and_matrix_has_one_strike_count(
        synapse: SynapseServer, matrix_user: MatrixUserFactory, make_space: SpaceFactory,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    world = await make_world(synapse, matrix_user, make_space, children=("general",))
    ann = await matrix_user("ann")
    await join_community(ann, world)
    monkeypatch.setenv("HEARTH_TEST_MATRIX_TOKEN", world.bot.access_token)
    async with FakeDiscord() as fake:
        scene = standard_scene(fake)
        monkeypatch.setenv("HEARTH_TEST_DISCORD_TOKEN", fake.token)
        loaded = load(config_yaml(fake, scene, world), text=True, strict_accounts=True)
        config = loaded.config
        discord = DiscordAdapter(account=config.accounts["discord"],
                                 communities=bindings_for(config, DiscordAdapter),
                                 client_options={"guild_ready_timeout": 0.05})
        matrix = MatrixAdapter(account=config.accounts["matrix"],
                               communities=bindings_for(config, MatrixAdapter))
        app = App(config, loaded.plugins, [discord, matrix], storage=f"sqlite:///{tmp_path}/h.db")
        await app.start()
        try:
            alice, general = scene.alice, world.room("general")
            # !link on Discord: the code comes by DM
            await fake.user_says(scene.general, alice, "!link")
            dm = await fake.wait_for_request(
                "POST", f"/channels/{fake.dm_channel(alice).id}/messages",
                predicate=lambda r: "link code" in str((r.json or {}).get("content")))
            found = re.search(r"link ([A-Z0-9]{4}-[A-Z0-9]{4})", dm.json["content"])
            assert found, dm.json["content"]
            # !link CODE on Matrix joins the two accounts
            await send(ann, general, f"!link {found.group(1)}")
            await wait_message(ann, general, body_has("are now one person", world.bot.user_id))
            ctx = app.contexts["tea"]["hearth"]
            person = await ctx.person(("matrix", ann.user_id))
            assert person.accounts == (("discord", str(alice.id)), ("matrix", ann.user_id))

            # strike 1 on Discord (a warning), strike 2 on Matrix: the second step, a mute
            await fake.user_says(scene.general, alice, AD)
            for _ in range(300):
                if await ctx.strikes.count(person) == 1:
                    break
                await asyncio.sleep(0.05)
            mark = fake.request_mark()
            await send(ann, general, AD)
            # the mute reaches both accounts: a Discord timeout for alice
            await fake.wait_for_request("PATCH", f"/guilds/{scene.guild.id}/members/{alice.id}",
                                        timeout=15, since=mark)
            assert await ctx.strikes.count(("discord", str(alice.id))) == 2
            assert {s.account[0] for s in await ctx.strikes.active(person)} == {"discord", "matrix"}
        finally:
            await app.stop()
