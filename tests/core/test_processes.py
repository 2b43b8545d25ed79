"""Two Hearth processes (two apps, each with its own pool) on one PostgreSQL: one acts at a time."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from test_jobs import CONFIG, Clockwork

from hearth import hookimpl
from hearth.adapters.testing import TestBot
from hearth.cli import main
from hearth.events import MessagePostedEvent
from hearth.models import Channel, Member, Message, Role
from hearth.timeutil import to_ms


async def _process(plugin: Clockwork, url: str) -> TestBot:
    return await TestBot.create(CONFIG, extra_plugins={"clockwork": plugin}, members=[{"id": "ann"}],
                                start="2026-03-02T08:00:00+01:00", storage=url)


@pytest.mark.asyncio
async def test_the_standby_acts_for_nothing_until_the_owner_stops(postgres_url: str) -> None:
    owner_plugin, standby_plugin = Clockwork(), Clockwork()
    owner = await _process(owner_plugin, postgres_url)
    standby = await _process(standby_plugin, postgres_url)
    try:
        assert owner.app is not None and standby.app is not None
        assert owner.app.leases.owned() == {"tea"} and standby.app.leases.owned() == frozenset()
        hello = Message(platform="testing", id="m1", text="hello", time_ms=to_ms(owner.now()),
                        channel=Channel(platform="testing", id="general", name="general"),
                        author=Member(platform="testing", id="ann", name="Ann"))
        event = MessagePostedEvent(platform="testing", id="m1", community="tea", time=owner.now(),
                                   message=hello)
        for bot in (owner, standby):  # both receive the network's events: the standby stores
            await bot.app.submit(event)  # it for the owner, which handled it already
            await bot.settle()
        assert owner_plugin.log == ["message start", "message end"]
        assert standby_plugin.log == []
        ctx = owner.app.contexts["tea"]["clockwork"]
        await ctx.schedule("due", ctx.now() + timedelta(minutes=1))
        await standby.wait("2m")
        await owner.wait("2m")
        assert [r[0] for r in owner_plugin.runs] == ["due"] and standby_plugin.runs == []
        await ctx.schedule("later", ctx.now() + timedelta(minutes=1))
        await owner.close()  # a clean stop gives its leases back
        assert await standby.app.leases.renew() == {"tea"}
        await standby.wait("2m")
        assert [r[0] for r in standby_plugin.runs] == ["later"]
        assert [r[0] for r in owner_plugin.runs] == ["due"]
    finally:
        await owner.close()
        await standby.close()


STATUS_CONFIG = """
storage: {url}
communities:
  tea:
    timezone: Europe/Berlin
    channels: {{general: {{}}}}
    plugins: {{}}
