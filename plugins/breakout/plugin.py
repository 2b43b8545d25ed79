"""Breakout: a questionnaire by DM, then small trial groups of people who share weak ties.

The questionnaire goes through the core's dialogs (``ctx.ask``, answers in
``on_answer``), to newcomers when they become members (``on_role_changed``)
and to anyone on ``!breakout``; a finished take replaces the earlier answers.
Rounds (every ``cycle``, or ``!breakout run``) group the people with complete
answers (:mod:`.rounds`, :mod:`.grouping`) and open each group through the
core's group lifecycle (``ctx.groups``), which dissolves it after
``duration``; ``on_group_ending`` posts the summary and, with
``representatives``, files the group's most active member as a leader
candidate (``leader_candidates``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any

from hearth import (
    Answer,
    Capability,
    Command,
    Group,
    Invocation,
    Job,
    LeaderCandidate,
    Member,
    Need,
    Panel,
    PanelAction,
    PanelRow,
    PluginContext,
    Role,
    Store,
    Summary,
    format_duration,
    hookimpl,
)

from . import rounds
from .config import BreakoutConfig
from .store import MIGRATIONS, BreakoutStore, Candidate

log = logging.getLogger(__name__)

ROUND_JOB = "round"
#: a leader candidate stays offered this long when there is no cycle
CANDIDATE_FRESH = timedelta(days=30)


# --------------------------------------------------------------------------- declarations


@hookimpl
def register_config_schema() -> type[BreakoutConfig]:
    return BreakoutConfig


@hookimpl
def register_migrations() -> Sequence[Callable[[Store], Awaitable[None]]]:
    return MIGRATIONS


@hookimpl
def register_capabilities() -> Iterable[Need]:
    return [Need(Capability.DM, "the breakout questionnaire"), Need(Capability.GROUPS, "breakout groups")]


@hookimpl
def register_commands() -> Iterable[Command]:
    return [
        Command(name="breakout", handler=take_questionnaire, min_role=Role.MEMBER,
                help="(re)take the breakout questionnaire by DM"),
        Command(name="breakout stop", handler=stop, min_role=Role.MEMBER,
                help="leave the breakout rounds (your answers are kept)"),
        Command(name="breakout back", handler=back, min_role=Role.MEMBER,
                help="come back to the breakout rounds"),
        Command(name="breakout preview", handler=show_preview, min_role=Role.ADMIN,
                help="show the groups the next round would form, and their shared-ties score"),
        Command(name="breakout run", handler=run_now, min_role=Role.ADMIN,
                help="form the next breakout round now"),
    ]


# --------------------------------------------------------------------------- the questionnaire


async def ask_questionnaire(ctx: PluginContext, member: Member) -> None:
    """Send the questionnaire, question by question (the core's dialogs keep the turn)."""
    config: BreakoutConfig = ctx.config
    person = await ctx.person(member)
    await BreakoutStore(ctx).start_take(person.id)
    await ctx.cancel_questions(member)
    await ctx.dm(member, rounds.say_for(ctx)("intro", count=len(config.questions), prefix=ctx.prefix))
    for question in config.questions:
        await ctx.ask(member, question.ask, question.choices, question.multiple, key=question.key,
                      data={"person": person.id})


async def take_questionnaire(inv: Invocation) -> str:
    ctx = inv.ctx
    person = await ctx.person(inv.member)
    await BreakoutStore(ctx).set_stopped(person.id, False)
    await ask_questionnaire(ctx, inv.member)
    return rounds.say_for(ctx)("sent", prefix=inv.prefix)


async def stop(inv: Invocation) -> str:
    person = await inv.ctx.person(inv.member)
    await BreakoutStore(inv.ctx).set_stopped(person.id, True)
    return rounds.say_for(inv.ctx)("stopped", prefix=inv.prefix)


async def back(inv: Invocation) -> str:
    ctx = inv.ctx
    person = await ctx.person(inv.member)
    store = BreakoutStore(ctx)
    await store.set_stopped(person.id, False)
    answers = (await store.answers()).get(person.id, {})
    done = rounds.complete(ctx.config, answers) is not None
    return rounds.say_for(ctx)("back" if done else "back_incomplete", prefix=inv.prefix)


@hookimpl
async def on_answer(ctx: PluginContext, member: Member, question_key: str, answer: Answer,
                    data: dict[str, Any]) -> None:
    config: BreakoutConfig = ctx.config
    question = config.question(question_key)
    fits = question is not None and set(answer.labels) <= set(question.choices) and (
        question.multiple or len(answer.labels) == 1)
    if question is None or not fits:
        # Asked under a questionnaire that has changed since: the answer means nothing now.
        await ctx.dm(member, rounds.say_for(ctx)("not_asked"))
        return
    person = await ctx.person(member)
    store = BreakoutStore(ctx)
    await store.draft(person.id, f"{member.platform}:{member.id}", question.key, list(answer.labels),
                      ctx.now())
    if await store.finish_take(person.id, config.keys):
        await ctx.dm(member, rounds.say_for(ctx)("thanks", prefix=ctx.prefix))


@hookimpl
async def on_role_changed(ctx: PluginContext, member: Member, old: Role, new: Role) -> None:
    """A newcomer admitted as a member gets the questionnaire (``ask_newcomers``)."""
    if not ctx.config.ask_newcomers or old != Role.NEWCOMER or new < Role.MEMBER or member.is_bot:
        return
    person = await ctx.person(member)
    if await BreakoutStore(ctx).has_answers(person.id):
        return  # answered already, or being asked through another account
    await ask_questionnaire(ctx, member)


@hookimpl
async def on_forget(ctx: PluginContext, platform: str, member_id: str) -> None:
    await BreakoutStore(ctx).forget(f"{platform}:{member_id}")


# --------------------------------------------------------------------------- rounds


@hookimpl
async def on_startup(ctx: PluginContext) -> None:
    config: BreakoutConfig = ctx.config
    if config.cycle is not None:
        await ctx.ensure_schedule(ROUND_JOB, every=config.cycle)
    else:
        await ctx.cancel(ROUND_JOB)


@hookimpl
async def on_job_due(ctx: PluginContext, job: Job) -> None:
    if job.key == ROUND_JOB:
        report = await rounds.form(ctx, await rounds.prepare(ctx))
        await tell_admins(ctx, "\n".join(report))


async def show_preview(inv: Invocation) -> str:
    return rounds.preview(inv.ctx, await rounds.prepare(inv.ctx))


async def run_now(inv: Invocation) -> str:
    return "\n".join(await rounds.form(inv.ctx, await rounds.prepare(inv.ctx)))


async def tell_admins(ctx: PluginContext, text: str) -> None:
    """A note for the admins: in ``report_to``, else by DM to the owner and admins."""
    if not text:
        return
    log.info("breakout in %s: %s", ctx.key, text.replace("\n", " | "))
    if ctx.config.report_to:
        await ctx.send(ctx.config.report_to, text)
        return
    for record in ctx.members(role={Role.ADMIN, Role.OWNER}):
        if not record.is_bot:
            await ctx.dm(record.member, text)


# --------------------------------------------------------------------------- the end of a group


@hookimpl
async def on_group_ending(ctx: PluginContext, group: Group, summary: Summary) -> None:
    say = rounds.say_for(ctx)
    await ctx.send(group.channel, say(
        "summary", duration=format_duration(_minutes(summary.lasted)), messages=summary.messages,
        people=summary.people, round=group.data.get("round", ""), name=group.name))
    if ctx.config.representatives and summary.speakers:
        top, messages = next(iter(summary.speakers.items()))
        person = await ctx.person((group.platform, top))
        await BreakoutStore(ctx).add_candidate(Candidate(
            person=person.id, round=int(group.data.get("round", 0)), messages=messages,
            group=group.name, since=ctx.now()))


def _minutes(span: timedelta) -> timedelta:
    return timedelta(minutes=max(1, round(span.total_seconds() / 60)))


@hookimpl
async def leader_candidates(ctx: PluginContext) -> list[LeaderCandidate]:
    """Each recently ended group's most active member (``representatives``)."""
    if not ctx.config.representatives:
        return []
    fresh = ctx.config.cycle or CANDIDATE_FRESH
    found = await BreakoutStore(ctx).candidates(since=ctx.now() - fresh)
    return [LeaderCandidate(person=c.person, source=ctx.plugin, since=c.since,
                            reason=f"most active in breakout group {c.group} ({c.messages} messages)")
            for c in found]


@hookimpl
async def dashboard_panels(ctx: PluginContext) -> list[Panel]:
    """The latest rounds, this round's open groups with how lively each is (messages and
    speakers so far), and buttons to preview or run a round (the admins' commands)."""
    rows = [PanelRow(cells=(f"round {number}", f"{ctx.local(started):%Y-%m-%d %H:%M}", str(groups),
                            str(people)))
            for number, started, groups, people in await BreakoutStore(ctx).rounds()]
    controls = PanelRow(cells=("next round", "", "", ""), actions=(
        PanelAction(label="Preview", command="breakout preview"),
        PanelAction(label="Run now", command="breakout run", confirm="Form a breakout round now?")))
    groups = []
    for group in await ctx.groups.open():
        summary = await ctx.groups.summary(group)
        ends = "" if group.expires is None else f"{ctx.local(group.expires):%m-%d %H:%M}"
        groups.append(PanelRow(cells=(group.name, str(len(group.members)), str(summary.messages),
                                      str(summary.people), ends)))
    return [
        Panel(title="Breakout rounds", columns=("round", "started", "groups", "people"),
              rows=(controls, *rows), note="" if rows else "No round yet."),
        Panel(title="Breakout groups open", columns=("group", "members", "messages", "speakers", "ends"),
              rows=tuple(groups), note="" if groups else "No breakout group is open."),
    ]
