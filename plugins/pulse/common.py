"""What pulse's parts share: the texts, local days, the community's age and its people."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from hearth import MemberRecord, PluginContext, texts

from .store import PulseStore
from .texts import DEFAULTS

#: a run this much early still counts as on time (jobs may run late after downtime, never early)
SLACK = timedelta(hours=1)


def say_for(ctx: PluginContext) -> Callable[..., str]:
    return texts(DEFAULTS, ctx.language, ctx.config.texts)


def store_of(ctx: PluginContext) -> PulseStore:
    return PulseStore(ctx.store)


def day_start(ctx: PluginContext, day: date) -> datetime:
    """The first instant of local ``day``."""
    return datetime.combine(day, time(0), ctx.zone)


def day_ms(ctx: PluginContext, when: datetime) -> int:
    """The local day holding ``when``, as the epoch milliseconds of its first instant."""
    return int(day_start(ctx, ctx.local(when).date()).timestamp() * 1000)


def people(ctx: PluginContext, *, present: bool = True) -> list[MemberRecord]:
    """The community's members who are people (not bots)."""
    return [r for r in ctx.members(present=present) if not r.is_bot]


def born(ctx: PluginContext) -> datetime | None:
    """When the community began: the earliest join the member directory knows.

    An established community that starts using Hearth is not young: the
    networks report when its members joined.
    """
    joins = [r.joined for r in people(ctx, present=False)]
    return min(joins) if joins else None


def joins_within(ctx: PluginContext, since: datetime) -> list[MemberRecord]:
    """Members (present or gone) whose known join is after ``since``."""
    return [r for r in people(ctx, present=False) if r.join_known and r.joined > since]


def local_date(ctx: PluginContext, when: datetime) -> str:
    """A date for a text: ``2026-11-20`` (``11月20日`` in Chinese)."""
    local = ctx.local(when)
    return f"{local.month}月{local.day}日" if ctx.language == "zh" else f"{local:%Y-%m-%d}"


def span_days(delta: timedelta) -> str:
    """A silence for a text: ``30d`` (whole days), ``36h`` under two days."""
    hours = int(delta.total_seconds() // 3600)
    return f"{hours}h" if hours < 48 else f"{hours // 24}d"
