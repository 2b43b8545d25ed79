"""Flash groups: a temporary group for one event, dissolved when the event is over.

``flash TITLE [DURATION] [@member …]`` opens a private group channel; a job
reminds the group ``remind_before`` its end, and another ends it: a short
summary, then the channel is deleted or archived (``on_close``). Groups and
their jobs are stored, so a restart loses none and a group whose end passed
while the bot was down is closed at start-up.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime

from hearth import (
    Capability,
    Command,
    CommandError,
    Invocation,
    Job,
    Member,
    Message,
    Need,
    Outcome,
    Param,
    PluginContext,
    Role,
    Store,
    UsageError,
    hookimpl,
)
from hearth.i18n import texts
from hearth.plugins.flash.config import FlashConfig
from hearth.plugins.flash.groups import MIGRATIONS, FlashGroup, Groups
from hearth.plugins.flash.texts import DEFAULTS, moment, span

log = logging.getLogger(__name__)

NAME_LIMIT = 32
DISSOLVED = "dissolved"  # the outcome of a group's dissolution (then=)


def slug(title: str, limit: int = NAME_LIMIT) -> str:
    """A channel name for ``title``: lower case, letters (any script) and digits, dashes."""
    text = unicodedata.normalize("NFKC", title).lower()
    text = re.sub(r"[\W_]+", "-", text).strip("-")
    return text[:limit].rstrip("-") or "flash"


def _say(ctx: PluginContext) -> Callable[..., str]:
    return texts(DEFAULTS, ctx.language, ctx.config.texts)


def _groups(ctx: PluginContext) -> Groups:
    return Groups(ctx.store, ctx.key)


def _when(ctx: PluginContext, when: datetime) -> str:
    return moment(ctx.local(when), ctx.local_now(), ctx.language)


def _fate(ctx: PluginContext, group_platform: str) -> str:
    mode = ctx.dissolve_mode(group_platform, ctx.config.on_close) or ctx.config.on_close
    return _say(ctx)(f"fate_{mode}")


# --------------------------------------------------------------------------- declarations


@hookimpl
def register_config_schema() -> type[FlashConfig]:
    return FlashConfig


@hookimpl
def register_migrations() -> Sequence[Callable[[Store], Awaitable[None]]]:
    return MIGRATIONS


@hookimpl
def register_capabilities() -> Iterable[Need]:
    return [Need(Capability.GROUPS, "flash groups")]


@hookimpl
def register_commands() -> Iterable[Command]:
    return [
        Command(
            name="flash",
            handler=open_group,
            params=(
                Param("title", "text", help="what the group is for (quote several words)"),
                Param("duration", "duration", optional=True, help="how long it stays open"),
                Param("members", "member", variadic=True, help="members to invite"),
            ),
            min_role=lambda config: config.creators,
            power="flash",
            help="open a temporary group for one event (name members, or let anyone join)",
        ),
        Command(
            name="flash join",
            handler=join_group,
            params=(Param("name", "word"),),
            min_role=Role.MEMBER,
            help="join an open flash group",
        ),
        Command(
            name="flash close",
            handler=close_group,
            params=(Param("name", "word", optional=True),),
            min_role=Role.MEMBER,
            help="close a flash group early (its creator or an admin)",
        ),
        Command(
            name="flash list",
            handler=list_groups,
            min_role=Role.MEMBER,
            help="list the open flash groups and their time left",
        ),
    ]


# --------------------------------------------------------------------------- commands


async def open_group(inv: Invocation) -> str:
    ctx, config, say = inv.ctx, inv.ctx.config, _say(inv.ctx)
    creator = inv.member
    title = " ".join(inv.args["title"].split())
    if not title:
        raise UsageError("the title is empty", inv.command.usage)
    if not ctx.can(Capability.GROUPS, creator.platform):
        raise CommandError(say("no_groups", platform=creator.platform))
    duration = inv.args["duration"] or config.default_duration
    if duration > config.max_duration:
        raise CommandError(say("too_long", duration=span(duration), max=span(config.max_duration)))
    groups = _groups(ctx)
    open_now = await groups.open()
    if len(open_now) >= config.max_open:
        raise CommandError(say("too_many", count=len(open_now), max=config.max_open, prefix=inv.prefix))

    invited = [m for m in dict.fromkeys(inv.args["members"]) if m != creator and not m.is_bot]
    taken = {g.name.lower() for g in open_now}
    base = name = slug(title)
    n = 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    now = ctx.now()
    end = now + duration
    channel = await ctx.create_group(
        creator.platform,
        name,
        [creator, *invited],
        topic=say("topic", title=title, end=_when(ctx, end)),
        private=True,
        expires=end,
    )
    if channel is None:
        raise CommandError(say("create_failed"))
    group = await groups.add(
        name=channel.name or channel.id, title=title, channel=channel, creator=creator.id,
        open_signup=not inv.args["members"], started=now, ends=end, members=[m.id for m in invited],
    )
    await _schedule(ctx, group)
    log.info("opened flash group %s until %s", group.name, end.isoformat())

    values = dict(
        title=title, name=group.name, creator=creator.mention, duration=span(duration),
        end=_when(ctx, end), fate=_fate(ctx, group.platform), prefix=inv.prefix,
    )
    purpose = say("purpose", **values)
    if group.open_signup:
        purpose += "\n" + say("purpose_open", **values)
    await ctx.send(channel, purpose)
    if group.open_signup:
        if config.announce:
            await ctx.send(config.announce, say("announce_open", **values))
        return say("opened_open", **values)
    return say("opened", members=", ".join(m.mention for m in invited) or creator.mention, **values)


async def join_group(inv: Invocation) -> str:
    ctx, say, member = inv.ctx, _say(inv.ctx), inv.member
    groups = _groups(ctx)
    group = await groups.open_named(inv.args["name"])
    if group is None:
        raise CommandError(say("unknown_group", name=inv.args["name"], prefix=inv.prefix))
    if group.platform != member.platform:
        raise CommandError(say("other_platform", name=group.name, platform=group.platform))
    if await groups.is_member(group.id, member.id):
        raise CommandError(say("already_in", name=group.name))
    if not group.open_signup:
        raise CommandError(say("invite_only", name=group.name, creator=f"@{group.creator}"))
    if not await ctx.invite(group.channel, member):
        raise CommandError(say("join_failed", name=group.name))
    await groups.add_member(group.id, member.id)
    return say("joined", name=group.name, end=_when(ctx, group.ends))


async def close_group(inv: Invocation) -> str | None:
    ctx, say, member = inv.ctx, _say(inv.ctx), inv.member
    groups = _groups(ctx)
    name = inv.args["name"]
    if name:
        group = await groups.open_named(name)
        if group is None:
            raise CommandError(say("unknown_group", name=name, prefix=inv.prefix))
    else:
        group = None if inv.message.channel.is_dm else await groups.open_in(inv.message.channel)
        if group is None:
            mine = [g for g in await groups.open() if _is_creator(g, member)]
            if not mine:
                raise CommandError(say("none_to_close", prefix=inv.prefix))
            if len(mine) > 1:
                names = ", ".join(g.name for g in mine)
                raise CommandError(say("which_group", names=names, prefix=inv.prefix))
            group = mine[0]
    if not (_is_creator(group, member) or member.role >= Role.ADMIN):
        raise CommandError(say("not_allowed_close", name=group.name, creator=f"@{group.creator}"))
    inside = inv.message.channel.key == group.channel.key
    await end_group(ctx, group)
    # Asked inside the group: the summary there is the answer.
    return None if inside else say("closed", name=group.name)


async def list_groups(inv: Invocation) -> str:
    ctx, say = inv.ctx, _say(inv.ctx)
    open_now = await _groups(ctx).open()
    if not open_now:
        return say("list_empty")
    now = ctx.now()
    lines = [say("list_header")]
    for g in open_now:
        access = say("access_open" if g.open_signup else "access_invite", name=g.name, prefix=inv.prefix)
        lines.append(say("list_item", name=g.name, title=g.title, left=span(g.ends - now, up=True),
                         end=_when(ctx, g.ends), access=access))
    return "\n".join(lines)


def _is_creator(group: FlashGroup, member: Member) -> bool:
    return group.creator == member.id and group.platform == member.platform


# --------------------------------------------------------------------------- lifecycle


async def _schedule(ctx: PluginContext, group: FlashGroup) -> None:
    data = {"group": group.id}
    remind_at = group.ends - ctx.config.remind_before
    if remind_at > group.started:
        await ctx.schedule(f"remind:{group.id}", remind_at, data=data)
    await ctx.schedule(f"end:{group.id}", group.ends, data=data)


async def end_group(ctx: PluginContext, group: FlashGroup) -> None:
    """Summarise and dissolve ``group`` (once, whoever asks first)."""
    groups = _groups(ctx)
    now = ctx.now()
    if not await groups.claim_close(group.id, now):
        return
    await ctx.cancel(f"remind:{group.id}")
    await ctx.cancel(f"end:{group.id}")
    say = _say(ctx)
    people, messages = await groups.activity(group.id)
    values = dict(
        title=group.title, name=group.name, duration=span(now - group.started), people=people,
        messages=messages, fate=_fate(ctx, group.platform),
    )
    await ctx.send(group.channel, say("summary", **values))
    if ctx.config.announce:
        await ctx.send(ctx.config.announce, say("announce_summary", **values))
    await _dissolve(ctx, group)


async def _dissolve(ctx: PluginContext, group: FlashGroup) -> None:
    """Queue the channel's end; the group is recorded closed once it really is (on_action_done)."""
    used = ctx.dissolve_mode(group.platform, ctx.config.on_close)
    data = {"group": group.id, "mode": used}
    if await ctx.dissolve_group(group.channel, ctx.config.on_close, then=DISSOLVED, data=data) is None:
        await _groups(ctx).finish_close(group.id, None)
        log.info("closed flash group %s (not dissolved: the network cannot)", group.name)


