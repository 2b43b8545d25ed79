"""welcome's join waves on Matrix against a real Synapse: one events_default change per room
holds the whole wave (members above newcomers still talk), and ``!unhold`` restores it."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from adapter_helpers import World, body_has, join_community, make_world, send, wait_message
from synapse_harness import MatrixUserFactory, SpaceFactory, SynapseServer

from hearth.adapters.matrix import errors, ops
from hearth.adapters.matrix.adapter import MatrixAdapter
from hearth.app import App, bindings_for
from hearth.bootstrap import load
from hearth.models import Capability

TOKEN_ENV = "HEARTH_TEST_MATRIX_TOKEN"


def config_yaml(world: World) -> str:
    rooms = world.space.rooms
    return f"""
accounts:
  matrix:
    homeserver: {world.synapse.url}
    user_id: "{world.bot.user_id}"
    access_token: ${{{TOKEN_ENV}}}
    power_levels: {{member: 1}}
communities:
  tea:
    timezone: UTC
    matrix: {{space: "{world.space.space_id}"}}
    channels:
      general: {{matrix: "{rooms['general']}"}}
      mods: {{matrix: "{rooms['mods']}"}}
    plugins:
      welcome:
        channel: general
        accept: {{on_timeout: nothing}}
        raid: {{joins: 2, within: 1m, channel: mods}}
"""


async def events_default(world: World, room: str, wanted: int, within: float = 15.0) -> None:
    deadline = time.monotonic() + within
    while (await ops.get_power_levels(world.owner, room)).events_default != wanted:
        if time.monotonic() > deadline:
            raise AssertionError(f"events_default of {room} never became {wanted}")
        await asyncio.sleep(0.05)


@pytest.mark.asyncio
async def test_a_join_wave_is_held_by_events_default_and_lifted_by_unhold(
    synapse: SynapseServer, matrix_user: MatrixUserFactory, make_space: SpaceFactory,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = await make_world(synapse, matrix_user, make_space, children=("general", "mods"))
    monkeypatch.setenv(TOKEN_ENV, world.bot.access_token)
    loaded = load(config_yaml(world), text=True, strict_accounts=True)
    adapter = MatrixAdapter(account=loaded.config.accounts["matrix"],
                            communities=bindings_for(loaded.config, MatrixAdapter))
    assert adapter.can(Capability.HOLD_NEWCOMERS)  # members (1) stand above newcomers (0)
    app = App(loaded.config, loaded.plugins, [adapter], storage=f"sqlite:///{tmp_path}/h.db")
    await app.start()
    try:
        wave = [await matrix_user(f"new{n}") for n in range(3)]
        for user in wave:
            await join_community(user, world)
        general, mods = world.room("general"), world.room("mods")
        await wait_message(world.owner, mods, body_has("Join wave: 3 people joined within 1m"))
        for room in (general, mods):
            await events_default(world, room, 1)
        with pytest.raises(errors.MatrixForbidden):
            await ops.send_text(wave[0], general, "cheap followers")
        await send(world.owner, mods, "!unhold")
        await wait_message(world.owner, mods, body_has("Hold lifted"))
        for room in (general, mods):
            await events_default(world, room, 0)
        await ops.send_text(wave[0], general, "hello everyone")
    finally:
        await app.stop()
