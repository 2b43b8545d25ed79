"""The breakout questionnaire on Matrix: numbered questions in the bot's DM room, typed answers,
a re-ask, and a restart mid-questionnaire (the App and the Matrix adapter against a real Synapse)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from adapter_helpers import World, body_has, join_community, make_world, send, wait_message
from synapse_harness import MatrixUserFactory, SpaceFactory, SynapseServer

from hearth.adapters.matrix import ops
from hearth.adapters.matrix.adapter import MatrixAdapter
from hearth.app import App, bindings_for
from hearth.bootstrap import load

TOKEN_ENV = "HEARTH_TEST_MATRIX_BREAKOUT_TOKEN"


def config_yaml(world: World) -> str:
    return f"""
accounts:
  matrix:
    homeserver: {world.synapse.url}
    user_id: "{world.bot.user_id}"
    access_token: ${{{TOKEN_ENV}}}
communities:
  tea:
    matrix: {{space: "{world.space.space_id}"}}
    channels:
      general: {{matrix: "{world.space.rooms['general']}"}}
    plugins:
      breakout:
        questions:
          - {{key: career, ask: "What do you do?", choices: [engineering, design, other]}}
          - {{key: interests, ask: "Pick what you enjoy", choices: [tea, hiking, books], multiple: true}}
"""


async def start_app(world: World, db: str) -> App:
    loaded = load(config_yaml(world), text=True, strict_accounts=True)
    adapter = MatrixAdapter(account=loaded.config.accounts["matrix"],
                            communities=bindings_for(loaded.config, MatrixAdapter))
    app = App(loaded.config, loaded.plugins, [adapter], storage=db)
    await app.start()
    return app


@pytest.mark.asyncio
async def test_the_breakout_questionnaire_on_matrix_across_a_restart(
        synapse: SynapseServer, matrix_user: MatrixUserFactory, make_space: SpaceFactory,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    world = await make_world(synapse, matrix_user, make_space, children=("general",))
    alice = await matrix_user("alice")
    await join_community(alice, world)
    monkeypatch.setenv(TOKEN_ENV, world.bot.access_token)
    db = f"sqlite:///{tmp_path}/hearth.db"
    bot = world.bot.user_id
    app = await start_app(world, db)
    try:
        await send(alice, world.room("general"), "!breakout")
        dm = None
        for _ in range(300):
            rooms = (await ops.get_direct_rooms(world.bot)).get(alice.user_id)
            if rooms:
                dm = rooms[-1]
                break
            await asyncio.sleep(0.05)
        assert dm is not None, "the bot opened no DM room"
        await ops.join(alice, dm)
        first = await wait_message(alice, dm, body_has("[tea] What do you do?", bot))
        assert first["content"]["body"].endswith(
            "1. engineering\n2. design\n3. other\nAnswer with one number from 1 to 3.")
        await app.stop()  # mid-questionnaire: the first question is open
        app = await start_app(world, db)
        await send(alice, dm, "designer")
        await wait_message(alice, dm, body_has("[tea] Answer with one number from 1 to 3.", bot))
        await send(alice, dm, "2")
        await wait_message(alice, dm, body_has("[tea] Pick what you enjoy", bot))
        await send(alice, dm, "1 3")
        await wait_message(alice, dm, body_has("Thank you! You take part in the next breakout round.", bot))
    finally:
        await app.stop()
