"""Pulse: regular, genuine activity and the group's health (docs/plugins/pulse.md).

Four parts, each on when its block is configured: rule reminders that taper
(:mod:`.reminders`), a daily topic that backs off when ignored (:mod:`.topics`),
inactivity reminders and removal (:mod:`.inactivity`), and the health report
with its chart and the dying-group warnings (:mod:`.health`). All of them read
the core's member directory and activity ledger; pulse keeps only its own
state (:mod:`.store`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import timedelta

from hearth import (
    Capability,
    Command,
    CommandError,
    Invocation,
    Job,
    Member,
    Message,
    Need,
    Outcome,
    Panel,
    PanelRow,
    Param,
    PluginContext,
    Report,
    Role,
    Store,
    hookimpl,
    mention,
)

from . import health, inactivity, reminders, topics
from .common import day_ms, say_for, store_of
from .config import PulseConfig
from .store import MIGRATIONS

#: ``!activity`` covers this many days
ACTIVITY_DAYS = 30

JOBS: dict[str, Callable[[PluginContext], Awaitable[None]]] = {
    reminders.JOB: reminders.due,
    topics.JOB: topics.due,
    topics.DUTY_JOB: topics.duty_due,
    topics.CHECK_JOB: topics.check_due,
    inactivity.JOB: inactivity.due,
    health.JOB: health.post,
    health.DAILY_JOB: health.daily,
}
SETTLED: dict[str, Callable[[PluginContext, Outcome], Awaitable[None]]] = {
    reminders.POSTED: reminders.posted,
    topics.POSTED: topics.posted,
    inactivity.NUDGED: inactivity.nudge_settled,
}


# --------------------------------------------------------------------------- declarations


@hookimpl
def register_config_schema() -> type[PulseConfig]:
    return PulseConfig


@hookimpl
def register_migrations() -> Sequence[Callable[[Store], Awaitable[None]]]:
    return MIGRATIONS


@hookimpl
def register_capabilities() -> Iterable[Need]:
    return [
        Need(Capability.PIN, "rules_reminder.pin (the reminder is posted unpinned)"),
        Need(Capability.DM, "inactivity reminders and the topic duty (removal still waits its time)"),
        Need(Capability.KICK, "inactivity.remove_after (members are only reminded)"),
        Need(Capability.FILES, "the health report's chart (the text is posted alone)"),
    ]


@hookimpl
def register_community_commands(ctx: PluginContext) -> Iterable[Command]:
    config: PulseConfig = ctx.config
    commands = [
        Command(name="activity", handler=activity,
                params=(Param("member", "member", optional=True,
                              help="another member (leaders only)"),),
                min_role=Role.MEMBER,
                help=f"your messages, replies and reactions received over {ACTIVITY_DAYS} days"),
    ]
    if config.topics is not None:
        commands.append(Command(name="topic", handler=topics.command,
                                params=(Param("text", "rest", help="the topic"),),
                                min_role=Role.LEADER,
                                help="post today's topic (the leader on duty)"))
    if config.health is not None:
        commands.append(Command(name="health", handler=health_now, min_role=Role.ADMIN,
                                help="the health report now"))
    if config.inactivity is not None:
        commands.append(Command(name="quiet", handler=inactivity.command, min_role=Role.ADMIN,
                                help="members due for an inactivity reminder or removal"))
    return commands


# --------------------------------------------------------------------------- lifecycle


@hookimpl
async def on_startup(ctx: PluginContext) -> None:
    await reminders.schedule(ctx)
    await topics.schedule(ctx)
    await inactivity.schedule(ctx)
    await health.schedule(ctx)


@hookimpl
async def on_job_due(ctx: PluginContext, job: Job) -> None:
    run = JOBS.get(job.key)
    if run is not None:
        await run(ctx)


@hookimpl
async def on_action_done(ctx: PluginContext, outcome: Outcome) -> None:
    settle = SETTLED.get(outcome.key)
    if settle is not None:
        await settle(ctx, outcome)


@hookimpl
async def on_member_join(ctx: PluginContext, member: Member) -> None:
    if not member.is_bot:
        await store_of(ctx).count_day(day_ms(ctx, ctx.now()), joins=1)
        await reminders.joined(ctx)


@hookimpl
async def on_member_leave(ctx: PluginContext, member: Member) -> None:
    if not member.is_bot:
        store = store_of(ctx)
        await store.count_day(day_ms(ctx, ctx.now()), leaves=1)
        await store.drop_nudge(member.platform, member.id)


@hookimpl
async def on_forget(ctx: PluginContext, platform: str, member_id: str) -> None:
    await store_of(ctx).forget(platform, member_id)


@hookimpl
async def on_message(ctx: PluginContext, message: Message) -> None:
    await topics.heard(ctx, message)
    await inactivity.heard(ctx, message)


@hookimpl
async def community_report(ctx: PluginContext, weeks: int) -> Report:
    return await health.report(ctx, weeks)


@hookimpl
async def dashboard_panels(ctx: PluginContext) -> list[Panel]:
    """The health warnings (a dying group), and who the inactivity rules will remind or
    remove next (with ``inactivity``)."""
    say = say_for(ctx)
    f = await health.figures(ctx, 0)
    config = ctx.config.health
    warnings = []
    if config is not None and f.quiet_days >= health.WARN_AFTER:
        warnings.append(PanelRow(cells=(str(say("report_dying", floor=f"{config.dying_below:g}",
                                                days=f.quiet_days)),)))
    panels = [Panel(title="Health warnings", columns=("warning",), rows=tuple(warnings),
                    note="" if warnings else "No warning: members talk to each other.",
                    min_role=Role.LEADER)]
    rules = ctx.config.inactivity
    if rules is not None:
        plan = await inactivity.plan(ctx, rules, store_of(ctx))
        rows = [PanelRow(cells=(r.name, "reminder now"), member=r.key) for r in plan.nudge]
        rows += [PanelRow(cells=(r.name, f"reminder {ctx.local(when):%m-%d %H:%M}"), member=r.key)
                 for r, when in plan.soon]
        rows += [PanelRow(cells=(r.name, f"removal {ctx.local(when):%m-%d %H:%M}"), member=r.key)
                 for r, _, when in plan.removals]
        panels.append(Panel(title="Silent members", columns=("member", "next"), rows=tuple(rows),
                            note="" if rows else "Nobody is due for a reminder or removal."))
    return panels


# --------------------------------------------------------------------------- commands


async def health_now(inv: Invocation) -> str | None:
    ctx = inv.ctx
    config: PulseConfig = ctx.config
    if config.health is None:
        raise CommandError(say_for(ctx)("health_off"))
    f = await health.figures(ctx, config.health.chart_weeks)
    text = health.text(ctx, f)
    if not f.days or inv.message.channel.is_dm:
        return text
    await ctx.send_file(inv.message.channel, await health.chart(ctx, f, "png"), "activity.png", text=text)
    return None


async def activity(inv: Invocation) -> str:
    """``!activity [@member]``: a member's own figures; leaders may ask for anyone's."""
    ctx, say = inv.ctx, say_for(inv.ctx)
    who: Member = inv.args["member"] or inv.member
    if who != inv.member and inv.member.role < Role.LEADER:
        raise CommandError(say("activity_others"))
    now = ctx.now()
    done = await ctx.activity(who, now - timedelta(days=ACTIVITY_DAYS - 1))
    record = ctx.member(who)
    seen = record.last_active if record is not None else None
    return say("activity", member=mention(who), messages=done.messages, days=done.active_days,
               replies=done.replies_received, reactions=done.reactions_received,
               seen=ctx.local(seen).strftime("%Y-%m-%d %H:%M") if seen else say("never"))
