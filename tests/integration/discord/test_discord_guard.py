"""guard on Discord: the "Report to moderators" context menu, reports by reply, uphold and
unban (the real discord.py inside Hearth, against the wire-level fake Discord)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from discord_host import Running, hearth_app

from fake_discord import FakeDiscord, Scene, standard_scene

EPHEMERAL = 1 << 6


def config_yaml(fake: FakeDiscord, scene: Scene) -> str:
    return f"""
accounts:
  discord: {{token: "${{HEARTH_TEST_DISCORD_TOKEN}}", api_url: "{fake.api_url}"}}
communities:
  tea:
    timezone: UTC
    discord: {{guild: "{scene.guild.id}"}}
    channels:
      general: {{discord: "{scene.general.id}"}}
      mods: {{discord: "{scene.lounge.id}"}}
    plugins:
      guard:
        reports: {{channel: mods, reward: thanks}}
        audit_channel: mods
"""


@dataclass
class Guarded(Running):
    scene: Scene


@pytest_asyncio.fixture
async def guarded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Guarded]:
    async with FakeDiscord() as fake:
        scene = standard_scene(fake)
        monkeypatch.setenv("HEARTH_TEST_DISCORD_TOKEN", fake.token)
        async with hearth_app(fake, config_yaml(fake, scene), tmp_path / "h.db") as running:
            yield Guarded(running.fake, running.app, running.adapter, scene)


@pytest.mark.asyncio
async def test_report_to_moderators_from_the_message_context_menu(guarded: Guarded) -> None:
    fake, scene = guarded.fake, guarded.scene
    put = fake.find_requests(
        "PUT", f"/applications/{fake.application_id}/guilds/{scene.guild.id}/commands")
    assert {"type": 3, "name": "Report to moderators", "dm_permission": False} in put[-1].json
    rude = await fake.user_says(scene.general, scene.bob, "you are all fools")
    ix = await fake.use_message_command(rude, scene.alice, "Report to moderators")
    callback = await fake.wait_for_interaction_response(ix)
    assert callback["type"] == 5 and callback["data"]["flags"] & EPHEMERAL  # only alice sees it
    assert (await guarded.slash_answer(ix)).startswith("Thank you: your report 1 of bob's message")
    filed = await guarded.post_containing(scene.lounge.id, "Report 1:")
    assert "`you are all fools`" in filed.json["content"]
    assert f"Reported by alice (`{scene.alice.id}`)" in filed.json["content"]
    assert not fake.find_requests("DELETE", f"/channels/{scene.general.id}/messages/{ix.id}")


@pytest.mark.asyncio
async def test_report_by_reply_is_removed_and_an_upheld_report_deletes_the_message(
    guarded: Guarded,
) -> None:
    fake, scene = guarded.fake, guarded.scene
    rude = await fake.user_says(scene.general, scene.bob, "you are all fools")
    report = await fake.user_says(scene.general, scene.alice, "!report rude", reply_to=rude)
    await fake.wait_for_request("DELETE", f"/channels/{scene.general.id}/messages/{report.id}")
    await guarded.post_containing(scene.lounge.id, "Report 1:")
    await fake.wait_for_request("POST", f"/channels/{fake.dm_channel(scene.alice).id}/messages")
    owner = fake.state.users[scene.guild.owner_id]
    await fake.user_says(scene.lounge, owner, "!uphold 1")
    await fake.wait_for_request("DELETE", f"/channels/{scene.general.id}/messages/{rude.id}")
    await guarded.post_containing(scene.general.id, f"Thanks to <@{scene.alice.id}>")


@pytest.mark.asyncio
async def test_ban_then_unban(guarded: Guarded) -> None:
    fake, scene = guarded.fake, guarded.scene
    owner = fake.state.users[scene.guild.owner_id]
    await fake.user_says(scene.general, owner, f"!ban <@{scene.bob.id}> spam")
    await fake.wait_for_request("PUT", f"/guilds/{scene.guild.id}/bans/{scene.bob.id}")
    await fake.user_says(scene.general, owner, f"!unban <@{scene.bob.id}>")
    await fake.wait_for_request("DELETE", f"/guilds/{scene.guild.id}/bans/{scene.bob.id}")
    assert scene.bob.id not in scene.guild.bans
