"""The approval gate: held newcomers, the request, !approve / !reject, the daily reminder."""

from __future__ import annotations

import pytest
from welcome_support import STAFF, START, config, texts_of

from hearth import Role

APPROVAL = {"approval": {"by": "admin", "channel": "mods"},
            "questions": [{"ask": "What brings you here?"}]}


@pytest.mark.asyncio
async def test_a_held_newcomer_waits_past_the_deadline_and_is_approved(hearth_bot):
    bot = await hearth_bot(config(accept={"within": "2h"}, gate=APPROVAL), start=START, members=STAFF)
    await bot.join("alice")
    await bot.dm("alice", "!agree")
    bot.take()
    await bot.dm("alice", "Tea, mostly")
    acts = bot.take()
    assert "A moderator will review" in texts_of(acts, "dm", member="alice")[-1]
    [request] = texts_of(acts, "send", channel="mods")
    assert "@alice" in request and "!approve" in request and "What brings you here? Tea, mostly" in request
    assert bot.role_of("alice") == Role.NEWCOMER
    await bot.wait("1d")  # past the deadline: still here, reminded once
    assert not bot.sent("kick")
    assert "still waiting for a moderator (since 2026-11-20 19:00). There is nothing more to do" in (
        texts_of(bot.take(), "dm", member="alice")[-1])
    await bot.say("carol", "mods", "!approve @alice")  # a member may not
    assert bot.role_of("alice") == Role.NEWCOMER
    await bot.say("olivia", "mods", "!approve @alice")
    assert bot.role_of("alice") == Role.MEMBER
    assert "@alice is now a member" in texts_of(bot.take(), "send", channel="mods")[-1]
    await bot.say("olivia", "mods", "!approve @alice")
    assert "@alice is not waiting for approval" in bot.take()[-1]["text"]


@pytest.mark.asyncio
async def test_a_rejected_newcomer_is_told_why_and_removed(hearth_bot):
    bot = await hearth_bot(config(gate={"approval": {"by": "leader"}}), start=START, members=STAFF)
    await bot.join("alice")
    await bot.dm("alice", "!agree")
    bot.take()
    await bot.say("lee", "mods", "!reject @alice spam account")
    acts = bot.take()
    assert "declined: spam account" in texts_of(acts, "dm", member="alice")[-1]
    [kick] = [a for a in acts if a["action"] == "kick"]
    assert kick["member"] == "alice" and kick["reason"] == "spam account"
    assert not bot.is_present("alice")


def test_approval_by_must_be_a_role():
    from hearth import ConfigError
    from hearth.bootstrap import load

    with pytest.raises(ConfigError) as err:
        load(config(gate={"approval": {"by": "wizard"}}), text=True)
    assert "welcome.gate.approval.by" in str(err.value)


@pytest.mark.asyncio
async def test_every_gate_together_codes_questions_then_approval(hearth_bot):
    gates = {"invitation_codes": True, "approval": {"by": "admin", "channel": "mods"},
             "questions": [{"ask": "Which clay?", "choices": ["zisha", "glass"], "answer": "zisha"}]}
    bot = await hearth_bot(config(accept={"within": "2h"}, gate=gates), start=START, members=STAFF)
    await bot.say("lee", "mods", "!invite")
    code = bot.take()[-1]["text"].split()[2].rstrip(":")
    await bot.join("alice")
    await bot.dm("alice", "!agree")
    await bot.dm("alice", "1")
    assert "redeem your invitation code" in texts_of(bot.take(), "dm", member="alice")[-1]
    assert not any("waits for approval" in a["text"] for a in bot.sent("send"))  # not held yet
    await bot.dm("alice", f"!code {code}")
    [request] = texts_of(bot.take(), "send", channel="mods")
    assert "Which clay? zisha" in request
    await bot.wait("3h")
    assert not bot.sent("kick") and bot.role_of("alice") == Role.NEWCOMER
    await bot.say("olivia", "mods", "!approve @alice")
    assert bot.role_of("alice") == Role.MEMBER
