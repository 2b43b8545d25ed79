"""The questions gate: asked by DM after the rules, right answers required, hints, the wait."""

from __future__ import annotations

import pytest
from welcome_support import STAFF, START, config, texts_of

from hearth import Role
from hearth.plugins.welcome import records

pytestmark = pytest.mark.asyncio

QUESTIONS = {"questions": [
    {"ask": "What brings you here?"},
    {"ask": "Which teapot clay is from Yixing?", "choices": ["zisha", "porcelain", "glass"],
     "answer": "zisha", "hint": "It is purple."},
]}


async def test_questions_are_asked_after_the_rules_and_answers_are_kept(hearth_bot):
    bot = await hearth_bot(config(gate=QUESTIONS), start=START, members=STAFF)
    await bot.join("alice")
    assert not any("What brings you here?" in t for t in texts_of(bot.take(), "dm"))
    await bot.dm("alice", "!agree")
    dms = texts_of(bot.take(), "dm", member="alice")
    assert any("answer the questions" in t for t in dms)
    assert any(t.endswith("What brings you here?") for t in dms)
    assert bot.role_of("alice") == Role.NEWCOMER
    await bot.dm("alice", "  Oolong, mostly  ")
    [second] = texts_of(bot.take(), "dm", member="alice")
    assert "Which teapot clay" in second and "1. zisha" in second
    await bot.dm("alice", "1")
    assert "You are now a member" in texts_of(bot.take(), "dm", member="alice")[-1]
    assert bot.role_of("alice") == Role.MEMBER
    ctx = bot.app.contexts["tea-house"]["welcome"]
    person = await ctx.person(("testing", "alice"))
    assert await records.answers(ctx.store, person.id) == [
        ("What brings you here?", "Oolong, mostly"), ("Which teapot clay is from Yixing?", "zisha")]


async def test_a_wrong_choice_gets_the_hint_then_three_wrong_answers_wait_ten_minutes(hearth_bot):
    bot = await hearth_bot(config(gate={"questions": QUESTIONS["questions"][1:]}), start=START, members=STAFF)
    await bot.join("alice")
    await bot.dm("alice", "!agree")
    bot.take()
    await bot.dm("alice", "2")
    wrong, again = texts_of(bot.take(), "dm", member="alice")
    assert wrong == "That is not the right answer.\nHint: It is purple."
    assert "Which teapot clay" in again
    await bot.dm("alice", "3")
    bot.take()
    await bot.dm("alice", "2")
    [wait] = texts_of(bot.take(), "dm", member="alice")
    assert "ask you again in 10 min" in wait
    await bot.dm("alice", "1")  # no question open while waiting: not an answer
    assert bot.role_of("alice") == Role.NEWCOMER
    await bot.wait("9m")
    assert not texts_of(bot.take(), "dm", member="alice")
    await bot.wait("1m")
    [asked] = texts_of(bot.take(), "dm", member="alice")
    assert "Which teapot clay" in asked
    await bot.dm("alice", "1")
    assert bot.role_of("alice") == Role.MEMBER


async def test_the_deadline_covers_the_questions_and_the_kick_names_them(hearth_bot):
    bot = await hearth_bot(config(accept={"within": "2h"}, gate=QUESTIONS), start=START, members=STAFF)
    await bot.join("alice")
    await bot.dm("alice", "!agree")
    await bot.dm("alice", "tea")
    await bot.wait("2h")
    [kick] = bot.sent("kick")
    assert kick["member"] == "alice" and kick["reason"] == "did not answer the questions within 2h"


async def test_codes_and_questions_together(hearth_bot):
    bot = await hearth_bot(config(gate={"invitation_codes": True, **QUESTIONS}), start=START, members=STAFF)
    await bot.say("lee", "mods", "!invite")
    code = bot.take()[-1]["text"].split()[2].rstrip(":")
    await bot.join("alice")
    await bot.dm("alice", f"!code {code}")
    await bot.dm("alice", "!agree")
    bot.take()
    await bot.dm("alice", "tea")
    await bot.dm("alice", "1")
    assert bot.role_of("alice") == Role.MEMBER
    # The code last: the questions first, then the code completes.
    await bot.say("lee", "mods", "!invite")
    code = bot.take()[-1]["text"].split()[2].rstrip(":")
    await bot.join("bob")
    await bot.dm("bob", "!agree")
    await bot.dm("bob", f"!code {code}")
    assert "answer the questions" in texts_of(bot.take(), "dm", member="bob")[-1]
    await bot.dm("bob", "tea")
    await bot.dm("bob", "1")
    assert "redeem your invitation code" not in texts_of(bot.take(), "dm", member="bob")[-1]
    assert bot.role_of("bob") == Role.MEMBER



async def test_answers_follow_a_merged_person(hearth_bot):
    from hearth import Member

    bot = await hearth_bot(config(gate=QUESTIONS), start=START, members=STAFF)
    await bot.join("alice")
    await bot.dm("alice", "!agree")
    await bot.dm("alice", "Oolong")
    await bot.dm("alice", "1")
    app, ctx = bot.app, bot.app.contexts["tea-house"]["welcome"]
    other = Member(platform="matrix", id="@alice:example.org", name="Alice")
    app.people.directory.joined("tea-house", other, bot.clock.now(), None)
    second = await ctx.person(other)
    await records.save_answer(ctx.store, second.id, "What brings you here?", "Pu-erh", bot.now())
    await records.save_answer(ctx.store, second.id, "Favourite cup?", "Gaiwan", bot.now())
    kept = await app.join_persons("tea-house", ("testing", "alice"), ("matrix", "@alice:example.org"))
    assert sorted(await records.answers(ctx.store, kept.id)) == [
        ("Favourite cup?", "Gaiwan"), ("What brings you here?", "Oolong"),
        ("Which teapot clay is from Yixing?", "zisha")]
    assert await records.answers(ctx.store, second.id) == []
