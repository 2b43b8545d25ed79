"""The questionnaire on Discord: buttons and a select menu (message components), typed numbers,
and clicks after a restart (real discord.py inside Hearth, against the fake Discord)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from discord_host import hearth_app

from fake_discord import FakeDiscord, Message, Scene, User, standard_scene
from hearth.adapters.discord.choices import components, picked
from hearth.models import Prompt
from tests.questionnaire import Questionnaire


def config(fake: FakeDiscord, scene: Scene) -> str:
    return f"""
accounts:
  discord: {{token: "{fake.token}", api_url: "{fake.api_url}"}}
communities:
  tea:
    discord: {{guild: "{scene.guild.id}"}}
    channels: {{general: {{discord: "{scene.general.id}"}}}}
    plugins: {{survey: {{}}}}
"""


async def question(fake: FakeDiscord, user: User, count: int) -> Message:
    """The bot's ``count``-th DM to ``user`` (waiting for it)."""
    channel = fake.dm_channel(user)
    for _ in range(500):
        sent = [m for m in fake.messages_in(channel) if m.author.id == fake.bot_user.id]
        if len(sent) >= count:
            return sent[count - 1]
        await asyncio.sleep(0.01)
    raise AssertionError(f"no DM #{count} to {user.username}")


async def answered(survey: Questionnaire, count: int) -> None:
    for _ in range(500):
        if len(survey.answers) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"only {len(survey.answers)} answers")


def component(message: Message) -> dict[str, Any]:
    [row] = message.components
    return dict(row)


@pytest.mark.asyncio
async def test_the_questionnaire_on_discord_with_buttons_a_menu_and_a_restart(tmp_path: Path) -> None:
    survey = Questionnaire()
    async with FakeDiscord() as fake:
        scene = standard_scene(fake)
        alice = scene.alice
        async with hearth_app(fake, config(fake, scene), tmp_path / "h.db",
                              {"survey": survey}):
            await fake.user_says(scene.general, alice, "!survey")
            first = await question(fake, alice, 1)
            assert first.content == "[tea] What do you do for a living?"
            assert first.components == []
            await fake.user_dms(alice, "I grow tea")
            second = await question(fake, alice, 2)
            assert second.content.startswith("[tea] Which tea do you drink most?\n1. Green")
            buttons = component(second)["components"]
            assert [(b["type"], b["label"]) for b in buttons] == [
                (2, "Green"), (2, "Black"), (2, "Oolong")]
            await answered(survey, 1)
        # Hearth stops with the second question open; its buttons still work after a restart.
        async with hearth_app(fake, config(fake, scene), tmp_path / "h.db",
                              {"survey": survey}):
            click = await fake.use_component(second, alice, buttons[1]["custom_id"])
            ack = await fake.wait_for_interaction_response(click)
            assert ack["type"] == 7  # the message is updated: no buttons, the choice shown
            assert fake.message(second.id).components == []
            assert fake.message(second.id).content.endswith("\n→ Black")
            third = await question(fake, alice, 3)
            [menu] = component(third)["components"]
            assert menu["type"] == 3 and menu["max_values"] == 4
            assert [o["label"] for o in menu["options"]] == ["Hiking", "Reading", "Cooking", "Music"]
            with pytest.raises(ValueError, match="not a valid choice"):
                await fake.use_component(third, alice, menu["custom_id"], ["5"])
            pick = await fake.use_component(third, alice, menu["custom_id"], ["1", "3"])
            assert (await fake.wait_for_interaction_response(pick))["type"] == 7
            await answered(survey, 3)
            assert fake.message(third.id).content.endswith("\n→ Hiking, Cooking")
            # An answered question's components are gone, as on Discord.
            with pytest.raises(ValueError, match="no usable component"):
                await fake.use_component(second, alice, buttons[0]["custom_id"])
        assert [(a[2], a[3].text, a[3].picked) for a in survey.answers] == [
            ("work", "I grow tea", ()), ("tea", "Black", (2,)),
            ("hobbies", "Hiking, Cooking", (1, 3))]
        assert survey.answers[1][1] == str(alice.id)
        assert not fake.unknown_requests()


@pytest.mark.asyncio
async def test_typed_numbers_answer_on_discord_and_a_malformed_one_is_reasked(tmp_path: Path) -> None:
    survey = Questionnaire()
    async with FakeDiscord() as fake:
        scene = standard_scene(fake)
        bob = scene.bob
        async with hearth_app(fake, config(fake, scene), tmp_path / "h.db", {"survey": survey}):
            await fake.user_says(scene.general, bob, "!survey")
            await question(fake, bob, 1)
            await fake.user_dms(bob, "I sell teapots")
            await question(fake, bob, 2)
            await fake.user_dms(bob, "7")
            reask = await question(fake, bob, 3)
            assert reask.content == "[tea] Answer with one number from 1 to 3."
            await fake.user_dms(bob, "3")
            await question(fake, bob, 4)
            await fake.user_dms(bob, "2 4")
            await answered(survey, 3)
        assert [a[3].text for a in survey.answers] == ["I sell teapots", "Oolong", "Reading, Music"]


def test_components_keep_to_discords_limits() -> None:
    long = "x" * 150
    [row] = components(Prompt(question=7, text="?", choices=(long, "b")))
    assert [b["label"] for b in row["components"]] == ["x" * 79 + "…", "b"]
    assert row["components"][0]["custom_id"] == "hearth:q:7:1"
    six = tuple(f"c{n}" for n in range(6))
    [row] = components(Prompt(question=7, text="?", choices=six))
    [menu] = row["components"]
    assert menu["type"] == 3 and menu["max_values"] == 1 and len(menu["options"]) == 6
    many = tuple(f"o{n}{long}" for n in range(25))
    [row] = components(Prompt(question=7, text="?", choices=many, multiple=True))
    assert {len(o["label"]) for o in row["components"][0]["options"]} == {100}
    assert components(Prompt(question=7, text="?", choices=(*many, "one more"))) == []
    assert components(Prompt(question=7, text="?")) == []


def test_a_pick_names_its_question_and_numbers() -> None:
    assert picked({"custom_id": "hearth:q:12:3"}) == (12, (3,))
    assert picked({"custom_id": "hearth:q:12", "values": ["1", "4"]}) == (12, (1, 4))
    assert picked({"custom_id": "other:1"}) is None
    assert picked({"custom_id": "hearth:q:x:1"}) is None
    assert picked({"custom_id": "hearth:q:12", "values": []}) is None
