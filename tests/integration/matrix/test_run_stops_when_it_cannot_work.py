"""`hearth run` on a real Synapse: a bot that cannot work exits non-zero with one line."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from adapter_helpers import join_community, make_world, send
from synapse_harness import MatrixUserFactory, SpaceFactory, SynapseServer
from test_hearth_matrix import TOKEN_ENV, config_yaml

from hearth.adapters.matrix import ops


@pytest.mark.asyncio
async def test_a_database_deleted_while_running_stops_hearth_run_with_exit_1(
    synapse: SynapseServer, matrix_user: MatrixUserFactory, make_space: SpaceFactory, tmp_path: Path
) -> None:
    world = await make_world(synapse, matrix_user, make_space, children=("general", "ads"))
    alice = await matrix_user("alice")
    await join_community(alice, world)
    db = tmp_path / "h.db"
    config = tmp_path / "community.yaml"
    config.write_text(config_yaml(world).replace("command_prefix", f"storage: sqlite:///{db}\n"
                                                                   "command_prefix"))
    env = {**os.environ, TOKEN_ENV: world.bot.access_token}
    proc = subprocess.Popen(  # noqa: ASYNC220 (a long-running child, waited on below)
        [sys.executable, "-m", "hearth.cli", "run", str(config)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    try:
        general = world.room("general")
        for _ in range(300):  # wait until the bot is in the room
            if await ops._membership(alice, general, world.bot.user_id) == "join":
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)  # and syncing
        assert proc.poll() is None
        db.unlink()
        await send(alice, general, "hello")  # the bot's next write notices
        _, err = await asyncio.to_thread(proc.communicate, timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1
    assert err.decode().strip().splitlines()[-1].startswith(
        f"hearth: error: the database {db} was deleted while Hearth was running")
    assert "Traceback" not in err.decode(), err.decode()
