"""The community's health: the report (text, chart, page) and the dying-group warnings.

Every figure comes from the core's member directory and activity ledger, the
leader figures from the ``pyramid`` hook, joins and leaves from pulse's own
day counts. Only reading here, so ``hearth report`` can build it offline.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from hearth import DayTotals, PluginContext, Pyramid, Referral, Report, Text, mention

from .common import born, day_ms, day_start, joins_within, people, say_for, store_of
from .config import Health

if TYPE_CHECKING:
    from .chart import Format

log = logging.getLogger(__name__)

JOB = "health"
DAILY_JOB = "health_daily"
WEEK = 7
#: quiet days before the warning, and before the proposal to dissolve or merge
WARN_AFTER = 14
DISSOLVE_AFTER = 60
TOP_REFERRERS = 3


def _config(ctx: PluginContext) -> Health | None:
    value: Health | None = ctx.config.health
    return value


async def schedule(ctx: PluginContext) -> None:
    config = _config(ctx)
    if config is None:
        for key in (JOB, DAILY_JOB):
            await ctx.cancel(key)
        return
    await ctx.ensure_schedule(JOB, every=config.every, at=config.at, day=config.day)
    await ctx.ensure_schedule(DAILY_JOB, every=timedelta(days=1), at=config.at)


@dataclass(frozen=True, slots=True)
class Figures:
    """One report's figures (the week ending ``end``, a local day, included)."""

    start: date
    end: date
    members: int
    active: int
    messages_a_day: float
    interactions_a_day: float
    joins: int
    leaves: int
    bot_share: float
    pyramid: Pyramid | None
    referrers: list[tuple[Text, int]]
    #: the referral tree's roots, from the plugin that records invitations (None: none does)
    referrals: list[Referral] | None
    quiet_days: int
    days: list[DayTotals]


def quiet_streak(ctx: PluginContext, days: list[DayTotals], floor: float) -> int:
    """Whole days (up to yesterday) in a row with member-to-member interactions under ``floor``,
    not counting days before the community began."""
    if floor <= 0:
        return 0
    began = born(ctx)
    first = ctx.local(began).date() if began is not None else None
    today = ctx.local_now().date()
    streak = 0
    for day in reversed(days):
        if day.day >= today:
            continue
        if day.interactions >= floor or (first is not None and day.day < first):
            break
        streak += 1
    return streak


async def figures(ctx: PluginContext, weeks: int) -> Figures:
    """The figures of the last seven whole days, with ``weeks`` weeks of days for the chart."""
    config = _config(ctx)
    floor = config.dying_below if config is not None else 0
    today = ctx.local_now().date()
    history = max(weeks * WEEK, DISSOLVE_AFTER + 1)
    end = day_start(ctx, today) - timedelta(milliseconds=1)  # the end of yesterday
    days = await ctx.daily_totals(day_start(ctx, today - timedelta(days=history)), end)
    week = days[-WEEK:]
    start = day_start(ctx, week[0].day)
    messages = sum(d.messages for d in week)
    bot = sum(d.bot_messages for d in week)
    joins, leaves = await store_of(ctx).joins_and_leaves(day_ms(ctx, start), day_ms(ctx, end))
    inviters = Counter((r.platform, r.invited_by) for r in joins_within(ctx, start)
                       if r.invited_by and r.joined <= end)
    referrers = []
    for (platform, inviter), count in inviters.most_common(TOP_REFERRERS):
        record = ctx.member((platform, inviter))
        referrers.append((mention(record) if record else Text(f"@{inviter}"), count))
    return Figures(
        start=week[0].day, end=week[-1].day, members=len(people(ctx)),
        active=await ctx.speakers(start, end),
        messages_a_day=messages / WEEK,
        interactions_a_day=sum(d.interactions for d in week) / WEEK,
        joins=joins, leaves=leaves,
        bot_share=bot / (messages + bot) if messages + bot else 0.0,
        pyramid=await ctx.pyramid(), referrers=referrers, referrals=await ctx.referrals(),
        quiet_days=quiet_streak(ctx, days, floor),
        days=days[-weeks * WEEK:] if weeks else [],
    )


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def text(ctx: PluginContext, f: Figures) -> Text:
    """The report as chat text."""
    say = say_for(ctx)
    config = _config(ctx)
    lines = [
        say("report_title", community=ctx.key, start=f.start.isoformat(), end=f.end.isoformat()),
        say("report_active", active=f.active, members=f.members),
        say("report_messages", messages=_number(f.messages_a_day)),
        say("report_interactions", interactions=_number(f.interactions_a_day)),
        say("report_joins", joins=f.joins, leaves=f.leaves),
        say("report_bot", share=f"{f.bot_share:.0%}"),
    ]
    if f.pyramid is not None:
        lines.append(say("report_leaders", leaders=f.pyramid.leaders,
                         share=f"{f.pyramid.leader_share:.0%}", cohort=f.pyramid.largest_cohort))
    if f.referrers:
        lines.append(say("report_referrers", referrers=Text(", ").join(
            Text("{who} ({n})").format(who=who, n=n) for who, n in f.referrers)))
    if f.referrals:
        lines.append(say("report_referrals", invited=sum(r.invited for r in f.referrals),
                         stayed=sum(r.stayed_count for r in f.referrals),
                         removed=sum(r.removed_count for r in f.referrals)))
    if config is not None and f.quiet_days >= WARN_AFTER:
        lines.append(say("report_dying", floor=_number(config.dying_below), days=f.quiet_days))
    return Text("\n").join(lines)


