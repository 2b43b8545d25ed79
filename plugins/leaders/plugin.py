"""The ``leaders`` plugin: the opinion-leader pyramid (docs/plugins/leaders.md).

Proposals (``!leaders propose``): the owner gets the reasons by DM, the
council channel the names only, and each proposed person an offer that waits
for the owner (``!leaders approve @m``; at once with ``approval: auto``); then
the person is asked by DM and becomes a leader (the core's leader role, on
every network they are on) only on ``!leaders accept`` or the dialog's yes.
``!leaders`` shows the pyramid and ``!cohort`` a leader's people. Beside
this module: the council's membership (:mod:`.council`), the powers as
commands (:mod:`.powers`), tasks (:mod:`.tasks`) and the demotion of silent
leaders (:mod:`.demotion`). ``leader_powers`` tells the core which powers
leaders hold; the ``pyramid`` hook answers health reports.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any

from hearth import (
    Answer,
    Command,
    CommandError,
    InteractionGraph,
    Invocation,
    Job,
    Member,
    MemberRecord,
    Outcome,
    Panel,
    PanelAction,
    PanelRow,
    Param,
    PluginContext,
    Pyramid,
    Role,
    Store,
    Text,
    format_duration,
    hookimpl,
    mention,
    to_ms,
)
from hearth.plugins.leaders import council, demotion, offers, powers, tasks
from hearth.plugins.leaders.census import Census, census, cohorts, tell_owner
from hearth.plugins.leaders.cohorts import missing_leaders
from hearth.plugins.leaders.config import LeadersConfig
from hearth.plugins.leaders.influence import influence
from hearth.plugins.leaders.proposals import Proposal, propose, wanted
from hearth.plugins.leaders.schema import MIGRATIONS
from hearth.plugins.leaders.texts import say_for

log = logging.getLogger(__name__)

#: how many of the people who turned most to a proposed person the owner sees
EXAMPLES = 3


async def proposals(ctx: PluginContext, people: Census,
                    graph: InteractionGraph) -> list[Proposal[int]]:
    """This review's proposals (see :func:`hearth.plugins.leaders.proposals.propose`)."""
    config: LeadersConfig = ctx.config
    scores = influence(graph.edges, people.person_of.get, people.people)
    leaders = people.with_role(Role.LEADER)
    asked = await offers.pending(ctx.store)
    candidates: dict[int, str] = {}
    for c in await ctx.leader_candidates():
        if c.person in people.people:  # still a member, not a bot
            candidates.setdefault(c.person, c.reason)
    settled = await cohorts(ctx, people)
    return propose(
        scores, members=len(people.people), leaders=len(leaders), share=config.share,
        low=config.min, high=config.max,
        waiting=sum(1 for s in asked.values() if s != offers.DECLINED),
        crowded=any(len(c) > config.span for c in settled.values()),
        exclude=[*asked, *(p for p in people.people if people.highest(p) >= Role.LEADER)],
        candidates=candidates,
    )


# --------------------------------------------------------------------------- declarations


@hookimpl
def register_config_schema() -> type[LeadersConfig]:
    return LeadersConfig


@hookimpl
def register_migrations() -> Sequence[Callable[[Store], Awaitable[None]]]:
    return MIGRATIONS


@hookimpl
def register_commands() -> Iterable[Command]:
    who = (Param("member", "member"),)
    return [
        Command(name="leaders", handler=show_pyramid, min_role=Role.MEMBER,
                help="the pyramid: leaders and their cohorts"),
        Command(name="leaders propose", handler=propose_now, min_role=Role.ADMIN,
                help="compute and post leader proposals (reasons to the owner by DM)"),
        Command(name="leaders approve", handler=approve, params=who, min_role=Role.OWNER,
                help="approve a leader: the member is asked by DM"),
        Command(name="leaders revoke", handler=revoke, params=who, min_role=Role.OWNER,
                help="take a leader's role and powers at once"),
        Command(name="leaders accept", handler=accept, min_role=Role.NEWCOMER,
                help="accept becoming a leader (after the owner's approval)"),
        Command(name="leaders decline", handler=decline, min_role=Role.NEWCOMER,
                help="decline becoming a leader"),
        Command(name="leaders resign", handler=resign, min_role=Role.LEADER,
                help="step down as a leader"),
        Command(name="cohort", handler=show_cohort, min_role=Role.LEADER,
                help="the members in your cohort, with when each last spoke"),
        *powers.COMMANDS,
        *tasks.COMMANDS,
    ]


