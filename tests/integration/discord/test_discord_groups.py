"""Group channels on Discord's limits: 50 per category, 500 per guild, and the binding's cap.

Real discord.py against the fake Discord, which refuses past the limits as Discord does.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from discord_host import RecordingHost, binding, make_adapter, running

from fake_discord import FakeDiscord, Scene, standard_scene
from hearth.adapters.discord.adapter import DiscordAdapter
from hearth.errors import LimitReached
from hearth.models import Channel, Member, Role

VIEW = 1 << 10


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server


@pytest.fixture
def scene(fake: FakeDiscord) -> Scene:
    return standard_scene(fake)


def member(user_id: int) -> Member:
    return Member(platform="discord", id=str(user_id), name="x", role=Role.MEMBER)


async def seen(adapter: DiscordAdapter, count: int) -> None:
    """Wait until discord.py's cache shows the guild with ``count`` channels (gateway events)."""
    guild = adapter._started().session.guild("tea")
    for _ in range(200):
        if len(guild.channels) == count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the guild shows {len(guild.channels)} channels, not {count}")


@pytest.mark.asyncio
async def test_a_full_category_spills_over_into_the_next(fake: FakeDiscord, scene: Scene) -> None:
    guild = scene.guild
    async with running(make_adapter(fake, binding(guild.id)), RecordingHost()) as adapter:
        groups = [await adapter.create_group("tea", f"g{n}", [member(scene.alice.id)], topic="t")
                  for n in range(51)]
        first, second = guild.channel_named("Hearth groups"), guild.channel_named("Hearth groups 2")
        inside = [c for c in guild.channels.values() if c.parent_id == first.id]
        assert len(inside) == 50
        assert guild.channels[int(groups[50].id)].parent_id == second.id
        # A place freed in the first category is used again before the second.
        await adapter.dissolve_group("tea", groups[3], "delete")
        await seen(adapter, len(guild.channels))
        again = await adapter.create_group("tea", "again", [member(scene.alice.id)], topic="t")
        assert guild.channels[int(again.id)].parent_id == first.id
        # Removing a member takes their overwrite away; a second removal is no error.
        bob = member(scene.bob.id)
        await adapter.invite("tea", again, bob)
        assert guild.channels[int(again.id)].overwrites[scene.bob.id].allow & VIEW
        await adapter.remove_from_group("tea", again, bob)
        assert scene.bob.id not in guild.channels[int(again.id)].overwrites
        await adapter.remove_from_group("tea", again, bob)


@pytest.mark.asyncio
async def test_the_guild_limit_refuses_cleanly(fake: FakeDiscord, scene: Scene) -> None:
    guild = scene.guild
    filler = guild.add_category("Filler")
    while len(guild.channels) < 498:  # the guild is nearly full before the bot connects
        guild.add_text_channel(f"c{len(guild.channels)}",
                               category=filler if len(guild.channels) % 2 else None)
    async with running(make_adapter(fake, binding(guild.id)), RecordingHost()) as adapter:
        # 498 + the "Hearth groups" category + one group channel = 500
        await adapter.create_group("tea", "last", [member(scene.alice.id)], topic="t")
        await seen(adapter, 500)
        with pytest.raises(LimitReached, match="500 channels"):
            await adapter.create_group("tea", "one-more", [member(scene.alice.id)], topic="t")
        assert len(guild.channels) == 500
        assert not fake.find_requests("POST", f"/guilds/{guild.id}/channels")[2:]  # never asked


@pytest.mark.asyncio
async def test_the_configured_cap_on_group_channels(fake: FakeDiscord, scene: Scene) -> None:
    guild = scene.guild
    config = binding(guild.id, max_group_channels=2)
    async with running(make_adapter(fake, config), RecordingHost()) as adapter:
        one = await adapter.create_group("tea", "one", [member(scene.alice.id)], topic="t")
        await adapter.create_group("tea", "two", [member(scene.alice.id)], topic="t")
        with pytest.raises(LimitReached, match="max_group_channels: 2"):
            await adapter.create_group("tea", "three", [member(scene.alice.id)], topic="t")
        await adapter.dissolve_group("tea", one, "archive")  # archived: no longer open
        await adapter.create_group("tea", "three", [member(scene.alice.id)], topic="t")


@pytest.mark.asyncio
async def test_the_configured_category_is_used_and_spills_over_under_its_name(
        fake: FakeDiscord, scene: Scene) -> None:
    guild = scene.guild
    config = binding(guild.id, group_category=str(scene.category.id))  # "Community", with #lounge
    async with running(make_adapter(fake, config), RecordingHost()) as adapter:
        made = [await adapter.create_group("tea", f"g{n}", [member(scene.alice.id)], topic="t")
                for n in range(50)]
        assert {guild.channels[int(g.id)].parent_id for g in made[:49]} == {scene.category.id}
        spill = guild.channel_named("Community 2")
        assert guild.channels[int(made[49].id)].parent_id == spill.id
        assert not [c for c in guild.channels.values() if c.name == "Hearth groups"]


@pytest.mark.asyncio
async def test_a_group_as_a_private_thread_in_a_channel(fake: FakeDiscord, scene: Scene) -> None:
    """``within``: a private thread in the channel, beyond the channel limits; its members are
    added and taken out; archived it is locked, deleted it is gone; posts reach it."""
    guild = scene.guild
    async with running(make_adapter(fake, binding(guild.id)), RecordingHost()) as adapter:
        channels = len(guild.channels)
        general = Channel(platform="discord", id=str(scene.general.id), name="general")
        thread = await adapter.create_group("tea", "breakout-1-1", [member(scene.alice.id)],
                                            topic="t", within=general)
        made = guild.threads[int(thread.id)]
        assert (made.type, made.parent_id, made.name) == (12, scene.general.id, "breakout-1-1")
        assert made.thread_members == {fake.bot_user.id, scene.alice.id}
        assert len(guild.channels) == channels  # no channel, no category
        await adapter.invite("tea", thread, member(scene.bob.id))
        assert scene.bob.id in made.thread_members
        await adapter.remove_from_group("tea", thread, member(scene.bob.id))
        assert scene.bob.id not in made.thread_members
        await adapter.send("tea", thread, "welcome to your group")
        assert [m.content for m in fake.messages_in(made)] == ["welcome to your group"]
        await adapter.dissolve_group("tea", thread, "archive")
        assert made.archived and made.locked
        other = await adapter.create_group("tea", "breakout-1-2", [member(scene.bob.id)],
                                           topic="t", within=general)
        await adapter.dissolve_group("tea", other, "delete")
        assert int(other.id) not in guild.threads
        assert not fake.unknown_requests()


@pytest.mark.asyncio
async def test_a_mapped_channel_lets_members_in_and_out_like_a_group(fake: FakeDiscord, scene: Scene) -> None:
    """The leaders' council: a configured channel the bot manages the membership of."""
    council = scene.lounge
    communities = binding(scene.guild.id, channels={"council": str(council.id)})
    async with running(make_adapter(fake, communities), RecordingHost()) as adapter:
        channel = adapter.resolve_channel("tea", "council")
        assert channel is not None
        bob = member(scene.bob.id)
        await adapter.invite("tea", channel, bob)
        await adapter.invite("tea", channel, bob)  # already in: no error
        assert council.overwrites[scene.bob.id].allow & VIEW
        await adapter.remove_from_group("tea", channel, bob)
        assert scene.bob.id not in council.overwrites
        await adapter.remove_from_group("tea", channel, bob)
