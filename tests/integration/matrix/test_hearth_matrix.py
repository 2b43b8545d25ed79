"""Hearth end to end on Matrix: the App with the built-in plugins (welcome, ad_window,
flash) and the Matrix adapter against a real Synapse, driven by real users through nio."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from adapter_helpers import (
    World,
    body_has,
    crash_app,
    join_community,
    make_world,
    recent,
    send,
    wait_message,
)
from nio import AsyncClient, ErrorResponse, RoomPreset
from synapse_harness import MatrixUserFactory, SpaceFactory, SynapseServer

from hearth import from_ms, to_ms
from hearth.adapters.matrix import ops
from hearth.adapters.matrix.adapter import MatrixAdapter
from hearth.app import App, bindings_for
from hearth.bootstrap import load
from hearth.models import Capability, Role
from hearth.storage import KeyValueStore

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
TOKEN_ENV = "HEARTH_TEST_MATRIX_TOKEN"


def config_yaml(world: World) -> str:
    other_day = DAYS[(dt.datetime.now(dt.UTC).weekday() + 2) % 7]  # an ad window that is never now
    rooms = world.space.rooms
    return f"""
command_prefix: "!"
accounts:
  matrix:
    homeserver: {world.synapse.url}
    user_id: "{world.bot.user_id}"
    access_token: ${{{TOKEN_ENV}}}
communities:
  tea:
    timezone: UTC
    matrix: {{space: "{world.space.space_id}"}}
    channels:
      general: {{matrix: "{rooms['general']}"}}
      ads: {{matrix: "{rooms['ads']}"}}
    plugins:
      welcome:
        channel: general
        message: "Welcome {{mention}} to {{community}}! You are member #{{member_count}}."
        rules: "1. Be kind. 2. Ads only in the window."
        accept: {{command: agree, within: 24h, on_timeout: nothing}}
      ad_window:
        windows:
          - {{days: [{other_day}], from: "20:00", to: "21:00"}}
        ad_channels: [ads]
        escalation: [warn, {{mute: 1h}}]
        audit_channel: general
      flash:
        creators: member
        on_close: delete
      guard:
        reports: {{channel: ads}}
"""


@dataclass
class Running:
    world: World
    app: App
    adapter: MatrixAdapter
    alice: AsyncClient
    bob: AsyncClient
    db: str

    async def restart_bot(self, *, between: Any = None) -> None:
        """Stop the bot, run ``between`` while it is down, start a fresh App on the same db."""
        await self.app.stop()
        if between is not None:
            await between()
        self.app, self.adapter = await start_app(self.world, self.db)


async def start_app(world: World, db: str) -> tuple[App, MatrixAdapter]:
    loaded = load(config_yaml(world), text=True, strict_accounts=True)
    adapter = MatrixAdapter(account=loaded.config.accounts["matrix"],
                            communities=bindings_for(loaded.config, MatrixAdapter))
    app = App(loaded.config, loaded.plugins, [adapter], storage=db)
    await app.start()
    return app, adapter


@pytest_asyncio.fixture
async def hearth(synapse: SynapseServer, matrix_user: MatrixUserFactory, make_space: SpaceFactory,
                 tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Running]:
    world = await make_world(synapse, matrix_user, make_space, children=("general", "ads"))
    alice, bob = await matrix_user("alice"), await matrix_user("bob")
    for user in (alice, bob):
        await join_community(user, world)
    monkeypatch.setenv(TOKEN_ENV, world.bot.access_token)
    db = f"sqlite:///{tmp_path}/hearth.db"
    app, adapter = await start_app(world, db)
    running = Running(world, app, adapter, alice, bob, db)
    try:
        yield running
    finally:
        await running.app.stop()


async def dm_room(world: World, user: AsyncClient, within: float = 15.0) -> str:
    """The bot's DM room with ``user`` (joined by the user)."""
    for _ in range(int(within / 0.05)):
        rooms = (await ops.get_direct_rooms(world.bot)).get(user.user_id)
        if rooms:
            await ops.join(user, rooms[-1])
            return rooms[-1]
        await asyncio.sleep(0.05)
    raise AssertionError(f"the bot opened no DM with {user.user_id}")


