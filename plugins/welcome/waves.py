"""Join waves (``raid``): more than ``raid.joins`` joins within ``raid.within`` put the wave on hold.

The newcomers of the wave (those who joined within ``within`` when it began, and everyone
who joins while it lasts) cannot post: where the network can stop every newcomer at once
(``Capability.HOLD_NEWCOMERS``: Matrix raises its rooms' ``events_default``) it does so
once; where mutes end by themselves (a Discord timeout) each newcomer is muted until the
hold's end; and whatever they still post is removed. The moderators are alerted once.
``!unhold`` lifts the hold; it ends by itself after :data:`HOLD_FOR` (a persistent job,
so a restart does not lose it), with a note to the moderators.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from hearth import SQL, Capability, Member, Message, PluginContext, Role, Verdict, from_ms, to_ms

from . import ritual
from .records import LEFT, Newcomers

log = logging.getLogger(__name__)

#: the persistent job that ends a hold
JOB = "wave_end"
#: how long a hold lasts unless lifted
HOLD_FOR = timedelta(hours=1)
#: the reason given to the network and recorded with removed messages
REASON = "welcome: join wave on hold"

Account = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Wave:
    started: datetime
    ends: datetime
    joins: int


# In ``ctx.cache`` (emptied when this process takes the community over from another):
# the accounts held in the wave (an empty set: no wave), so moderating every message costs
# no database lookup; read at start-up and when missing, and kept with the table.
HELD = "wave_held"
# Held newcomers already told why their message was removed (told once per wave; after a
# takeover, perhaps once more).
TOLD = "wave_told"


async def current(ctx: PluginContext) -> Wave | None:
    """The wave on hold now, if any."""
    row = await ctx.store.select_one("waves", "lifted_ms IS NULL", order_by="started_ms DESC")
    if row is None:
        return None
    return Wave(from_ms(row["started_ms"]), from_ms(row["ends_ms"]), int(row["joins"]))


async def load(ctx: PluginContext) -> None:
    """At start-up: remember who is held (a hold survives a restart)."""
    wave = await current(ctx)
    if wave is None:
        ctx.cache[HELD] = set()
        return
    rows = await ctx.store.select("newcomers", "wave = ?", (to_ms(wave.started),),
                                  columns="platform, member_id")
    ctx.cache[HELD] = {(r[0], r[1]) for r in rows}


async def _held(ctx: PluginContext) -> set[Account]:
    """The accounts held in the wave (read again when the cache was emptied)."""
    held: set[Account] | None = ctx.cache.get(HELD)
    if held is None:
        await load(ctx)
        held = ctx.cache[HELD]
    return held


def _members(ctx: PluginContext, people: list[tuple[str, str, str]]) -> list[Member]:
    out = []
    for platform, member_id, name in people:
        record = ctx.member((platform, member_id))
        out.append(record.member if record is not None else
                   Member(platform=platform, id=member_id, name=name, role=Role.NEWCOMER))
    return out


async def on_join(ctx: PluginContext, member: Member) -> None:
    """Count the join; begin a wave past ``raid.joins``, or hold the newcomer of a wave."""
    raid = ctx.config.raid
    if raid is None or member.is_bot or member.role > Role.MEMBER:
        return
    now = ctx.now()
    wave = await current(ctx)
    if wave is not None and wave.ends > now:
        await ctx.store.update("waves", {"joins": SQL("joins + 1")}, "started_ms = ?",
                               (to_ms(wave.started),))
        await _hold(ctx, wave, [member], platforms=False)
        return
    rows = await ctx.store.select("newcomers", "joined_ms > ? AND status != ?",
                                  (to_ms(now - raid.within), LEFT),
                                  columns="platform, member_id, name")
    if len(rows) <= raid.joins:
        return
    if wave is not None:  # one past its end whose job has not run yet
        await lift(ctx)
    wave = Wave(now, now + HOLD_FOR, len(rows))
    await ctx.store.insert("waves", {"started_ms": to_ms(now), "ends_ms": to_ms(wave.ends),
                                     "joins": wave.joins})
    await ctx.schedule(JOB, wave.ends, data={"started": to_ms(now)})
    log.warning("join wave: %d joins within %s; holding its newcomers", wave.joins,
                ritual.short_duration(raid.within))
    await _hold(ctx, wave, _members(ctx, [(r[0], r[1], r[2]) for r in rows]), platforms=True)
    await _alert(ctx, ritual.say_for(ctx)("raid_alert", count=wave.joins,
                                          within=ritual.short_duration(raid.within),
                                          command=f"{ctx.prefix}unhold", until=_time(ctx, wave.ends)))


async def _hold(ctx: PluginContext, wave: Wave, members: list[Member], *, platforms: bool) -> None:
    """Hold ``members`` in ``wave`` (and, with ``platforms``, every network that holds all
    newcomers at once)."""
    started = to_ms(wave.started)
    held = await _held(ctx)
    people = Newcomers(ctx.store)
    for member in members:
        await people.update(member.platform, member.id, wave=started)
        held.add(member.key)
    whole = {a.name for a in ctx.adapters if a.can(Capability.HOLD_NEWCOMERS)}
    if platforms:
        for platform in sorted(whole):
            await ctx.hold_newcomers(platform, REASON)
    for member in members:
        if member.platform not in whole and ctx.can(Capability.TIMED_MUTE, member.platform):
            await ctx.mute(member, wave.ends, REASON)  # a Discord timeout, paced by the outbox


async def lift(ctx: PluginContext) -> int | None:
    """End the hold now: the networks release the newcomers; how many joined in the wave
    (None: there was no hold)."""
    wave = await current(ctx)
    if wave is None:
        return None
    started = to_ms(wave.started)
    rows = await ctx.store.select("newcomers", "wave = ?", (started,),
                                  columns="platform, member_id, name, status")
    await ctx.store.update("waves", {"lifted_ms": to_ms(ctx.now())}, "started_ms = ?", (started,))
    await ctx.store.update("newcomers", {"wave": 0}, "wave = ?", (started,))
    ctx.cache[HELD] = set()
    ctx.cache.pop(TOLD, None)
    await ctx.cancel(JOB)
    whole = {a.name for a in ctx.adapters if a.can(Capability.HOLD_NEWCOMERS)}
    for platform in sorted(whole):
        await ctx.release_newcomers(platform)
    if wave.ends > ctx.now():  # at the end the timeouts run out by themselves
        present = [(r[0], r[1], r[2]) for r in rows if r[3] != LEFT]
        for member in _members(ctx, present):
            if member.platform not in whole and ctx.can(Capability.TIMED_MUTE, member.platform):
                await ctx.unmute(member)
    log.info("join wave of %s: hold lifted (%d joins)", wave.started, wave.joins)
    return wave.joins


async def job_due(ctx: PluginContext) -> None:
    """The hour is up: the hold ends by itself, with a note to the moderators."""
    count = await lift(ctx)
    if count is not None:
        await _alert(ctx, ritual.say_for(ctx)("raid_ended", count=count,
                                              hours=ritual.short_duration(HOLD_FOR)))


async def moderate(ctx: PluginContext, message: Message) -> Verdict | None:
    """A held newcomer's message in a channel is removed (their DMs to the bot still work)."""
    held = await _held(ctx)
    if not held or message.channel.is_dm or message.author.key not in held:
        return None
    return Verdict(reason=REASON)


async def removed(ctx: PluginContext, message: Message) -> None:
    """Tell a held newcomer once why their message went."""
    told: set[Account] = ctx.cache.setdefault(TOLD, set())
    author = message.author
    if author.key in told:
        return
    told.add(author.key)
    wave = await current(ctx)
    if wave is not None:
        await ritual.tell(ctx, author, ritual.say_for(ctx)("raid_notice", **ritual.values(
            ctx, until=_time(ctx, wave.ends))))


def channel(ctx: PluginContext) -> str | None:
    """Where the moderators hear of waves: ``raid.channel``, else the approval channel, else
    the welcome channel."""
    raid = ctx.config.raid
    return (raid.channel if raid is not None else None) or ritual.approval_channel(ctx)


async def _alert(ctx: PluginContext, text: str) -> None:
    where = channel(ctx)
    if where:
        await ctx.send(where, text)


def _time(ctx: PluginContext, when: datetime) -> str:
    return ctx.local(when).strftime("%H:%M")
