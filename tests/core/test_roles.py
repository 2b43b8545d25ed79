"""Hearth's roles as core data: granted, applied to the network, read back, told to plugins."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hearth import Command, PluginConfig, PluginContext, Role, hookimpl
from hearth.adapters.testing import TestBot
from hearth.bootstrap import load
from hearth.models import Member
from hearth.storage import CORE_MIGRATIONS, Database, Store

pytestmark = pytest.mark.asyncio

CONFIG = """
communities:
  tea:
    timezone: Asia/Shanghai
    channels: {general: {}}
    plugins:
      watch: {}
      welcome: {channel: general}
"""
START = "2026-03-02T10:00:00+08:00"
STAFF = [{"id": "olivia", "role": "owner"}]


class Watch:
    """Records every role change; ``!announce`` needs the ``announce`` power; ``!promote``
    and ``!demote`` grant and revoke the leader role."""

    def __init__(self) -> None:
        self.changes: list[tuple[str, Role, Role, Role]] = []

    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl
    def register_commands(self) -> list[Command]:
        async def announce(inv: Any) -> str:
            return "announced"

        async def promote(inv: Any) -> None:
            await inv.ctx.grant_role(inv.args["who"], Role.LEADER)

        async def demote(inv: Any) -> None:
            await inv.ctx.revoke_role(inv.args["who"], Role.LEADER)

        from hearth.commands import Param
        who = (Param("who", "member"),)
        return [Command(name="announce", handler=announce, min_role=Role.LEADER, power="announce"),
                Command(name="promote", handler=promote, params=who, min_role=Role.ADMIN),
                Command(name="demote", handler=demote, params=who, min_role=Role.ADMIN)]

    @hookimpl
    def leader_powers(self, ctx: PluginContext) -> list[str]:
        return ["announce"]

    @hookimpl
    async def on_role_changed(self, ctx: PluginContext, member: Member, old: Role, new: Role) -> None:
        self.changes.append((member.id, old, new, member.role))


async def make(watch: Watch, **options: Any) -> TestBot:
    options.setdefault("start", START)
    options.setdefault("strict", True)
    options.setdefault("members", STAFF)
    return await TestBot.create(CONFIG, extra_plugins={"watch": watch}, **options)


def roles(bot: TestBot) -> Any:
    assert bot.app is not None
    return bot.app.roles


def ctx(bot: TestBot) -> PluginContext:
    assert bot.app is not None
    return bot.app.contexts[bot.community]["watch"]


def record_role(bot: TestBot, member_id: str) -> Role:
    found = ctx(bot).member(("testing", member_id))
    assert found is not None
    return found.role


async def test_the_welcome_admission_is_a_role_change_kept_by_the_core(tmp_path: Path) -> None:
    watch = Watch()
    async with await make(watch, storage=tmp_path / "h.db") as bot:
        await bot.join("alice")
        assert watch.changes == [("alice", Role.MEMBER, Role.NEWCOMER, Role.NEWCOMER)]
        await bot.say("alice", "general", "!agree")
        assert watch.changes[1:] == [("alice", Role.NEWCOMER, Role.MEMBER, Role.MEMBER)]
        assert [(a["action"], a["role"]) for a in bot.sent() if "role" in a] == [
            ("grant_role", "newcomer"), ("grant_role", "member"), ("revoke_role", "newcomer")]
        await bot.restart()
        assert roles(bot).granted("tea", ("testing", "alice")) == Role.MEMBER
        assert record_role(bot, "alice") == Role.MEMBER
        assert len(watch.changes) == 2  # nothing is told again at start-up


async def test_a_role_hearth_granted_holds_where_the_network_cannot_show_it(tmp_path: Path) -> None:
    """The permission check uses the effective role: a leader the network never shows may
    use a leader's power; revoked, they may not."""
    watch = Watch()
    async with await make(watch, storage=tmp_path / "h.db", without=["roles"],
                          members=[*STAFF, {"id": "nina"}]) as bot:
        await bot.say("nina", "general", "!announce")
        assert "for leaders" in bot.take()[-1]["text"]
        await bot.say("olivia", "general", "!promote @nina")
        assert not bot.sent("grant_role")  # the network holds no roles
        assert bot.role_of("nina") == Role.MEMBER
        assert watch.changes == [("nina", Role.MEMBER, Role.LEADER, Role.LEADER)]
        assert [r.id for r in ctx(bot).members(role=Role.LEADER)] == ["nina"]
        bot.take()
        await bot.restart()
        await bot.say("nina", "general", "!announce")
        assert bot.take()[-1]["text"] == "announced"
        await bot.say("olivia", "general", "!demote @nina")
        await bot.say("nina", "general", "!announce")
        assert "for leaders" in bot.take()[-1]["text"]
        assert watch.changes[-1] == ("nina", Role.LEADER, Role.MEMBER, Role.MEMBER)


