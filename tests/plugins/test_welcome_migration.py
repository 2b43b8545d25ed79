"""welcome's tables from before people migrate: codes, redemptions and wrong guesses are the person's."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from welcome_support import STAFF, START, config, texts_of

from hearth import Store
from hearth.plugins.welcome import records
from hearth.plugins.welcome.records import upgrade_v1
from hearth.storage import CORE_MIGRATIONS, Database

T0 = datetime.fromisoformat(START)
GATED = {"gate": {"invitation_codes": True}}


async def old_database(url: str) -> None:
    """welcome at schema v1 (the core at v2): a code lee issued, bob's redemption of it, alice's
    4 wrong guesses."""
    db = await Database.open(url)
    await db.migrate(Store(db, "hearth"), CORE_MIGRATIONS[:2])
    await db.migrate(Store(db, "welcome"), (upgrade_v1,))
    now = T0.timestamp()
    await db.execute(
        "INSERT INTO welcome_codes (community, code, issuer_platform, issuer_id, uses_total, uses_left,"
        " expires, created) VALUES ('tea-house', 'TEACODE1', 'testing', 'lee', 3, 2, ?, ?)",
        (now + 86400, now - 3600))
    await db.execute(
        "INSERT INTO welcome_redemptions (community, code, inviter_platform, inviter_id,"
        " invitee_platform, invitee_id, time) VALUES ('tea-house', 'TEACODE1', 'testing', 'lee',"
        " 'testing', 'bob', ?)", (now - 1800,))
    for n in range(4):
        await db.execute(
            "INSERT INTO welcome_wrong_codes (community, platform, member_id, code, time)"
            " VALUES ('tea-house', 'testing', 'alice', ?, ?)", (f"WRONG{n}", now - 60 * (n + 1)))
    await db.close()


@pytest.mark.asyncio
async def test_codes_redemptions_and_wrong_guesses_are_kept_and_keyed_on_the_person(
        hearth_bot, hearth_storage) -> None:
    await old_database(hearth_storage)
    bot = await hearth_bot(config(**GATED), start=START,
                           members=[*STAFF, {"id": "bob"}])
    await bot.join("alice")
    bot.take()
    ctx = bot.app.contexts["tea-house"]["welcome"]
    lee, bob, alice = [(await ctx.person(("testing", m))).id for m in ("lee", "bob", "alice")]
    rows = await ctx.store.raw.fetch(
        "SELECT inviter_person, invitee_person FROM welcome_redemptions")
    assert [tuple(r) for r in rows] == [(lee, bob)]
    [edge] = await records.referrals(ctx.store)
    assert edge["inviter"] == ("testing", "lee") and edge["invitee"] == ("testing", "bob")
    # the stored wrong guesses still count: one more and alice is throttled
    await bot.dm("alice", "!code WRONG9")
    bot.take()
    await bot.dm("alice", "!code TEACODE1")
    assert texts_of(bot.take(), "dm")[0].startswith("Too many wrong codes.")
    assert not await ctx.store.raw.fetch("SELECT 1 FROM welcome_wrong_codes WHERE person = 0")
    assert alice != 0
    # the old code still works, issued by lee's person
    await bot.wait(timedelta(minutes=10))
    await bot.dm("alice", "!code TEACODE1")
    assert "invited by @lee" in bot.take()[-1]["text"]
    rows = await ctx.store.raw.fetch(
        "SELECT inviter_person, invitee_person FROM welcome_redemptions ORDER BY time_ms")
    assert [tuple(r) for r in rows] == [(lee, bob), (lee, alice)]
