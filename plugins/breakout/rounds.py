"""One breakout round: who takes part, how they are grouped, what is created, what is said.

:func:`prepare` reads the answers, the directory and the history and plans
the round on each network (:mod:`.grouping`), without side effects: the
preview shows it, :func:`form` creates the groups through the core's group
lifecycle, posts each ice-breaker and records the round.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hearth import (
    Capability,
    Channel,
    Group,
    MemberRecord,
    PluginContext,
    Role,
    Text,
    format_duration,
    mention,
    texts,
)

from . import grouping
from .config import BreakoutConfig
from .store import BreakoutStore
from .texts import DEFAULTS

log = logging.getLogger(__name__)

#: linked people meet on the network where they wrote most over this span
USAGE_SPAN = timedelta(days=30)
#: the most groups a preview lists one by one (per network)
PREVIEW_GROUPS = 10
#: how many shared answers an ice-breaker names
NAMED = 3


def say_for(ctx: PluginContext) -> Callable[..., str]:
    return texts(DEFAULTS, ctx.language, ctx.config.texts)


@dataclass
class NetworkPlan:
    """The round on one network: the plan and the records of the people in it."""

    platform: str
    plan: grouping.Plan
    #: person id -> the account that takes part here
    records: dict[int, MemberRecord]


@dataclass
class Round:
    """A planned round, before anything is created."""

    number: int
    networks: list[NetworkPlan] = field(default_factory=list)
    #: notes for the admins (skipped networks)
    notes: list[str] = field(default_factory=list)

    @property
    def groups(self) -> int:
        return sum(len(n.plan.groups) for n in self.networks)


def label(token: str) -> str:
    """The choice of an answer token (``"interests=tea"`` -> ``"tea"``)."""
    return token.partition("=")[2]


def complete(config: BreakoutConfig, answers: dict[str, list[str]]) -> frozenset[str] | None:
    """A person's answers as tokens when they answer every configured question with choices it
    still offers; None otherwise (only complete answers take part)."""
    tokens: set[str] = set()
    for question in config.questions:
        picked = answers.get(question.key)
        if not picked or not set(picked) <= set(question.choices):
            return None
        tokens.update(f"{question.key}={choice}" for choice in picked)
    return frozenset(tokens)


async def _network_of(ctx: PluginContext, records: list[MemberRecord], since: datetime) -> MemberRecord:
    """The account a person meets on: their only one, or where they wrote most lately."""
    if len(records) == 1:
        return records[0]
    usage = [((await ctx.activity(r, since)).messages, -n, r) for n, r in enumerate(records)]
    return max(usage, key=lambda u: (u[0], u[1]))[2]


async def prepare(ctx: PluginContext) -> Round:
    """Plan the next round on every network (nothing is created or stored)."""
    config: BreakoutConfig = ctx.config
    say = say_for(ctx)
    store = BreakoutStore(ctx)
    last, last_started = await store.last_round()
    number = last + 1
    answers, stopped, waiting = await store.answers(), await store.stopped(), await store.waiting()

    accounts: dict[int, list[MemberRecord]] = {}
    for record in ctx.members():
        if record.is_bot:
            continue
        person = await ctx.person(record)
        if person.id in answers and person.id not in stopped:
            accounts.setdefault(person.id, []).append(record)

    now = ctx.now()
    people: dict[str, list[tuple[grouping.Person, MemberRecord]]] = {}
    for person_id, records in accounts.items():
        tokens = complete(config, answers[person_id])
        if tokens is None:
            continue
        record = await _network_of(ctx, records, now - USAGE_SPAN)
        role = max(r.role for r in records)
        newcomer = role == Role.NEWCOMER or (
            last_started is not None and min(r.joined for r in records) > last_started)
        people.setdefault(record.platform, []).append((grouping.Person(
            id=str(person_id), answers=tokens, leader=role >= Role.LEADER, newcomer=newcomer), record))

    shuffle = random.Random(f"{ctx.key}:{number}")
    found = Round(number=number)
    if not people:
        found.notes.append(say("nobody"))
    history = [[str(p) for p in g] for g in await store.history(config.avoid_repeat_rounds, number)]
    groups_left = config.max_groups
    for platform, entries in sorted(people.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        if not ctx.can(Capability.GROUPS, platform):
            found.notes.append(say("round_no_groups", platform=platform))
            continue
        # Those left over before go first (the longest waiting first), then the others at random.
        entries.sort(key=lambda e: int(e[0].id))
        shuffle.shuffle(entries)
        entries.sort(key=lambda e: waiting.get(int(e[0].id), number))
        plan = grouping.plan([e[0] for e in entries], group_size=config.group_size, history=history,
                             seat_leader=config.seat_leader, mix_newcomers=config.mix_newcomers,
                             max_groups=groups_left, seed=number)
        if not plan.groups and groups_left > 0:
            found.notes.append(say("round_skipped", platform=platform, count=len(entries),
                                   needed=grouping.smallest_round(config.group_size), round=number))
            continue
        groups_left -= len(plan.groups)
        found.networks.append(NetworkPlan(platform, plan, {int(p.id): r for p, r in entries}))
    return found


def thread_parent(ctx: PluginContext, platform: str) -> Channel | None:
    """With ``as: threads``, the channel groups on ``platform`` open in as private threads; None
    where groups are channels (the network has no private threads: the core would refuse)."""
    config: BreakoutConfig = ctx.config
    if config.as_ != "threads" or not ctx.can(Capability.GROUP_THREADS, platform):
        return None
    return next((c for c in ctx.channels(config.thread_channel or "") if c.platform == platform), None)


def kind(ctx: PluginContext, platform: str) -> str:
    say = say_for(ctx)
    if thread_parent(ctx, platform) is not None:
        return say("kind_threads", channel=ctx.config.thread_channel)
    return say("kind_channels")


def shared_text(ctx: PluginContext, shared: tuple[tuple[str, int], ...]) -> str:
    say = say_for(ctx)
    if not shared:
        return say("nothing_shared")
    return ", ".join(say("shared_item", answer=label(a), count=c) for a, c in shared[:NAMED])


def opener(ctx: PluginContext, token: str) -> str:
    """A first question about the answer a group shares most (``token``: ``"city=north"``)."""
    key, _, answer = token.partition("=")
    question = ctx.config.question(key)
    return say_for(ctx)("opener", answer=answer, question=question.ask if question else key)


def figures(plan: grouping.Plan) -> dict[str, str]:
    q = plan.quality
    return {"ties": f"{q.mean_ties:.2f}", "random": f"{q.random_ties:.2f}", "bound": f"{q.upper_bound:.2f}"}


def preview(ctx: PluginContext, planned: Round) -> str:
    """What the next round would form, and what it would create."""
    say = say_for(ctx)
    lines = [say("preview_header")]
    for network in planned.networks:
        plan = network.plan
        lines.append(say("preview_platform", platform=network.platform, groups=len(plan.groups),
                         kind=kind(ctx, network.platform),
                         people=sum(len(g) for g in plan.groups), **figures(plan)))
        for n, (group, shared) in enumerate(zip(plan.groups, plan.shared, strict=True), start=1):
            if n > PREVIEW_GROUPS:
                lines.append(say("preview_more", count=len(plan.groups) - PREVIEW_GROUPS))
                break
            names = ", ".join(network.records[int(p)].name for p in group)
            lines.append(say("preview_group", number=n, members=names, shared=shared_text(ctx, shared)))
        lines += _caveats(ctx, network)
    if planned.networks:
        duration = ctx.config.duration
        if duration is None:
            lines.append(say("preview_stay"))
        else:
            wanted = ctx.config.on_close
            mode = ctx.groups.dissolve_mode(planned.networks[0].platform, wanted) or wanted
            lines.append(say("preview_end", duration=format_duration(duration), mode=say(f"mode_{mode}")))
    lines += planned.notes
    return "\n".join(lines)


def _caveats(ctx: PluginContext, network: NetworkPlan) -> list[str]:
    say, plan = say_for(ctx), network.plan
    lines = []
    if plan.waiting:
        lines.append(say("round_waiting", count=len(plan.waiting), max=ctx.config.max_groups))
    if plan.repeats:
        lines.append(say("round_repeats", count=len(plan.repeats)))
    return lines


async def form(ctx: PluginContext, planned: Round) -> list[str]:
    """Create the planned groups, post their ice-breakers, record the round; the report lines."""
    config: BreakoutConfig = ctx.config
    say = say_for(ctx)
    now = ctx.now()
    expires = now + config.duration if config.duration else None
    formed: list[list[int]] = []
    waiting: list[int] = []
    report = list(planned.notes)
    for network in planned.networks:
        plan, failed = network.plan, 0
        waiting += [int(p) for p in plan.waiting]
        for n, (group, shared) in enumerate(zip(plan.groups, plan.shared, strict=True), start=1):
            made = await _create(ctx, planned.number, n, network, group, shared, expires)
            if made is None:
                failed += 1
                waiting += [int(p) for p in group]
            else:
                formed.append([int(p) for p in group])
        report.append(say("round_done", round=planned.number, platform=network.platform,
                          groups=len(plan.groups) - failed,
                          people=sum(len(g) for g in plan.groups), **figures(plan)))
        report += _caveats(ctx, network)
        if failed:
            report.append(say("create_failed", count=failed, platform=network.platform))
    if formed or waiting:
        await BreakoutStore(ctx).record_round(planned.number, now, formed, waiting)
    return report


async def _create(ctx: PluginContext, number: int, n: int, network: NetworkPlan,
                  group: tuple[str, ...], shared: tuple[tuple[str, int], ...],
                  expires: datetime | None) -> Group | None:
    config: BreakoutConfig = ctx.config
    say = say_for(ctx)
    members = [network.records[int(p)].member for p in group]
    created = await ctx.groups.create(
        network.platform, say("group_name", round=number, number=n, platform=network.platform),
        members, topic=say("topic", round=number, number=n, shared=shared_text(ctx, shared)),
        expires=expires, on_close=config.on_close, within=thread_parent(ctx, network.platform),
        data={"round": number, "number": n})
    if created is None:
        return None
    if expires is None:
        fate = say("fate_open")
    else:
        mode = ctx.groups.dissolve_mode(created.platform, config.on_close) or config.on_close
        fate = say("fate_timed", end=_moment(ctx, expires), mode=say(f"mode_{mode}"))
    mentions = Text(", ").join(mention(m) for m in members)
    if shared:
        text = say("icebreaker", members=mentions, shared=shared_text(ctx, shared),
                   opener=opener(ctx, shared[0][0]), fate=fate, round=number, number=n)
    else:
        text = say("icebreaker_alone", members=mentions, fate=fate, round=number, number=n)
    await ctx.send(created.channel, text)
    return created


def _moment(ctx: PluginContext, when: datetime) -> str:
    local = ctx.local(when)
    if ctx.language == "zh":
        return f"{local.month}月{local.day}日 {local:%H:%M}"
    return f"{local:%a} {local.day} {local:%b} {local:%H:%M}"
