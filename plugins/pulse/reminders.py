"""Rule reminders that taper: often while the community is young or after a wave of joins,
then rarely; the newest pinned, the previous one unpinned.

One job runs at ``at`` every day (or more often, for a cadence under a day) and
posts when the current cadence has passed since the last reminder.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from hearth import Outcome, PluginContext

from .common import SLACK, born, joins_within, say_for, store_of
from .config import DAY, RulesReminder

log = logging.getLogger(__name__)

JOB = "rules"
POSTED = "reminder_posted"
WEEK = timedelta(days=7)


def _config(ctx: PluginContext) -> RulesReminder | None:
    value: RulesReminder | None = ctx.config.rules_reminder
    return value


async def schedule(ctx: PluginContext) -> None:
    config = _config(ctx)
    if config is None:
        await ctx.cancel(JOB)
        return
    if not (ctx.community.rules or "").strip():
        log.warning("%s: pulse.rules_reminder is set but the community has no rules to repeat",
                    ctx.key)
    step = min(config.every, config.early.every, DAY)
    await ctx.ensure_schedule(JOB, every=step, at=config.at)


def cadence(ctx: PluginContext, config: RulesReminder, wave_ms: int | None, now: datetime) -> timedelta:
    """``early.every`` while the community is young or a wave of joins is recent, else ``every``."""
    starts = [born(ctx)]
    if wave_ms is not None:
        starts.append(datetime.fromtimestamp(wave_ms / 1000, now.tzinfo))
    early_until = max((s + config.early.for_ for s in starts if s is not None), default=None)
    return config.early.every if early_until is not None and now < early_until else config.every


async def joined(ctx: PluginContext) -> None:
    """After a join: a wave (``wave`` joins within a week) starts the early rhythm again."""
    config = _config(ctx)
    if config is None:
        return
    now = ctx.now()
    if len(joins_within(ctx, now - WEEK)) >= config.wave:
        store = store_of(ctx)
        state = await store.state("reminder")
        if state.get("wave_ms") is None:
            log.info("%s: a wave of joins; rule reminders are frequent again", ctx.key)
        state["wave_ms"] = int(now.timestamp() * 1000)
        await store.save("reminder", state)


async def due(ctx: PluginContext) -> None:
    config = _config(ctx)
    rules = (ctx.community.rules or "").strip()
    if config is None or not rules:
        return
    store = store_of(ctx)
    state = await store.state("reminder")
    now = ctx.now()
    step = cadence(ctx, config, state.get("wave_ms"), now)
    last = state.get("last_ms")
    if last is not None and now.timestamp() * 1000 - last < (step - SLACK).total_seconds() * 1000:
        return
    text = say_for(ctx)("rules_reminder", rules=rules, community=ctx.key)
    pinned: dict[str, str] = state.get("pinned", {})
    for channel in ctx.channels(config.channel):
        await ctx.send(channel, text, pin=config.pin, unpin_previous=pinned.get(channel.platform),
                       then=POSTED, data={"platform": channel.platform})
    state["last_ms"] = int(now.timestamp() * 1000)
    await store.save("reminder", state)


async def posted(ctx: PluginContext, outcome: Outcome) -> None:
    """Remember the reminder just posted, to unpin it when the next one is pinned."""
    config = _config(ctx)
    if config is None or not config.pin or not outcome.ok or not outcome.sent:
        return
    store = store_of(ctx)
    state = await store.state("reminder")
    state.setdefault("pinned", {})[outcome.data["platform"]] = outcome.sent[0].id
    await store.save("reminder", state)
