"""The questionnaire on Matrix: numbered text questions in the bot's DM room, typed answers,
a re-ask, and a restart mid-way (the App and the Matrix adapter against a real Synapse)."""

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
from tests.questionnaire import Questionnaire

TOKEN_ENV = "HEARTH_TEST_MATRIX_DIALOG_TOKEN"


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
    plugins: {{survey: {{}}}}
"""


async def start_app(world: World, db: str, survey: Questionnaire) -> App:
    loaded = load(config_yaml(world), text=True, strict_accounts=True,
                  extra_plugins={"survey": survey})
    adapter = MatrixAdapter(account=loaded.config.accounts["matrix"],
                            communities=bindings_for(loaded.config, MatrixAdapter))
    app = App(loaded.config, loaded.plugins, [adapter], storage=db)
    await app.start()
    return app


async def answers(survey: Questionnaire, count: int, within: float = 15.0) -> None:
    for _ in range(int(within / 0.05)):
        if len(survey.answers) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"only {len(survey.answers)} answers")


@pytest.mark.asyncio
async def test_the_questionnaire_on_matrix_as_numbered_text_across_a_restart(
        synapse: SynapseServer, matrix_user: MatrixUserFactory, make_space: SpaceFactory,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    world = await make_world(synapse, matrix_user, make_space, children=("general",))
    alice = await matrix_user("alice")
    await join_community(alice, world)
    monkeypatch.setenv(TOKEN_ENV, world.bot.access_token)
    db = f"sqlite:///{tmp_path}/hearth.db"
    survey = Questionnaire()
    bot = world.bot.user_id
    app = await start_app(world, db, survey)
    try:
        await send(alice, world.room("general"), "!survey")
        dm = None
        for _ in range(300):
            rooms = (await ops.get_direct_rooms(world.bot)).get(alice.user_id)
            if rooms:
                dm = rooms[-1]
                break
            await asyncio.sleep(0.05)
        assert dm is not None, "the bot opened no DM room"
        await ops.join(alice, dm)
        await wait_message(alice, dm, body_has("[tea] What do you do for a living?", bot))
        await send(alice, dm, "I grow tea")
        second = await wait_message(alice, dm, body_has("[tea] Which tea do you drink most?", bot))
        assert second["content"]["body"].endswith(
            "1. Green\n2. Black\n3. Oolong\nAnswer with one number from 1 to 3.")
        await answers(survey, 1)
        await app.stop()  # mid-way: the second question is open
        app = await start_app(world, db, survey)
        await send(alice, dm, "Earl Grey")
        await wait_message(alice, dm, body_has("[tea] Answer with one number from 1 to 3.", bot))
        await send(alice, dm, "2")
        await wait_message(alice, dm, body_has("[tea] What do you enjoy?", bot))
        await send(alice, dm, "1 3")
        await answers(survey, 3)
    finally:
        await app.stop()
    assert [(a[2], a[3].text, a[3].picked) for a in survey.answers] == [
        ("work", "I grow tea", ()), ("tea", "Black", (2,)), ("hobbies", "Hiking, Cooking", (1, 3))]
    assert {a[1] for a in survey.answers} == {alice.user_id}
