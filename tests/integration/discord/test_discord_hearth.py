"""Hearth end to end on Discord: the real discord.py client inside the App, with the
built-in plugins, against the wire-level fake Discord."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from discord_host import Running, hearth_app

from fake_discord import CloseCode, FakeDiscord, Op, Scene, standard_scene
from hearth.models import Role

VIEW, SEND = 1 << 10, 1 << 11
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def config_yaml(fake: FakeDiscord, scene: Scene) -> str:
    # An ad window that is never "now": two days ahead, in UTC.
    other_day = DAYS[(dt.datetime.now(dt.UTC).weekday() + 2) % 7]
    return f"""
command_prefix: "!"
accounts:
  discord:
    token: ${{HEARTH_TEST_DISCORD_TOKEN}}
    api_url: {fake.api_url}
communities:
  tea:
    timezone: UTC
    discord: {{guild: "{scene.guild.id}"}}
    channels:
      general: {{discord: "{scene.general.id}"}}
      ads: {{discord: "{scene.lounge.id}"}}
    roles:
      member: {{discord: "{scene.member_role.id}"}}
    plugins:
      welcome:
        channel: general
        message: "Welcome {{mention}} to {{community}}! You are member #{{member_count}}."
        accept: {{command: agree, within: 24h, on_timeout: nothing}}
      ad_window:
        windows:
          - {{days: [{other_day}], from: "20:00", to: "21:00"}}
        ad_channels: [ads]
        escalation: [warn, {{mute: 1h}}]
      flash:
        creators: member
        on_close: delete
"""


@dataclass
class Hearth(Running):
    scene: Scene


@pytest_asyncio.fixture
async def hearth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Hearth]:
    async with FakeDiscord() as fake:
        scene = standard_scene(fake)
        monkeypatch.setenv("HEARTH_TEST_DISCORD_TOKEN", fake.token)
        async with hearth_app(fake, config_yaml(fake, scene), tmp_path / "h.db") as running:
            yield Hearth(running.fake, running.app, running.adapter, scene)


@pytest.mark.asyncio
async def test_member_joins_is_welcomed_accepts_and_gets_role(hearth: Hearth) -> None:
    fake, scene = hearth.fake, hearth.scene
    carol = fake.add_user("carol")
    await fake.user_joins(scene.guild, carol)
    welcome = await hearth.post_containing(scene.general.id, "Welcome")
    assert welcome.json["content"].startswith(f"Welcome <@{carol.id}> to tea! You are member #5")
    newcomer = scene.guild.role_named("Hearth newcomer")  # created: none configured
    await fake.wait_for_request("PUT", f"/guilds/{scene.guild.id}/members/{carol.id}/roles/"
                                       f"{newcomer.id}")
    dm = await fake.wait_for_request("POST", f"/channels/{fake.dm_channel(carol).id}/messages")
    assert "agree" in dm.json["content"]

    await fake.user_says(scene.general, carol, "!agree")
    await fake.wait_for_request(
        "PUT", f"/guilds/{scene.guild.id}/members/{carol.id}/roles/{scene.member_role.id}")
    await fake.wait_for_request(
        "DELETE", f"/guilds/{scene.guild.id}/members/{carol.id}/roles/{newcomer.id}")
    assert scene.guild.member(carol).roles == [scene.member_role.id]
    assert not fake.unknown_requests()
    # the directory reads the role changes back from Discord (GUILD_MEMBER_UPDATE)
    directory = hearth.app.contexts["tea"]["hearth"]
    for _ in range(250):
        record = directory.member(("discord", str(carol.id)))
        if record is not None and record.role == Role.MEMBER and record.last_active is not None:
            break
        await asyncio.sleep(0.02)
    assert record is not None and record.role == Role.MEMBER and record.join_known


@pytest.mark.asyncio
async def test_ad_outside_window_deleted_dm_then_timeout(hearth: Hearth) -> None:
    fake, scene = hearth.fake, hearth.scene
    alice = scene.alice
    ad = await fake.user_says(scene.general, alice, "Cheap followers at https://spam.example.com")
    await fake.wait_for_request("DELETE", f"/channels/{scene.general.id}/messages/{ad.id}")
    await fake.wait_for_request("POST", f"/channels/{fake.dm_channel(alice).id}/messages")
    assert not fake.find_requests("PATCH", f"/guilds/{scene.guild.id}/members/{alice.id}")

    allowed = await fake.user_says(scene.lounge, alice, "Ads go here: https://spam.example.com")
    mark = fake.request_mark()
    second = await fake.user_says(scene.general, alice, "Again https://spam.example.com/deal")
    await fake.wait_for_request("DELETE", f"/channels/{scene.general.id}/messages/{second.id}")
    timeout = await fake.wait_for_request("PATCH", f"/guilds/{scene.guild.id}/members/{alice.id}",
                                          since=mark)
    until = dt.datetime.fromisoformat(timeout.json["communication_disabled_until"])
    assert dt.timedelta(minutes=55) < until - dt.datetime.now(dt.UTC) <= dt.timedelta(hours=1)
    dms = fake.find_requests("POST", f"/channels/{fake.dm_channel(alice).id}/messages")
    assert len(dms) == 2
    assert not allowed.deleted


@pytest.mark.asyncio
async def test_slash_flash_group_created_with_overwrites_and_deleted_at_end(hearth: Hearth
                                                                            ) -> None:
    fake, scene = hearth.fake, hearth.scene
    put = fake.find_requests(
        "PUT", f"/applications/{fake.application_id}/guilds/{scene.guild.id}/commands")
    names = {c["name"] for c in put[0].json}
    assert {"help", "agree", "rules", "flash", "flash-join", "flash-close", "flash-list"} <= names

    ix = await fake.invoke_slash(scene.guild, scene.general, scene.alice, "flash",
                                 {"title": "Night talk", "duration": "3s",
                                  "members": f"<@{scene.bob.id}>"})
    assert "night-talk" in await hearth.slash_answer(ix)
    await fake.wait_for_request("POST", f"/guilds/{scene.guild.id}/channels",
                                predicate=lambda r: r.json.get("type") == 0)
    channel = scene.guild.channel_named("night-talk")
    assert channel.parent_id == scene.guild.channel_named("Hearth groups").id
    overwrites = channel.overwrites
    assert overwrites[scene.guild.id].deny & VIEW
    for user in (scene.alice, scene.bob, fake.bot_user):
        assert overwrites[user.id].allow & (VIEW | SEND) == VIEW | SEND
    await hearth.post_containing(channel.id, "Night talk")  # the purpose, in the group

    await fake.wait_for_request("DELETE", f"/channels/{channel.id}", timeout=10)
    assert channel.id not in scene.guild.channels


@pytest.mark.asyncio
async def test_text_command_and_slash_help(hearth: Hearth) -> None:
    fake, scene = hearth.fake, hearth.scene
    await fake.user_says(scene.general, scene.alice, "!flash list")
    await hearth.post_containing(scene.general.id, "")
    ix = await fake.invoke_slash(scene.guild, scene.general, scene.bob, "help")
    assert "flash" in await hearth.slash_answer(ix)


@pytest.mark.asyncio
async def test_gateway_drop_resume_handles_missed_events(hearth: Hearth) -> None:
    fake, scene = hearth.fake, hearth.scene
    mark = fake.frame_mark()
    assert await fake.drop_gateway() == 1
    dave = fake.add_user("dave")
    await fake.user_joins(scene.guild, dave)  # while the bot is disconnected
    await fake.wait_for_gateway_op(Op.RESUME, since=mark)
    welcome = await hearth.post_containing(scene.general.id, f"<@{dave.id}>")
    assert welcome.json["content"].startswith("Welcome")


@pytest.mark.asyncio
async def test_a_revoked_token_after_start_up_stops_the_app_with_one_line(
        hearth: Hearth) -> None:
    """Gateway close 4004 after ready: discord.py gives up; the supervisor fails the app."""
    assert hearth.app.failure is None
    assert await hearth.fake.close_gateway(CloseCode.AUTHENTICATION_FAILED,
                                           "Authentication failed.") == 1
    async with asyncio.timeout(10):
        await hearth.app.failed.wait()
    reason = hearth.app.failure
    assert reason is not None and "\n" not in reason
    assert reason.startswith("Discord closed the gateway connection with code 4004, "
                             "authentication failed: the bot token was revoked")


@pytest.mark.asyncio
async def test_a_gateway_that_ends_while_hearth_runs_is_connected_again_by_the_supervisor(
        hearth: Hearth, monkeypatch: pytest.MonkeyPatch) -> None:
    """discord.py's connection returns (closed from inside) while Hearth is not stopping."""
    monkeypatch.setattr(hearth.app.supervisor, "first_delay", dt.timedelta(milliseconds=10))
    fake, scene = hearth.fake, hearth.scene
    client = hearth.adapter.client
    assert client is not None
    mark = fake.frame_mark()
    await client.close()
    await fake.wait_for_gateway_op(Op.IDENTIFY, since=mark)  # a new session
    assert hearth.adapter.client is not client
    dave = fake.add_user("dave")
    await fake.user_joins(scene.guild, dave)
    welcome = await hearth.post_containing(scene.general.id, f"<@{dave.id}>")
    assert welcome.json["content"].startswith("Welcome")
    assert hearth.app.failure is None