@hookimpl
async def on_action_done(ctx: PluginContext, outcome: Outcome) -> None:
    if outcome.key != DISSOLVED:
        return
    group_id = outcome.data["group"]
    if outcome.status in ("done", "gone"):  # gone: the channel was removed already
        mode = outcome.data["mode"] if outcome.ok else None
        await _groups(ctx).finish_close(group_id, mode)
        log.info("closed flash group %s (%s)", group_id, mode or "its channel was already gone")
    else:  # still closing: the next start-up tries again
        log.warning("flash group %s could not be dissolved (%s: %s); it stays open until retried",
                    group_id, outcome.status, outcome.error)


@hookimpl
async def on_startup(ctx: PluginContext) -> None:
    groups = _groups(ctx)
    # A crash between claiming a group's end and dissolving it: finish the job.
    for group in await groups.closing():
        await _dissolve(ctx, group)
    # Jobs are stored with the groups; re-create any that went missing. A
    # group past its end is closed by its overdue job right after start-up.
    pending = {job.key for job in await ctx.jobs()}
    for group in await groups.open():
        if f"end:{group.id}" not in pending:
            await ctx.schedule(f"end:{group.id}", group.ends, data={"group": group.id})


@hookimpl
async def on_job_due(ctx: PluginContext, job: Job) -> None:
    kind, _, ident = job.key.partition(":")
    if not ident.isdigit():
        return
    group = await _groups(ctx).get(int(ident))
    if group is None or group.state != "open":
        return
    if kind == "end":
        await end_group(ctx, group)
    elif kind == "remind":
        now = ctx.now()
        if now < group.ends:
            left = span(group.ends - now, up=True)
            await ctx.send(group.channel, _say(ctx)("reminder", left=left, end=_when(ctx, group.ends)))


@hookimpl
async def on_message(ctx: PluginContext, message: Message) -> None:
    if message.channel.is_dm or message.channel.name in ctx.community.channels:
        return  # configured channels are never flash groups: no lookup on the hot path
    groups = _groups(ctx)
    group = await groups.open_in(message.channel)
    if group is not None:
        await groups.count_message(group.id, message.author.id)