async def test_a_role_changed_on_the_network_is_read_back() -> None:
    watch = Watch()
    async with await make(watch, members=[*STAFF, {"id": "nina"}]) as bot:
        await bot.set_role("nina", "leader")  # given by hand on the network
        assert roles(bot).granted("tea", ("testing", "nina")) == Role.LEADER
        assert watch.changes == [("nina", Role.MEMBER, Role.LEADER, Role.LEADER)]
        assert record_role(bot, "nina") == Role.LEADER
        await bot.set_role("nina", "admin")  # an admin now: the network's role, not Hearth's
        assert roles(bot).granted("tea", ("testing", "nina")) == Role.LEADER
        await bot.set_role("nina", "member")  # unmade admin and leader
        assert roles(bot).granted("tea", ("testing", "nina")) == Role.MEMBER
        assert watch.changes[1:] == [("nina", Role.LEADER, Role.ADMIN, Role.ADMIN),
                                     ("nina", Role.ADMIN, Role.MEMBER, Role.MEMBER)]
        assert not bot.sent("grant_role") and not bot.sent("revoke_role")  # nothing re-applied


async def test_a_role_taken_over_at_start_up_and_given_back_after_a_rejoin() -> None:
    watch = Watch()
    async with await make(watch, members=[*STAFF, {"id": "lee", "role": "leader"}]) as bot:
        # a leader made on the network before the overlay existed is Hearth's leader now
        assert roles(bot).granted("tea", ("testing", "lee")) == Role.LEADER
        await bot.leave("lee")
        await bot.join("lee")  # the network forgot their roles (as Discord does)
        assert bot.sent("grant_role", member="lee", role="leader")
        assert bot.role_of("lee") == Role.LEADER
        assert not bot.sent("grant_role", member="lee", role="newcomer")  # welcome: staff skip it
        assert watch.changes == []


async def test_grant_refuses_the_networks_roles_and_revoking_a_role_not_held_does_nothing() -> None:
    async with await make(Watch(), members=[*STAFF, {"id": "nina"}]) as bot:
        nina = await ctx(bot).get_member("testing", "nina")
        assert nina is not None
        with pytest.raises(ValueError, match="not admin"):
            await ctx(bot).grant_role(nina, Role.ADMIN)
        assert await ctx(bot).revoke_role(nina, Role.LEADER) is None
        await bot.settle()
        assert not bot.sent("revoke_role")


async def test_linked_accounts_share_a_leader_but_not_a_networks_admin() -> None:
    """One person on two imitated networks: a leader granted on one is a leader on the other
    (applied there); a network's admin stays on its own account."""
    watch = Watch()
    members = [*STAFF, {"id": "ann"}, {"id": "@ann:hs", "platform": "matrix"}]
    async with await make(watch, members=members, networks=["discord", "matrix"]) as bot:
        assert bot.app is not None
        await bot.app.join_persons("tea", ("discord", "ann"), ("matrix", "@ann:hs"))
        await bot.say("olivia", "general", "!promote @ann")
        assert {a["member"] for a in bot.sent("grant_role", role="leader")} == {"ann", "@ann:hs"}
        assert sorted(watch.changes) == [("@ann:hs", Role.MEMBER, Role.LEADER, Role.LEADER),
                                         ("ann", Role.MEMBER, Role.LEADER, Role.LEADER)]
        await bot.set_role("@ann:hs", "admin")  # made admin in Element
        assert ctx(bot).member(("matrix", "@ann:hs")).role == Role.ADMIN  # type: ignore[union-attr]
        assert ctx(bot).member(("discord", "ann")).role == Role.LEADER  # type: ignore[union-attr]
        await bot.say("ann", "general", "!promote @carol")  # no admin on her Discord account
        assert "for admins" in bot.take()[-1]["text"]
        await bot.say("olivia", "general", "!demote @ann")
        assert bot.sent("revoke_role", member="ann", role="leader")
        assert bot.app.roles.granted("tea", ("matrix", "@ann:hs")) == Role.MEMBER
        assert ctx(bot).member(("discord", "ann")).role == Role.MEMBER  # type: ignore[union-attr]


