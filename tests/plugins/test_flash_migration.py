"""flash's own tables (before the core group service) migrate into the core's group records."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hearth import Store
from hearth.plugins.flash.groups import upgrade_v1
from hearth.storage import CORE_MIGRATIONS, Database

START = "2026-11-20T19:00:00+08:00"
T0 = datetime.fromisoformat(START)

CONFIG = """
communities:
  tea-house:
    timezone: Asia/Shanghai
    discord: {guild: "1"}
    channels: {general: {discord: "11"}}
    plugins:
      flash: {on_close: delete}
"""


async def old_database(url: str) -> None:
    """A database as flash left it before the group service: one open group, one closed."""
    db = await Database.open(url)
    await db.migrate(Store(db, "hearth"), CORE_MIGRATIONS[:2])  # the core before integer times
    await db.migrate(Store(db, "flash"), (upgrade_v1,))
    started, ends = T0.timestamp(), (T0 + timedelta(hours=1)).timestamp()
    insert = ("INSERT INTO flash_groups (id, community, name, title, platform, channel_id, creator,"
              " open_signup, started, ends, state, closed, mode) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")
    await db.execute(insert, (1, "tea-house", "night-talk", "Night talk", "testing", "night-talk",
                              "lea", 0, started, ends, "open", None, None))
    await db.execute(insert, (2, "tea-house", "old-swap", "Old swap", "testing", "old-swap",
                              "leo", 1, started - 86400, started - 80000, "closed",
                              started - 80000, "archive"))
    for group_id, member in ((1, "lea"), (1, "bob"), (2, "leo")):
        await db.execute("INSERT INTO flash_members (group_id, member) VALUES (?, ?)",
                         (group_id, member))
    for group_id, member, n in ((1, "bob", 2), (1, "lea", 1), (2, "leo", 7)):
        await db.execute("INSERT INTO flash_authors (group_id, member, messages) VALUES (?, ?, ?)",
                         (group_id, member, n))
    for key, due in (("remind:1", ends - 600), ("end:1", ends)):
        await db.execute("INSERT INTO hearth_jobs (community, plugin, key, due, data)"
                         " VALUES ('tea-house', 'flash', ?, ?, '{\"group\": 1}')", (key, due))
    await db.close()


@pytest.mark.asyncio
async def test_open_and_closed_flash_groups_move_into_the_core_records(hearth_bot, hearth_storage):
    await old_database(hearth_storage)
    bot = await hearth_bot(CONFIG, start=START,
                           members=[{"id": "lea", "role": "leader"}, {"id": "bob"}, {"id": "leo"},
                                    {"id": "dan"}])
    # The channel exists on the (imitated) network, as it did before the upgrade.
    bot.adapter.groups["night-talk"] = {"community": "tea-house", "name": "night-talk",
                                        "members": ["lea", "bob"], "topic": "", "open": True}
    bot.take()
    db = bot.app.db
    assert not [t for t in await db.tables() if t.startswith("flash_")]
    assert not await db.fetch("SELECT key FROM hearth_jobs WHERE plugin = 'flash'")
    rows = await db.fetch("SELECT * FROM hearth_groups ORDER BY id")
    assert [(r["name"], r["plugin"], r["state"]) for r in rows] == [
        ("night-talk", "flash", "open"), ("old-swap", "flash", "closed")]
    assert rows[0]["remind_ms"] == int((T0 + timedelta(minutes=50)).timestamp() * 1000)
    assert rows[1]["mode"] == "archive"  # the history of a closed group is kept too

    await bot.say("bob", "general", "!flash list")
    assert "#night-talk" in bot.take()[-1]["text"]
    await bot.say("dan", "general", "!flash join night-talk")
    assert "invited" in bot.take()[-1]["text"]  # still invitation only: its data came along
    await bot.say("lea", "night-talk", "and one more")
    await bot.wait("50m")  # the reminder kept its time
    [reminder] = bot.take()
    assert "closes in 10m" in reminder["text"]
    await bot.wait("10m")
    summary, dissolve = bot.take()
    assert "participants: 2, messages: 4" in summary["text"]  # counts from before the upgrade
    assert dissolve["action"] == "dissolve_group"
    row = await db.fetchrow("SELECT state FROM hearth_groups WHERE name = 'night-talk'")
    assert row["state"] == "closed"
