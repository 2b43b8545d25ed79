"""After downtime on Discord: what was missed is handled, and no position is saved ahead of
what was handled (real discord.py against the wire-level fake Discord)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from discord_host import RecordingHost, binding, hearth_app, make_adapter, running

from fake_discord import FakeDiscord, Op, Scene, User, make_fast, standard_scene
from hearth import PluginConfig, hookimpl
from hearth.events import MemberJoinedEvent, MemberLeftEvent, MessagePostedEvent
from hearth.models import Role

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class Seen:
    """A plugin recording what it was told, in order."""

    events: list[str] = []
    changed = asyncio.Condition()

    @classmethod
    async def note(cls, what: str) -> None:
        async with cls.changed:
            cls.events.append(what)
            cls.changed.notify_all()

    @classmethod
    async def until(cls, check: Callable[[list[str]], bool], timeout: float = 5.0  # noqa: ASYNC109
                    ) -> None:
        async with asyncio.timeout(timeout), cls.changed:
            await cls.changed.wait_for(lambda: check(cls.events))

    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl
    async def on_message(self, message: Any) -> None:
        await Seen.note(f"message {message.text}")

    @hookimpl
    async def on_member_join(self, member: Any) -> None:
        await Seen.note(f"join {member.name}")

    @hookimpl
    async def on_member_leave(self, member: Any) -> None:
        await Seen.note(f"leave {member.name}")


def config(fake: FakeDiscord, scene: Scene, mods: int, max_events: int = 10_000) -> str:
    other_day = DAYS[(dt.datetime.now(dt.UTC).weekday() + 2) % 7]  # the ad window is never now
    return f"""
catch_up: {{max_events: {max_events}}}
accounts:
  discord: {{token: "${{HEARTH_TEST_DISCORD_TOKEN}}", api_url: "{fake.api_url}"}}
communities:
  tea:
    timezone: UTC
    discord: {{guild: "{scene.guild.id}"}}
    channels:
      general: {{discord: "{scene.general.id}"}}
      ads: {{discord: "{scene.lounge.id}"}}
      mods: {{discord: "{mods}"}}
    plugins:
      welcome:
        channel: general
        message: "Welcome {{mention}}!"
        accept: {{command: agree, within: 24h, on_timeout: nothing}}
      ad_window:
        windows: [{{days: [{other_day}], from: "20:00", to: "21:00"}}]
        ad_channels: [ads]
        escalation: [warn]
      flash: {{creators: member}}
      seen: {{}}
