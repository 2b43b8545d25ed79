"""Hearth's roles on Matrix (a real Synapse): applied as power levels, a level set by a
person read back (``on_role_changed``), and the adapter's old newcomer records kept."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from adapter_helpers import join_community, make_world
from synapse_harness import MatrixUserFactory, SpaceFactory, SynapseServer

from hearth import PluginConfig, PluginContext, Role, hookimpl
from hearth.adapters.matrix import ops
from hearth.adapters.matrix.adapter import MatrixAdapter
from hearth.app import App, bindings_for
from hearth.bootstrap import load
from hearth.models import Member
from hearth.storage import CORE_MIGRATIONS, Database, Store

TOKEN_ENV = "HEARTH_TEST_MATRIX_TOKEN"


class Watch:
    """Records every role change."""

    def __init__(self) -> None:
        self.changes: list[tuple[str, Role, Role]] = []

    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl
    async def on_role_changed(self, ctx: PluginContext, member: Member, old: Role, new: Role) -> None:
        self.changes.append((member.id, old, new))


async def until(check: Callable[[], Awaitable[bool]], within: float = 15.0) -> None:
    for _ in range(int(within / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not met within {within} s")


@pytest.mark.asyncio
async def test_roles_are_power_levels_and_a_level_set_by_a_person_is_read_back(
    synapse: SynapseServer, matrix_user: MatrixUserFactory, make_space: SpaceFactory,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = await make_world(synapse, matrix_user, make_space, children=("general",))
    alice, bob = await matrix_user("alice"), await matrix_user("bob")
    for user in (alice, bob):
        await join_community(user, world)
    rooms = (world.space.space_id, world.room("general"))
    monkeypatch.setenv(TOKEN_ENV, world.bot.access_token)

    # What the Matrix adapter recorded before the overlay: bob is a newcomer (at level 0).
    path = tmp_path / "hearth.db"
    db = await Database.open(f"sqlite:///{path}")
    await db.migrate(Store(db, "hearth"), CORE_MIGRATIONS)
    await db.execute("INSERT INTO hearth_kv (namespace, key, value) VALUES (?, ?, ?)",
                     ("adapter:matrix", "newcomers", json.dumps({"tea": [bob.user_id]})))
    await db.close()

    config = f"""
accounts:
  matrix:
    homeserver: {synapse.url}
    user_id: "{world.bot.user_id}"
    access_token: ${{{TOKEN_ENV}}}
communities:
  tea:
    timezone: UTC
    matrix: {{space: "{world.space.space_id}"}}
    channels:
      general: {{matrix: "{world.room('general')}"}}
    plugins:
      watch: {{}}
"""
    watch = Watch()
    loaded = load(config, text=True, strict_accounts=True, extra_plugins={"watch": watch})
    adapter = MatrixAdapter(account=loaded.config.accounts["matrix"],
                            communities=bindings_for(loaded.config, MatrixAdapter))
    app = App(loaded.config, loaded.plugins, [adapter], storage=f"sqlite:///{path}")
    await app.start()
    try:
        ctx = app.contexts["tea"]["watch"]
        bob_now = await ctx.get_member("matrix", bob.user_id)
        assert bob_now is not None and bob_now.role == Role.NEWCOMER  # kept from the old records
        network = await adapter.get_member("tea", bob.user_id)
        assert network is not None and network.role == Role.MEMBER

        # granted by Hearth: power level 50 in every room of the community
        alice_now = await ctx.get_member("matrix", alice.user_id)
        assert alice_now is not None
        await ctx.grant_role(alice_now, Role.LEADER)

        async def alice_leads() -> bool:
            levels = [await ops.get_power_levels(alice, room) for room in rooms]
            return all(pl.user_level(alice.user_id) == 50 for pl in levels)

        await until(alice_leads)
        assert watch.changes == [(alice.user_id, Role.MEMBER, Role.LEADER)]

        # set by a person (the owner, in Element): read back, told to plugins
        for room in rooms:
            await ops.set_power_level(world.owner, room, bob.user_id, 50)

        async def bob_leads() -> bool:
            return app.roles.granted("tea", ("matrix", bob.user_id)) == Role.LEADER

        await until(bob_leads)
        assert (bob.user_id, Role.NEWCOMER, Role.LEADER) in watch.changes
        for room in rooms:
            await ops.set_power_level(world.owner, room, alice.user_id, 0)

        async def alice_demoted() -> bool:
            return (alice.user_id, Role.LEADER, Role.MEMBER) in watch.changes

        await until(alice_demoted)
        assert app.roles.granted("tea", ("matrix", alice.user_id)) == Role.MEMBER
        record = ctx.member(("matrix", alice.user_id))
        assert record is not None and record.role == Role.MEMBER
        assert len(watch.changes) == 3  # Hearth's own power levels were not read back as changes
    finally:
        await app.stop()
