"""Silent members: a friendly DM after ``nudge_after``; removal only with ``remove_after``.

Silence counts from a member's last message, reaction or command, or, for one
who never did anything, from when they joined or the bot first saw them. A
member who speaks (or answers the reminder's DM) is no longer due. A removal
comes ``remove_after`` after the reminder, whether or not the DM arrived, and
only after the moderators were given the list a day ahead; at most
``max_removals_per_day`` members are removed a day. Roles in ``exempt_roles``
(and the owner) are never reminded nor removed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hearth import (
    CommandError,
    Invocation,
    MemberRecord,
    Message,
    Outcome,
    PluginContext,
    Role,
    Text,
    mention,
)

from .common import local_date, people, say_for, span_days, store_of
from .config import DAY, Inactivity
from .store import Nudge, PulseStore

log = logging.getLogger(__name__)

JOB = "inactivity"
NUDGED = "nudged"
#: how far ahead ``!quiet`` looks
QUIET_AHEAD = timedelta(days=7)
#: ``!quiet`` names at most this many members
QUIET_SHOWN = 30
#: the moderators' list comes this long before the removals (with slack for the daily run)
NOTICE = DAY


def _config(ctx: PluginContext) -> Inactivity | None:
    value: Inactivity | None = ctx.config.inactivity
    return value


async def schedule(ctx: PluginContext) -> None:
    config = _config(ctx)
    if config is None:
        await ctx.cancel(JOB)
        return
    await ctx.ensure_schedule(JOB, every=DAY, at=config.at)


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


@dataclass
class Plan:
    """Who is due for what, now and soon."""

    nudge: list[MemberRecord] = field(default_factory=list)
    #: members who will be due for a reminder, with when
    soon: list[tuple[MemberRecord, datetime]] = field(default_factory=list)
    #: reminded and still silent: (member, their reminder, when they are removed)
    removals: list[tuple[MemberRecord, Nudge, datetime]] = field(default_factory=list)
    #: rows of members who left, were made exempt, or spoke since
    stale: list[Nudge] = field(default_factory=list)


def _exempt(config: Inactivity, record: MemberRecord) -> bool:
    return record.is_bot or record.role == Role.OWNER or record.role in config.exempt_roles


def _silent_since(ctx: PluginContext, record: MemberRecord) -> datetime:
    """Since when the member's person did nothing, on any of their linked accounts."""
    return max((r.silent_since for r in ctx.accounts(record)), default=record.silent_since)


async def plan(ctx: PluginContext, config: Inactivity, store: PulseStore) -> Plan:
    now = ctx.now()
    nudges = await store.nudges()
    out = Plan()
    seen: set[tuple[str, str]] = set()
    for record in people(ctx):
        if _exempt(config, record):
            continue
        seen.add(record.key)
        nudge = nudges.get(record.key)
        silent_since = _silent_since(ctx, record)
        if nudge is not None:
            answered = nudge.answered_ms  # set only by an answer to this reminder
            if _ms(silent_since) >= nudge.nudged_ms or answered is not None:
                # They spoke (or answered the DM) since their reminder: silence restarts then.
                silent_since = max(silent_since, _at(answered or 0))
            elif config.remove_after is not None:
                due = _at(nudge.nudged_ms) + config.remove_after
                out.removals.append((record, nudge, due))
                continue
            else:
                continue
        reminder = silent_since + config.nudge_after
        if reminder <= now:
            out.nudge.append(record)
        elif reminder <= now + QUIET_AHEAD:
            out.soon.append((record, reminder))
    out.stale = [n for key, n in nudges.items() if key not in seen]
    out.removals.sort(key=lambda r: (r[2], r[0].platform, r[0].id))
    return out