@pytest.mark.asyncio
async def test_a_gateway_failing_again_and_again_stops_the_app_naming_discord(
        hearth: Hearth, monkeypatch: pytest.MonkeyPatch) -> None:
    supervisor = hearth.app.supervisor
    monkeypatch.setattr(supervisor, "first_delay", dt.timedelta(milliseconds=10))
    monkeypatch.setattr(supervisor, "max_failures", 2)
    hearth.fake.fail_next("GET", "/users/@me", times=10)  # logging in again fails
    client = hearth.adapter.client
    assert client is not None
    await client.close()
    async with asyncio.timeout(10):
        await hearth.app.failed.wait()
    reason = hearth.app.failure
    assert reason is not None and "\n" not in reason
    assert reason.startswith("discord gateway failed 2 times in a row; last error: ")
    assert "Discord" in reason


@pytest.mark.asyncio
async def test_rate_limit_is_waited_out(hearth: Hearth) -> None:
    fake, scene = hearth.fake, hearth.scene
    fake.rate_limit_next("POST", f"/channels/{scene.general.id}/messages", retry_after=0.3)
    erin = fake.add_user("erin")
    await fake.user_joins(scene.guild, erin)
    await hearth.post_containing(scene.general.id, f"<@{erin.id}>")
    posts = hearth.posts(scene.general.id)
    assert [r.status for r in posts] == [429, 200]
    assert posts[1].at - posts[0].at >= 0.3


@pytest.mark.asyncio
async def test_the_member_directory_holds_the_whole_guild_at_start(hearth: Hearth) -> None:
    members = hearth.app.contexts["tea"]["hearth"].members()
    ids = {m.id for m in members}
    scene = hearth.scene
    assert {str(scene.alice.id), str(scene.bob.id)} <= ids
    assert str(hearth.fake.bot_user.id) not in ids  # the bot itself is not a member to count
    alice = next(m for m in members if m.id == str(scene.alice.id))
    assert alice.join_known and alice.last_active is None and alice.name == "alice"