@hookimpl
async def on_answer(ctx: PluginContext, member: Member, question_key: str, answer: Answer,
                    data: dict[str, Any]) -> None:
    if question_key != OFFER:
        return
    if await offers.state(ctx.store, (await ctx.person(member)).id) != offers.APPROVED:
        return  # answered already with a command, or withdrawn
    if answer.picked[:1] == (1,):
        text = await _become_leader(ctx, member)
    else:
        text = await _decline(ctx, member)
    await ctx.dm(member, text)


@hookimpl
def leader_powers(ctx: PluginContext) -> Iterable[str] | None:
    return list(ctx.config.powers)


@hookimpl
async def pyramid(ctx: PluginContext) -> Pyramid:
    people = await census(ctx)
    leaders = people.with_role(Role.LEADER)
    members = people.members()
    settled = await cohorts(ctx, people)
    asked = await offers.pending(ctx.store)
    return Pyramid(
        leaders=len(leaders), members=len(members) + len(leaders),
        largest_cohort=max((len(c) for c in settled.values()), default=0),
        missing_leaders=missing_leaders(len(members), len(leaders), ctx.config.span),
        inactive_leaders=len(demotion.inactive(ctx, people)),
        proposals=sum(1 for s in asked.values() if s != offers.DECLINED),
        unclaimed_tasks=await tasks.unclaimed(ctx),
    )


@hookimpl
async def on_role_changed(ctx: PluginContext, member: Member, old: Role, new: Role) -> None:
    if Role.LEADER not in (old, new):
        return
    people = await census(ctx)
    await cohorts(ctx, people)  # a demoted leader's cohort goes to the others
    await council.sync(ctx, people)


@hookimpl
async def on_member_leave(ctx: PluginContext, member: Member) -> None:
    if member.role == Role.LEADER:
        await council.sync(ctx, await census(ctx))


@hookimpl
async def on_action_done(ctx: PluginContext, outcome: Outcome) -> None:
    if outcome.key == powers.ANNOUNCED:
        await powers.announced(ctx, outcome)


REVIEW = "review"


@hookimpl
async def on_startup(ctx: PluginContext) -> None:
    await ctx.ensure_schedule(REVIEW, every=ctx.config.review_every)
    await ctx.ensure_schedule(demotion.WATCH, every="1d")
    await ctx.ensure_schedule(tasks.DIGEST, every=tasks.WEEK)
    await council.sync(ctx, await census(ctx))


@hookimpl
async def on_job_due(ctx: PluginContext, job: Job) -> None:
    if job.key == REVIEW:
        await review(ctx, health=True)
    elif job.key == demotion.WATCH:
        await demotion.watch(ctx)
    elif job.key.startswith(demotion.JOB):
        await demotion.demote(ctx, job)
    elif job.key.startswith(tasks.JOB):
        await tasks.again(ctx, job)
    elif job.key == tasks.DIGEST:
        text = await tasks.digest(ctx)
        if text is not None:
            await tell_owner(ctx, await census(ctx), text)


# --------------------------------------------------------------------------- commands


@hookimpl
async def dashboard_panels(ctx: PluginContext) -> list[Panel]:
    """The leaders with their cohorts, and the offers waiting (approve or revoke from the page)."""
    people = await census(ctx)
    leaders = people.with_role(Role.LEADER)
    settled = await cohorts(ctx, people)
    week = ctx.now() - timedelta(days=7)
    rows = []
    for person in leaders:
        record = people.people[person][0]
        done = await ctx.activity(await ctx.person(person), week)
        rows.append(PanelRow(
            cells=(record.name, str(len(settled.get(person, ()))), str(done.messages)),
            member=record.key,
            actions=(PanelAction(label="Revoke", command="leaders revoke", args=(record.key,),
                                 confirm=f"Revoke {record.name}'s leadership?"),)))
    offered = []
    for person, state in (await offers.pending(ctx.store)).items():
        if person not in people.people:
            continue
        record = people.people[person][0]
        approve = () if state == offers.APPROVED else (
            PanelAction(label="Approve", command="leaders approve", args=(record.key,)),)
        offered.append(PanelRow(cells=(record.name, state), member=record.key, actions=approve))
    return [
        Panel(title="Leaders", columns=("leader", "cohort", "messages this week"), rows=tuple(rows),
              note="" if rows else "No leaders yet.", min_role=Role.LEADER),
        Panel(title="Leader proposals", columns=("person", "state"), rows=tuple(offered),
              note="Approved people are asked by direct message; they lead once they accept."
              if offered else "No proposal is waiting.", min_role=Role.LEADER, waiting=True),
    ]