"""


@pytest_asyncio.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        monkeypatch.setenv("HEARTH_TEST_DISCORD_TOKEN", server.token)
        yield server


@pytest.fixture
def scene(fake: FakeDiscord) -> Scene:
    Seen.events, Seen.changed = [], asyncio.Condition()
    return standard_scene(fake)


def joined(fake: FakeDiscord, scene: Scene, name: str) -> User:
    """A member who was in the guild before the bot first started."""
    user = fake.add_user(name)
    scene.guild.add_member(user)
    return user


@pytest.mark.asyncio
async def test_what_happened_while_down_is_handled_after_restart(
        fake: FakeDiscord, scene: Scene, tmp_path: Path) -> None:
    mods = scene.guild.add_text_channel("mods")
    erin = joined(fake, scene, "erin")
    yaml, db, plugins = config(fake, scene, mods.id), tmp_path / "h.db", {"seen": Seen()}
    async with hearth_app(fake, yaml, db, plugins):
        await fake.user_says(scene.general, scene.alice, "hello")
        await Seen.until(lambda seen: seen == ["message hello"])

    # While the bot is down (no gateway session: nothing is delivered).
    ad = await fake.user_says(scene.general, scene.alice, "Cheap followers at https://spam.example.com")
    carol = fake.add_user("carol")
    await fake.user_joins(scene.guild, carol)
    command = await fake.user_says(scene.general, carol, "!agree")
    await fake.user_says(scene.lounge, scene.bob, "chat in the ads channel")
    await fake.user_leaves(scene.guild, erin)
    await fake.user_says(mods, scene.bob, "in mods")

    mark = fake.request_mark()
    async with hearth_app(fake, yaml, db, plugins) as second:
        await fake.wait_for_request("DELETE", f"/channels/{scene.general.id}/messages/{ad.id}",
                                    since=mark)
        welcome = await second.post_containing(scene.general.id, f"<@{carol.id}>", since=mark)
        assert welcome.json["content"].startswith("Welcome")
        answer = await fake.wait_for_request(
            "POST", f"/channels/{scene.general.id}/messages", since=mark,
            predicate=lambda r: str((r.json.get("message_reference") or {}).get("message_id"))
            == str(command.id))
        assert "You are now a member" in answer.json["content"]
        await second.app.settle()
    # In the order it happened: the join before carol's command, the leave (time unknown) last.
    assert Seen.events[1:] == ["join carol", "message chat in the ads channel",
                               "message in mods", "leave erin"]
    history = fake.find_requests("GET", f"/channels/{scene.general.id}/messages", since=mark)
    assert history and all(r.query["limit"] == "100" and "after" in r.query for r in history)


@pytest.mark.asyncio
async def test_history_is_paged_fully_and_the_rest_past_the_limit_reported(
        fake: FakeDiscord, scene: Scene, tmp_path: Path) -> None:
    mods = scene.guild.add_text_channel("mods")
    db, plugins = tmp_path / "h.db", {"seen": Seen()}
    async with hearth_app(fake, config(fake, scene, mods.id), db, plugins):
        pass
    for n in range(250):
        await fake.user_says(scene.general, scene.alice, f"m{n}")
    async with hearth_app(fake, config(fake, scene, mods.id), db, plugins) as again:
        await Seen.until(lambda seen: len(seen) == 250)
        await again.app.settle()
    assert Seen.events == [f"message m{n}" for n in range(250)]

    Seen.events = []
    for n in range(250, 400):
        await fake.user_says(scene.general, scene.alice, f"m{n}")
    await asyncio.sleep(0.002)  # message times have millisecond precision: a later moment
    dave = fake.add_user("dave")
    await fake.user_joins(scene.guild, dave)  # joined last: among the newest
    mark = fake.request_mark()
    async with hearth_app(fake, config(fake, scene, mods.id, max_events=100), db,
                          plugins) as limited:
        report = await limited.post_containing(mods.id, "were not handled", since=mark)
        assert "51 events on discord" in report.json["content"]
        await limited.app.settle()
    assert Seen.events == [f"message m{n}" for n in range(301, 400)] + ["join dave"]


@pytest.mark.asyncio
async def test_position_is_never_saved_ahead_of_what_was_handled(fake: FakeDiscord,
                                                                 scene: Scene) -> None:
    """A crash while the core has not handled a message: it is read again at restart."""
    communities = binding(scene.guild.id, channels={"general": str(scene.general.id)},
                          roles={Role.MEMBER: str(scene.member_role.id)})
    host = RecordingHost()
    async with running(make_adapter(fake, communities), host):
        pass  # the first start records where the channels are
    first = json.loads(host.kv.data[f"positions:{scene.guild.id}"])

    busy = RecordingHost()
    busy.kv = host.kv
    busy.handling.clear()  # the core is busy: nothing submitted gets handled
    adapter = make_adapter(fake, communities)
    adapter.checkpoint_every = 0.01
    adapter.final_checkpoint_timeout = 0.05
    async with running(adapter, busy):
        calls = busy.handled_calls
        said = await fake.user_says(scene.general, scene.alice, "unhandled")
        await busy.wait_for(MessagePostedEvent, lambda e: e.id == str(said.id))
        await busy.wait_for_handled(calls + 1)  # a checkpoint waits for the core
        assert json.loads(host.kv.data[f"positions:{scene.guild.id}"]) == first
    # "Crashed": stopped while the event was still unhandled; the position did not move.
    assert json.loads(host.kv.data[f"positions:{scene.guild.id}"]) == first

    after = RecordingHost()
    after.kv = host.kv
    async with running(make_adapter(fake, communities), after):
        replayed = await after.wait_for(MessagePostedEvent, lambda e: e.id == str(said.id))
        assert replayed.message.text == "unhandled"
    saved = json.loads(host.kv.data[f"positions:{scene.guild.id}"])
    assert saved == {str(scene.general.id): str(said.id)}  # saved once handled


@pytest.mark.asyncio
async def test_joins_and_leaves_found_in_a_chunked_member_list(monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    async with FakeDiscord(members_in_guild_create=False) as fake:
        users = [fake.add_user(f"u{i}") for i in range(1500)]
        scene = standard_scene(fake)
        for user in users:
            scene.guild.add_member(user)
        communities = binding(scene.guild.id, channels={"general": str(scene.general.id)})
        host = RecordingHost()
        async with running(make_adapter(fake, communities), host):
            pass
        assert len(json.loads(host.kv.data[f"members:{scene.guild.id}"])) == 1504

        newcomers = [fake.add_user(f"new{i}") for i in range(3)]
        for user in newcomers:
            await fake.user_joins(scene.guild, user)
        for user in users[:2]:
            await fake.user_leaves(scene.guild, user)
        again = RecordingHost()
        again.kv = host.kv
        async with running(make_adapter(fake, communities), again):
            await again.wait_for(MemberLeftEvent, lambda e: e.member.name == "u1")
        assert fake.sent_events("GUILD_MEMBERS_CHUNK")  # the list came in chunks
        assert sorted(e.member.name for e in again.events if isinstance(e, MemberJoinedEvent)) == [
            "new0", "new1", "new2"]
        assert sorted(e.member.name for e in again.events if isinstance(e, MemberLeftEvent)) == [
            "u0", "u1"]
        assert len(json.loads(host.kv.data[f"members:{scene.guild.id}"])) == 1505


@pytest.mark.asyncio
async def test_new_session_catches_up_the_gap_even_after_live_messages(fake: FakeDiscord,
                                                                       scene: Scene) -> None:
    """A session that cannot be resumed: what was posted in the gap is read from history,
    although messages of the new session arrive (and are handled) before the catch-up."""
    communities = binding(scene.guild.id, channels={"general": str(scene.general.id)})
    host = RecordingHost()
    async with running(make_adapter(fake, communities), host) as adapter:
        assert adapter.client is not None
        make_fast(adapter.client)  # no 5 s wait before identifying again
        before = await fake.user_says(scene.general, scene.alice, "before")
        await host.wait_for(MessagePostedEvent, lambda e: e.id == str(before.id))
        mark = fake.frame_mark()
        await fake.drop_gateway(resumable=False)
        gap = [await fake.user_says(scene.general, scene.alice, f"gap {i}") for i in range(3)]
        await fake.wait_for_gateway_op(Op.IDENTIFY, since=mark)
        await fake.wait_for_dispatch("READY", since=mark)
        live = await fake.user_says(scene.general, scene.bob, "live")  # before on_ready
        for message in (*gap, live):
            await host.wait_for(MessagePostedEvent, lambda e, m=message: e.id == str(m.id))
        await host.wait_for_handled(1)
    saved = json.loads(host.kv.data[f"positions:{scene.guild.id}"])
    assert saved == {str(scene.general.id): str(live.id)}