async def test_the_matrix_adapters_newcomer_records_become_core_roles(storage_url: str) -> None:
    """On both backends (SQLite, PostgreSQL)."""
    db = await Database.open(storage_url)
    await db.migrate(Store(db, "hearth"), CORE_MIGRATIONS)
    await db.execute("INSERT INTO hearth_kv (namespace, key, value) VALUES (?, ?, ?)",
                     ("adapter:matrix", "newcomers", json.dumps({"tea": ["@ann:hs", "@bo:hs"]})))
    await db.close()
    async with await make(Watch(), storage=storage_url) as bot:
        assert roles(bot).granted("tea", ("matrix", "@ann:hs")) == Role.NEWCOMER
        assert roles(bot).granted("tea", ("matrix", "@bo:hs")) == Role.NEWCOMER
        assert bot.app is not None and bot.app.db is not None
        assert await bot.app.db.fetchrow(
            "SELECT value FROM hearth_kv WHERE namespace = 'adapter:matrix' AND key = 'newcomers'"
        ) is None


async def test_linking_shows_the_persons_role_on_every_account() -> None:
    """A leader on one network who links an account on another is a leader there too
    (applied on that network, told to plugins); the link is the person API's."""
    watch = Watch()
    async with await make(watch, members=[*STAFF, {"id": "ann"}]) as bot:
        assert bot.app is not None
        on_matrix = Member(platform="matrix", id="@ann:example.org", name="Ann")  # not served here
        await ctx(bot).grant_role(on_matrix, Role.LEADER)
        await bot.settle()
        assert watch.changes == [("@ann:example.org", Role.MEMBER, Role.LEADER, Role.LEADER)]
        await bot.app.join_persons("tea", ("testing", "ann"), on_matrix.key)
        await bot.settle()
        assert bot.sent("grant_role", member="ann", role="leader")
        assert bot.role_of("ann") == Role.LEADER and record_role(bot, "ann") == Role.LEADER
        assert watch.changes[1:] == [("ann", Role.MEMBER, Role.LEADER, Role.LEADER)]
        await bot.restart()
        assert roles(bot).granted("tea", ("testing", "ann")) == Role.LEADER
        await bot.say("olivia", "general", "!demote @ann")  # revoked for the person
        assert roles(bot).granted("tea", on_matrix.key) == Role.MEMBER
        assert bot.sent("revoke_role", member="ann", role="leader")


async def test_a_newcomer_who_leaves_and_returns_is_shown_as_a_newcomer_again() -> None:
    """The network forgets roles on leave (as Discord does); Hearth drops a newcomer's role
    then, so the welcome's grant on return is applied again."""
    async with await make(Watch()) as bot:
        await bot.join("alice")
        await bot.leave("alice")
        assert bot.app is not None and bot.app.roles.granted("tea", ("testing", "alice")) is None
        await bot.join("alice")
        assert len(bot.sent("grant_role", member="alice", role="newcomer")) == 2
        assert bot.role_of("alice") == Role.NEWCOMER


async def test_forgetting_an_account_erases_its_role(tmp_path: Path) -> None:
    async with await make(Watch(), storage=tmp_path / "h.db", members=[*STAFF, {"id": "nina"}]) as bot:
        await bot.say("olivia", "general", "!promote @nina")
        assert bot.app is not None
        await bot.app.forget(("testing", "nina"))
        assert roles(bot).granted("tea", ("testing", "nina")) is None
        assert bot.app.db is not None
        assert await bot.app.db.fetch("SELECT * FROM hearth_roles WHERE member_id = 'nina'") == []


async def test_a_direct_message_does_not_read_back_another_communitys_role() -> None:
    """Adapters give a DM's sender the role of the first community they share with the bot;
    an answer routed to the asking community must not be read back as a role change there."""
    two = CONFIG + """
  club:
    timezone: UTC
    channels: {general: {}}
    plugins: {watch: {}}
"""
    watch = Watch()
    bot = TestBot(load(two, text=True, extra_plugins={"watch": watch}), community="tea",
                  start=START, strict=True)
    bot.adapter.add_person("tea", "alice", "Alice", Role.LEADER)
    bot.adapter.add_person("club", "alice", "Alice")
    try:
        await bot.start()
        tea = bot.app.contexts["tea"]["watch"] if bot.app else None
        assert tea is not None and roles(bot).granted("tea", ("testing", "alice")) == Role.LEADER
        alice = await tea.get_member("testing", "alice")
        assert alice is not None
        await tea.ask(alice, "Tea or coffee?", key="drink")
        await bot.adapter.inject_dm("club", "alice", "tea", bot.next_id())  # as seen from club
        await bot.settle()
        assert roles(bot).granted("tea", ("testing", "alice")) == Role.LEADER
        assert watch.changes == []
    finally:
        await bot.close()
