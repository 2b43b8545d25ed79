"""The ``leaders`` plugin: the opinion-leader pyramid (docs/plugins/leaders.md).

This first part computes proposals (``!leaders propose``: the owner gets the
reasons by DM, the council channel the names only), shows the pyramid
(``!leaders``), tells the core which powers leaders hold (``leader_powers``)
and answers the ``pyramid`` hook for health reports.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from hearth import (
    Command,
    Invocation,
    MemberRecord,
    PluginContext,
    Pyramid,
    Role,
    Text,
    hookimpl,
    mention,
)
from hearth.i18n import texts
from hearth.plugins.leaders.cohorts import assign
from hearth.plugins.leaders.config import LeadersConfig
from hearth.plugins.leaders.influence import influence
from hearth.plugins.leaders.proposals import Proposal, propose, wanted
from hearth.plugins.leaders.texts import DEFAULTS

log = logging.getLogger(__name__)


def _say(ctx: PluginContext) -> Callable[..., Text]:
    return texts(DEFAULTS, ctx.language, ctx.config.texts)


@dataclass(frozen=True, slots=True)
class Census:
    """The community's people as the pyramid sees them (bots left out)."""

    #: person id -> that person's directory records (their first account first)
    people: dict[int, list[MemberRecord]]
    #: (platform, id) -> person id
    person_of: dict[tuple[str, str], int]

    def highest(self, person: int) -> Role:
        return max(r.role for r in self.people[person])

    def with_role(self, role: Role) -> list[int]:
        return [p for p in self.people if self.highest(p) == role]


async def census(ctx: PluginContext) -> Census:
    people: dict[int, list[MemberRecord]] = {}
    person_of: dict[tuple[str, str], int] = {}
    for record in ctx.members():
        if record.is_bot:
            continue
        number = (await ctx.person(record)).id
        people.setdefault(number, []).append(record)
        person_of[record.key] = number
    return Census(people, person_of)


async def proposals(ctx: PluginContext, people: Census) -> list[Proposal[int]]:
    """This review's proposals (see :func:`hearth.plugins.leaders.proposals.propose`)."""
    config: LeadersConfig = ctx.config
    graph = await ctx.interactions(ctx.now() - config.window)
    scores = influence(graph.edges, people.person_of.get, people.people)
    leaders = people.with_role(Role.LEADER)
    return propose(
        scores, members=len(people.people), leaders=len(leaders), share=config.share,
        low=config.min, high=config.max,
        exclude=[p for p in people.people if people.highest(p) >= Role.LEADER],
    )


# --------------------------------------------------------------------------- declarations


@hookimpl
def register_config_schema() -> type[LeadersConfig]:
    return LeadersConfig


@hookimpl
def register_commands() -> Iterable[Command]:
    return [
        Command(name="leaders", handler=show_pyramid, min_role=Role.MEMBER,
                help="the pyramid: leaders and their cohorts"),
        Command(name="leaders propose", handler=propose_now, min_role=Role.ADMIN,
                help="compute and post leader proposals (reasons to the owner by DM)"),
    ]


@hookimpl
def leader_powers(ctx: PluginContext) -> Iterable[str] | None:
    return list(ctx.config.powers)


@hookimpl
async def pyramid(ctx: PluginContext) -> Pyramid:
    people = await census(ctx)
    leaders = people.with_role(Role.LEADER)
    members = [p for p in people.people if people.highest(p) <= Role.MEMBER]
    cohorts = assign(members, leaders, ctx.config.span)
    largest = max((len(c) for c in cohorts.values()), default=0)
    return Pyramid(leaders=len(leaders), members=len(members) + len(leaders), largest_cohort=largest)


# --------------------------------------------------------------------------- commands


async def show_pyramid(inv: Invocation) -> Text:
    ctx, say = inv.ctx, _say(inv.ctx)
    config: LeadersConfig = ctx.config
    people = await census(ctx)
    leaders = people.with_role(Role.LEADER)
    members = [p for p in people.people if people.highest(p) <= Role.MEMBER]
    cohorts = assign(members, leaders, config.span)
    lines = [say("pyramid", community=ctx.key, leaders=len(leaders), members=len(people.people),
                 wanted=wanted(len(people.people), config.share, config.min, config.max))]
    lines += [say("pyramid_leader", who=mention(people.people[p][0]), count=len(cohorts[p])) for p in leaders]
    if not leaders:
        lines.append(say("no_leaders"))
    return Text("\n").join(lines)


async def propose_now(inv: Invocation) -> Text:
    ctx, say = inv.ctx, _say(inv.ctx)
    config: LeadersConfig = ctx.config
    people = await census(ctx)
    found = await proposals(ctx, people)
    if not found:
        leaders = len(people.with_role(Role.LEADER))
        return say("nothing_to_propose", leaders=leaders, members=len(people.people),
                   wanted=wanted(len(people.people), config.share, config.min, config.max))
    names = Text(", ").join(mention(people.people[p.person][0]) for p in found)
    await _tell_owner(ctx, people, found)
    if config.channel is not None:
        await ctx.send(config.channel, say("proposal_council", names=names))
    return say("proposed", count=len(found), names=names)


async def _tell_owner(ctx: PluginContext, people: Census, found: list[Proposal[int]]) -> None:
    say = _say(ctx)
    lines = [say("proposal_owner", community=ctx.key, count=len(found))]
    for p in found:
        reason = Text("").join(say("proposal_reason", reason=r) for r in p.reasons)
        score = "-" if p.score is None else f"{p.score:.1f}"
        lines.append(say("proposal_line", who=mention(people.people[p.person][0]), score=score,
                         distinct=p.distinct, reason=reason))
    text = Text("\n").join(lines)
    for owner in people.with_role(Role.OWNER):
        for record in people.people[owner]:
            member = await ctx.get_member(record.platform, record.id)
            if member is not None and await ctx.dm(member, text) is not None:
                return
    log.warning("%s: no owner reachable by DM for the leader proposals", ctx.key)
