"""The questions gate (``gate.questions``): asked by DM, one after another, once the rules are accepted.

A choice question with an ``answer`` must be answered right: a wrong answer gets the
question's ``hint`` and the question again; after :data:`WRONG_BEFORE_WAIT` wrong
answers the newcomer waits :data:`WAIT` before it is asked again. Any other question
accepts any answer. Answers are kept with the member, keyed on the person
(:func:`~hearth.plugins.welcome.records.answers`).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from typing import Any

from hearth import Answer, Job, Member, PluginContext

from . import records
from .records import Newcomer, Newcomers

log = logging.getLogger(__name__)

#: the dialog key of every gate question
QUESTION_KEY = "gate_question"
#: wrong answers to one question before the newcomer must wait
WRONG_BEFORE_WAIT = 3
#: how long they wait after that
WAIT = timedelta(minutes=10)


def wait_key(platform: str, member_id: str) -> str:
    """The job that asks again after the wait."""
    return f"question:{platform}:{member_id}"


def done(ctx: PluginContext, person: Newcomer) -> bool:
    """``person`` has answered every question (or there are none)."""
    return person.question >= len(ctx.config.gate.questions)


async def ask_next(ctx: PluginContext, member: Member, person: Newcomer) -> None:
    """Ask ``person`` the question they are at."""
    index = person.question
    question = ctx.config.gate.questions[index]
    await ctx.ask(member, question.ask, choices=question.choices, key=QUESTION_KEY,
                  data={"index": index})


async def record(ctx: PluginContext, member: Member, answer: Answer, data: dict[str, Any]) -> str:
    """Take a newcomer's answer to a gate question; what follows, for the ritual to say:
    ``"ignored"`` (not theirs to answer now), ``"wrong"`` (to be asked again), ``"wait"`` (asked
    again after :data:`WAIT`), ``"next"`` (the next question was asked) or ``"done"``."""
    people = Newcomers(ctx.store)
    person = await people.get(member.platform, member.id)
    questions = ctx.config.gate.questions
    index = data.get("index")
    if person is None or not person.pending or index != person.question or index >= len(questions):
        return "ignored"  # answered after leaving, or a question from an older config
    question = questions[index]
    if question.answer is not None and answer.labels != (question.answer,):
        wrong = person.wrong + 1
        if wrong >= WRONG_BEFORE_WAIT:
            await people.update(member.platform, member.id, wrong=0)
            await ctx.schedule(wait_key(member.platform, member.id), ctx.now() + WAIT,
                               data={"platform": member.platform, "id": member.id})
            return "wait"
        await people.update(member.platform, member.id, wrong=wrong)
        return "wrong"
    await records.save_answer(ctx.store, (await ctx.person(member)).id, question.ask, answer.text, ctx.now())
    await people.update(member.platform, member.id, question=index + 1, wrong=0)
    if index + 1 < len(questions):
        await ask_next(ctx, member, replace(person, question=index + 1))
        return "next"
    log.info("%s answered the gate questions", member.id)
    return "done"


async def wait_over(ctx: PluginContext, job: Job) -> None:
    """The wait after too many wrong answers is over: ask the question again."""
    person = await Newcomers(ctx.store).get(job.data["platform"], job.data["id"])
    if person is None or not person.pending or done(ctx, person):
        return
    member = await ctx.get_member(person.platform, person.member_id)
    if member is not None:
        await ask_next(ctx, member, person)
