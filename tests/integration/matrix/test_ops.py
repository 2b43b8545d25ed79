"""hearth.adapters.matrix.ops against a real Synapse (fresh users and rooms per test)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from nio import AsyncClient, AsyncClientConfig, RoomPreset, SyncResponse
from synapse_harness import MatrixUserFactory, SpaceFactory, SynapseServer

from hearth.adapters.matrix import errors, ops


async def room_with(owner: AsyncClient, *members: AsyncClient, **create: Any) -> str:
    """A private room made by ``owner`` that every one of ``members`` has joined."""
    create.setdefault("preset", RoomPreset.private_chat)
    resp = await owner.room_create(invite=[m.user_id for m in members], **create)
    room_id: str = ops.check(resp, "create").room_id
    for member in members:
        await ops.join(member, room_id)
    return room_id


async def event_content(client: AsyncClient, room_id: str, event_id: str) -> dict[str, Any]:
    resp = ops.check(await client.room_get_event(room_id, event_id), "get event")
    content: dict[str, Any] = resp.event.source["content"]
    return content


async def membership(client: AsyncClient, room_id: str, user_id: str) -> str | None:
    resp = await client.room_get_state_event(room_id, "m.room.member", user_id)
    return getattr(resp, "content", {}).get("membership")


# ----------------------------------------------------------------------------- messages


@pytest.mark.asyncio
async def test_send_text_with_mentions(matrix_user: MatrixUserFactory) -> None:
    bot, alice = await matrix_user("bot"), await matrix_user("alice")
    room = await room_with(bot, alice)
    event_id = await ops.send_text(bot, room, f"hello {alice.user_id} <3", mentions={alice.user_id: "Alice"})
    content = await event_content(alice, room, event_id)
    assert content["body"] == "hello Alice <3"
    assert content["m.mentions"] == {"user_ids": [alice.user_id]}
    assert content["format"] == "org.matrix.custom.html"
    assert content["formatted_body"] == (
        f'hello <a href="https://matrix.to/#/{alice.user_id}">Alice</a> &lt;3'
    )
    plain = await event_content(alice, room, await ops.send_text(bot, room, "plain", notice=True))
    assert plain == {"msgtype": "m.notice", "body": "plain", "m.mentions": {}}


@pytest.mark.asyncio
async def test_reply_with_fallback_and_thread(matrix_user: MatrixUserFactory) -> None:
    bot, alice = await matrix_user("bot"), await matrix_user("alice")
    room = await room_with(bot, alice)
    question = await ops.send_text(alice, room, "what is\nhearth?")
    answer = await ops.reply(bot, room, question, "a bot")
    content = await event_content(alice, room, answer)
    assert content["m.relates_to"] == {"m.in_reply_to": {"event_id": question}}
    assert content["body"] == f"> <{alice.user_id}> what is\n> hearth?\n\na bot"
    assert content["formatted_body"].startswith("<mx-reply><blockquote>")
    assert content["formatted_body"].endswith("</mx-reply>a bot")
    assert content["m.mentions"] == {"user_ids": [alice.user_id]}

    # a reply to a reply quotes only the new text; a reply inside a thread stays there
    again = await event_content(alice, room, await ops.reply(alice, room, answer, "thanks"))
    assert again["body"] == f"> <{bot.user_id}> a bot\n\nthanks"
    root = await ops.send_text(alice, room, "thread root")
    in_thread = ops.check(
        await alice.room_send(
            room,
            "m.room.message",
            {
                "msgtype": "m.text",
                "body": "in thread",
                "m.relates_to": {"rel_type": "m.thread", "event_id": root},
            },
        ),
        "send",
    ).event_id
    threaded = await event_content(alice, room, await ops.reply(bot, room, in_thread, "ok"))
    assert threaded["m.relates_to"]["rel_type"] == "m.thread"
    assert threaded["m.relates_to"]["event_id"] == root
    assert threaded["m.relates_to"]["m.in_reply_to"] == {"event_id": in_thread}


@pytest.mark.asyncio
async def test_redact(matrix_user: MatrixUserFactory) -> None:
    bot, alice = await matrix_user("bot"), await matrix_user("alice")
    room = await room_with(bot, alice)
    spam = await ops.send_text(alice, room, "spam")
    await ops.redact(bot, room, spam, reason="spam")
    assert await event_content(bot, room, spam) == {}
    with pytest.raises(errors.MatrixForbidden):  # PL 0 cannot redact others' events
        await ops.redact(alice, room, await ops.send_text(bot, room, "mine"))


# ----------------------------------------------------------------------------- DMs


@pytest.mark.asyncio
async def test_dm_is_created_once_and_reused(matrix_user: MatrixUserFactory) -> None:
    bot, carol = await matrix_user("bot"), await matrix_user("carol")
    assert await ops.get_direct_rooms(bot) == {}
    dm, again = await asyncio.gather(
        ops.get_or_create_dm(bot, carol.user_id), ops.get_or_create_dm(bot, carol.user_id)
    )
    assert dm == again
    assert await ops.get_direct_rooms(bot) == {carol.user_id: [dm]}
    invite = await carol.sync(timeout=0)
    assert isinstance(invite, SyncResponse)
    member = next(
        e for e in invite.rooms.invite[dm].invite_state if getattr(e, "state_key", None) == carol.user_id
    )
    assert member.content["is_direct"] is True
    await ops.join(carol, dm)
    assert await ops.get_or_create_dm(bot, carol.user_id) == dm

    # carol left: a new DM is made and recorded next to the old one
    ops.check(await carol.room_leave(dm), "leave")
    new_dm = await ops.get_or_create_dm(bot, carol.user_id)
    assert new_dm != dm
    assert await ops.get_direct_rooms(bot) == {carol.user_id: [dm, new_dm]}


# ----------------------------------------------------------------------------- moderation


@pytest.mark.asyncio
async def test_mute_and_unmute_restore_previous_level(matrix_user: MatrixUserFactory) -> None:
    bot, alice = await matrix_user("bot"), await matrix_user("alice")
    room = await room_with(bot, alice)
    assert await ops.set_power_level(bot, room, alice.user_id, 20) == 0
    assert await ops.mute(bot, room, alice.user_id) == 20
    assert (await ops.get_power_levels(bot, room)).user_level(alice.user_id) == -1
    with pytest.raises(errors.MatrixForbidden):
        await ops.send_text(alice, room, "let me speak")
    assert await ops.mute(bot, room, alice.user_id) == 20  # idempotent
    assert await ops.unmute(bot, room, alice.user_id) == 20
    assert (await ops.get_power_levels(bot, room)).user_level(alice.user_id) == 20
    await ops.send_text(alice, room, "thanks")
    assert await ops.unmute(bot, room, alice.user_id) == 20  # not muted: no change

    # default-level user: unmute removes the users entry again
    assert await ops.set_power_level(bot, room, alice.user_id, None) == 20
    assert await ops.mute(bot, room, alice.user_id) == 0
    assert await ops.unmute(bot, room, alice.user_id) == 0
    pl = await ops.get_power_levels(bot, room)
    assert alice.user_id not in pl.content["users"]


@pytest.mark.asyncio
async def test_kick_ban_unban_invite(matrix_user: MatrixUserFactory) -> None:
    bot, alice, bob = [await matrix_user(n) for n in ("bot", "alice", "bob")]
    room = await room_with(bot, alice)
    await ops.kick(bot, room, alice.user_id, reason="calm down")
    assert await membership(bot, room, alice.user_id) == "leave"
    await ops.invite(bot, room, alice.user_id)
    await ops.join(alice, room)
    await ops.ban(bot, room, alice.user_id, reason="spam")
    assert await membership(bot, room, alice.user_id) == "ban"
    with pytest.raises(errors.MatrixForbidden):
        await ops.join(alice, room)
    await ops.unban(bot, room, alice.user_id)
    assert await membership(bot, room, alice.user_id) == "leave"
    with pytest.raises(errors.MatrixForbidden):  # invite-only room
        await ops.join(bob, room)
    with pytest.raises(errors.MatrixForbidden):
        await ops.kick(alice, room, bot.user_id)


@pytest.mark.asyncio
async def test_permissions(matrix_user: MatrixUserFactory) -> None:
    bot, alice = await matrix_user("bot"), await matrix_user("alice")
    room = await room_with(bot, alice)
    wanted: dict[str, Any] = dict(
        redact=True, kick=True, ban=True, invite=True, state_events=["m.room.power_levels"]
    )
    assert await ops.missing_permissions(bot, room, **wanted) == []
    assert await ops.missing_permissions(alice, room, **wanted) == [
        "redact",
        "kick",
        "ban",
        "state:m.room.power_levels",
    ]
    await ops.set_power_level(bot, room, alice.user_id, 50)
    assert await ops.missing_permissions(alice, room, **wanted) == ["state:m.room.power_levels"]
    assert await ops.missing_permissions(bot, room, user_id=alice.user_id, ban=True) == []
    pl = await ops.get_power_levels(bot, room)
    # room version 12: the creator is above every level and not listed in "users"
    assert pl.creators == {bot.user_id} and bot.user_id not in pl.content["users"]
    assert (pl.user_level(bot.user_id), pl.user_level(alice.user_id), pl.events_default) == (
        ops.CREATOR_LEVEL,
        50,
        0,
    )
    old = await room_with(bot, room_version="10")  # before v12 the creator is just PL 100
    old_pl = await ops.get_power_levels(bot, old)
    assert old_pl.creators == frozenset() and old_pl.user_level(bot.user_id) == 100
    assert await ops.missing_permissions(bot, old, **wanted) == []


# ----------------------------------------------------------------------------- spaces


@pytest.mark.asyncio
async def test_private_room_in_space(matrix_user: MatrixUserFactory, make_space: SpaceFactory) -> None:
    admin, alice = await matrix_user("admin", admin=True), await matrix_user("alice")
    space = await make_space(admin, children=("general",))
    room = await ops.create_private_room_in_space(admin, space.space_id, "staff", invite=[alice.user_id])
    children = await ops.list_space_rooms(admin, space.space_id)
    assert [c.room_id for c in children] == sorted([space.rooms["general"], room])
    assert all(c.via == ("localhost",) for c in children)
    rules = ops.check(await admin.room_get_state_event(room, "m.room.join_rules"), "get")
    assert rules.content["join_rule"] == "invite"
    parent = ops.check(await admin.room_get_state_event(room, "m.space.parent", space.space_id), "get")
    assert parent.content["via"] == ["localhost"]
    await ops.join(alice, room)  # the invite works

    await ops.remove_space_child(admin, space.space_id, space.rooms["general"])
    assert [c.room_id for c in await ops.list_space_rooms(admin, space.space_id)] == [room]


@pytest.mark.asyncio
async def test_dissolve_room(matrix_user: MatrixUserFactory, make_space: SpaceFactory) -> None:
    admin = await matrix_user("admin", admin=True)
    alice, bob, carol = [await matrix_user(n) for n in ("alice", "bob", "carol")]
    space = await make_space(admin, children=("doomed", "kept"))
    doomed = space.rooms["doomed"]
    await ops.join(alice, doomed)
    await ops.join(bob, doomed)
    await ops.invite(admin, doomed, carol.user_id)
    msg = await ops.send_text(alice, doomed, "bye")
    result = await ops.dissolve_room(admin, doomed, reason="closing", admin_delete=True)
    assert result.unlinked_spaces == [space.space_id]
    assert sorted(result.removed_users) == sorted([alice.user_id, bob.user_id, carol.user_id])
    assert result.tombstone_event_id and result.admin_delete_status == "complete"
    children = await ops.list_space_rooms(admin, space.space_id)
    assert [c.room_id for c in children] == [space.rooms["kept"]]
    with pytest.raises(errors.MatrixOpError):
        await ops.join(alice, doomed)
    with pytest.raises(errors.MatrixOpError):
        await event_content(alice, doomed, msg)


@pytest.mark.asyncio
async def test_dissolve_room_without_server_admin(matrix_user: MatrixUserFactory) -> None:
    bot, alice = await matrix_user("bot"), await matrix_user("alice")
    assert not await ops.is_server_admin(bot)
    space = await ops.create_space(bot, "club")
    room = await ops.create_private_room_in_space(bot, space, "side")
    await ops.invite(bot, room, alice.user_id)
    await ops.join(alice, room)
    result = await ops.dissolve_room(bot, room, admin_delete=True)
    assert result.admin_delete_status is None
    assert result.unlinked_spaces == [space] and result.removed_users == [alice.user_id]
    assert await ops.list_space_rooms(bot, space) == []
    assert result.tombstone_event_id
    with pytest.raises(errors.MatrixOpError):  # nobody left in it: cannot be joined
        await ops.join(alice, room)


# ----------------------------------------------------------------------------- room info


@pytest.mark.asyncio
async def test_pin_and_unpin(matrix_user: MatrixUserFactory) -> None:
    bot, alice = await matrix_user("bot"), await matrix_user("alice")
    room = await room_with(bot, alice)
    first, second = [await ops.send_text(alice, room, t) for t in ("rules", "faq")]
    assert await ops.get_pinned_events(bot, room) == []
    assert await ops.pin(bot, room, first) == [first]
    assert await ops.pin(bot, room, second) == [first, second]
    assert await ops.pin(bot, room, first) == [first, second]
    assert await ops.unpin(bot, room, first) == [second]
    assert await ops.get_pinned_events(alice, room) == [second]
    with pytest.raises(errors.MatrixForbidden):
        await ops.pin(alice, room, first)


@pytest.mark.asyncio
async def test_is_encrypted(matrix_user: MatrixUserFactory) -> None:
    bot = await matrix_user("bot")
    plain = await room_with(bot)
    encrypted = await room_with(
        bot,
        initial_state=[{"type": "m.room.encryption", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}],
    )
    assert (await ops.is_encrypted(bot, plain), await ops.is_encrypted(bot, encrypted)) == (
        False,
        True,
    )


@pytest.mark.asyncio
async def test_error_mapping(matrix_user: MatrixUserFactory) -> None:
    bot, outsider = await matrix_user("bot"), await matrix_user("outsider")
    room = await room_with(bot)
    with pytest.raises(errors.MatrixNotFound) as not_found:
        await event_content(bot, room, "$nonexistent")
    assert not_found.value.status_code == 404 and not_found.value.errcode == "M_NOT_FOUND"
    with pytest.raises(errors.MatrixForbidden) as forbidden:
        await ops.send_text(outsider, room, "let me in")
    assert forbidden.value.status_code == 403 and "send message" in str(forbidden.value)
    with pytest.raises(errors.MatrixForbidden):  # nio returns a 403 here as a "success"
        await ops.get_power_levels(outsider, room)
    with pytest.raises(errors.MatrixForbidden):
        await ops.is_encrypted(outsider, room)


class AnswerCutter:
    """A TCP proxy on 127.0.0.1 to the homeserver that passes the first event sent
    (``PUT …/send/…``) on and cuts the connection halfway through the answer."""

    def __init__(self, target: str) -> None:
        self.host, port = target.removeprefix("http://").split(":")
        self.port = int(port)
        self.cut = 0
        self.server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def __aenter__(self) -> AnswerCutter:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(self.host, self.port)
        sending = asyncio.Event()  # an event is on its way up: its answer is not passed down

        async def up() -> None:
            while data := await reader.read(65536):
                if not self.cut and data.startswith(b"PUT ") and b"/send/" in data.split(b"\r\n")[0]:
                    self.cut += 1
                    sending.set()
                up_writer.write(data)
                await up_writer.drain()

        async def down() -> None:
            while data := await up_reader.read(65536):
                if sending.is_set():  # the homeserver answered: it made the event
                    # the answer's head and a part of its body, then the line drops
                    writer.write(data[: data.index(b"\r\n\r\n") + 6])
                    await writer.drain()
                    return
                writer.write(data)
                await writer.drain()

        pipes = [asyncio.ensure_future(up()), asyncio.ensure_future(down())]
        try:
            await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pipe in pipes:
                pipe.cancel()
            writer.close()
            up_writer.close()


@pytest.mark.asyncio
async def test_a_send_whose_answer_is_lost_is_sent_again_without_a_second_event(
        synapse: SynapseServer, matrix_user: MatrixUserFactory) -> None:
    alice, bob = await matrix_user("alice"), await matrix_user("bob")
    room = await room_with(alice, bob)
    async with AnswerCutter(synapse.url) as cutter:
        cut_off = AsyncClient(cutter.url, alice.user_id,
                              config=AsyncClientConfig(max_limit_exceeded=0, max_timeouts=0))
        cut_off.restore_login(alice.user_id, alice.device_id or "", alice.access_token)
        try:
            event_id = await ops.send_text(cut_off, room, "only once")
        finally:
            await cut_off.close()
    assert cutter.cut == 1
    messages = ops.check(await bob.room_messages(room, limit=20), "messages").chunk
    sent = [m.event_id for m in messages if getattr(m, "body", None) == "only once"]
    assert sent == [event_id]


# ----------------------------------------------------------------------------- rate limits


@pytest.mark.asyncio
async def test_rate_limited_send_is_waited_out(matrix_user: MatrixUserFactory) -> None:
    admin, alice = await matrix_user("admin", admin=True), await matrix_user("alice")
    room = await room_with(alice)
    await ops.raw_request(  # Synapse admin API: per-user rc_message override
        admin,
        "POST",
        f"/_synapse/admin/v1/users/{alice.user_id}/override_ratelimit",
        {"messages_per_second": 20, "burst_count": 1},
    )
    with pytest.raises(errors.MatrixRateLimited) as limited:
        for i in range(10):
            await ops.send_text(alice, room, f"flood {i}")
    assert limited.value.status_code == 429 and limited.value.retry_after_ms
    assert 0 < limited.value.retry_after_ms <= 100
    t0 = time.monotonic()
    sent = [
        await ops.retry_rate_limited(lambda i=i: ops.send_text(alice, room, f"polite {i}")) for i in range(3)
    ]
    assert len(set(sent)) == 3 and time.monotonic() - t0 < 5


@pytest.mark.asyncio
async def test_retry_rate_limited_is_bounded() -> None:
    calls = 0

    async def always_limited() -> None:
        nonlocal calls
        calls += 1
        raise errors.MatrixRateLimited(429, "M_LIMIT_EXCEEDED", "slow down", retry_after_ms=10)

    with pytest.raises(errors.MatrixRateLimited):
        await ops.retry_rate_limited(always_limited, max_attempts=3)
    assert calls == 3
    calls = 0
    with pytest.raises(errors.MatrixRateLimited):  # the 2nd wait would exceed the budget
        await ops.retry_rate_limited(always_limited, max_attempts=10, max_total_wait=0.015)
    assert calls == 2


@pytest.mark.asyncio
async def test_send_file_uploads_and_posts_an_image(matrix_user: MatrixUserFactory) -> None:
    bot, alice = await matrix_user("bot"), await matrix_user("alice")
    room = await room_with(bot, alice)
    png = b"\x89PNG\r\n\x1a\n" + bytes(100)
    event_id = await ops.send_file(bot, room, png, "activity.png")
    content = await event_content(alice, room, event_id)
    assert content["msgtype"] == "m.image" and content["body"] == "activity.png"
    assert content["info"] == {"mimetype": "image/png", "size": len(png)}
    assert content["url"].startswith("mxc://")
    downloaded = await alice.download(content["url"])
    assert getattr(downloaded, "body", None) == png


@pytest.mark.asyncio
async def test_invite_once_leaves_a_member_or_an_invitee_alone(matrix_user: MatrixUserFactory) -> None:
    """A council room: inviting a leader already in it (or already invited) is no error."""
    bot, alice, bob = [await matrix_user(n) for n in ("bot", "alice", "bob")]
    room = await room_with(bot, alice)
    assert await ops.invite_once(bot, room, alice.user_id) is False  # joined already
    assert await ops.invite_once(bot, room, bob.user_id) is True
    assert await membership(bot, room, bob.user_id) == "invite"
    assert await ops.invite_once(bot, room, bob.user_id) is False  # invited already


@pytest.mark.asyncio
async def test_hold_raises_events_default_for_newcomers_and_release_restores_it(
    matrix_user: MatrixUserFactory,
) -> None:
    bot, newcomer, member = [await matrix_user(n) for n in ("bot", "newcomer", "member")]
    room = await room_with(bot, newcomer, member)
    await ops.set_power_level(bot, room, member.user_id, 1)
    assert await ops.hold(bot, room, 1)
    assert (await ops.get_power_levels(bot, room)).events_default == 1
    with pytest.raises(errors.MatrixForbidden):
        await ops.send_text(newcomer, room, "buy followers")
    await ops.send_text(member, room, "members still talk")
    assert not await ops.hold(bot, room, 1)  # held already: one change for the whole wave
    await ops.mute(bot, room, member.user_id)  # a mute during the hold outlasts it
    assert (await ops.get_power_levels(bot, room)).user_level(member.user_id) == -1
    assert await ops.release(bot, room)
    assert (await ops.get_power_levels(bot, room)).events_default == 0
    await ops.send_text(newcomer, room, "hello")
    with pytest.raises(errors.MatrixForbidden):
        await ops.send_text(member, room, "still muted")
    assert not await ops.release(bot, room)  # not held: nothing to restore