async def role_becomes(running: Running, user: AsyncClient, role: Role, within: float = 15.0) -> None:
    """Wait until ``user``'s role, as Hearth sees it (the network's, with Hearth's roles), is ``role``."""
    for _ in range(int(within / 0.05)):
        found = await running.app.contexts["tea"]["hearth"].get_member("matrix", user.user_id)
        if found is not None and found.role == role:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{user.user_id} never became {role.label}")


@pytest.mark.asyncio
async def test_newcomer_is_welcomed_accepts_rules_and_is_promoted(hearth: Running,
                                                                  matrix_user: MatrixUserFactory) -> None:
    world, general = hearth.world, hearth.world.room("general")
    carol = await matrix_user("carol")
    await join_community(carol, world)

    welcome = await wait_message(carol, general, body_has("Welcome", world.bot.user_id))
    assert welcome["content"]["m.mentions"] == {"user_ids": [carol.user_id]}  # a pill, not plain text
    assert f"https://matrix.to/#/{carol.user_id}" in welcome["content"]["formatted_body"]
    assert carol.user_id not in welcome["content"]["body"]  # the pill's text is the display name
    assert "to tea! You are member #4" in welcome["content"]["body"]  # owner, alice, bob, carol
    await role_becomes(hearth, carol, Role.NEWCOMER)

    dm = await dm_room(world, carol)
    await wait_message(carol, dm, body_has("agree", world.bot.user_id))
    await send(carol, general, "!agree")
    await role_becomes(hearth, carol, Role.MEMBER)


@pytest.mark.asyncio
async def test_ad_outside_the_window_is_redacted_and_author_told_by_dm(hearth: Running) -> None:
    world, alice, general = hearth.world, hearth.alice, hearth.world.room("general")
    ad = await send(alice, general, "Cheap followers at https://spam.example.com")
    allowed = await send(alice, world.room("ads"), "Ads go here: https://spam.example.com")
    redacted = await wait_message(alice, general, lambda e: e["event_id"] == ad and e["content"] == {})
    assert redacted["unsigned"]["redacted_because"]["sender"] == world.bot.user_id
    dm = await dm_room(world, alice)
    told = await wait_message(alice, dm, lambda e: e.get("sender") == world.bot.user_id
                              and "body" in e.get("content", {}))
    assert told["content"]["body"]
    kept = next(e for e in await recent(alice, world.room("ads")) if e["event_id"] == allowed)
    assert kept["content"]["body"].startswith("Ads go here")


@pytest.mark.asyncio
async def test_a_report_by_reply_reads_the_reported_event_and_files_it(hearth: Running) -> None:
    """Issue 17: the reported message is read back from the server (fetch_message)."""
    world, alice, bob, general = hearth.world, hearth.alice, hearth.bob, hearth.world.room("general")
    rude = await send(bob, general, "you are all fools")
    report = await ops.reply(alice, general, rude, "!report rude")
    filed = await wait_message(alice, world.room("ads"), body_has("Report 1:", world.bot.user_id))
    assert "`you are all fools`" in filed["content"]["body"]
    assert f"`{bob.user_id}`" in filed["content"]["body"]
    await wait_message(alice, general, lambda e: e["event_id"] == report and e["content"] == {})


async def membership_becomes(world: World, room: str, user: str, state: str,
                             within: float = 15.0) -> None:
    for _ in range(int(within / 0.05)):
        if await ops._membership(world.owner, room, user) == state:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{user} never became {state!r} in {room}")


@pytest.mark.asyncio
async def test_an_admin_bans_and_unbans_in_every_room_of_the_community(hearth: Running) -> None:
    """Issue 17: ``!unban`` finds the banned member in the directory and lifts the ban everywhere."""
    world, bob, general = hearth.world, hearth.bob, hearth.world.room("general")
    await send(world.owner, general, f"!ban {bob.user_id} spam")
    for room in (general, world.room("ads"), world.space.space_id):
        await membership_becomes(world, room, bob.user_id, "ban")
    await send(world.owner, general, f"!unban {bob.user_id}")
    for room in (general, world.room("ads"), world.space.space_id):
        await membership_becomes(world, room, bob.user_id, "leave")


