"""Hearth's roles on Discord: a granted role is a Discord role, a role edited on the server
is read back (``on_role_changed``), and the roles the adapter remembered go to the core."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from discord_host import RecordingHost, binding, hearth_app, make_adapter, running

from fake_discord import FakeDiscord, Scene, standard_scene
from hearth import PluginConfig, PluginContext, Role, hookimpl
from hearth.models import Member


class Watch:
    """Records every role change."""

    def __init__(self) -> None:
        self.changes: list[tuple[str, Role, Role]] = []
        self.answers: list[str] = []

    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl
    async def on_role_changed(self, ctx: PluginContext, member: Member, old: Role, new: Role) -> None:
        self.changes.append((member.id, old, new))

    @hookimpl
    async def on_answer(self, ctx: PluginContext, member: Member, answer: Any) -> None:
        self.answers.append(answer.text)


def config_yaml(fake: FakeDiscord, scene: Scene) -> str:
    return f"""
accounts:
  discord:
    token: ${{HEARTH_TEST_DISCORD_TOKEN}}
    api_url: {fake.api_url}
communities:
  tea:
    timezone: UTC
    discord: {{guild: "{scene.guild.id}"}}
    channels:
      general: {{discord: "{scene.general.id}"}}
    plugins:
      watch: {{}}
"""


async def until(check: Callable[[], bool]) -> None:
    """Wait (at most 5 s) for the gateway's echo to be handled."""
    for _ in range(250):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the condition was not met within 5 s")


@pytest.mark.asyncio
async def test_a_granted_leader_is_a_discord_role_and_a_role_edited_there_is_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with FakeDiscord() as fake:
        scene = standard_scene(fake)
        monkeypatch.setenv("HEARTH_TEST_DISCORD_TOKEN", fake.token)
        watch = Watch()
        async with hearth_app(fake, config_yaml(fake, scene), tmp_path / "h.db",
                              plugins={"watch": watch}) as hearth:
            app, guild = hearth.app, scene.guild
            ctx = app.contexts["tea"]["watch"]
            alice = await ctx.get_member("discord", str(scene.alice.id))
            assert alice is not None and alice.role == Role.MEMBER

            # granted by Hearth: a Discord role, created once and kept by the core
            await ctx.grant_role(alice, Role.LEADER)
            await fake.wait_for_request("POST", f"/guilds/{guild.id}/roles")
            leader = guild.role_named("Hearth leader")
            await fake.wait_for_request(
                "PUT", f"/guilds/{guild.id}/members/{scene.alice.id}/roles/{leader.id}")
            assert leader.id in guild.member(scene.alice).roles
            assert await app.roles.network_roles("discord").get("tea") == {Role.LEADER: str(leader.id)}
            alice_id = str(scene.alice.id)
            await until(lambda: ctx.member(("discord", alice_id)).role == Role.LEADER)  # type: ignore[union-attr]
            assert watch.changes == [(alice_id, Role.MEMBER, Role.LEADER)]  # the echo is no change

            # an answer by DM carries no server roles: it is not read back as a demotion
            await ctx.ask(alice, "Tea or coffee?", key="drink")
            await fake.wait_for_request("POST", f"/channels/{fake.dm_channel(scene.alice).id}/messages")
            await fake.user_dms(scene.alice, "tea")
            await until(lambda: watch.answers == ["tea"])
            assert app.roles.granted("tea", ("discord", alice_id)) == Role.LEADER
            assert watch.changes == [(alice_id, Role.MEMBER, Role.LEADER)]

            # edited on the server by a person: read back, told to plugins
            bob = guild.member(scene.bob)
            bob.roles.append(leader.id)
            fake.events.member_update(bob)
            bob_id = str(scene.bob.id)
            await until(lambda: app.roles.granted("tea", ("discord", bob_id)) == Role.LEADER)
            await until(lambda: (bob_id, Role.MEMBER, Role.LEADER) in watch.changes)
            member = guild.member(scene.alice)
            member.roles.remove(leader.id)
            fake.events.member_update(member)
            await until(lambda: app.roles.granted("tea", ("discord", alice_id)) == Role.MEMBER)
            await until(lambda: (alice_id, Role.LEADER, Role.MEMBER) in watch.changes)
            await until(lambda: ctx.member(("discord", alice_id)).role == Role.MEMBER)  # type: ignore[union-attr]
            assert not fake.unknown_requests()


@pytest.mark.asyncio
async def test_the_roles_the_adapter_remembered_are_handed_to_the_core(
    fake: FakeDiscord, scene: Scene,
) -> None:
    """Before the overlay, the adapter kept the roles it created in its key/value store."""
    old = scene.guild.add_role("Our leaders", permissions=0)
    host = RecordingHost()
    host.kv.data[f"roles:{scene.guild.id}"] = json.dumps({"leader": str(old.id)})
    async with running(make_adapter(fake, binding(scene.guild.id)), host) as adapter:
        assert host.role_ids.data["tea"] == {Role.LEADER: str(old.id)}
        assert not host.kv.data[f"roles:{scene.guild.id}"]
        alice = await adapter.get_member("tea", str(scene.alice.id))
        assert alice is not None
        await adapter.grant_role("tea", alice, Role.LEADER)
        assert old.id in scene.guild.member(scene.alice).roles
        assert not fake.find_requests("POST", f"/guilds/{scene.guild.id}/roles")
    async with running(make_adapter(fake, binding(scene.guild.id)), host) as adapter:
        again = await adapter.get_member("tea", str(scene.alice.id))
        assert again is not None and again.role == Role.LEADER  # known after a restart
