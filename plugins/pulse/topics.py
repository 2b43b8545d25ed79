"""A daily topic: from the pool (no repeats until it is used up), by the bot or by the
leader on duty, skipped on busy days, backing off when nobody answers.

A topic counts as answered when a member replies to it, or two members other
than its author write in its channel within :data:`ANSWER_WINDOW`. Unanswered
(with ``back_off``), the days between topics double, up to a week; answered,
topics come daily again.
"""

from __future__ import annotations

import logging
import random
from datetime import date, datetime, timedelta
from typing import Any

from hearth import (
    CommandError,
    Invocation,
    Member,
    Message,
    Outcome,
    PluginContext,
    Role,
    mention,
)

from .common import day_start, say_for, store_of
from .config import DAY, Topics

log = logging.getLogger(__name__)

JOB = "topic"
DUTY_JOB = "topic_duty"
CHECK_JOB = "topic_check"
POSTED = "topic_posted"
#: how long a topic waits for answers, and how long before it the leader on duty is told
ANSWER_WINDOW = timedelta(hours=3)
DUTY_AHEAD = timedelta(hours=3)
WEEKLY = 7
#: in ``ctx.cache``: until when (epoch ms) the open topic waits for answers (0: none does),
#: so that a message in the topic channel costs no query when none is open (read again when
#: missing: the cache is emptied when this process takes the community over)
LISTENING = "topic_listening"


def _config(ctx: PluginContext) -> Topics | None:
    value: Topics | None = ctx.config.topics
    return value


async def schedule(ctx: PluginContext) -> None:
    config = _config(ctx)
    if config is None:
        for key in (JOB, DUTY_JOB):
            await ctx.cancel(key)
        return
    await ctx.ensure_schedule(JOB, every=DAY, at=config.at)
    if config.by == "leaders":
        ahead = (datetime.combine(date(2000, 1, 2), config.at) - DUTY_AHEAD).time()
        await ctx.ensure_schedule(DUTY_JOB, every=DAY, at=ahead)
    else:
        await ctx.cancel(DUTY_JOB)


def _next_topic_day(ctx: PluginContext, config: Topics) -> date:
    """The local day of the next topic run (the duty job runs three hours before it)."""
    local = ctx.local_now()
    run = datetime.combine(local.date(), config.at, ctx.zone)
    return local.date() if run > local else local.date() + timedelta(days=1)


def _days_since(state: dict[str, Any], day: date) -> int | None:
    last = state.get("last_date")
    return None if last is None else (day - date.fromisoformat(last)).days


def _wanted(state: dict[str, Any], day: date) -> bool:
    """Whether the cadence wants a topic on ``day``."""
    since = _days_since(state, day)
    return since is None or since >= state.get("interval", 1)


def _pick(ctx: PluginContext, config: Topics, state: dict[str, Any]) -> str:
    """The next topic: the pool in a shuffled order, none repeated until all were used."""
    used = set(state.get("used", []))
    left = [t for t in config.pool if t not in used]
    if not left:
        used, left = set(), list(config.pool)
        state["round"] = state.get("round", 0) + 1
    random.Random(f"{ctx.key}:{state.get('round', 0)}").shuffle(left)
    choice = left[0]
    state["used"] = sorted(used | {choice})
    return choice


def _leaders(ctx: PluginContext) -> list[Member]:
    return [r.member for r in ctx.members(role=Role.LEADER) if not r.is_bot]


async def duty_due(ctx: PluginContext) -> None:
    """Three hours before the topic: the next leader in turn is on duty, told by DM."""
    config = _config(ctx)
    if config is None or config.by != "leaders":
        return
    store = store_of(ctx)
    state = await store.state("topics")
    day = _next_topic_day(ctx, config)
    if not _wanted(state, day):
        return
    leaders = _leaders(ctx)
    if not leaders:
        return
    turn = state.get("turn", 0) % len(leaders)
    leader = leaders[turn]
    topic = _pick(ctx, config, state)
    state["turn"] = turn + 1
    state["duty"] = {"day": day.isoformat(), "platform": leader.platform, "id": leader.id,
                     "name": leader.name, "topic": topic}
    await store.save("topics", state)
    await ctx.dm(leader, say_for(ctx)("duty", community=ctx.key, channel=config.channel,
                                      at=f"{config.at:%H:%M}", prefix=ctx.prefix, topic=topic))


def _today(ctx: PluginContext) -> date:
    return ctx.local_now().date()