@pytest.mark.asyncio
async def test_audit_line_shows_the_account_id_beside_a_borrowed_display_name(hearth: Running) -> None:
    """Issue 10 item 16: bob calls himself "alice"; the audit line names his account."""
    world, bob, general = hearth.world, hearth.bob, hearth.world.room("general")
    await bob.set_displayname("alice")
    await wait_message(bob, general, lambda e: e.get("type") == "m.room.member"
                       and e.get("state_key") == bob.user_id
                       and e.get("content", {}).get("displayname") == "alice")
    await send(bob, general, "Cheap followers at https://spam.example.com")
    audit = await wait_message(bob, general, body_has("removed a message by", world.bot.user_id))
    content = audit["content"]
    assert f"alice (`{bob.user_id}`)" in content["body"]
    assert f"alice (<code>{bob.user_id}</code>)" in content["formatted_body"]
    assert bob.user_id not in content["m.mentions"].get("user_ids", [])  # shown, not pinged


@pytest.mark.asyncio
async def test_flash_group_is_created_in_the_space_and_dissolved_at_its_end(hearth: Running) -> None:
    world, alice, bob = hearth.world, hearth.alice, hearth.bob
    general = world.room("general")
    await send(alice, general, f'!flash "Night talk" 4s {bob.user_id}')
    await wait_message(alice, general, body_has("Night talk", world.bot.user_id))
    group = hearth.adapter.resolve_channel("tea", "night-talk")
    assert group is not None
    children = [c.room_id for c in await ops.list_space_rooms(alice, world.space.space_id)]
    assert group.id in children
    bot_view = world.bot  # another session of the bot's account
    assert await ops._membership(bot_view, group.id, bob.user_id) == "invite"
    assert await ops._membership(bot_view, group.id, alice.user_id) == "invite"  # the creator
    await ops.join(bob, group.id)

    for _ in range(300):  # the group ends after 4 s of real time
        if hearth.adapter.resolve_channel("tea", "night-talk") is None:  # dissolved completely
            break
        await asyncio.sleep(0.1)
    children = [c.room_id for c in await ops.list_space_rooms(alice, world.space.space_id)]
    assert group.id not in children
    seen_by_bob = [ev.get("type") for ev in await recent(bob, group.id)]
    assert "m.room.join_rules" in seen_by_bob  # made invite-only before he was removed
    assert isinstance(await bob.join(group.id), ErrorResponse)  # invite-only, he was removed
    assert isinstance(await alice.join(group.id), ErrorResponse)


@pytest.mark.asyncio
async def test_restart_loses_no_message_sent_while_the_bot_was_down(hearth: Running) -> None:
    world, alice, general = hearth.world, hearth.alice, hearth.world.room("general")
    ads: list[str] = []

    async def while_down() -> None:
        ads.append(await send(alice, general, "Buy now at https://spam.example.com/1"))
        ads.append(await send(hearth.bob, general, "!help"))

    await hearth.restart_bot(between=while_down)
    await wait_message(alice, general, lambda e: e["event_id"] == ads[0] and e["content"] == {})
    await wait_message(hearth.bob, general, lambda e: e.get("sender") == world.bot.user_id
                       and e["content"].get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id")
                       == ads[1])


async def muted_becomes(running: Running, user: AsyncClient, muted: bool,
                        within: float = 15.0) -> None:
    """``user`` becomes muted (below ``events_default`` in general) or not, as alice reads it."""
    general = running.world.room("general")
    for _ in range(int(within / 0.05)):
        pl = await ops.get_power_levels(running.alice, general)
        if (pl.user_level(user.user_id) < pl.events_default) == muted:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{user.user_id} never became {'muted' if muted else 'unmuted'}")


@pytest.mark.asyncio
async def test_a_mute_is_lifted_by_the_core_job_at_its_end(hearth: Running) -> None:
    """Matrix has no timed mute: the core's persistent job unmutes, the adapter keeps no timer."""
    bob = await hearth.adapter.get_member("tea", hearth.bob.user_id)
    assert bob is not None and not hearth.adapter.can(Capability.TIMED_MUTE)
    ctx = hearth.app.contexts["tea"]["ad_window"]
    until = ctx.now() + dt.timedelta(seconds=1)
    await ctx.mute(bob, until, "testing")
    await muted_becomes(hearth, hearth.bob, True)
    (job,) = await hearth.app.contexts["tea"]["hearth"].jobs("unmute:")
    # jobs keep whole milliseconds
    assert job.key == f"unmute:matrix:{hearth.bob.user_id}" and job.due == from_ms(to_ms(until))
    await muted_becomes(hearth, hearth.bob, False)
    assert dt.datetime.now(dt.UTC) >= until
    assert await hearth.app.contexts["tea"]["hearth"].jobs("unmute:") == []