"""


@pytest.mark.asyncio
async def test_status_shows_processes_what_they_own_and_the_backlog(
        storage_url: str, tmp_path: Path) -> None:
    config = tmp_path / "hearth.yaml"
    config.write_text(STATUS_CONFIG.format(url=json.dumps(storage_url)))
    empty = await asyncio.to_thread(CliRunner().invoke, main, ["status", str(config)])
    assert empty.exit_code == 0 and "holds no Hearth state yet" in empty.output
    plugin = Clockwork()
    owner = await _process(plugin, storage_url)
    standby = await _process(Clockwork(), storage_url)
    try:
        assert owner.app is not None
        ctx = owner.app.contexts["tea"]["clockwork"]
        await ctx.schedule("late", ctx.now() - timedelta(minutes=1))  # virtual "now" is in 2026
        await ctx.schedule("later", ctx.now() + timedelta(days=3650))
        result = await asyncio.to_thread(CliRunner().invoke, main, ["status", str(config)])
        assert result.exit_code == 0, result.output
        out = result.output
        if storage_url.startswith("postgresql"):
            owner_name = owner.app.leases.name
            standby_name = standby.app.leases.name  # type: ignore[union-attr]
            assert f"{owner_name} (pid" in out and "owns tea" in out
            assert f"{standby_name} (pid" in out and "owns nothing (standby)" in out
            assert f"tea: {owner_name}, held" in out and "expires in" in out
        else:
            assert "processes: one (SQLite): it owns every community" in out
        assert "tea: 1 / 2, the oldest" in out  # one of two jobs due (by the real clock)
    finally:
        await owner.close()
        await standby.close()


@pytest.mark.asyncio
async def test_a_takeover_reads_again_what_the_previous_owner_wrote(postgres_url: str) -> None:
    owner = await _process(Clockwork(), postgres_url)
    standby = await _process(Clockwork(), postgres_url)
    try:
        assert owner.app is not None and standby.app is not None
        zoe = Member(platform="testing", id="zoe", name="zoe")  # first seen by the owner
        ctx = owner.app.contexts["tea"]["clockwork"]
        person = await ctx.person(zoe)
        await ctx.grant_role(zoe, Role.LEADER)
        await owner.settle()
        await owner.close()
        assert await standby.app.leases.renew() == {"tea"}
        taken = standby.app.contexts["tea"]["clockwork"]
        assert await taken.person(zoe) == person  # the same person, not a second one
        assert standby.app.roles.granted("tea", ("testing", "zoe")) is Role.LEADER
    finally:
        await owner.close()
        await standby.close()


@pytest.mark.asyncio
async def test_status_shows_a_dead_process_as_gone_until_it_is_forgotten(
        postgres_url: str, tmp_path: Path) -> None:
    config = tmp_path / "hearth.yaml"
    config.write_text(STATUS_CONFIG.format(url=json.dumps(postgres_url)))
    dead = await _process(Clockwork(), postgres_url)
    survivor = await _process(Clockwork(), postgres_url)
    try:
        assert dead.app is not None and survivor.app is not None
        dead_name, name = dead.app.leases.name, survivor.app.leases.name
        dead.app.started = False  # kill -9: no lease given back, its row stays
        await dead.app.stop()
        db = survivor.app.db
        assert db is not None
        # a minute later, by the database's clock: it did not renew, its lease expired
        await db.execute("UPDATE hearth_processes SET seen_ms = seen_ms - 60000,"
                         " started_ms = started_ms - 60000 WHERE name = ?", (dead_name,))
        await db.execute("UPDATE hearth_leases SET expires_ms = expires_ms - 60000")

        async def hearth_status() -> str:
            result = await asyncio.to_thread(CliRunner().invoke, main, ["status", str(config)])
            assert result.exit_code == 0, result.output
            return result.output

        out = await hearth_status()
        assert "processes: 1 running, 1 gone" in out
        assert f"{dead_name} (pid" in out and "GONE, last seen 1m0" in out
        assert f"tea: {dead_name}, held" in out and "EXPIRED 4" in out  # 20 s after renewal
        assert f"{name} (pid" in out and "owns nothing (standby)" in out
        assert await survivor.app.leases.renew() == {"tea"}  # it takes over
        out = await hearth_status()
        assert f"tea: {name}, held" in out and "owns tea" in out and dead_name in out
        # a day later the survivor's renewal forgets the dead process
        await db.execute("UPDATE hearth_processes SET seen_ms = seen_ms - 86400000 WHERE name = ?",
                         (dead_name,))
        await survivor.app.leases.renew()
        out = await hearth_status()
        assert dead_name not in out and "processes: 1 running\n" in out
    finally:
        await dead.close()
        await survivor.close()


class Lifecycle(Clockwork):
    """Says good morning in ``general`` when it starts up in a community; records its start-ups
    and shutdowns."""

    @hookimpl
    async def on_startup(self, ctx: Any) -> None:
        self.log.append(f"startup {ctx.key}")
        await ctx.send("general", "good morning")

    @hookimpl
    async def on_shutdown(self, ctx: Any) -> None:
        self.log.append(f"shutdown {ctx.key}")


def _said(bot: TestBot) -> list[str]:
    return [a["text"] for a in bot.take() if a["action"] == "send"]


@pytest.mark.asyncio
async def test_a_community_starts_up_in_the_process_that_acts_for_it(postgres_url: str) -> None:
    """``on_startup`` runs where the community is acted for: at start-up in the owner, and in
    a standby when it takes the community over (not in every process at its start-up)."""
    by_owner, by_standby = Lifecycle(), Lifecycle()
    owner = await _process(by_owner, postgres_url)
    standby = await _process(by_standby, postgres_url)
    try:
        assert owner.app is not None and standby.app is not None
        await owner.settle()
        await standby.settle()
        assert by_owner.log == ["startup tea"] and _said(owner) == ["good morning"]
        assert by_standby.log == [] and _said(standby) == []
        await owner.close()  # a clean stop gives its leases back
        assert by_owner.log == ["startup tea", "shutdown tea"]
        assert await standby.app.leases.renew() == {"tea"}
        await standby.settle()
        assert by_standby.log == ["startup tea"] and _said(standby) == ["good morning"]
        assert await standby.app.leases.renew() == {"tea"}  # still acting: not started again
        await standby.settle()
        assert by_standby.log == ["startup tea"]
        await standby.close()
        assert by_standby.log == ["startup tea", "shutdown tea"]
    finally:
        await owner.close()
        await standby.close()