async def chart(ctx: PluginContext, f: Figures, fmt: Format) -> bytes:
    """The report's chart, drawn in a worker thread: drawing takes about a second, which
    the community's other events should not wait for."""
    from .chart import draw

    say = say_for(ctx)
    weeks = len(f.days) // WEEK
    return await asyncio.to_thread(draw, f.days, labels=(say("chart_messages"), say("chart_active")),
                                   title=say("report_chart", weeks=weeks), fmt=fmt)


async def page(ctx: PluginContext, f: Figures) -> str:
    """The report as a self-contained HTML page: the text, and the chart inline as SVG."""
    heading, *lines = str(text(ctx, f)).splitlines()
    body = "".join(f"<p>{html.escape(line)}</p>\n" for line in lines)
    title = html.escape(heading)
    figure = ""
    if f.days:
        svg = (await chart(ctx, f, "svg")).decode("utf-8")
        svg = svg[svg.index("<svg"):]  # inline: no XML prolog or doctype inside HTML
        figure = f'<figure class="chart" id="activity-chart">{svg}</figure>\n'
    lang = "zh" if ctx.language == "zh" else "en"
    return (
        f'<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8">\n'
        f"<title>{title}</title>\n"
        "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
        "color:#222}figure.chart{margin:1rem 0}figure.chart svg{width:100%;height:auto}</style>\n"
        f"</head><body>\n<h1>{title}</h1>\n{body}{figure}</body></html>\n"
    )


async def report(ctx: PluginContext, weeks: int) -> Report:
    f = await figures(ctx, weeks)
    return Report(text=str(text(ctx, f)), html=await page(ctx, f))


async def post(ctx: PluginContext) -> None:
    """The report now, in ``health.channel``: text, then the chart where the network takes files."""
    config = _config(ctx)
    if config is None:
        return
    f = await figures(ctx, config.chart_weeks)
    if f.days:
        await ctx.send_file(config.channel, await chart(ctx, f, "png"), "activity.png",
                            text=text(ctx, f))
    else:
        await ctx.send(config.channel, text(ctx, f))


async def daily(ctx: PluginContext) -> None:
    """Once a day: warn after 14 quiet days, propose dissolving after 60 (once per quiet spell)."""
    config = _config(ctx)
    if config is None or config.dying_below <= 0:
        return
    today = ctx.local_now().date()
    days = await ctx.daily_totals(day_start(ctx, today - timedelta(days=DISSOLVE_AFTER + 1)))
    streak = quiet_streak(ctx, days, config.dying_below)
    store = store_of(ctx)
    state = await store.state("health")
    if streak < WARN_AFTER:
        if state.pop("spell", None) is not None:
            await store.save("health", state)
        return
    # The spell is named by its first quiet day, kept while it lasts (the window read is bounded).
    spell = state.setdefault("spell", (today - timedelta(days=streak)).isoformat())
    streak = max(streak, (today - date.fromisoformat(spell)).days)
    say = say_for(ctx)
    values = dict(community=ctx.key, floor=_number(config.dying_below), days=streak, prefix=ctx.prefix)
    if streak >= DISSOLVE_AFTER and state.get("proposed") != spell:
        state["proposed"] = state["warned"] = spell
        await ctx.send(config.channel, say("dissolve", **values))
    elif state.get("warned") != spell:
        state["warned"] = spell
        await ctx.send(config.channel, say("dying", **values))
    else:
        return
    await store.save("health", state)