@pytest.mark.asyncio
async def test_mutes_timed_by_an_older_hearth_are_lifted_and_forgotten(hearth: Running) -> None:
    general = hearth.world.room("general")
    await ops.mute(hearth.world.bot, general, hearth.bob.user_id)
    await muted_becomes(hearth, hearth.bob, True)
    assert hearth.app.db is not None
    kv = KeyValueStore(hearth.app.db, "adapter:matrix")
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).timestamp()
    await kv.set("mutes", json.dumps({f"tea\t{hearth.bob.user_id}": later}))
    await hearth.restart_bot()
    await muted_becomes(hearth, hearth.bob, False)
    assert hearth.app.db is not None
    assert not await KeyValueStore(hearth.app.db, "adapter:matrix").get("mutes")


@pytest.mark.asyncio
async def test_synapse_restart_mid_run_is_survived(hearth: Running, synapse: SynapseServer) -> None:
    world, alice, general = hearth.world, hearth.alice, hearth.world.room("general")
    await asyncio.to_thread(synapse.restart)
    question = await send(alice, general, "!help")
    await wait_message(alice, general, lambda e: e.get("sender") == world.bot.user_id
                       and e["content"].get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id")
                       == question, within=45)


@pytest.mark.asyncio
async def test_hearth_run_cli(synapse: SynapseServer, matrix_user: MatrixUserFactory,
                              make_space: SpaceFactory, tmp_path: Path) -> None:
    world = await make_world(synapse, matrix_user, make_space, children=("general", "ads"))
    alice = await matrix_user("alice")
    await join_community(alice, world)
    config = tmp_path / "community.yaml"
    config.write_text(config_yaml(world).replace("command_prefix", f"storage: sqlite:///{tmp_path}/h.db\n"
                                                                   "command_prefix"))
    env = {**os.environ, TOKEN_ENV: world.bot.access_token}
    log_file = tmp_path / "hearth.log"
    with log_file.open("wb") as out:
        proc = subprocess.Popen(  # noqa: ASYNC220 (a long-running child, not waited on here)
            [sys.executable, "-m", "hearth.cli", "--log-level", "DEBUG", "run", str(config)],
            env=env, stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        general = world.room("general")
        for _ in range(300):  # wait until the bot is in the room
            if await ops._membership(alice, general, world.bot.user_id) == "join":
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)  # and syncing
        question = await send(alice, general, "!help")
        answer = await wait_message(
            alice, general, lambda e: e.get("sender") == world.bot.user_id
            and e["content"].get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id") == question,
            within=30)
        assert "help" in answer["content"]["body"]
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.to_thread(proc.wait, timeout=30)
    text = log_file.read_text(errors="replace")
    assert proc.returncode == 0, text[-3000:]
    assert world.bot.access_token not in text
    assert "started: 1 communities" in text


def answers(world: World, question: str) -> Any:
    """Matches the bot's reply to event ``question``."""
    return lambda e: (e.get("sender") == world.bot.user_id and (e.get("content") or {}).get(
        "m.relates_to", {}).get("m.in_reply_to", {}).get("event_id") == question)


@pytest.mark.asyncio
async def test_a_member_cannot_get_another_members_message_deleted_by_editing_it(hearth: Running) -> None:
    world, alice, bob, general = hearth.world, hearth.alice, hearth.bob, hearth.world.room("general")
    bobs = await send(bob, general, "good morning")
    await send(alice, general, "* spam", **{
        "m.new_content": {"msgtype": "m.text", "body": "Cheap followers at https://spam.example.com"},
        "m.relates_to": {"rel_type": "m.replace", "event_id": bobs}})
    own = await send(alice, general, "a word")
    own_edit = await send(alice, general, "* spam", **{
        "m.new_content": {"msgtype": "m.text", "body": "Cheap followers at https://spam.example.com"},
        "m.relates_to": {"rel_type": "m.replace", "event_id": own}})
    for event_id in (own, own_edit):  # her own message, and the edit that carries the ad
        await wait_message(alice, general, lambda e, i=event_id: e["event_id"] == i and e["content"] == {})
    question = await send(bob, general, "!help")
    await wait_message(bob, general, answers(world, question))
    kept = next(e for e in await recent(bob, general, 50) if e["event_id"] == bobs)
    assert kept["content"]["body"] == "good morning"
    assert len([e for e in await recent(bob, general, 50) if e.get("type") == "m.room.redaction"]) == 2