async def due(ctx: PluginContext) -> None:
    """At ``at``: post the day's topic unless one is out, the cadence waits, or members are busy."""
    config = _config(ctx)
    if config is None:
        return
    store = store_of(ctx)
    state = await store.state("topics")
    today = _today(ctx)
    if not _wanted(state, today):
        return
    if config.skip_if_active is not None:
        [totals] = await ctx.daily_totals(day_start(ctx, today))
        if totals.messages >= config.skip_if_active:
            log.info("%s: no topic today, members wrote %d messages already", ctx.key, totals.messages)
            return
    duty = state.get("duty") or {}
    topic = duty["topic"] if duty.get("day") == today.isoformat() else _pick(ctx, config, state)
    await _post(ctx, config, state, say_for(ctx)("topic", topic=topic, community=ctx.key), author=None)


async def _post(ctx: PluginContext, config: Topics, state: dict[str, Any], text: str,
                author: Member | None) -> None:
    now = ctx.now()
    state["last_date"] = _today(ctx).isoformat()
    state["open"] = {"ms": int(now.timestamp() * 1000), "messages": {}, "voices": [],
                     "author": author.id if author else None, "answered": False}
    state.pop("duty", None)
    await store_of(ctx).save("topics", state)
    ctx.cache[LISTENING] = state["open"]["ms"] + int(ANSWER_WINDOW.total_seconds() * 1000)
    for channel in ctx.channels(config.channel):
        await ctx.send(channel, text, then=POSTED, data={"platform": channel.platform})
    await ctx.schedule(CHECK_JOB, now + ANSWER_WINDOW)


async def posted(ctx: PluginContext, outcome: Outcome) -> None:
    """Remember the topic message's id, so that replies to it count as answers."""
    if not outcome.ok or not outcome.sent:
        return
    store = store_of(ctx)
    state = await store.state("topics")
    if state.get("open") is not None:
        state["open"]["messages"][outcome.data["platform"]] = outcome.sent[0].id
        await store.save("topics", state)


async def heard(ctx: PluginContext, message: Message) -> None:
    """A member's message: an answer to the open topic?"""
    config = _config(ctx)
    if config is None or message.channel.is_dm:
        return
    if not any(c.key == message.channel.key for c in ctx.channels(config.channel)):
        return
    until = ctx.cache.get(LISTENING)
    if until is not None and message.time_ms > until:
        return
    store = store_of(ctx)
    state = await store.state("topics")
    opened = state.get("open")
    ctx.cache[LISTENING] = 0 if opened is None or opened["answered"] else (
        opened["ms"] + int(ANSWER_WINDOW.total_seconds() * 1000))
    if opened is None or opened["answered"] or message.author.id == opened["author"]:
        return
    if message.time_ms > ctx.cache[LISTENING]:
        return
    voice = f"{message.platform}:{message.author.id}"
    if message.reply_to is not None and message.reply_to == opened["messages"].get(message.platform):
        opened["answered"] = True
    elif voice not in opened["voices"]:
        opened["voices"].append(voice)
        opened["answered"] = len(opened["voices"]) >= 2
    else:
        return
    if opened["answered"]:
        ctx.cache[LISTENING] = 0
    await store.save("topics", state)


async def check_due(ctx: PluginContext) -> None:
    """Three hours after a topic: answered restores daily topics; ignored backs off."""
    config = _config(ctx)
    if config is None:
        return
    store = store_of(ctx)
    state = await store.state("topics")
    opened = state.pop("open", None)
    ctx.cache[LISTENING] = 0
    if opened is None:
        return
    interval = state.get("interval", 1)
    if opened["answered"]:
        interval = 1
    elif config.back_off:
        interval = min(interval * 2, WEEKLY)
    if interval != state.get("interval", 1):
        log.info("%s: topics now every %d day(s)", ctx.key, interval)
    state["interval"] = interval
    await store.save("topics", state)


async def command(inv: Invocation) -> str | None:
    """``!topic TEXT``: the leader on duty (or an admin, or a leader with ``announce``)
    posts today's topic."""
    ctx, say = inv.ctx, say_for(inv.ctx)
    config = _config(ctx)
    if config is None:
        raise CommandError(say("topic_off"))
    store = store_of(ctx)
    state = await store.state("topics")
    if state.get("last_date") == _today(ctx).isoformat():
        raise CommandError(say("topic_already"))
    member = inv.member
    duty = state.get("duty") or {}
    on_duty = (duty.get("day") == _today(ctx).isoformat()
               and (duty.get("platform"), duty.get("id")) == (member.platform, member.id))
    if not (on_duty or member.role >= Role.ADMIN or "announce" in await ctx.leader_powers()):
        record = ctx.member((duty["platform"], duty["id"])) if duty else None
        raise CommandError(say("topic_not_on_duty", leader=mention(record) if record else "—"))
    topic = " ".join(inv.args["text"].split())
    await _post(ctx, config, state, say("topic_by", leader=mention(member), topic=topic), author=member)
    here = any(c.key == inv.message.channel.key for c in ctx.channels(config.channel))
    return None if here else say("topic_posted", channel=config.channel)
