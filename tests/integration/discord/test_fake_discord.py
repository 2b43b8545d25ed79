"""The real discord.py client against the wire-level fake Discord."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import discord
import pytest
import pytest_asyncio
from discord import app_commands

from fake_discord import (
    FakeDiscord,
    Op,
    Scene,
    client_kwargs,
    make_fast,
    point_discord_py_at,
    run_client,
)
from fake_discord.interactions import build_slash


class TestBot(discord.Client):
    """A plain discord.Client with a command tree; the tests drive it directly."""

    __test__ = False  # not a pytest test class

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**client_kwargs(**kwargs))
        make_fast(self)
        self.tree = app_commands.CommandTree(self)
        self.ready_count = 0
        self.seen: list[discord.Message] = []

        @self.tree.command(name="echo", description="Echo some text")
        async def echo(interaction: discord.Interaction, text: str, who: discord.Member) -> None:
            await interaction.response.send_message(f"{who.display_name}: {text}")
            await interaction.followup.send("followup")

        @self.tree.command(name="later", description="Deferred answer")
        async def later(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.edit_original_response(content="done later")

    async def on_ready(self) -> None:
        self.ready_count += 1

    async def on_message(self, message: discord.Message) -> None:
        self.seen.append(message)


@pytest_asyncio.fixture
async def bot(fake: FakeDiscord, scene: Scene) -> AsyncIterator[TestBot]:
    client = TestBot()
    async with run_client(client, fake.token):
        yield client


def is_from(user_id: int) -> Callable[[discord.Message], bool]:
    return lambda m: m.author.id == user_id


@pytest.mark.asyncio
async def test_ready_with_guild(fake: FakeDiscord, scene: Scene, bot: TestBot) -> None:
    assert bot.user is not None and bot.user.id == fake.bot_user.id
    assert bot.application_id == fake.application_id
    guild = bot.get_guild(scene.guild.id)
    assert guild is not None and guild.name == "Hearth Test"
    assert guild.chunked and guild.member_count == 4  # bot, owner, alice, bob
    assert guild.default_role.id == guild.id
    assert {c.name for c in guild.channels} == {"general", "Community", "lounge"}
    assert guild.get_channel(scene.lounge.id).category.id == scene.category.id  # type: ignore[union-attr]
    assert guild.me.guild_permissions.administrator
    assert fake.find_requests("GET", "/users/@me")
    assert fake.find_requests("GET", "/oauth2/applications/@me")
    assert not fake.unknown_requests()
    # discord.py asks for zlib-stream unless zstandard is installed.
    assert fake.gateway.connect_queries[0] == {"v": "10", "encoding": "json",
                                               "compress": "zlib-stream"}


@pytest.mark.asyncio
async def test_message_in_and_reply_out(fake: FakeDiscord, scene: Scene, bot: TestBot) -> None:
    incoming = await fake.user_says(scene.general, scene.alice, "hello bot")
    msg = await bot.wait_for("message", check=is_from(scene.alice.id), timeout=5)
    assert msg.content == "hello bot" and msg.id == incoming.id
    assert msg.guild is not None and msg.guild.id == scene.guild.id
    assert isinstance(msg.author, discord.Member)

    own = asyncio.ensure_future(bot.wait_for("message", check=is_from(fake.bot_user.id), timeout=5))
    reply = await msg.reply("hi alice")
    rec = await fake.wait_for_request("POST", f"/channels/{scene.general.id}/messages")
    assert rec.json["content"] == "hi alice"
    assert int(rec.json["message_reference"]["message_id"]) == incoming.id
    echoed = await own  # Discord echoes the bot's own message as MESSAGE_CREATE
    assert echoed.id == reply.id and echoed.reference is not None
    assert echoed.reference.message_id == incoming.id
    stored = fake.messages_in(scene.general)[-1]
    assert stored.reference_id == incoming.id and stored.author.id == fake.bot_user.id

    # A reply from a user carries message_reference and referenced_message.
    await fake.user_says(scene.general, scene.bob, "me too", reply_to=incoming)
    msg2 = await bot.wait_for("message", check=is_from(scene.bob.id), timeout=5)
    assert msg2.type is discord.MessageType.reply
    assert msg2.reference is not None and msg2.reference.message_id == incoming.id


@pytest.mark.asyncio
async def test_dm_in_and_out(fake: FakeDiscord, scene: Scene, bot: TestBot) -> None:
    await fake.user_dms(scene.alice, "psst")
    msg = await bot.wait_for("message", check=is_from(scene.alice.id), timeout=5)
    assert msg.guild is None and msg.content == "psst"
    await msg.channel.send("hello in DM")
    rec = await fake.wait_for_request("POST", f"/channels/{fake.dm_channel(scene.alice).id}/messages")
    assert rec.json["content"] == "hello in DM"

    user = await bot.fetch_user(scene.bob.id)
    await user.send("hi bob")
    opened = await fake.wait_for_request("POST", "/users/@me/channels")
    assert int(opened.json["recipient_id"]) == scene.bob.id
    assert [m.content for m in fake.messages_in(fake.dm_channel(scene.bob))] == ["hi bob"]


@pytest.mark.asyncio
async def test_delete_message(fake: FakeDiscord, scene: Scene, bot: TestBot) -> None:
    incoming = await fake.user_says(scene.general, scene.alice, "spam")
    msg = await bot.wait_for("message", check=is_from(scene.alice.id), timeout=5)
    deleted = asyncio.ensure_future(bot.wait_for("raw_message_delete", timeout=5))
    await msg.delete()
    await fake.wait_for_request("DELETE", f"/channels/{scene.general.id}/messages/{incoming.id}")
    assert (await deleted).message_id == incoming.id
    assert fake.messages_in(scene.general) == []
    with pytest.raises(discord.NotFound):
        await scene_channel(bot, scene).fetch_message(incoming.id)


def scene_channel(bot: TestBot, scene: Scene) -> discord.TextChannel:
    channel = bot.get_channel(scene.general.id)
    assert isinstance(channel, discord.TextChannel)
    return channel


def scene_member(bot: TestBot, scene: Scene, user_id: int) -> discord.Member:
    guild = bot.get_guild(scene.guild.id)
    assert guild is not None
    member = guild.get_member(user_id)
    assert member is not None
    return member


@pytest.mark.asyncio
async def test_timeout_member(fake: FakeDiscord, scene: Scene, bot: TestBot) -> None:
    member = scene_member(bot, scene, scene.alice.id)
    updated = asyncio.ensure_future(bot.wait_for("member_update", timeout=5))
    await member.timeout(dt.timedelta(minutes=10), reason="cool down")
    rec = await fake.wait_for_request("PATCH", f"/guilds/{scene.guild.id}/members/{scene.alice.id}")
    assert rec.json["communication_disabled_until"]
    assert rec.headers.get("X-Audit-Log-Reason") == "cool down"
    _, after = await updated
    assert after.is_timed_out()
    assert scene.guild.member(scene.alice).communication_disabled_until


@pytest.mark.asyncio
async def test_add_and_remove_role(fake: FakeDiscord, scene: Scene, bot: TestBot) -> None:
    member = scene_member(bot, scene, scene.bob.id)
    role = member.guild.get_role(scene.member_role.id)
    assert role is not None
    updated = asyncio.ensure_future(bot.wait_for("member_update", timeout=5))
    await member.add_roles(role)
    await fake.wait_for_request(
        "PUT", f"/guilds/{scene.guild.id}/members/{scene.bob.id}/roles/{role.id}"
    )
    _, after = await updated
    assert role in after.roles
    assert scene.member_role.id in scene.guild.member(scene.bob).roles

    updated = asyncio.ensure_future(bot.wait_for("member_update", timeout=5))
    await after.remove_roles(role)
    _, after2 = await updated
    assert role not in after2.roles

    created = await member.guild.create_role(name="Helper", permissions=discord.Permissions(8192))
    assert created.permissions.manage_messages
    assert scene.guild.role_named("Helper").permissions == 8192


@pytest.mark.asyncio
async def test_private_channel_with_overwrites(
    fake: FakeDiscord, scene: Scene, bot: TestBot
) -> None:
    guild = scene_member(bot, scene, scene.alice.id).guild
    alice = guild.get_member(scene.alice.id)
    assert alice is not None
    category = await guild.create_category("Private")
    created = asyncio.ensure_future(bot.wait_for("guild_channel_create", timeout=5))
    channel = await guild.create_text_channel(
        "secret",
        category=category,
        overwrites={
            guild.default_role: discord.PermissionOverwrite(view_channel=False),
            alice: discord.PermissionOverwrite(view_channel=True, send_messages=True),
        },
    )
    assert (await created).id in (category.id, channel.id)
    rec = fake.find_requests("POST", f"/guilds/{guild.id}/channels")[-1]
    assert int(rec.json["parent_id"]) == category.id
    fake_channel = scene.guild.channels[channel.id]
    assert fake_channel.parent_id == category.id
    everyone = fake_channel.overwrites[guild.id]
    assert everyone.deny == discord.Permissions(view_channel=True).value
    assert fake_channel.to_payload()["permission_overwrites"][0]["deny"] == str(everyone.deny)
    assert channel.overwrites_for(alice).view_channel is True
    assert channel.overwrites_for(guild.default_role).view_channel is False

    bob = guild.get_member(scene.bob.id)
    assert bob is not None
    await channel.set_permissions(bob, view_channel=True)
    await fake.wait_for_request("PUT", f"/channels/{channel.id}/permissions/{bob.id}")
    await channel.edit(name="renamed")
    assert scene.guild.channels[channel.id].name == "renamed"
    deleted = asyncio.ensure_future(bot.wait_for("guild_channel_delete", timeout=5))
    await channel.delete()
    assert (await deleted).id == channel.id
    assert channel.id not in scene.guild.channels


@pytest.mark.asyncio
async def test_kick_and_ban(fake: FakeDiscord, scene: Scene, bot: TestBot) -> None:
    guild = scene_member(bot, scene, scene.alice.id).guild
    removed = asyncio.ensure_future(bot.wait_for("member_remove", timeout=5))
    await scene_member(bot, scene, scene.alice.id).kick(reason="bye")
    assert (await removed).id == scene.alice.id
    assert scene.alice.id not in scene.guild.members
    await fake.wait_for_request("DELETE", f"/guilds/{guild.id}/members/{scene.alice.id}")

    removed = asyncio.ensure_future(bot.wait_for("member_remove", timeout=5))
    await guild.ban(discord.Object(scene.bob.id), delete_message_seconds=0)
    assert (await removed).id == scene.bob.id
    assert scene.bob.id in scene.guild.bans
    await fake.wait_for_request("PUT", f"/guilds/{guild.id}/bans/{scene.bob.id}")


@pytest.mark.asyncio
async def test_join_leave_reactions_pins(fake: FakeDiscord, scene: Scene, bot: TestBot) -> None:
    carol = fake.add_user("carol")
    joined = asyncio.ensure_future(bot.wait_for("member_join", timeout=5))
    await fake.user_joins(scene.guild, carol)
    assert (await joined).id == carol.id

    incoming = await fake.user_says(scene.general, carol, "hi all")
    msg = await bot.wait_for("message", check=is_from(carol.id), timeout=5)
    reacted = asyncio.ensure_future(bot.wait_for("raw_reaction_add", timeout=5))
    await fake.user_reacts(incoming, scene.alice, "👍")
    event = await reacted
    assert str(event.emoji) == "👍" and event.user_id == scene.alice.id

    await msg.add_reaction("🎉")
    await fake.wait_for_request(
        "PUT", f"/channels/{scene.general.id}/messages/{incoming.id}/reactions/🎉/@me"
    )
    assert fake.bot_user.id in incoming.reactions["🎉"].user_ids
    await msg.pin()
    assert incoming.pinned and scene.general.pins == [incoming.id]
    fetched = await msg.channel.fetch_message(incoming.id)
    assert fetched.pinned

    left = asyncio.ensure_future(bot.wait_for("raw_member_remove", timeout=5))
    await fake.user_leaves(scene.guild, carol)
    assert (await left).user.id == carol.id


@pytest.mark.asyncio
async def test_slash_sync_invoke_respond(fake: FakeDiscord, scene: Scene, bot: TestBot) -> None:
    guild_obj = discord.Object(scene.guild.id)
    bot.tree.copy_global_to(guild=guild_obj)
    synced = await bot.tree.sync(guild=guild_obj)
    assert {c.name for c in synced} == {"echo", "later"}
    put = await fake.wait_for_request(
        "PUT", f"/applications/{fake.application_id}/guilds/{scene.guild.id}/commands"
    )
    assert {c["name"] for c in put.json} == {"echo", "later"}
    echo_options = next(c for c in put.json if c["name"] == "echo")["options"]
    assert [(o["name"], o["type"]) for o in echo_options] == [("text", 3), ("who", 6)]

    ix = await fake.invoke_slash(scene.guild, scene.general, scene.alice, "echo",
                                 {"text": "hi", "who": scene.bob})
    response = await fake.wait_for_interaction_response(ix)
    assert response == {"type": 4, "data": {"content": "bob: hi", "tts": False}} or (
        response["type"] == 4 and response["data"]["content"] == "bob: hi"
    )
    await fake.wait_for_request("POST", f"/webhooks/{fake.application_id}/{ix.token}")
    assert ix.followups[0]["content"] == "followup"
    assert [m.content for m in fake.messages_in(scene.general)][-2:] == ["bob: hi", "followup"]

    later = await fake.invoke_slash(scene.guild, scene.general, scene.bob, "later")
    assert (await fake.wait_for_interaction_response(later))["type"] == 5
    await fake.wait_for_request(
        "PATCH", f"/webhooks/{fake.application_id}/{later.token}/messages/@original"
    )
    assert fake.message(later.response_message_id or 0).content == "done later"

    # Global sync goes to the global route.
    await bot.tree.sync()
    await fake.wait_for_request("PUT", f"/applications/{fake.application_id}/commands")
    assert set(fake.state.global_commands) == {"echo", "later"}


@pytest.mark.asyncio
async def test_drop_gateway_resume_replays_missed_events(
    fake: FakeDiscord, scene: Scene, bot: TestBot
) -> None:
    mark = fake.frame_mark()
    resumed = asyncio.ensure_future(bot.wait_for("resumed", timeout=5))
    assert await fake.drop_gateway() == 1
    last = asyncio.ensure_future(
        bot.wait_for("message", check=lambda m: m.content == "missed 2", timeout=5)
    )
    for i in range(3):
        await fake.user_says(scene.general, scene.alice, f"missed {i}")
    await last
    got = [m.content for m in bot.seen if m.author.id == scene.alice.id]
    assert got == ["missed 0", "missed 1", "missed 2"]
    await resumed
    resume = await fake.wait_for_gateway_op(Op.RESUME, since=mark)
    assert resume.d["session_id"] and isinstance(resume.d["seq"], int)
    assert bot.ready_count == 1  # resumed, not re-identified

    # Non-resumable drop: INVALID_SESSION, then a fresh IDENTIFY and READY.
    mark = fake.frame_mark()
    await fake.drop_gateway(resumable=False)
    await fake.wait_for_dispatch("READY", since=mark)
    await fake.wait_for_gateway_op(Op.IDENTIFY, since=mark)
    assert any(f.op == Op.INVALID_SESSION for f in fake.gateway_frames[mark:])
    await fake.user_says(scene.general, scene.bob, "after re-identify")
    msg = await bot.wait_for("message", check=is_from(scene.bob.id), timeout=5)
    assert msg.content == "after re-identify"


@pytest.mark.asyncio
async def test_rate_limit_is_waited_out(fake: FakeDiscord, scene: Scene, bot: TestBot) -> None:
    fake.rate_limit_next("POST", "/channels/{id}/messages", retry_after=0.2)
    started = time.perf_counter()
    await scene_channel(bot, scene).send("eventually")
    elapsed = time.perf_counter() - started
    assert elapsed >= 0.2
    posts = fake.find_requests("POST", f"/channels/{scene.general.id}/messages")
    assert [r.status for r in posts] == [429, 200]
    assert fake.rate_limited_requests == [posts[0]]


@pytest.mark.asyncio
async def test_unknown_route_is_recorded(fake: FakeDiscord, scene: Scene, bot: TestBot) -> None:
    guild = bot.get_guild(scene.guild.id)
    assert guild is not None
    with pytest.raises(discord.NotFound):
        await guild.fetch_emojis()
    assert [r.path for r in fake.unknown_requests()] == [f"/guilds/{guild.id}/emojis"]


@pytest.mark.asyncio
async def test_message_content_needs_intent(fake: FakeDiscord, scene: Scene) -> None:
    intents = discord.Intents.all()
    intents.message_content = False
    client = TestBot(intents=intents)
    async with run_client(client, fake.token):
        await fake.user_says(scene.general, scene.alice, "secret")
        msg = await client.wait_for("message", check=is_from(scene.alice.id), timeout=5)
        assert msg.content == ""
        await fake.user_says(scene.general, scene.alice, f"hey {fake.bot_user.mention}")
        msg = await client.wait_for("message", check=is_from(scene.alice.id), timeout=5)
        assert msg.content == f"hey {fake.bot_user.mention}"
        await fake.user_dms(scene.alice, "dm content")
        msg = await client.wait_for("message", check=is_from(scene.alice.id), timeout=5)
        assert msg.content == "dm content"


@pytest.mark.asyncio
async def test_privileged_intent_not_enabled_closes_4014() -> None:
    async with FakeDiscord(privileged_intents=0) as strict:
        restore = point_discord_py_at(strict.api_url, strict.gateway_url)
        try:
            client = TestBot()
            with pytest.raises(discord.PrivilegedIntentsRequired):
                async with run_client(client, strict.token):
                    pass
            assert not client.is_ready()
        finally:
            restore()
        # Without privileged intents the same fake accepts the bot.
        restore = point_discord_py_at(strict.api_url, strict.gateway_url)
        try:
            client = TestBot(intents=discord.Intents.default())
            async with run_client(client, strict.token):
                assert client.is_ready()
        finally:
            restore()


@pytest.mark.asyncio
async def test_bad_token_is_login_failure(fake: FakeDiscord) -> None:
    client = TestBot()
    with pytest.raises(discord.LoginFailure):
        async with run_client(client, "not-the-token"):
            pass
    assert fake.requests[0].status == 401


@pytest.mark.asyncio
async def test_members_chunked_when_not_in_guild_create() -> None:
    async with FakeDiscord(members_in_guild_create=False) as chunky:
        restore = point_discord_py_at(chunky.api_url, chunky.gateway_url)
        guild = chunky.add_guild("Big", members=[chunky.add_user(f"u{i}") for i in range(5)])
        intents = discord.Intents.all()
        intents.presences = False  # with presences, small guilds come complete
        client = TestBot(intents=intents)
        async with run_client(client, chunky.token):
            dguild = client.get_guild(guild.id)
            assert dguild is not None and dguild.chunked and len(dguild.members) == 7
        restore()
        request = await chunky.wait_for_gateway_op(Op.REQUEST_GUILD_MEMBERS)
        chunk = chunky.sent_events("GUILD_MEMBERS_CHUNK")[0]
        assert chunk["nonce"] == request.d["nonce"]


@pytest.mark.asyncio
async def test_uncompressed_gateway_with_raw_websocket(fake: FakeDiscord, scene: Scene) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session, session.ws_connect(
        fake.gateway_url + "?v=10&encoding=json"
    ) as ws:
        hello = await ws.receive_json(timeout=5)
        assert hello["op"] == Op.HELLO and hello["d"]["heartbeat_interval"] > 0
        await ws.send_json({"op": Op.HEARTBEAT, "d": None})
        assert (await ws.receive_json(timeout=5))["op"] == Op.HEARTBEAT_ACK
        await ws.send_json({"op": Op.IDENTIFY, "d": {"token": fake.token, "intents": 513,
                                                     "properties": {}}})
        ready = await ws.receive_json(timeout=5)
        assert ready["t"] == "READY" and ready["s"] == 1
        assert ready["d"]["resume_gateway_url"] == fake.gateway_url
        guild_create = await ws.receive_json(timeout=5)
        assert guild_create["t"] == "GUILD_CREATE" and guild_create["s"] == 2
        # Without GUILD_MEMBERS only the bot's member is sent.
        assert [m["user"]["id"] for m in guild_create["d"]["members"]] == [
            str(fake.bot_user.id)
        ]


@pytest.mark.asyncio
async def test_injected_errors_and_global_rate_limit(
    fake: FakeDiscord, scene: Scene, bot: TestBot
) -> None:
    member = scene_member(bot, scene, scene.alice.id)
    fake.fail_next("DELETE", "/guilds/{gid}/members/{uid}")
    with pytest.raises(discord.Forbidden) as failure:
        await member.kick()
    assert failure.value.code == 50013
    assert scene.alice.id in scene.guild.members

    fake.rate_limit_next("GET", "/guilds/{gid}/members/{uid}", retry_after=0.1, global_=True)
    fetched = await member.guild.fetch_member(scene.alice.id)
    assert fetched.id == scene.alice.id
    limited = fake.rate_limited_requests
    assert len(limited) == 1 and limited[0].path == f"/guilds/{scene.guild.id}/members/{scene.alice.id}"


@pytest.mark.asyncio
async def test_members_chunked_by_1000_like_discord() -> None:
    async with FakeDiscord(members_in_guild_create=False) as chunky:
        restore = point_discord_py_at(chunky.api_url, chunky.gateway_url)
        users = [chunky.add_user(f"u{i}") for i in range(2500)]
        guild = chunky.add_guild("Big", members=users)
        intents = discord.Intents.all()
        intents.presences = False
        client = TestBot(intents=intents)
        try:
            async with run_client(client, chunky.token):
                dguild = client.get_guild(guild.id)
                assert dguild is not None and dguild.chunked and len(dguild.members) == 2502
        finally:
            restore()
        chunks = chunky.sent_events("GUILD_MEMBERS_CHUNK")
        assert [(c["chunk_index"], c["chunk_count"], len(c["members"])) for c in chunks] == [
            (0, 3, 1000), (1, 3, 1000), (2, 3, 502)]


@pytest.mark.asyncio
async def test_history_after_pages_by_100(fake: FakeDiscord, scene: Scene, bot: TestBot) -> None:
    first = await fake.user_says(scene.general, scene.alice, "before")
    sent = [await fake.user_says(scene.general, scene.bob, f"m{i}") for i in range(250)]
    channel = bot.get_channel(scene.general.id)
    assert isinstance(channel, discord.TextChannel)
    mark = fake.request_mark()
    read = [m async for m in channel.history(limit=None, after=discord.Object(first.id),
                                             oldest_first=True)]
    assert [m.id for m in read] == [m.id for m in sent]
    pages = fake.find_requests("GET", f"/channels/{scene.general.id}/messages", since=mark)
    assert [r.query["limit"] for r in pages] == ["100", "100", "100"]
    with pytest.raises(discord.HTTPException) as refused:
        await bot.http.logs_from(scene.general.id, 101)
    assert refused.value.status == 400 and refused.value.code == 50035


@pytest.mark.asyncio
async def test_interaction_deadlines_like_discord(fake: FakeDiscord, scene: Scene, bot: TestBot
                                                  ) -> None:
    fake.state.interaction_ack_seconds = 0.0  # too late to acknowledge
    ix = await fake.invoke_slash(scene.guild, scene.general, scene.alice, "later")
    callback = await fake.wait_for_request("POST", f"/interactions/{ix.id}/{ix.token}/callback")
    assert callback.status == 404 and not ix.responded

    fake.state.interaction_ack_seconds = 3.0
    fake.state.interaction_token_seconds = 0.0  # the token has expired
    ix = await fake.invoke_slash(scene.guild, scene.general, scene.alice, "later")
    edit = await fake.wait_for_request(
        "PATCH", f"/webhooks/{fake.application_id}/{ix.token}/messages/@original")
    assert edit.status == 401


@pytest.mark.asyncio
async def test_message_components_like_discord(fake: FakeDiscord, scene: Scene, bot: TestBot
                                               ) -> None:
    """discord.py's own views receive the fake's MESSAGE_COMPONENT interactions (type 3)."""
    clicks: list[tuple[str, list[str]]] = []

    class Pick(discord.ui.View):
        @discord.ui.button(label="Yes", custom_id="yes")
        async def yes(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
            clicks.append(("yes", []))
            await interaction.response.edit_message(content="answered yes", view=None)

        @discord.ui.select(custom_id="menu", min_values=1, max_values=2, options=[
            discord.SelectOption(label="A", value="a"), discord.SelectOption(label="B", value="b"),
            discord.SelectOption(label="C", value="c")])
        async def menu(self, interaction: discord.Interaction, select: discord.ui.Select[Any]) -> None:
            clicks.append(("menu", list(select.values)))
            await interaction.response.defer()

    channel = bot.get_channel(scene.general.id)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send("pick", view=Pick(timeout=None))
    message = fake.message(sent.id)
    assert [c["type"] for row in message.components for c in row["components"]] == [2, 3]

    chose = await fake.use_component(message, scene.alice, "menu", ["a", "c"])
    assert (await fake.wait_for_interaction_response(chose))["type"] == 6
    assert clicks == [("menu", ["a", "c"])]
    with pytest.raises(ValueError, match="not a valid choice"):
        await fake.use_component(message, scene.alice, "menu", ["a", "b", "c"])  # max_values 2
    with pytest.raises(ValueError, match="no usable component"):
        await fake.use_component(message, scene.alice, "no")

    pressed = await fake.use_component(message, scene.alice, "yes")
    assert (await fake.wait_for_interaction_response(pressed))["type"] == 7
    assert fake.message(sent.id).content == "answered yes"
    assert fake.message(sent.id).components == []
    assert clicks[-1] == ("yes", [])

    # Once the buttons are gone they cannot be pressed; updating a message is for
    # component interactions only, as on Discord.
    with pytest.raises(ValueError, match="no usable component"):
        await fake.use_component(fake.message(sent.id), scene.alice, "yes")
    fake.state.interaction_ack_seconds = 60.0
    ix = build_slash(fake.state, scene.guild, scene.general, scene.alice, "later")  # not sent
    route = discord.http.Route("POST", "/interactions/{id}/{token}/callback", id=ix.id,
                               token=ix.token)
    with pytest.raises(discord.HTTPException) as refused:
        await bot.http.request(route, json={"type": 7, "data": {"content": "x"}})
    assert refused.value.status == 400 and not ix.responded
