"""The ``welcome`` plugin: a ceremony for every newcomer, and a threshold to get in.

Newcomers are welcomed in the channel (joins within ``burst`` together), get
the rules by DM and/or in the channel, hold the ``newcomer`` role until they
accept (a command or a reaction on the rules message) within ``accept.within``,
are invited to introduce themselves, and, with ``gate.invitation_codes``,
must redeem an invitation code first. See docs/plugins/welcome.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hearth import (
    Answer,
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
    Param,
    PluginContext,
    Reaction,
    Referral,
    Role,
    Verdict,
    hookimpl,
    mention,
)
from hearth.storage import Migration

from . import codes, panels, questions, records, ritual, waves
from . import referrals as tree
from .config import WelcomeConfig
from .records import MIGRATIONS, Codes, Newcomers

# --------------------------------------------------------------------------- declarations


@hookimpl
def register_config_schema() -> type[WelcomeConfig]:
    return WelcomeConfig


@hookimpl
def register_migrations() -> tuple[Migration, ...]:
    return MIGRATIONS


@hookimpl
def register_capabilities() -> list[Need]:
    return [
        Need(Capability.DM, "sending the rules by direct message (they are posted in the channel instead)"),
        Need(Capability.ROLES, "the newcomer and member roles"),
        Need(Capability.KICK, "accept.on_timeout: kick (a reminder is sent instead)"),
        Need(Capability.REACTIONS, "accepting the rules by reaction (the command still works)"),
    ]


@hookimpl
def register_commands() -> list[Command]:
    return [
        Command(name="code", handler=redeem_code, params=(Param("code", "word"),),
                min_role=Role.NEWCOMER, max_role=Role.NEWCOMER, help="redeem an invitation code"),
        Command(name="invite", handler=issue_code,
                params=(Param("uses", "int", optional=True), Param("expires", "duration", optional=True)),
                min_role=Role.LEADER, power="invite_codes",
                help="issue an invitation code (USES: how many people, EXPIRES: e.g. 7d)"),
        Command(name="referrals", handler=show_referrals, params=(Param("member", "member", optional=True),),
                min_role=Role.ADMIN, help="who invited whom, as a tree (@member: their branch)"),
    ]


@hookimpl
def register_community_commands(ctx: PluginContext) -> Iterable[Command]:
    # The acceptance command's name is configurable (accept.command, default agree).
    commands = [Command(name=ctx.config.accept.command, handler=accept_rules, min_role=Role.NEWCOMER,
                        max_role=Role.NEWCOMER, available=has_not_agreed,
                        help="accept the rules and become a member")]
    if ctx.config.raid is not None:
        commands.append(Command(name="unhold", handler=unhold, min_role=Role.ADMIN,
                                help="lift the hold on a join wave's newcomers"))
    approval = ctx.config.gate.approval
    if approval is not None:  # who reviews newcomers is configurable (gate.approval.by)
        member = Param("member", "member")
        commands += [
            Command(name="approve", handler=approve, params=(member,), min_role=approval.by,
                    help="let a newcomer waiting for approval in"),
            Command(name="reject", handler=reject, params=(member, Param("reason", "rest", optional=True)),
                    min_role=approval.by,
                    help="turn away a newcomer waiting for approval (REASON: told by DM)"),
        ]
    return commands


async def has_not_agreed(ctx: PluginContext, member: Member) -> bool:
    """``agree`` is for a newcomer in the ritual who has not agreed yet."""
    person = await Newcomers(ctx.store).get(member.platform, member.id)
    return person is not None and person.pending and not person.agreed


# --------------------------------------------------------------------------- commands


async def accept_rules(inv: Invocation) -> str:
    return await ritual.agree(inv.ctx, inv.member)


async def redeem_code(inv: Invocation) -> str:
    ctx, member = inv.ctx, inv.member
    say = ritual.say_for(ctx)
    people = Newcomers(ctx.store)
    person = await people.get(member.platform, member.id)
    if person is None or not person.pending:
        raise CommandError(say("code_not_newcomer"))
    if await Codes(ctx.store).redeemed_since(member.platform, member.id, person.joined_at):
        raise CommandError(say("code_already"))
    result = await codes.redeem(ctx, member, inv.args["code"])
    shown = codes.normalize(inv.args["code"])
    if result.outcome == "throttled":
        raise CommandError(say("code_throttled", minutes=result.retry_minutes))
    if result.outcome == "wrong":
        raise CommandError(say("code_wrong", code=shown))
    if result.outcome == "expired":
        assert result.code is not None
        raise CommandError(say("code_expired", code=shown, date=codes.local_date(ctx, result.code.expires)))
    if result.outcome == "used_up":
        raise CommandError(say("code_used_up", code=shown))
    assert result.code is not None
    inviter = ritual.inviter(ctx, result.code.issuer_platform, result.code.issuer_id)
    await people.update(member.platform, member.id, code_ok=1)
    if not person.agreed:
        return say("code_ok_need_agree", **ritual.values(ctx, inviter=inviter))
    person = await people.get(member.platform, member.id)
    assert person is not None
    return say("code_ok", inviter=inviter) + "\n" + await ritual.proceed(ctx, member, person)


async def _held(inv: Invocation) -> Member:
    """The member named, who must be waiting for approval."""
    member: Member = inv.args["member"]
    person = await Newcomers(inv.ctx.store).get(member.platform, member.id)
    if person is None or not person.held:
        raise CommandError(ritual.say_for(inv.ctx)("approve_not_waiting", mention=mention(member)))
    return member


async def approve(inv: Invocation) -> str:
    ctx = inv.ctx
    member = await _held(inv)
    await ritual.tell(ctx, member, await ritual.admit(ctx, member))
    return ritual.say_for(ctx)("approved", mention=mention(member))


async def reject(inv: Invocation) -> str:
    ctx = inv.ctx
    member = await _held(inv)
    say = ritual.say_for(ctx)
    reason = inv.args.get("reason") or say("reject_reason_default")
    await ctx.cancel(ritual.held_key(member.platform, member.id))
    await ctx.dm(member, say("reject_dm", **ritual.values(ctx, reason=reason)))
    await ctx.kick(member, reason, then=ritual.KICKED, data={"platform": member.platform, "id": member.id})
    return say("rejected", mention=mention(member))


async def issue_code(inv: Invocation) -> str:
    ctx = inv.ctx
    gate = ctx.config.gate
    uses = gate.default_uses if inv.args.get("uses") is None else inv.args["uses"]
    if uses < 1:
        raise CommandError(ritual.say_for(ctx)("invite_bad_uses", usage=f"{inv.prefix}{inv.command.usage}"))
    lifetime = inv.args.get("expires") or gate.default_expires
    say = ritual.say_for(ctx)
    budget = await codes.budget(ctx, inv.member)
    if budget is not None and uses > budget.left:
        key = "invite_over_budget" if budget.next_free is None else "invite_over_budget_until"
        raise CommandError(say(key, **_budget_values(ctx, budget)))
    code = await codes.issue(ctx, inv.member, uses, lifetime)
    text = say("code_issued", **ritual.values(
        ctx, code=code.code, uses=uses, expires=codes.local_date(ctx, code.expires)))
    if budget is not None:
        text += "\n" + say("invite_left", **_budget_values(ctx, budget, spent=uses))
    return text


def _budget_values(ctx: PluginContext, budget: codes.Budget, spent: int = 0) -> dict[str, Any]:
    free = budget.next_free
    return {"left": budget.left - spent, "count": budget.count, "per": ritual.short_duration(budget.per),
            "date": codes.local_date(ctx, free) if free is not None else ""}


async def unhold(inv: Invocation) -> str:
    say = ritual.say_for(inv.ctx)
    count = await waves.lift(inv.ctx)
    if count is None:
        raise CommandError(say("unhold_none"))
    return say("unhold_done", count=count)


async def show_referrals(inv: Invocation) -> str:
    ctx = inv.ctx
    say = ritual.say_for(ctx)
    member: Member | None = inv.args.get("member")
    roots = await tree.tree(ctx, None if member is None else member.key)
    if not roots:
        if member is not None:
            return say("referrals_unknown", mention=mention(member))
        return say("referrals_none", community=ritual.community_name(ctx))
    total = tree.totals(roots)
    title = say("referrals_title", community=ritual.community_name(ctx), **total)
    return "\n".join([title, *tree.render(roots, say, ctx.local)])


@hookimpl
async def referrals(ctx: PluginContext, member: tuple[str, str] | None) -> list[Referral]:
    return await tree.tree(ctx, member)


@hookimpl
async def dashboard_panels(ctx: PluginContext) -> list[Panel]:
    return await panels.panels(ctx)


# --------------------------------------------------------------------------- events


@hookimpl
async def on_startup(ctx: PluginContext) -> None:
    codes_here = Codes(ctx.store)
    async with ctx.store.transaction():  # rows from before people: keyed on the person once
        for account in await codes_here.unkeyed():
            await codes_here.key_on(account, (await ctx.person(account)).id)
    await ritual.schedule_reminder(ctx)
    await ritual.catch_up(ctx)
    await waves.load(ctx)


@hookimpl
async def on_persons_merged(ctx: PluginContext, kept: int, merged: int) -> None:
    await Codes(ctx.store).merge(kept, merged)


@hookimpl
async def on_member_join(ctx: PluginContext, member: Member, invited_by: str | None) -> None:
    await ritual.on_join(ctx, member, invited_by)
    await waves.on_join(ctx, member)


@hookimpl
async def moderate_message(ctx: PluginContext, message: Message) -> Verdict | None:
    verdict = await waves.moderate(ctx, message)
    if verdict is not None:
        await waves.removed(ctx, message)
    return verdict


@hookimpl
async def on_forget(ctx: PluginContext, platform: str, member_id: str) -> None:
    await ctx.cancel(ritual.deadline_key(platform, member_id))
    await ctx.cancel(questions.wait_key(platform, member_id))
    await ctx.cancel(ritual.held_key(platform, member_id))
    await records.forget(ctx.store, platform, member_id)


@hookimpl
async def on_answer(ctx: PluginContext, member: Member, question_key: str, answer: Answer,
                    data: dict[str, Any]) -> None:
    if question_key == questions.QUESTION_KEY:
        await ritual.answered(ctx, member, answer, data)


@hookimpl
async def on_member_removed(ctx: PluginContext, member: Member, reason: str, by: str) -> None:
    await ritual.on_removed(ctx, member, reason, by)


@hookimpl
async def on_member_leave(ctx: PluginContext, member: Member) -> None:
    await ritual.on_leave(ctx, member)


@hookimpl
async def on_reaction(ctx: PluginContext, reaction: Reaction) -> None:
    await ritual.on_reaction(ctx, reaction)


@hookimpl
async def on_message(ctx: PluginContext, message: Message) -> None:
    await ritual.on_message(ctx, message)


@hookimpl
async def on_action_done(ctx: PluginContext, outcome: Outcome) -> None:
    await ritual.on_action_done(ctx, outcome)


@hookimpl
async def on_command(ctx: PluginContext, invocation: Invocation) -> None:
    if invocation.command.name == "rules":  # the core's: a newcomer is also told how to accept
        member = invocation.member
        person = await Newcomers(ctx.store).get(member.platform, member.id)
        if person is not None and person.pending:
            deadline = person.joined_at + ctx.config.accept.within
            await ctx.reply(invocation.message, ritual.how_to_accept(
                ctx, member.platform, on_message=False, deadline=deadline))


@hookimpl
async def on_job_due(ctx: PluginContext, job: Job) -> None:
    if job.key == ritual.BURST_JOB:
        await ritual.flush_due(ctx)
    elif job.key == ritual.REMINDER_JOB:
        await ritual.reminder_due(ctx)
    elif job.key == waves.JOB:
        await waves.job_due(ctx)
    elif job.key.startswith("held:"):
        await ritual.held_reminder_due(ctx, job)
    elif job.key.startswith("question:"):
        await questions.wait_over(ctx, job)
    elif job.key.startswith("deadline:"):
        await ritual.deadline_due(ctx, job)