async def show_pyramid(inv: Invocation) -> Text:
    ctx, say = inv.ctx, say_for(inv.ctx)
    config: LeadersConfig = ctx.config
    people = await census(ctx)
    leaders = people.with_role(Role.LEADER)
    settled = await cohorts(ctx, people)
    lines = [say("pyramid", community=ctx.key, leaders=len(leaders), members=len(people.people),
                 wanted=wanted(len(people.people), config.share, config.min, config.max))]
    lines += [say("pyramid_leader", who=mention(people.people[p][0]), count=len(settled[p]))
              for p in leaders]
    if not leaders:
        lines.append(say("no_leaders"))
    return Text("\n").join(lines)


async def show_cohort(inv: Invocation) -> Text:
    ctx, say = inv.ctx, say_for(inv.ctx)
    people = await census(ctx)
    me = (await ctx.person(inv.member)).id
    if me not in people.people or people.highest(me) != Role.LEADER:
        raise CommandError(say("cohort_not_leader", prefix=ctx.prefix))
    mine = (await cohorts(ctx, people))[me]
    if not mine:
        return say("cohort_empty")
    lines = [say("cohort_head", count=len(mine), span=ctx.config.span)]
    for p in sorted(mine, key=lambda p: people.last_active(p) or people.people[p][0].joined):
        seen = people.last_active(p)
        when = say("cohort_never") if seen is None else ctx.local(seen).strftime("%Y-%m-%d %H:%M")
        lines.append(say("cohort_line", who=mention(people.people[p][0]), when=when))
    return Text("\n").join(lines)


async def propose_now(inv: Invocation) -> Text:
    ctx, say = inv.ctx, say_for(inv.ctx)
    config: LeadersConfig = ctx.config
    people, found = await review(ctx, health=False)
    if not found:
        leaders = len(people.with_role(Role.LEADER))
        return say("nothing_to_propose", leaders=leaders, members=len(people.people),
                   wanted=wanted(len(people.people), config.share, config.min, config.max))
    names = Text(", ").join(mention(people.people[p.person][0]) for p in found)
    return say("proposed", count=len(found), names=names)


async def review(ctx: PluginContext, *, health: bool) -> tuple[Census, list[Proposal[int]]]:
    """Compute the proposals, record the offers (asking at once with ``approval: auto``),
    and tell the owner (reasons, and with ``health`` the pyramid's health) and the council."""
    say, config = say_for(ctx), ctx.config
    people = await census(ctx)
    await council.sync(ctx, people)
    graph = await ctx.interactions(ctx.now() - config.window)
    found = await proposals(ctx, people, graph)
    auto = config.approval == "auto"
    for p in found:
        await offers.offer(ctx.store, p.person, offers.APPROVED if auto else offers.PROPOSED,
                           to_ms(ctx.now()), replace=False)
        if auto:
            await _ask(ctx, people.people[p.person][0])
    lines: list[Text] = []
    if health:
        lines.append(await _health(ctx, people))
    if found:
        lines += await _reasons(ctx, people, found, graph)
        names = Text(", ").join(mention(people.people[p.person][0]) for p in found)
        await council.post(ctx, say("proposal_council", names=names))
    if lines:
        await tell_owner(ctx, people, Text("\n").join(lines))
    return people, found


async def _health(ctx: PluginContext, people: Census) -> Text:
    config: LeadersConfig = ctx.config
    say = say_for(ctx)
    leaders = people.with_role(Role.LEADER)
    members = people.members()
    settled = await cohorts(ctx, people)
    silent = demotion.inactive(ctx, people)
    first = say(
        "health", community=ctx.key, leaders=len(leaders), members=len(people.people),
        share=f"{len(leaders) / len(people.people):.0%}" if people.people else "0%",
        wanted=wanted(len(people.people), config.share, config.min, config.max),
        largest=max((len(c) for c in settled.values()), default=0), span=config.span,
        missing=missing_leaders(len(members), len(leaders), config.span),
    )
    names = Text(", ").join(mention(people.people[p][0]) for p in silent) if silent else Text("0")
    return first + say("health_more", silent=format_duration(config.inactive_after), inactive=names,
                       unclaimed=await tasks.unclaimed(ctx))


