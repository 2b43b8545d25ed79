"""The Discord adapter on its own (real discord.py) against the wire-level fake Discord."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import discord
import discord.http
import pytest
import pytest_asyncio
from discord_host import RecordingHost, binding, make_adapter, running
from pydantic import SecretStr

from fake_discord import (
    ADMINISTRATOR,
    OVERWRITE_MEMBER,
    FakeDiscord,
    Intents,
    Op,
    Scene,
    standard_scene,
)
from hearth.adapters.discord.adapter import DiscordAdapter
from hearth.commands import Command, Param
from hearth.errors import Forbidden, StartupError
from hearth.events import (
    AdapterReadyEvent,
    CommandInvokedEvent,
    MemberJoinedEvent,
    MemberLeftEvent,
    MessageDeletedEvent,
    MessagePostedEvent,
    ReactionAddedEvent,
)
from hearth.models import Capability, Member, Role
from hearth.text import mention

VIEW, SEND = 1 << 10, 1 << 11


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """A fake Discord that discord.py is NOT pointed at: the adapter does it from api_url."""
    async with FakeDiscord() as server:
        yield server


@pytest.fixture
def scene(fake: FakeDiscord) -> Scene:
    return standard_scene(fake)


def communities(scene: Scene, **kwargs: object) -> dict:
    return binding(scene.guild.id, channels={"general": str(scene.general.id)},
                   roles={Role.MEMBER: str(scene.member_role.id)}, **kwargs)  # type: ignore[arg-type]


@pytest_asyncio.fixture
async def host() -> RecordingHost:
    return RecordingHost()


@pytest_asyncio.fixture
async def adapter(fake: FakeDiscord, scene: Scene, host: RecordingHost
                  ) -> AsyncIterator[DiscordAdapter]:
    async with running(make_adapter(fake, communities(scene)), host) as started:
        yield started


def member(user_id: int, name: str = "x") -> Member:
    return Member(platform="discord", id=str(user_id), name=name)


@pytest.mark.asyncio
async def test_events_in(fake: FakeDiscord, scene: Scene, host: RecordingHost,
                         adapter: DiscordAdapter) -> None:
    assert isinstance(host.events[0], AdapterReadyEvent)
    assert adapter.capabilities == frozenset(Capability) - {Capability.HOLD_NEWCOMERS}
    original = discord.http.Route.BASE
    assert original == fake.api_url  # pointed at the fake by the adapter alone

    first = await fake.user_says(scene.general, scene.alice, f"hi {scene.bob.mention} see www.example.org")
    posted = await host.wait_for(MessagePostedEvent, lambda e: e.id == str(first.id))
    msg = posted.message
    assert posted.community == "tea" and msg.channel.name == "general"
    assert msg.text == f"hi <@{scene.bob.id}> see www.example.org"
    assert msg.mentions == (str(scene.bob.id),) and msg.links == ("www.example.org",)
    assert msg.author.id == str(scene.alice.id) and msg.author.role == Role.MEMBER
    reply = await fake.user_says(scene.lounge, scene.bob, "agreed", reply_to=first)
    got = (await host.wait_for(MessagePostedEvent, lambda e: e.id == str(reply.id))).message
    assert got.reply_to == str(first.id) and got.channel.name is None

    carol = fake.add_user("carol")
    await fake.user_joins(scene.guild, carol)
    joined = await host.wait_for(MemberJoinedEvent)
    assert joined.member.id == str(carol.id) and joined.community == "tea"

    await fake.user_reacts(first, carol, "✅")
    reacted = await host.wait_for(ReactionAddedEvent)
    assert reacted.reaction.emoji == "✅" and reacted.reaction.member.id == str(carol.id)
    assert reacted.reaction.message_id == str(first.id) and reacted.community == "tea"

    dm = await fake.user_dms(carol, "!agree")
    direct = await host.wait_for(MessagePostedEvent, lambda e: e.id == str(dm.id))
    assert direct.community == "tea" and direct.message.channel.dm_with == str(carol.id)

    await fake.user_leaves(scene.guild, carol)
    left = await host.wait_for(MemberLeftEvent)
    assert left.member.id == str(carol.id) and left.community == "tea"

    await fake.user_deletes(first)
    deleted = await host.wait_for(MessageDeletedEvent)
    assert deleted.message_id == str(first.id) and deleted.channel.name == "general"

    # Roles: owner -> OWNER, the configured member role -> MEMBER.
    owner = await adapter.get_member("tea", str(scene.guild.owner_id))
    assert owner is not None and owner.role == Role.OWNER
    assert await adapter.member_count("tea") == 4
    assert await adapter.get_member("tea", "999") is None


@pytest.mark.asyncio
async def test_endpoint_restored_on_stop(fake: FakeDiscord, scene: Scene) -> None:
    before = discord.http.Route.BASE
    async with running(make_adapter(fake, communities(scene)), RecordingHost()):
        assert discord.http.Route.BASE == fake.api_url
    assert discord.http.Route.BASE == before


@pytest.mark.asyncio
async def test_actions_out(fake: FakeDiscord, scene: Scene, host: RecordingHost,
                           adapter: DiscordAdapter) -> None:
    general = adapter.resolve_channel("tea", "general")
    assert general is not None and general.id == str(scene.general.id)
    alice, bob = member(scene.alice.id, "alice"), member(scene.bob.id, "bob")
    incoming = await fake.user_says(scene.general, scene.alice, "hello")

    sent = await adapter.send("tea", general, "Welcome " + mention(alice) + "!", reply_to=str(incoming.id))
    post = fake.find_requests("POST", f"/channels/{scene.general.id}/messages")[-1]
    assert post.json["content"] == f"Welcome <@{scene.alice.id}>!"
    assert int(post.json["message_reference"]["message_id"]) == incoming.id
    assert sent.id == str(fake.messages_in(scene.general)[-1].id)

    # a member of another network is named, never shown by id (and a name cannot forge a mention)
    carol = Member(platform="matrix", id="@carol:example.org", name="Carol <@1>")
    await adapter.send("tea", general, "Welcome " + mention(carol) + " and " + carol.name_and_id)
    post = fake.find_requests("POST", f"/channels/{scene.general.id}/messages")[-1]
    assert post.json["content"] == "Welcome @Carol @1 and Carol @1 (matrix)"

    await adapter.dm("tea", bob, "psst")
    assert [m.content for m in fake.messages_in(fake.dm_channel(scene.bob))] == ["psst"]

    await adapter.pin("tea", general, str(incoming.id))
    assert incoming.pinned
    await adapter.delete("tea", general, str(incoming.id), "ad outside the window")
    rec = fake.find_requests("DELETE", f"/channels/{scene.general.id}/messages/{incoming.id}")[0]
    assert rec.headers.get("X-Audit-Log-Reason") == "ad outside the window"

    until = fake_now() + timedelta(hours=1)
    await adapter.mute("tea", alice, until, "strike 2")
    patch = fake.find_requests("PATCH", f"/guilds/{scene.guild.id}/members/{scene.alice.id}")[-1]
    assert patch.json["communication_disabled_until"].startswith(until.strftime("%Y-%m-%dT%H"))
    assert scene.guild.member(scene.alice).communication_disabled_until
    await adapter.unmute("tea", alice)
    patch = fake.find_requests("PATCH", f"/guilds/{scene.guild.id}/members/{scene.alice.id}")[-1]
    assert patch.json["communication_disabled_until"] is None

    # A configured role is used as is; an unconfigured one is created once and remembered.
    await adapter.grant_role("tea", bob, Role.MEMBER)
    assert scene.member_role.id in scene.guild.member(scene.bob).roles
    await adapter.grant_role("tea", bob, Role.LEADER)
    await adapter.grant_role("tea", alice, Role.LEADER)
    leader = scene.guild.role_named("Hearth leader")
    assert len(fake.find_requests("POST", f"/guilds/{scene.guild.id}/roles")) == 1
    assert leader.id in scene.guild.member(scene.bob).roles
    assert host.role_ids.data["tea"] == {Role.LEADER: str(leader.id)}  # kept by the core
    bob_now = await adapter.get_member("tea", str(scene.bob.id))
    assert bob_now is not None and bob_now.role == Role.LEADER
    await adapter.revoke_role("tea", bob, Role.LEADER)
    assert leader.id not in scene.guild.member(scene.bob).roles

    # Group channel: private, under a created category, members and the bot allowed.
    group = await adapter.create_group("tea", "night-talk", [alice], topic="Night talk")
    created = scene.guild.channels[int(group.id)]
    category = scene.guild.channel_named("Hearth groups")
    assert created.parent_id == category.id and created.topic == "Night talk"
    assert created.overwrites[scene.guild.id].deny & VIEW
    assert created.overwrites[scene.alice.id].allow & (VIEW | SEND) == VIEW | SEND
    assert created.overwrites[scene.alice.id].type == OVERWRITE_MEMBER
    assert created.overwrites[fake.bot_user.id].allow & VIEW
    assert adapter.resolve_channel("tea", "night-talk") == group
    await adapter.invite("tea", group, bob)
    assert created.overwrites[scene.bob.id].allow & VIEW
    await adapter.dissolve_group("tea", group, "archive")
    archive = scene.guild.channel_named("Hearth archive")
    assert created.parent_id == archive.id
    assert created.overwrites[scene.alice.id].deny & SEND and created.overwrites[scene.alice.id].allow & VIEW
    assert created.overwrites[scene.guild.id].deny & VIEW
    assert adapter.resolve_channel("tea", "night-talk") is None

    second = await adapter.create_group("tea", "swap", [bob], topic="Swap")
    assert len(fake.find_requests("POST", f"/guilds/{scene.guild.id}/channels")) == 4  # 2 cats
    await adapter.dissolve_group("tea", second, "delete")
    assert int(second.id) not in scene.guild.channels

    await adapter.kick("tea", alice, "rules not accepted")
    assert scene.alice.id not in scene.guild.members
    await adapter.ban("tea", bob, "ads")
    assert scene.bob.id in scene.guild.bans
    assert not fake.unknown_requests()


def fake_now():  # type: ignore[no-untyped-def]
    import discord.utils

    return discord.utils.utcnow()


@pytest.mark.asyncio
async def test_a_file_is_uploaded_with_its_caption_and_pins_come_off(
        fake: FakeDiscord, scene: Scene, adapter: DiscordAdapter) -> None:
    general = adapter.resolve_channel("tea", "general")
    assert general is not None and adapter.can(Capability.FILES)
    png = b"\x89PNG\r\n\x1a\n" + bytes(100)
    sent = await adapter.send_file("tea", general, png, "activity.png", text="Health of tea")
    [message] = [m for m in fake.messages_in(scene.general) if str(m.id) == sent.id]
    assert message.content == "Health of tea"
    assert [(a["filename"], a["size"]) for a in message.attachments] == [("activity.png", len(png))]

    await adapter.pin("tea", general, sent.id)
    assert message.pinned
    await adapter.unpin("tea", general, sent.id)
    assert not message.pinned


@pytest.mark.asyncio
async def test_forbidden_is_mapped(fake: FakeDiscord, scene: Scene, adapter: DiscordAdapter
                                   ) -> None:
    fake.fail_next("DELETE", "/guilds/{gid}/members/{uid}")
    with pytest.raises(Forbidden) as failure:
        await adapter.kick("tea", member(scene.alice.id), "x")
    assert fake.token not in str(failure.value)


async def answer(event: CommandInvokedEvent) -> list[str]:
    text = event.message.text
    return [f"you said: {text}"] if text.startswith("echo") else []


@pytest.mark.asyncio
async def test_slash_commands_synced_and_invoked(fake: FakeDiscord, scene: Scene) -> None:
    async def noop(inv: object) -> None:
        return None

    commands = [
        Command(name="echo", handler=noop, help="Say it back",
                params=(Param("title", "text"), Param("duration", "duration", optional=True),
                        Param("who", "member", variadic=True))),
        Command(name="flash join", handler=noop, params=(Param("name"),)),
        Command(name="quiet", handler=noop),
    ]
    host = RecordingHost(commands)
    host.on_command = answer
    async with running(make_adapter(fake, communities(scene)), host):
        put = await fake.wait_for_request(
            "PUT", f"/applications/{fake.application_id}/guilds/{scene.guild.id}/commands")
        assert [c["name"] for c in put.json] == ["echo", "flash-join", "quiet"]
        assert [(o["name"], o["type"], o["required"]) for o in put.json[0]["options"]] == [
            ("title", 3, True), ("duration", 3, False), ("who", 3, False)]

        ix = await fake.invoke_slash(scene.guild, scene.general, scene.alice, "echo",
                                     {"title": "Night talk", "who": f"<@{scene.bob.id}>"})
        assert (await fake.wait_for_interaction_response(ix))["type"] == 5  # deferred at once
        edit = await fake.wait_for_request(
            "PATCH", f"/webhooks/{fake.application_id}/{ix.token}/messages/@original")
        assert edit.json["content"] == f'you said: echo "Night talk" <@{scene.bob.id}>'
        event = await host.wait_for(CommandInvokedEvent)
        assert event.community == "tea" and event.message.author.id == str(scene.alice.id)

        ix2 = await fake.invoke_slash(scene.guild, scene.general, scene.bob, "flash-join",
                                      {"name": "swap"})
        await fake.wait_for_interaction_response(ix2)
        assert (await host.wait_for(CommandInvokedEvent, lambda e: "flash" in e.message.text)
                ).message.text == "flash join swap"
        silent = await fake.invoke_slash(scene.guild, scene.general, scene.bob, "quiet")
        await fake.wait_for_request(
            "PATCH", f"/webhooks/{fake.application_id}/{silent.token}/messages/@original")
        assert [e["content"] for e in silent.edits] == ["Done."]


@pytest.mark.asyncio
async def test_drop_resume_handles_missed_events(fake: FakeDiscord, scene: Scene,
                                                 host: RecordingHost, adapter: DiscordAdapter
                                                 ) -> None:
    mark = fake.frame_mark()
    assert await fake.drop_gateway() == 1
    missed = [await fake.user_says(scene.general, scene.alice, f"missed {i}") for i in range(3)]
    for message in missed:
        await host.wait_for(MessagePostedEvent, lambda e, m=message: e.id == str(m.id))
    await fake.wait_for_gateway_op(Op.RESUME, since=mark)
    texts = [e.message.text for e in host.events if isinstance(e, MessagePostedEvent)]
    assert texts == ["missed 0", "missed 1", "missed 2"]
    await fake.user_says(scene.general, scene.bob, "after")
    await host.wait_for(MessagePostedEvent, lambda e: e.message.text == "after")
    assert sum(isinstance(e, AdapterReadyEvent) for e in host.events) == 1  # resumed


@pytest.mark.asyncio
async def test_rate_limit_waited_out(fake: FakeDiscord, scene: Scene,
                                     adapter: DiscordAdapter) -> None:
    general = adapter.resolve_channel("tea", "general")
    assert general is not None
    fake.rate_limit_next("POST", "/channels/{id}/messages", retry_after=0.3)
    started = time.perf_counter()
    await adapter.send("tea", general, "eventually")
    assert time.perf_counter() - started >= 0.3
    posts = fake.find_requests("POST", f"/channels/{scene.general.id}/messages")
    assert [r.status for r in posts] == [429, 200]


@pytest.mark.asyncio
async def test_permission_report(fake: FakeDiscord) -> None:
    alice = fake.add_user("alice")
    guild = fake.add_guild("Thin", members=[alice], bot_permissions=VIEW | SEND)
    high = guild.add_role("Mods", position=50)
    general = guild.channel_named("general")
    mapping = binding(guild.id, channels={"general": str(general.id), "ads": "123"},
                      roles={Role.LEADER: str(high.id)})
    async with running(make_adapter(fake, mapping), RecordingHost()) as adapter:
        problems = await adapter.check_permissions()
    text = "\n".join(problems)
    for needed in ("Read Message History", "Manage Messages", "Timeout Members", "Manage Roles",
                   "Manage Channels", "Kick Members", "Ban Members", "Attach Files"):
        assert sum(needed in p for p in problems) == 1, (needed, problems)
    assert "deleting ads" in text and "muting members" in text and "group channels" in text
    assert "health report's chart" in text
    assert "channel 'ads' is mapped to 123" in text
    assert all(p.startswith("community 'tea'") for p in problems)


@pytest.mark.asyncio
async def test_role_above_bot_is_reported(fake: FakeDiscord) -> None:
    guild = fake.add_guild("Roles", bot_permissions=ADMINISTRATOR)
    high = guild.add_role("Mods", position=50)
    mapping = binding(guild.id, roles={Role.LEADER: str(high.id)})
    async with running(make_adapter(fake, mapping), RecordingHost()) as adapter:
        problems = await adapter.check_permissions()
    assert len(problems) == 1 and "'Mods' (leader) is not below the bot's top role" in problems[0]


@pytest.mark.asyncio
async def test_missing_privileged_intent_is_explained() -> None:
    async with FakeDiscord(privileged_intents=Intents.GUILD_MEMBERS) as strict:
        guild = strict.add_guild("G")
        adapter = make_adapter(strict, binding(guild.id))
        before = discord.http.Route.BASE
        with pytest.raises(StartupError) as failure:
            await adapter.start(RecordingHost())
        message = str(failure.value)
        assert "MESSAGE CONTENT INTENT" in message and "SERVER MEMBERS" not in message
        assert "Privileged Gateway Intents" in message
        assert discord.http.Route.BASE == before


@pytest.mark.asyncio
async def test_bad_token_never_logged(fake: FakeDiscord, scene: Scene,
                                      caplog: pytest.LogCaptureFixture) -> None:
    secret = "not-the-token-" + "x" * 20
    adapter = make_adapter(fake, communities(scene))
    adapter = DiscordAdapter(account=adapter.account.model_copy(update={"token": SecretStr(secret)}),
                             communities=adapter.communities)
    with caplog.at_level("DEBUG"), pytest.raises(StartupError) as failure:
        await adapter.start(RecordingHost())
    assert "refused the bot token" in str(failure.value), failure.value
    assert secret not in str(failure.value) and secret not in caplog.text
    assert secret not in repr(adapter.account)


@pytest.mark.asyncio
async def test_sharded_process_serves_its_shards(fake: FakeDiscord, scene: Scene) -> None:
    # Two shards may IDENTIFY at once (else the second waits Discord's 5 s after the first).
    fake.state.max_concurrency = 2
    host = RecordingHost()
    adapter = make_adapter(fake, communities(scene), shards={"count": 2, "ids": [0, 1]})
    async with running(adapter, host):
        assert isinstance(adapter.client, discord.AutoShardedClient)
        assert adapter.client.shard_count == 2
        said = await fake.user_says(scene.general, scene.alice, "sharded hello")
        await host.wait_for(MessagePostedEvent, lambda e: e.id == str(said.id))
        shards = sorted(f.d["shard"][0] for f in fake.gateway_frames
                        if f.direction == "recv" and f.op == Op.IDENTIFY)
        assert shards == [0, 1]


@pytest.mark.asyncio
async def test_a_spent_session_start_budget_is_refused_in_one_line(fake: FakeDiscord,
                                                                   scene: Scene) -> None:
    fake.state.session_starts_remaining = 1  # Discord's daily budget; two shards need two
    adapter = make_adapter(fake, communities(scene), shards={"count": 2, "per_process": 2})
    with pytest.raises(StartupError) as failure:
        await adapter.start(RecordingHost())
    assert "daily budget of session starts is spent (1 left, 2 shards to start)" in str(
        failure.value)
    assert not [f for f in fake.gateway_frames if f.direction == "recv" and f.op == Op.IDENTIFY]


def test_the_events_of_a_shard_given_up_are_left_to_its_new_holder(fake: FakeDiscord,
                                                                   scene: Scene) -> None:
    from hearth.adapters.discord.client import Connection

    adapter = make_adapter(fake, communities(scene), shards={"count": 2, "per_process": 2})
    session = Connection(adapter).session
    claims = adapter.claims()
    assert claims is not None
    adapter.claimed(frozenset(claims.keys))
    assert session.community_of(scene.guild.id) == "tea"
    # Given up: until the client is made anew, the shard's events still arrive here.
    adapter.claimed(frozenset(k for k in claims.keys if k != claims.communities["tea"]))
    assert session.community_of(scene.guild.id) is None


@pytest.mark.asyncio
async def test_holding_no_shard_the_adapter_waits_then_connects_to_the_one_it_gets(
        fake: FakeDiscord, scene: Scene) -> None:
    fake.state.max_concurrency = 2
    host = RecordingHost()
    adapter = make_adapter(fake, communities(scene), shards={"count": 2, "per_process": 1})
    claims = adapter.claims()
    assert claims is not None and claims.keys == ("discord shard 0/2", "discord shard 1/2")
    mine = claims.communities["tea"]
    adapter.claimed(frozenset())  # another process holds every shard
    async with running(adapter, host):
        assert adapter.client is None and not fake.gateway.live_sessions()
        assert await adapter.check_permissions() == []
        adapter.claimed(frozenset({mine}))  # the shard of tea's guild is free now
        await host.wait_for(AdapterReadyEvent)
        assert adapter.client is not None
        assert [s.shard for s in fake.gateway.live_sessions()] == [
            [int(mine.split()[2].split("/")[0]), 2]]
        said = await fake.user_says(scene.general, scene.alice, "hello, new holder")
        await host.wait_for(MessagePostedEvent, lambda e: e.id == str(said.id))
        adapter.claimed(frozenset())  # lost it: disconnected
        async with asyncio.timeout(5):
            while fake.gateway.live_sessions():  # noqa: ASYNC110 (the fake's state)
                await asyncio.sleep(0.01)
        assert adapter.client is None


@pytest.mark.asyncio
async def test_slow_slash_command_is_deferred_at_once_then_answered(fake: FakeDiscord,
                                                                    scene: Scene) -> None:
    async def noop(inv: object) -> None:
        return None

    fake.state.interaction_ack_seconds = 0.3  # Discord allows 3 s
    host = RecordingHost([Command(name="slow", handler=noop)])

    async def slow(event: CommandInvokedEvent) -> list[str]:
        await asyncio.sleep(0.6)
        return ["finally"]

    host.on_command = slow
    async with running(make_adapter(fake, communities(scene)), host):
        ix = await fake.invoke_slash(scene.guild, scene.general, scene.alice, "slow")
        assert (await fake.wait_for_interaction_response(ix))["type"] == 5
        edit = await fake.wait_for_request(
            "PATCH", f"/webhooks/{fake.application_id}/{ix.token}/messages/@original")
        assert edit.status == 200 and edit.json["content"] == "finally"
        callback = fake.find_requests("POST", f"/interactions/{ix.id}/{ix.token}/callback")
        assert [r.status for r in callback] == [200]  # acknowledged in time


@pytest.mark.asyncio
async def test_a_role_or_name_changed_on_discord_is_an_update_event(
        fake: FakeDiscord, scene: Scene, host: RecordingHost, adapter: DiscordAdapter) -> None:
    from hearth.events import MemberUpdatedEvent

    carol = fake.add_user("carol")
    joined = await fake.user_joins(scene.guild, carol)
    await host.wait_for(MemberJoinedEvent)
    joined.roles.append(scene.member_role.id)  # given by a moderator in Discord's own UI
    fake.events.member_update(joined)
    updated = await host.wait_for(MemberUpdatedEvent)
    assert updated.member.id == str(carol.id) and updated.community == "tea"
    assert updated.member.role == Role.MEMBER and updated.member.name == "carol"
    joined.nick = "Caro"
    fake.events.member_update(joined)
    renamed = await host.wait_for(MemberUpdatedEvent, lambda e: e.member.name == "Caro")
    assert renamed.member.id == str(carol.id)
    listed = [m async for m in adapter.list_members("tea")]
    assert {str(scene.alice.id), str(scene.bob.id), str(carol.id)} <= {m.member.id for m in listed}
    assert all(m.joined is not None for m in listed)


@pytest.mark.asyncio
async def test_neutral_roles_read_from_the_guild(fake: FakeDiscord, scene: Scene,
                                                 host: RecordingHost) -> None:
    """The owner, a role with the administrator permission, a mapped role, and nothing at all."""
    mods = scene.guild.add_role("Mods", permissions=ADMINISTRATOR)
    scene.guild.member(scene.alice).roles.append(mods.id)
    scene.guild.member(scene.bob).roles.append(scene.member_role.id)
    leader = scene.guild.add_role("Leaders", permissions=0)
    carol = fake.add_user("carol")
    scene.guild.add_member(carol, roles=[leader])
    bindings = binding(scene.guild.id, channels={"general": str(scene.general.id)},
                       roles={Role.LEADER: str(leader.id)})
    async with running(make_adapter(fake, bindings), host) as adapter:
        listed = {m.member.id: m.member.role async for m in adapter.list_members("tea")}
    assert listed[str(scene.guild.owner_id)] == Role.OWNER
    assert listed[str(scene.alice.id)] == Role.ADMIN
    assert listed[str(scene.bob.id)] == Role.MEMBER
    assert listed[str(carol.id)] == Role.LEADER
