"""welcome's dashboard panels: newcomers waiting for approval, a join wave on hold, the tree."""

from __future__ import annotations

import pytest
from welcome_support import STAFF, START, config

from hearth import PanelAction, Role


def by_title(panels):
    return {p.title: p for p in panels}


@pytest.mark.asyncio
async def test_panels_show_approvals_a_held_wave_and_the_referral_tree(hearth_bot):
    bot = await hearth_bot(config(gate={"approval": {"by": "admin", "channel": "mods"}},
                                  raid={"joins": 2, "within": "1m"}), start=START, members=STAFF)
    await bot.join("alice", invited_by="carol")
    await bot.dm("alice", "!agree")  # now waiting for approval
    await bot.say("alice", "general", "Hi, I am Alice")  # her introduction
    for n in range(3):
        await bot.join(f"new{n}", invited_by="alice")
    panels = by_title(await bot.app.dashboard_panels("tea-house"))
    assert list(panels) == ["Waiting for approval", "Join wave on hold", "Who invited whom"]

    approvals = panels["Waiting for approval"]
    assert approvals.min_role == Role.ADMIN and approvals.columns == ("member", "joined", "introduced")
    [row] = approvals.rows
    alice = ("testing", "alice")
    assert row.cells == ("Alice", "2026-11-20 19:00", "yes") and row.member == alice
    approve, reject = row.actions
    assert approve == PanelAction(label="Approve", command="approve", args=(alice,))
    assert reject.command == "reject" and reject.args == (alice,) and reject.confirm == "Turn Alice away?"

    wave = panels["Join wave on hold"]
    assert wave.note == "4 joins are held until 20:00 at the latest."
    assert wave.rows[0].actions == (PanelAction(label="Lift the hold", command="unhold"),)

    referrals = panels["Who invited whom"]
    assert [r.cells[0] for r in referrals.rows] == ["Carol", "    Alice", "        New0", "        New1",
                                                    "        New2"]
    assert referrals.rows[1].cells[3:] == ("3", "0", "0") and referrals.rows[1].member == alice
    assert referrals.note.startswith("Who invited whom in tea-house: 2 inviter(s), 4 invited")


@pytest.mark.asyncio
async def test_without_approval_or_a_wave_only_the_tree_shows(hearth_bot):
    bot = await hearth_bot(config(language="zh"), start=START, members=STAFF)
    [tree] = await bot.app.dashboard_panels("tea-house")
    assert tree.title == "邀请关系" and not tree.rows and tree.note == "tea-house 还没有人邀请过别人。"
    assert tree.min_role == Role.ADMIN
