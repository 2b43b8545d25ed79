"""One community on Discord (the fake Discord, real discord.py) and Matrix (the real Synapse):
a person linked across both has one leader role, shown on both networks and read back from
either."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from adapter_helpers import World, body_has, join_community, make_world, send, wait_message
from synapse_harness import MatrixUserFactory, SpaceFactory, SynapseServer

from fake_discord import FakeDiscord, Scene, standard_scene
from hearth.adapters.discord.adapter import DiscordAdapter
from hearth.adapters.matrix import ops
from hearth.adapters.matrix.adapter import MatrixAdapter
from hearth.app import App, bindings_for
from hearth.bootstrap import load
from hearth.models import Role


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
"""


async def until(check: Callable[[], Awaitable[bool]], within: float = 15.0) -> None:
    for _ in range(int(within / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not met within {within} s")


@pytest.mark.asyncio
async def test_a_person_linked_across_discord_and_matrix_has_one_leader_role(
        synapse: SynapseServer, matrix_user: MatrixUserFactory, make_space: SpaceFactory,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    world = await make_world(synapse, matrix_user, make_space, children=("general",))
    ann = await matrix_user("ann")
    await join_community(ann, world)
    rooms = (world.space.space_id, world.room("general"))
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
            alice, guild = scene.alice, scene.guild
            await fake.user_says(scene.general, alice, "!link")
            dm = await fake.wait_for_request(
                "POST", f"/channels/{fake.dm_channel(alice).id}/messages",
                predicate=lambda r: "link code" in str((r.json or {}).get("content")))
            found = re.search(r"link ([A-Z0-9]{4}-[A-Z0-9]{4})", dm.json["content"])
            assert found, dm.json["content"]
            await send(ann, world.room("general"), f"!link {found.group(1)}")
            await wait_message(ann, world.room("general"),
                               body_has("are now one person", world.bot.user_id))

            # a leader granted to the Discord account: a Discord role and Matrix power level 50
            ctx = app.contexts["tea"]["hearth"]
            on_discord = await ctx.get_member("discord", str(alice.id))
            assert on_discord is not None
            await ctx.grant_role(on_discord, Role.LEADER)
            await fake.wait_for_request("POST", f"/guilds/{guild.id}/roles", timeout=15)
            leader = guild.role_named("Hearth leader")

            async def leads_on_matrix() -> bool:
                levels = [await ops.get_power_levels(ann, room) for room in rooms]
                return all(pl.user_level(ann.user_id) == 50 for pl in levels)

            await until(leads_on_matrix)
            assert leader.id in guild.member(alice).roles
            on_matrix = await ctx.get_member("matrix", ann.user_id)
            assert on_matrix is not None and on_matrix.role == Role.LEADER

            # lowered in Element by the owner: the person is a member again, on Discord too
            mark = fake.request_mark()
            for room in rooms:
                await ops.set_power_level(world.owner, room, ann.user_id, 0)
            await fake.wait_for_request(
                "DELETE", f"/guilds/{guild.id}/members/{alice.id}/roles/{leader.id}",
                timeout=15, since=mark)
            assert leader.id not in guild.member(alice).roles
            assert app.roles.granted("tea", ("discord", str(alice.id))) == Role.MEMBER
        finally:
            await app.stop()