async def _reasons(ctx: PluginContext, people: Census, found: list[Proposal[int]],
                   graph: InteractionGraph) -> list[Text]:
    """One line per proposal: the score, how many people, another plugin's reason, and
    examples (replies and reactions received over the window, and who turned to them most)."""
    say = say_for(ctx)
    wanted_people = {p.person for p in found}
    sources: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for (a, b), w in graph.edges.items():
        target, source = people.person_of.get(b), people.person_of.get(a)
        if target in wanted_people and source is not None and source != target:
            sources[target][source] += w
    since = ctx.now() - ctx.config.window
    lines = [say("proposal_owner", community=ctx.key, count=len(found))]
    for p in found:
        reason = Text("").join(say("proposal_reason", reason=r) for r in p.reasons)
        score = "-" if p.score is None else f"{p.score:.1f}"
        line = say("proposal_line", who=mention(people.people[p.person][0]), score=score,
                   distinct=p.distinct, reason=reason)
        most = sorted(sources[p.person].items(), key=lambda kv: -kv[1])[:EXAMPLES]
        if most:
            did = await ctx.activity(await ctx.person(p.person), since)
            names = Text(", ").join(mention(people.people[s][0]) for s, _ in most)
            line = line + say("proposal_examples", replies=did.replies_received,
                              reactions=did.reactions_received, names=names)
        lines.append(line)
    return lines


OFFER = "offer"


async def _ask(ctx: PluginContext, record: MemberRecord | Member) -> None:
    """Ask the person by DM whether they will lead (the dialog's yes, or ``!leaders accept``)."""
    say = say_for(ctx)
    member = record if isinstance(record, Member) else await ctx.get_member(record.platform, record.id)
    if member is None:
        return
    question = say("offer_question", community=ctx.key, prefix=ctx.prefix)
    await ctx.ask(member, str(question), [str(say("yes")), str(say("no"))], key=OFFER)


async def approve(inv: Invocation) -> Text:
    ctx, say, target = inv.ctx, say_for(inv.ctx), inv.args["member"]
    if target.is_bot:
        raise CommandError(say("approve_bot", who=mention(target)))
    people = await census(ctx)
    person = (await ctx.person(target)).id
    if person in people.people and people.highest(person) >= Role.LEADER:
        raise CommandError(say("already_leader", who=mention(target)))
    current = await offers.state(ctx.store, person)
    if current is None:
        log.info("%s: the owner approved %s:%s as a leader without a proposal",
                 ctx.key, target.platform, target.id)
    await offers.offer(ctx.store, person, offers.APPROVED, to_ms(ctx.now()), replace=True)
    await _ask(ctx, target)
    return say("approved", who=mention(target))


async def _become_leader(ctx: PluginContext, member: Member) -> Text:
    say = say_for(ctx)
    person = (await ctx.person(member)).id
    if await offers.state(ctx.store, person) != offers.APPROVED:
        raise CommandError(say("no_offer"))
    await offers.close(ctx.store, person)
    await ctx.cancel_questions(member, [OFFER])
    await ctx.grant_role(member, Role.LEADER)
    return say("welcome_leader", community=ctx.key, prefix=ctx.prefix)


async def _decline(ctx: PluginContext, member: Member) -> Text:
    person = (await ctx.person(member)).id
    if await offers.state(ctx.store, person) not in (offers.PROPOSED, offers.APPROVED):
        raise CommandError(say_for(ctx)("no_offer"))
    await offers.offer(ctx.store, person, offers.DECLINED, to_ms(ctx.now()), replace=True)
    await ctx.cancel_questions(member, [OFFER])
    return say_for(ctx)("declined")


async def accept(inv: Invocation) -> Text:
    return await _become_leader(inv.ctx, inv.member)


async def decline(inv: Invocation) -> Text:
    return await _decline(inv.ctx, inv.member)


async def resign(inv: Invocation) -> Text:
    await inv.ctx.revoke_role(inv.member, Role.LEADER)
    return say_for(inv.ctx)("resigned")


async def revoke(inv: Invocation) -> Text:
    ctx, say, target = inv.ctx, say_for(inv.ctx), inv.args["member"]
    if target.role != Role.LEADER:
        raise CommandError(say("not_leader", who=mention(target)))
    await ctx.revoke_role(target, Role.LEADER)
    return say("revoked", who=mention(target))
