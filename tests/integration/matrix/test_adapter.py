"""MatrixAdapter against a real Synapse: events in, every action out, restarts, checks."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest
from adapter_helpers import KEY, FakeHost, body_has, join_community, make_world, send, wait_message
from conftest import PASSWORD  # at import: later conftest modules take the name
from nio import ErrorResponse, RoomPreset
from synapse_harness import MatrixUserFactory, SpaceFactory, SynapseServer

from hearth.adapters.matrix import ops
from hearth.adapters.matrix.errors import MatrixRateLimited
from hearth.errors import Forbidden, RateLimited, StartupError
from hearth.events import (
    AdapterReadyEvent,
    MemberJoinedEvent,
    MemberLeftEvent,
    MessageDeletedEvent,
    MessageEditedEvent,
    MessagePostedEvent,
    ReactionAddedEvent,
)
from hearth.models import Capability, Channel, Member, Role
from hearth.text import mention


def member(client_or_id: object) -> Member:
    uid = getattr(client_or_id, "user_id", client_or_id)
    return Member(platform="matrix", id=str(uid), name=str(uid))


@pytest.mark.asyncio
async def test_events_in(synapse: SynapseServer, matrix_user: MatrixUserFactory,
                         make_space: SpaceFactory) -> None:
    world = await make_world(synapse, matrix_user, make_space)
    adapter, host = await world.started()
    try:
        assert host.of(AdapterReadyEvent)
        alice = await matrix_user("alice")
        await join_community(alice, world, "general")
        joined = await host.wait(MemberJoinedEvent)
        assert joined.community == KEY and joined.member.id == alice.user_id
        assert joined.member.role == Role.MEMBER and joined.id.startswith("$")

        general = world.room("general")
        first = await send(alice, general, f"hello {world.bot.user_id} see https://example.org/x")
        posted = await host.wait(MessagePostedEvent, lambda e: e.message.id == first)
        msg = posted.message
        assert posted.community == KEY and posted.id == first
        assert msg.channel.name == "general" and msg.channel.id == general and not msg.channel.is_dm
        assert msg.author.id == alice.user_id and not msg.author.is_bot
        assert world.bot.user_id in msg.mentions and msg.links == ("https://example.org/x",)

        answer = await ops.reply(alice, general, first, "and a reply")
        replied = await host.wait(MessagePostedEvent, lambda e: e.message.id == answer)
        assert replied.message.reply_to == first and replied.message.text == "and a reply"

        edit = await send(alice, general, "* hello edited", **{
            "m.new_content": {"msgtype": "m.text", "body": "hello edited"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": first}})
        edited = await host.wait(MessageEditedEvent)
        assert edited.id == edit and edited.message.id == first and edited.message.text == "hello edited"

        ops.check(await alice.room_send(general, "m.reaction", {"m.relates_to": {
            "rel_type": "m.annotation", "event_id": first, "key": "✅"}}), "react")
        reacted = await host.wait(ReactionAddedEvent)
        assert reacted.reaction.message_id == first and reacted.reaction.emoji == "✅"
        assert reacted.reaction.member.id == alice.user_id and reacted.community == KEY

        await ops.redact(alice, general, answer)
        deleted = await host.wait(MessageDeletedEvent)
        assert deleted.message_id == answer and deleted.channel.id == general

        # a profile change is not a join; joining a second room of the community is not either
        ops.check(await alice.set_displayname("Alice A."), "displayname")
        await ops.join(alice, world.room("ads"))
        marker = await send(alice, general, "marker")
        await host.wait(MessagePostedEvent, lambda e: e.message.id == marker)
        assert len(host.of(MemberJoinedEvent)) == 1
        for _ in range(100):  # Synapse updates the member event in every room a moment later
            found = await adapter.get_member(KEY, alice.user_id[1:])  # without the "@" too
            if found is not None and found.name == "Alice A.":
                break
            await asyncio.sleep(0.05)
        assert found is not None and found.name == "Alice A."

        # a DM to the bot (an is_direct room the member creates)
        created = ops.check(await alice.room_create(is_direct=True, invite=[world.bot.user_id],
                                                    preset=RoomPreset.trusted_private_chat), "dm")
        await wait_message(alice, created.room_id,
                           lambda ev: ev.get("state_key") == world.bot.user_id
                           and ev.get("content", {}).get("membership") == "join")
        dm_id = await send(alice, created.room_id, "!help")
        dm = await host.wait(MessagePostedEvent, lambda e: e.message.id == dm_id)
        assert dm.community == KEY and dm.message.channel.dm_with == alice.user_id

        # leaving every room of the community is one leave
        for room_id in (world.room("general"), world.room("ads"), world.space.space_id):
            ops.check(await alice.room_leave(room_id), "leave")
        left = await host.wait(MemberLeftEvent)
        assert left.member.id == alice.user_id and left.community == KEY
        await asyncio.sleep(0.3)
        assert len(host.of(MemberLeftEvent)) == 1
        assert await adapter.get_member(KEY, alice.user_id) is None
    finally:
        await adapter.stop()


@pytest.mark.asyncio
async def test_actions_out(synapse: SynapseServer, matrix_user: MatrixUserFactory,
                           make_space: SpaceFactory) -> None:
    world = await make_world(synapse, matrix_user, make_space)
    adapter, host = await world.started()
    try:
        alice, bob, carol = await matrix_user("alice"), await matrix_user("bob"), await matrix_user("carol")
        for user in (alice, bob, carol):
            await join_community(user, world)
        await host.wait(MemberJoinedEvent, lambda e: e.member.id == carol.user_id)
        assert await adapter.member_count(KEY) == 4  # with the owner, without the bot
        general = adapter.resolve_channel(KEY, "general")
        assert general == Channel(platform="matrix", id=world.room("general"))

        # send with a pill, reply
        sent = await adapter.send(KEY, general, "Welcome " + mention(member(alice)) + "!")
        content = (await wait_message(alice, general.id, lambda e: e["event_id"] == sent.id))["content"]
        assert content["m.mentions"] == {"user_ids": [alice.user_id]}
        assert f"https://matrix.to/#/{alice.user_id}" in content["formatted_body"]
        # a member of another network is named: no Discord id, no mention
        dana = Member(platform="discord", id="123456789012345678", name="Dana")
        sent = await adapter.send(KEY, general, "Welcome " + mention(dana) + ", " + dana.name_and_id)
        content = (await wait_message(alice, general.id, lambda e: e["event_id"] == sent.id))["content"]
        assert content["body"] == "Welcome @Dana, Dana (discord)"
        assert content["m.mentions"] == {} and "123456789" not in str(content)
        question = await send(alice, general.id, "question?")
        answer = await adapter.send(KEY, general, "answer", reply_to=question)
        content = (await wait_message(alice, general.id, lambda e: e["event_id"] == answer.id))["content"]
        assert content["m.relates_to"] == {"m.in_reply_to": {"event_id": question}}

        # DM: an is_direct room, reused the second time
        first = await adapter.dm(KEY, member(alice), "psst")
        second = await adapter.dm(KEY, member(alice), "again")
        assert first.channel.id == second.channel.id and first.channel.dm_with == alice.user_id
        await ops.join(alice, first.channel.id)
        await wait_message(alice, first.channel.id, body_has("again"))
        direct = await ops.get_direct_rooms(world.bot)
        assert first.channel.id in direct[alice.user_id]

        # delete (redaction) and pin
        ad = await send(bob, general.id, "buy stuff")
        await adapter.delete(KEY, general, ad, "ad")
        redacted = await wait_message(alice, general.id, lambda e: e["event_id"] == ad)
        assert redacted["content"] == {}
        await adapter.pin(KEY, general, question)
        assert await ops.get_pinned_events(alice, general.id) == [question]

        # mute below events_default, restored after (Matrix has no timed mute: the core lifts it)
        await adapter.mute(KEY, member(bob), datetime.now(UTC) + timedelta(hours=1), "spam")
        pl = await ops.get_power_levels(alice, general.id)
        assert pl.user_level(bob.user_id) < pl.events_default
        refused = await bob.room_send(general.id, "m.room.message", {"msgtype": "m.text", "body": "x"})
        assert isinstance(refused, ErrorResponse)
        await adapter.unmute(KEY, member(bob))
        assert (await ops.get_power_levels(alice, general.id)).user_level(bob.user_id) == 0
        assert not adapter.can(Capability.TIMED_MUTE)

        # roles: power levels (a newcomer at the member level is one in the core's records only)
        await adapter.grant_role(KEY, member(alice), Role.NEWCOMER)
        assert (await adapter.get_member(KEY, alice.user_id)).role == Role.MEMBER  # type: ignore[union-attr]
        await adapter.grant_role(KEY, member(alice), Role.MEMBER)
        assert (await adapter.get_member(KEY, alice.user_id)).role == Role.MEMBER  # type: ignore[union-attr]
        await adapter.grant_role(KEY, member(alice), Role.LEADER)
        for room_id in (world.space.space_id, general.id):
            assert (await ops.get_power_levels(bob, room_id)).user_level(alice.user_id) == 50
        assert (await adapter.get_member(KEY, alice.user_id)).role == Role.LEADER  # type: ignore[union-attr]
        await adapter.revoke_role(KEY, member(alice), Role.LEADER)
        assert (await ops.get_power_levels(bob, general.id)).user_level(alice.user_id) == 0
        owner = await adapter.get_member(KEY, world.owner.user_id)
        assert owner is not None and owner.role == Role.OWNER  # the space's creator

        # a group room in the space, members invited, found by name, dissolved
        group = await adapter.create_group(KEY, "Night talk", [member(alice)], topic="tea at night")
        assert group.name == "Night talk"
        assert adapter.resolve_channel(KEY, "Night talk") == group
        children = [c.room_id for c in await ops.list_space_rooms(world.owner, world.space.space_id)]
        assert group.id in children
        await adapter.invite(KEY, group, member(bob))
        for user in (alice, bob):
            await ops.join(user, group.id)
        # removed from the group (kicked from its room); a second removal is no error
        await adapter.remove_from_group(KEY, group, member(bob))
        assert await ops._membership(alice, group.id, bob.user_id) == "leave"
        await adapter.remove_from_group(KEY, group, member(bob))
        await adapter.dissolve_group(KEY, group, "archive")
        children = [c.room_id for c in await ops.list_space_rooms(world.owner, world.space.space_id)]
        assert group.id not in children
        assert adapter.resolve_channel(KEY, "Night talk") is None
        assert await ops._membership(world.owner, world.space.space_id, alice.user_id) == "join"
        assert (await alice.room_get_state_event(group.id, "m.room.member", alice.user_id)).content[
            "membership"] == "leave"

        # kick and ban
        await adapter.kick(KEY, member(carol), "bye")
        assert await ops._membership(alice, general.id, carol.user_id) == "leave"
        assert await ops._membership(alice, world.space.space_id, carol.user_id) == "leave"
        await adapter.ban(KEY, member(bob), "bad")
        assert await ops._membership(alice, general.id, bob.user_id) == "ban"
        assert await ops._membership(alice, world.space.space_id, bob.user_id) == "ban"
    finally:
        await adapter.stop()


@pytest.mark.asyncio
async def test_restart_resumes_from_stored_token(synapse: SynapseServer, matrix_user: MatrixUserFactory,
                                                 make_space: SpaceFactory) -> None:
    world = await make_world(synapse, matrix_user, make_space)
    alice = await matrix_user("alice")
    await join_community(alice, world, "general")
    general = world.room("general")
    old = await send(alice, general, "before the bot ever ran")

    adapter, host = await world.started()
    seen = await send(alice, general, "while running")
    await host.wait(MessagePostedEvent, lambda e: e.message.id == seen)
    await adapter.stop()
    assert not any(e.message.id == old for e in host.of(MessagePostedEvent))

    # while the bot is down: more than one sync timeline's worth of messages
    missed = [await send(alice, general, f"missed {i}") for i in range(130)]
    adapter, host = await world.started()
    try:
        await host.wait(MessagePostedEvent, lambda e: e.message.id == missed[-1])
        await asyncio.sleep(0.2)
        got = [e.message.id for e in host.of(MessagePostedEvent)]
        assert got == missed  # every one, in order, nothing replayed from before
    finally:
        await adapter.stop()


@pytest.mark.asyncio
async def test_synapse_restart_is_survived(synapse: SynapseServer, matrix_user: MatrixUserFactory,
                                           make_space: SpaceFactory) -> None:
    world = await make_world(synapse, matrix_user, make_space)
    alice = await matrix_user("alice")
    await join_community(alice, world, "general")
    adapter, host = await world.started()
    try:
        general = world.room("general")
        before = await send(alice, general, "before restart")
        await host.wait(MessagePostedEvent, lambda e: e.message.id == before)
        await asyncio.to_thread(synapse.restart)
        after = await send(alice, general, "after restart")
        await host.wait(MessagePostedEvent, lambda e: e.message.id == after, within=40)
        sent = await adapter.send(KEY, adapter.resolve_channel(KEY, "general"), "still here")  # type: ignore[arg-type]
        await wait_message(alice, general, lambda e: e["event_id"] == sent.id)
        assert len(host.of(AdapterReadyEvent)) >= 2  # reconnected
    finally:
        await adapter.stop()


@pytest.mark.asyncio
async def test_permission_report(synapse: SynapseServer, matrix_user: MatrixUserFactory,
                                 make_space: SpaceFactory) -> None:
    world = await make_world(synapse, matrix_user, make_space, bot_level=0, children=("general", "ads"))
    adapter, _host = await world.started()
    try:
        problems = await adapter.check_permissions()
        text = "\n".join(problems)
        for feature in ("deleting messages", "kicking members", "banning members", "roles",
                        "group rooms", "pinning", "mute"):
            assert feature in text, feature
        assert sum("redact" in p for p in problems) == 1  # once, naming both rooms
        assert "general" in text and "ads" in text and "needs 50, has 0" in text
        with pytest.raises(Forbidden):
            await adapter.kick(KEY, member(world.owner), "no")
    finally:
        await adapter.stop()


@pytest.mark.asyncio
async def test_encrypted_room_is_reported(synapse: SynapseServer, matrix_user: MatrixUserFactory,
                                          make_space: SpaceFactory,
                                          caplog: pytest.LogCaptureFixture) -> None:
    world = await make_world(synapse, matrix_user, make_space, children=("general", "secret"))
    ops.check(await world.owner.room_put_state(world.room("secret"), "m.room.encryption",
                                                {"algorithm": "m.megolm.v1.aes-sha2"}), "encrypt")
    alice = await matrix_user("alice")
    await join_community(alice, world)
    caplog.set_level(logging.WARNING, logger="hearth.adapters.matrix")
    adapter, host = await world.started()
    try:
        problems = await adapter.check_permissions()
        assert any("end-to-end encrypted" in p and world.room("secret") in p for p in problems)
        ops.check(await alice.room_send(world.room("secret"), "m.room.encrypted",
                                        {"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "x"}), "send")
        marker = await send(alice, world.room("general"), "marker")
        await host.wait(MessagePostedEvent, lambda e: e.message.id == marker)
        assert "does not support E2EE" in caplog.text
        assert not host.of(MessagePostedEvent, lambda e: e.message.channel.id == world.room("secret"))
    finally:
        await adapter.stop()


@pytest.mark.asyncio
async def test_secrets_stay_out_of_logs_and_errors(synapse: SynapseServer, matrix_user: MatrixUserFactory,
                                                   make_space: SpaceFactory,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    world = await make_world(synapse, matrix_user, make_space, children=("general",))
    caplog.set_level(logging.DEBUG)
    adapter, _host = await world.started()
    await adapter.stop()
    assert world.bot.access_token not in caplog.text
    assert world.bot.access_token not in repr(adapter.account)

    bad = "syt_definitely_not_valid_token"
    broken = world.adapter()
    broken.acc = broken.acc.model_copy(update={"access_token": type(broken.acc.access_token)(bad)})
    with pytest.raises(StartupError) as info:
        await broken.start(FakeHost())
    assert bad not in str(info.value) and "M_UNKNOWN_TOKEN" in str(info.value)
    assert bad not in caplog.text

    # password login works too (and its password is never shown)

    by_password = world.adapter(password=PASSWORD, access_token=None)
    host = FakeHost()
    await by_password.start(host)
    try:
        assert by_password.nio.access_token and by_password.nio.access_token != world.bot.access_token
    finally:
        await by_password.stop()


@pytest.mark.asyncio
async def test_rate_limits_are_waited_out_and_mapped(synapse: SynapseServer, matrix_user: MatrixUserFactory,
                                                     make_space: SpaceFactory) -> None:
    world = await make_world(synapse, matrix_user, make_space, children=("general",))
    adapter = world.adapter()
    calls = 0

    async def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise MatrixRateLimited(429, "M_LIMIT_EXCEEDED", "slow down", retry_after_ms=50)
        return "ok"

    assert await adapter._do("send", flaky) == "ok" and calls == 3

    async def always() -> str:
        raise MatrixRateLimited(429, "M_LIMIT_EXCEEDED", "slow down", retry_after_ms=40_000)

    with pytest.raises(RateLimited) as info:
        await adapter._do("send", always)
    assert info.value.retry_after == 40.0  # longer than the bounded wait: raised at once


@pytest.mark.asyncio
async def test_capabilities_and_admin_delete(synapse: SynapseServer, matrix_user: MatrixUserFactory,
                                             make_space: SpaceFactory) -> None:
    world = await make_world(synapse, matrix_user, make_space, children=("general",))
    adapter, _ = await world.started()
    await adapter.stop()
    assert adapter.can(Capability.GROUP_ARCHIVE) and not adapter.can(Capability.GROUP_DELETE)

    admin_bot = await matrix_user("adminbot", admin=True)
    await ops.invite(world.owner, world.space.space_id, admin_bot.user_id)
    await ops.set_power_level(world.owner, world.space.space_id, admin_bot.user_id, 100)
    await ops.invite(world.owner, world.room("general"), admin_bot.user_id)
    world.bot = admin_bot
    adapter, _ = await world.started(admin_api=True)
    try:
        assert adapter.can(Capability.GROUP_DELETE)
        alice = await matrix_user("alice")
        group = await adapter.create_group(KEY, "Swap", [member(alice)], topic="swap")
        await adapter.dissolve_group(KEY, group, "delete")
        resp = await alice.join(group.id)
        assert not hasattr(resp, "room_id")  # the room is gone
    finally:
        await adapter.stop()


@pytest.mark.asyncio
async def test_member_list_and_changes_made_on_the_homeserver(
        synapse: SynapseServer, matrix_user: MatrixUserFactory, make_space: SpaceFactory) -> None:
    from hearth.events import MemberUpdatedEvent

    world = await make_world(synapse, matrix_user, make_space)
    alice = await matrix_user("alice")
    await join_community(alice, world, "general")  # before the bot starts: no join event for her
    adapter, host = await world.started()
    try:
        assert adapter.can(Capability.MEMBERS)
        listed = {m.member.id: m for m in [m async for m in adapter.list_members(KEY)]}
        assert world.bot.user_id not in listed
        assert listed[alice.user_id].member.role == Role.MEMBER
        assert listed[world.owner.user_id].member.role == Role.OWNER
        assert listed[alice.user_id].joined is None  # Matrix does not say: first seen counts

        # the owner makes alice a moderator in their client: she is a leader now
        await ops.set_power_level(world.owner, world.room("general"), alice.user_id, 50)
        raised = await host.wait(MemberUpdatedEvent, lambda e: e.member.id == alice.user_id)
        assert raised.member.role == Role.LEADER and raised.community == KEY
        ops.check(await alice.set_displayname("Alice A."), "displayname")
        renamed = await host.wait(MemberUpdatedEvent, lambda e: e.member.name == "Alice A.")
        assert renamed.member.id == alice.user_id and renamed.member.role == Role.LEADER
    finally:
        await adapter.stop()
