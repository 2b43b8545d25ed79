"""Slash commands take their turn in the community's inbox, and are answered through their
interaction (real discord.py inside Hearth, against the wire-level fake Discord)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from discord_host import Running, hearth_app

from fake_discord import FakeDiscord, Scene, standard_scene
from hearth import Command, PluginConfig, hookimpl

SLOW = 0.6  # seconds the /slow command takes


class Slowpoke:
    """A plugin whose ``slow`` command takes its time."""

    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl
    def register_commands(self) -> list[Command]:
        async def slow(inv: Any) -> str:
            await asyncio.sleep(SLOW)
            return "slow answer"

        return [Command(name="slow", handler=slow, help="takes its time")]


def config(fake: FakeDiscord, scene: Scene) -> str:
    return f"""
command_flood: off   # these tests fire 30 commands from one member at once
accounts:
  discord: {{token: "${{HEARTH_TEST_DISCORD_TOKEN}}", api_url: "{fake.api_url}"}}
communities:
  tea:
    timezone: UTC
    discord: {{guild: "{scene.guild.id}"}}
    channels:
      general: {{discord: "{scene.general.id}"}}
    plugins:
      welcome:
        channel: general
        message: "Welcome {{mention}}!"
        accept: {{command: agree, within: 24h, on_timeout: nothing}}
        gate: {{invitation_codes: true, throttle: {{attempts: 5, within: 10m}}}}
      flash: {{creators: member, max_open: 2}}
      slowpoke: {{}}
"""


@dataclass
class Tea(Running):
    scene: Scene


@pytest_asyncio.fixture
async def tea(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Tea]:
    async with FakeDiscord() as fake:
        monkeypatch.setenv("HEARTH_TEST_DISCORD_TOKEN", fake.token)
        scene = standard_scene(fake)
        async with hearth_app(fake, config(fake, scene), tmp_path / "h.db",
                              {"slowpoke": Slowpoke()}) as running:
            yield Tea(running.fake, running.app, running.adapter, scene)


def replies_to(tea: Tea, message_id: int) -> list[str]:
    return [str(r.json["content"]) for r in tea.posts(tea.scene.general.id)
            if r.status == 200
            and str((r.json.get("message_reference") or {}).get("message_id")) == str(message_id)]


@pytest.mark.asyncio
async def test_concurrent_code_guesses_respect_the_throttle(tea: Tea) -> None:
    fake, scene = tea.fake, tea.scene
    carol = fake.add_user("carol")
    await fake.user_joins(scene.guild, carol)
    await tea.post_containing(scene.general.id, f"Welcome <@{carol.id}>")  # a newcomer now

    # 25 slash guesses and 5 text guesses, all at once.
    sent = await asyncio.gather(
        *(fake.invoke_slash(scene.guild, scene.general, carol, "code", {"code": f"WRONG{i}"})
          for i in range(25)),
        *(fake.user_says(scene.general, carol, f"!code WRONG{i}") for i in range(25, 30)))
    interactions, texts = sent[:25], sent[25:]
    answers = list(await asyncio.gather(*(tea.slash_answer(ix, timeout=10)
                                          for ix in interactions)))
    for text in texts:
        answers.extend(await until_replied(tea, text.id))
    wrong = [a for a in answers if "is not a valid invitation code" in a]
    throttled = [a for a in answers if "Too many wrong codes" in a]
    assert (len(wrong), len(throttled)) == (5, 25)


async def until_replied(tea: Tea, message_id: int, timeout: float = 15.0  # noqa: ASYNC109
                        ) -> list[str]:
    await tea.fake.wait_for_request(
        "POST", f"/channels/{tea.scene.general.id}/messages", timeout,
        predicate=lambda r: r.status == 200 and str(
            (r.json.get("message_reference") or {}).get("message_id")) == str(message_id))
    return replies_to(tea, message_id)


@pytest.mark.asyncio
async def test_concurrent_flash_opens_stop_at_max_open(tea: Tea) -> None:
    fake, scene = tea.fake, tea.scene
    interactions = await asyncio.gather(*(
        fake.invoke_slash(scene.guild, scene.general, (scene.alice, scene.bob)[i % 2], "flash",
                          {"title": f"Group {i}", "duration": "1h"})
        for i in range(6)))
    answers = await asyncio.gather(*(tea.slash_answer(ix, timeout=10) for ix in interactions))
    assert sum("Opened flash group" in a for a in answers) == 2
    created = fake.find_requests("POST", f"/guilds/{scene.guild.id}/channels")
    assert sum(r.json.get("type") == 0 for r in created) == 2  # text channels, not categories


@pytest.mark.asyncio
async def test_slow_command_is_deferred_at_once_and_answered_through_the_interaction(
        tea: Tea) -> None:
    fake, scene = tea.fake, tea.scene
    fake.state.interaction_ack_seconds = SLOW / 2  # Discord: 3 s; here less than the command
    text = await fake.user_says(scene.general, scene.bob, "!slow")  # the worker is busy first
    ix = await fake.invoke_slash(scene.guild, scene.general, scene.alice, "slow")
    assert (await fake.wait_for_interaction_response(ix))["type"] == 5  # "thinking…"
    callback = fake.find_requests("POST", f"/interactions/{ix.id}/{ix.token}/callback")
    assert [r.status for r in callback] == [200]  # acknowledged in time
    assert await tea.slash_answer(ix, timeout=10) == "slow answer"
    assert await until_replied(tea, text.id) == ["slow answer"]
    answered = fake.find_requests("PATCH", f"/webhooks/{{id}}/{ix.token}/messages/@original")
    assert answered[0].at > callback[0].at + 2 * SLOW - 0.1  # after the text command's turn
    assert len(tea.posts(scene.general.id)) == 1  # the slash answer is not a channel message


@pytest.mark.asyncio
async def test_answer_after_the_interaction_expired_goes_to_the_channel(tea: Tea) -> None:
    fake, scene = tea.fake, tea.scene
    fake.state.interaction_token_seconds = SLOW / 2  # Discord: 15 minutes
    tea.adapter.interaction_life = timedelta(seconds=SLOW / 2)
    tea.adapter.answer_margin = timedelta(0)
    ix = await fake.invoke_slash(scene.guild, scene.general, scene.alice, "slow")
    assert (await fake.wait_for_interaction_response(ix))["type"] == 5
    post = await tea.post_containing(scene.general.id, "slow answer", timeout=10)
    assert post.json["content"] == f"<@{scene.alice.id}> slow answer"
    assert not fake.find_requests("PATCH", f"/webhooks/{{id}}/{ix.token}/messages/@original")
