"""ad_window's tables from before the core's strike ledger and people migrate; nothing is lost."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hearth import Store
from hearth.people.schema import MIGRATIONS as PEOPLE_MIGRATIONS
from hearth.people.schema import NAMESPACE as PEOPLE
from hearth.plugins.ad_window.strikes import upgrade_v1, upgrade_v2
from hearth.storage import CORE_MIGRATIONS, Database

START = "2026-11-20T19:00:00+08:00"  # Friday, an hour before the window
T0 = datetime.fromisoformat(START)
AD = "Best tea deals at https://cheap-tea.com/sale"
CONFIG = """
communities:
  tea-house:
    timezone: Asia/Shanghai
    channels: {general: {}, mods: {}}
    plugins:
      ad_window:
        windows: [{days: [fri], from: "20:00", to: "22:00"}]
        per_window_quota: 1
        escalation: [warn, {mute: 1h}, {mute: 24h}, kick, ban]
        strike_decay: 7d
        audit_channel: mods
"""


async def old_database(url: str) -> None:
    """A database as ad_window (schema v2), the people tables (v1) and the core (v2) left it."""
    db = await Database.open(url)
    await db.migrate(Store(db, "hearth"), CORE_MIGRATIONS[:2])
    await db.migrate(Store(db, PEOPLE), PEOPLE_MIGRATIONS[:1])
    await db.migrate(Store(db, "ad_window"), (upgrade_v1, upgrade_v2))
    strike = ("INSERT INTO ad_window_strikes (community, platform, member, at, kind, channel, evidence)"
              " VALUES (?, ?, ?, ?, ?, ?, ?)")
    for at, kind in ((T0 - timedelta(days=8), "link"),  # decayed
                     (T0 - timedelta(days=2), "invite"), (T0 - timedelta(days=1), "contact")):
        await db.execute(strike, ("tea-house", "testing", "alice", at.timestamp(), kind, "general",
                                  "cheap-tea.com"))
    await db.execute(strike, ("other-place", "testing", "alice", T0.timestamp(), "link", "x", "y"))
    await db.execute("INSERT INTO ad_window_passes (community, platform, member, count)"
                     " VALUES ('tea-house', 'testing', 'bob', 2)")
    await db.execute("INSERT INTO ad_window_quota (community, platform, member, \"window\", message, at,"
                     " content) VALUES ('tea-house', 'testing', 'carol', 1.0, 'm0', ?, 'c')",
                     (T0.timestamp(),))
    await db.execute(
        "INSERT INTO hearth_members (community, platform, member_id, name, role, is_bot, joined_ms,"
        " join_known, invited_by, last_active_ms, present, updated_ms)"
        " VALUES ('tea-house', 'testing', 'dora', 'Dora', 1, 0, 0, 0, NULL, NULL, 1, 0)")
    await db.close()


@pytest.mark.asyncio
async def test_old_strikes_quota_and_passes_survive_the_move_to_the_core(hearth_bot, hearth_storage) -> None:
    await old_database(hearth_storage)
    bot = await hearth_bot(CONFIG, start=START,
                           members=[{"id": "olivia", "role": "owner"}, {"id": "alice"}, {"id": "bob"}])
    ctx = bot.app.contexts["tea-house"]["ad_window"]
    active = await ctx.strikes.active("testing:alice")
    assert [(s.source, s.reason, s.detail, s.given) for s in active] == [
        ("ad_window", "invitations to other servers or rooms", "#general: cheap-tea.com",
         T0 - timedelta(days=2)),
        ("ad_window", "contact handles", "#general: cheap-tea.com", T0 - timedelta(days=1))]
    assert active[0].expires == T0 + timedelta(days=5)  # strike_decay from when it was given
    # the next ad is the third strike: the 24h mute
    await bot.say("alice", "general", AD)
    assert "(strike 3)" in next(a["text"] for a in bot.take() if a["action"] == "dm")
    # bob's two passes are his person's
    await bot.say("bob", "general", AD)
    assert not [a for a in bot.take() if a["action"] == "delete"]
    await bot.say("bob", "general", "!ads")
    assert "1 ad pass" in bot.take()[-1]["text"]
    # nothing of the other community moved into this one, and it is not lost
    assert await bot.app.db.fetch("SELECT 1 FROM ad_window_strikes WHERE community = 'other-place'")
    assert not await bot.app.db.fetch("SELECT 1 FROM ad_window_strikes WHERE community = 'tea-house'")
    assert not await bot.app.db.fetch("SELECT 1 FROM ad_window_quota WHERE person = 0")
    # a member stored before people existed has a person
    assert bot.app.people.persons.known("tea-house", ("testing", "dora")) is not None
    # restarting does not move anything twice
    await bot.restart()
    assert await bot.app.contexts["tea-house"]["ad_window"].strikes.count("testing:alice") == 3