@pytest.mark.asyncio
async def test_a_dm_command_is_answered_in_the_room_it_came_from(hearth: Running) -> None:
    world, alice = hearth.world, hearth.alice
    created = ops.check(await alice.room_create(is_direct=True, invite=[world.bot.user_id],
                                                preset=RoomPreset.trusted_private_chat), "dm")
    room = created.room_id
    await wait_message(alice, room, lambda e: e.get("state_key") == world.bot.user_id
                       and e.get("content", {}).get("membership") == "join")
    await send(alice, room, "!help")
    await wait_message(alice, room, lambda e: e.get("sender") == world.bot.user_id  # in this room
                       and "help" in (e.get("content") or {}).get("body", ""))
    # no other DM room was opened for the answer; this one is recorded, so it is reused later
    assert (await ops.get_direct_rooms(world.bot)).get(alice.user_id) == [room]


@pytest.mark.asyncio
async def test_events_received_but_not_handled_before_a_crash_are_handled_after_restart(
        hearth: Running, matrix_user: MatrixUserFactory) -> None:
    world, alice, bob, general = hearth.world, hearth.alice, hearth.bob, hearth.world.room("general")
    app = hearth.app
    await app.settle()
    stuck = asyncio.Event()  # never set: the worker takes events but never finishes one

    async def never_done(community: str, event: Any) -> None:
        await stuck.wait()

    app._handlers = dict.fromkeys(app._handlers, never_done)
    queue = app._queues["tea"]
    before = queue.put_count
    question = await send(bob, general, "!help")
    ad = await send(alice, general, "Cheap followers at https://spam.example.com")
    carol = await matrix_user("carol")
    await join_community(carol, world, "general")
    for _ in range(300):  # received and queued: a message, an ad and a join
        if queue.put_count - before >= 3:
            break
        await asyncio.sleep(0.05)
    assert queue.put_count - before >= 3
    await crash_app(hearth.app)

    hearth.app, hearth.adapter = await start_app(world, hearth.db)
    await wait_message(bob, general, answers(world, question))
    await wait_message(alice, general, lambda e: e["event_id"] == ad and e["content"] == {})
    await wait_message(carol, general, body_has("Welcome", world.bot.user_id))
    await role_becomes(hearth, carol, Role.NEWCOMER)

    # a clean stop stores the position once handled: nothing is handled twice after it
    await hearth.restart_bot()
    again = await send(bob, general, "!help")
    await wait_message(bob, general, answers(world, again))
    replies = [e for e in await recent(bob, general, 60) if answers(world, question)(e)]
    assert len(replies) == 1
    welcomes = [e for e in await recent(bob, general, 60) if body_has("Welcome", world.bot.user_id)(e)]
    assert len(welcomes) == 1


@pytest.mark.asyncio
async def test_hearth_run_with_a_wrong_password_exits_with_one_line(
        synapse: SynapseServer, matrix_user: MatrixUserFactory, make_space: SpaceFactory,
        tmp_path: Path) -> None:
    world = await make_world(synapse, matrix_user, make_space, children=("general", "ads"))
    config = tmp_path / "community.yaml"
    config.write_text(config_yaml(world).replace(f"access_token: ${{{TOKEN_ENV}}}", "password: ${HEARTH_PW}")
                      .replace("command_prefix", f"storage: sqlite:///{tmp_path}/h.db\ncommand_prefix"))
    env = {**os.environ, "HEARTH_PW": "certainly-wrong"}
    done = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "hearth.cli", "run", str(config)],
                                   env=env, capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "certainly-wrong" not in done.stderr
    (line,) = [ln for ln in done.stderr.splitlines() if ln.startswith("hearth: error:")]
    assert f"login as {world.bot.user_id} failed" in line and "M_FORBIDDEN" in line
