"""The referral tree: the data (branch sizes, stayed a month, removals) and ``!referrals``."""

from __future__ import annotations

import re

import pytest
from welcome_support import STAFF, START, config

from hearth.plugins.welcome import referrals


async def issue(bot, who: str = "lee") -> str:
    await bot.say(who, "mods", "!invite")
    found = re.search(r"Invitation code (\w+):", bot.take()[-1]["text"])
    assert found
    return found.group(1)


async def grow(bot) -> None:
    """lee's code brings alice; alice's link brings bob and dan; bob's brings erin, who is
    removed at the deadline; dan leaves after a month and a day; olivia's link brings fay."""
    code = await issue(bot)
    await bot.join("alice")
    await bot.dm("alice", f"!code {code}")
    await bot.dm("alice", "!agree")
    await bot.join("bob", invited_by="alice")
    await bot.dm("bob", "!agree")
    await bot.join("dan", invited_by="alice")
    await bot.dm("dan", "!agree")
    await bot.join("fay", invited_by="olivia")
    await bot.dm("fay", "!agree")
    await bot.wait("1d")
    await bot.join("erin", invited_by="bob")  # never agrees: kicked at the deadline
    await bot.wait("30d")
    await bot.leave("dan")
    bot.take()


@pytest.mark.asyncio
async def test_the_tree_counts_branches_stays_and_removals(hearth_bot):
    bot = await hearth_bot(config(accept={"within": "2h"}), start=START, members=STAFF)
    await grow(bot)
    ctx = bot.app.contexts["tea-house"]["welcome"]
    lee, olivia = await referrals.tree(ctx)  # the biggest branch first
    assert lee.account == ("testing", "lee") and lee.via is None
    assert (lee.invited, lee.stayed_count, lee.removed_count) == (4, 3, 1)
    [alice] = lee.children
    assert alice.via == "code" and alice.stayed and alice.present
    bob, dan = alice.children
    assert dan.stayed and not dan.present  # left after a month: stayed
    [erin] = bob.children
    assert erin.removed and not erin.stayed and erin.via == "platform"
    assert (olivia.invited, olivia.stayed_count) == (1, 1)
    [branch] = await ctx.referrals(("testing", "bob"))  # what other plugins ask
    assert branch.invited == 1 and branch.children[0].account == ("testing", "erin")
    assert await ctx.referrals(("testing", "nobody")) == []


@pytest.mark.asyncio
async def test_referrals_command_draws_the_tree(hearth_bot):
    bot = await hearth_bot(config(accept={"within": "2h"}), start=START, members=STAFF)
    await bot.say("olivia", "mods", "!referrals")
    assert bot.take()[-1]["text"] == "Nobody has invited anyone to tea-house yet."
    await grow(bot)
    await bot.say("olivia", "mods", "!referrals")
    assert bot.take()[-1]["text"].split("\n") == [
        "Who invited whom in tea-house: 4 inviter(s), 5 invited, 4 stayed a month, 1 removed.",
        "Lee (4 invited, 3 stayed a month, 1 removed)",
        "└─ Alice (code, 2026-11-20; 3 invited, 2 stayed a month, 1 removed)",
        "   ├─ Bob (invite link, 2026-11-20; 1 invited, 0 stayed a month, 1 removed)",
        "   │  └─ Erin (invite link, 2026-11-21; removed)",
        "   └─ Dan (invite link, 2026-11-20; left)",
        "Olivia (1 invited, 1 stayed a month, 0 removed)",
        "└─ Fay (invite link, 2026-11-20)",
    ]
    await bot.say("olivia", "mods", "!referrals @bob")
    assert bot.take()[-1]["text"].split("\n")[1:] == [
        "Bob (invite link, 2026-11-20; 1 invited, 0 stayed a month, 1 removed)",
        "└─ Erin (invite link, 2026-11-21; removed)"]
    await bot.say("olivia", "mods", "!referrals @carol")
    assert bot.take()[-1]["text"] == "@carol has invited nobody and was invited by nobody."
    await bot.say("lee", "mods", "!referrals")
    assert "for admins" in bot.take()[-1]["text"]


def test_a_long_tree_is_cut_and_counted():
    from hearth import Referral

    leaves = tuple(Referral(account=("t", str(n)), name=f"m{n}") for n in range(50))
    root = Referral(account=("t", "root"), name="root", children=leaves)
    lines = referrals.render([root], lambda key, **v: f"{key} {v}" if key != "referral_branch" else "b",
                            lambda when: when, limit=10)
    assert len(lines) == 11 and lines[-1] == "referral_more {'count': 41}"
    assert root.invited == 50


@pytest.mark.asyncio
async def test_pulse_health_report_gives_the_tree_totals(hearth_bot):
    import yaml

    data = yaml.safe_load(config(accept={"within": "2h"}))
    data["communities"]["tea-house"]["plugins"]["pulse"] = {"health": {"channel": "mods"}}
    bot = await hearth_bot(yaml.safe_dump(data), start=START, members=STAFF, without=["files"])
    await grow(bot)
    await bot.say("olivia", "mods", "!health")
    [report] = [a["text"] for a in bot.take() if a["action"] == "send" and "Health of" in a["text"]]
    assert "Invited since the start: 5 · stayed a month: 4 · removed: 1" in report