async def due(ctx: PluginContext) -> None:
    """The daily round: remove those announced yesterday, announce tomorrow's, remind the newly silent."""
    config = _config(ctx)
    if config is None:
        return
    store = store_of(ctx)
    say = say_for(ctx)
    now = ctx.now()
    todo = await plan(ctx, config, store)
    for stale in todo.stale:
        await store.drop_nudge(stale.platform, stale.member_id)

    if config.remove_after is not None:
        removed = 0
        pending = 0
        announce: list[tuple[MemberRecord, Nudge]] = []
        for record, nudge, when in todo.removals:
            announced = nudge.announced_ms
            if announced is not None and when <= now and now - _at(announced) >= NOTICE - timedelta(hours=1):
                if removed < config.max_removals_per_day:
                    removed += 1
                    reason = say("removal_reason", silent=span_days(now - _silent_since(ctx, record)))
                    await ctx.kick(record.member, reason)
                    await store.drop_nudge(record.platform, record.id)
                else:
                    pending += 1
            elif announced is not None:
                pending += 1
            elif when - now <= NOTICE + timedelta(hours=1):
                announce.append((record, nudge))
        room = max(config.max_removals_per_day - pending, 0)
        announce = announce[:room]
        moderators = ctx.config.moderators()
        if announce and moderators:
            first = min(n.nudged_ms for _, n in announce)
            await ctx.send(moderators, say(
                "removal_list", date=local_date(ctx, now + NOTICE), count=len(announce),
                nudged=local_date(ctx, _at(first)),
                members=Text(", ").join(mention(r) for r, _ in announce)))
            await store.announced([r.key for r, _ in announce], _ms(now))

    for record in todo.nudge:
        text = say("nudge", name=record.name, community=ctx.key, channel="",
                   silent=span_days(now - _silent_since(ctx, record)), date="")
        if config.remove_after is not None:
            text += say("nudge_removal", date=local_date(ctx, now + config.remove_after))
        await store.nudged(record.platform, record.id, _ms(now))
        await ctx.dm(record.member, text, then=NUDGED,
                     data={"platform": record.platform, "id": record.id})


async def nudge_settled(ctx: PluginContext, outcome: Outcome) -> None:
    """A reminder that did not arrive is logged; the removal still waits its full time."""
    if outcome.ok:
        return
    platform, member_id = outcome.data["platform"], outcome.data["id"]
    log.info("%s: the inactivity reminder to %s:%s was not delivered (%s); a removal, if any, "
             "still waits its full time", ctx.key, platform, member_id, outcome.status)
    await store_of(ctx).undelivered(platform, member_id)


async def heard(ctx: PluginContext, message: Message) -> None:
    """A direct message from a reminded member answers the reminder: they stay."""
    if _config(ctx) is None or not message.channel.is_dm:
        return
    await store_of(ctx).answered(message.platform, message.author.id, message.time_ms)


async def command(inv: Invocation) -> Text:
    """``!quiet``: who is due for a reminder or a removal, and when."""
    ctx, say = inv.ctx, say_for(inv.ctx)
    config = _config(ctx)
    if config is None:
        raise CommandError(say("quiet_off"))
    now = ctx.now()
    todo = await plan(ctx, config, store_of(ctx))

    def when(moment: datetime) -> str:
        return say("now") if moment <= now else say("on", date=local_date(ctx, moment))

    def since(record: MemberRecord) -> str:
        return local_date(ctx, _silent_since(ctx, record))

    lines: list[Text | str] = []
    for record in todo.nudge:
        lines.append(say("quiet_nudge", member=mention(record), since=since(record), when=say("now")))
    for record, moment in sorted(todo.soon, key=lambda s: s[1]):
        lines.append(say("quiet_nudge", member=mention(record), since=since(record), when=when(moment)))
    for record, nudge, moment in todo.removals:
        line = say("quiet_removal", member=mention(record), nudged=local_date(ctx, _at(nudge.nudged_ms)),
                   when=when(moment))
        lines.append(line if nudge.delivered else line + say("quiet_blocked"))
    if not lines:
        return Text(say("quiet_none"))
    shown = [say("quiet_header"), *lines[:QUIET_SHOWN]]
    if len(lines) > QUIET_SHOWN:
        shown.append(say("quiet_more", count=len(lines) - QUIET_SHOWN))
    return Text("\n").join(shown)
