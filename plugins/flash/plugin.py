"""Flash groups: a temporary group for one event, dissolved when the event is over.

``flash TITLE [DURATION] [@member …]`` opens a private group channel through
the core's group service (``ctx.groups``), which reminds the group
``remind_before`` its end (``on_group_reminder``), ends it (``on_group_ending``:
flash posts the summary) and deletes or archives the channel (``on_close``).
The service stores the groups and their jobs, so a restart loses none.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime, timedelta

from hearth import (
    Capability,
    Command,
    CommandError,
    Group,
    Invocation,
    Member,
    Mention,
    Need,
    Panel,
    PanelAction,
    PanelRow,
    Param,
    PluginContext,
    Role,
    Store,
    Summary,
    Text,
    UsageError,
    hookimpl,
    mention,
)
from hearth.i18n import texts
from hearth.plugins.flash.config import FlashConfig
from hearth.plugins.flash.groups import MIGRATIONS, creator, open_signup, title
from hearth.plugins.flash.texts import DEFAULTS, moment, span

log = logging.getLogger(__name__)

NAME_LIMIT = 32


def slug(title: str, limit: int = NAME_LIMIT) -> str:
    """A channel name for ``title``: lower case, letters (any script) and digits, dashes."""
    text = unicodedata.normalize("NFKC", title).lower()
    text = re.sub(r"[\W_]+", "-", text).strip("-")
    return text[:limit].rstrip("-") or "flash"


def _say(ctx: PluginContext) -> Callable[..., str]:
    return texts(DEFAULTS, ctx.language, ctx.config.texts)


async def _named(ctx: PluginContext, name: str) -> Group | None:
    wanted = name.strip().lstrip("#").lower()
    return next((g for g in await ctx.groups.open() if g.name.lower() == wanted), None)


def _when(ctx: PluginContext, when: datetime) -> str:
    return moment(ctx.local(when), ctx.local_now(), ctx.language)


def _fate(ctx: PluginContext, group_platform: str) -> str:
    mode = ctx.groups.dissolve_mode(group_platform, ctx.config.on_close) or ctx.config.on_close
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
    opener = inv.member
    heading = " ".join(inv.args["title"].split())
    if not heading:
        raise UsageError("the title is empty", inv.command.usage)
    if not ctx.can(Capability.GROUPS, opener.platform):
        raise CommandError(say("no_groups", platform=opener.platform))
    duration = inv.args["duration"] or config.default_duration
    if duration > config.max_duration:
        raise CommandError(say("too_long", duration=span(duration), max=span(config.max_duration)))
    open_now = await ctx.groups.open()
    if len(open_now) >= config.max_open:
        raise CommandError(say("too_many", count=len(open_now), max=config.max_open, prefix=inv.prefix))

    invited = [m for m in dict.fromkeys(inv.args["members"]) if m != opener and not m.is_bot]
    taken = {g.name.lower() for g in open_now}
    base = name = slug(heading)
    n = 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    now = ctx.now()
    end = now + duration
    signup = not inv.args["members"]
    group = await ctx.groups.create(
        opener.platform,
        name,
        [opener, *invited],
        topic=say("topic", title=heading, end=_when(ctx, end)),
        expires=end,
        remind_before=config.remind_before,
        on_close=config.on_close,
        data={"title": heading, "creator": opener.id, "open_signup": signup},
    )
    if group is None:
        raise CommandError(say("create_failed"))

    values = dict(
        title=heading, name=group.name, creator=mention(opener), duration=span(duration),
        end=_when(ctx, end), fate=_fate(ctx, group.platform), prefix=inv.prefix,
    )
    purpose = say("purpose", **values)
    if signup:
        purpose += "\n" + say("purpose_open", **values)
    await ctx.send(group.channel, purpose)
    if signup:
        if config.announce:
            await ctx.send(config.announce, say("announce_open", **values))
        return say("opened_open", **values)
    return say("opened", members=Text(", ").join(mention(m) for m in invited) or mention(opener), **values)


def _creator(ctx: PluginContext, group: Group) -> Text:
    """A mention of the group's creator (on the group's network; the directory has their name)."""
    record = ctx.member((group.platform, creator(group)))
    return mention(record) if record is not None else Text(Mention(group.platform, creator(group), ""))


async def join_group(inv: Invocation) -> str:
    ctx, say, member = inv.ctx, _say(inv.ctx), inv.member
    group = await _named(ctx, inv.args["name"])
    if group is None:
        raise CommandError(say("unknown_group", name=inv.args["name"], prefix=inv.prefix))
    if group.platform != member.platform:
        raise CommandError(say("other_platform", name=group.name, platform=group.platform))
    if member.id in group.members:
        raise CommandError(say("already_in", name=group.name))
    if not open_signup(group):
        raise CommandError(say("invite_only", name=group.name, creator=_creator(ctx, group)))
    if not await ctx.groups.invite(group, member):
        raise CommandError(say("join_failed", name=group.name))
    return say("joined", name=group.name, end=_when(ctx, _ends(group)))


async def close_group(inv: Invocation) -> str | None:
    ctx, say, member = inv.ctx, _say(inv.ctx), inv.member
    name = inv.args["name"]
    if name:
        group = await _named(ctx, name)
        if group is None:
            raise CommandError(say("unknown_group", name=name, prefix=inv.prefix))
    else:
        group = None if inv.message.channel.is_dm else await ctx.groups.in_channel(inv.message.channel)
        if group is None:
            mine = [g for g in await ctx.groups.open() if _is_creator(g, member)]
            if not mine:
                raise CommandError(say("none_to_close", prefix=inv.prefix))
            if len(mine) > 1:
                names = ", ".join(g.name for g in mine)
                raise CommandError(say("which_group", names=names, prefix=inv.prefix))
            group = mine[0]
    if not (_is_creator(group, member) or member.role >= Role.ADMIN):
        raise CommandError(say("not_allowed_close", name=group.name, creator=_creator(ctx, group)))
    inside = inv.message.channel.key == group.channel.key
    await ctx.groups.close(group)
    # Asked inside the group: the summary there is the answer.
    return None if inside else say("closed", name=group.name)


async def list_groups(inv: Invocation) -> str:
    ctx, say = inv.ctx, _say(inv.ctx)
    open_now = await ctx.groups.open()
    if not open_now:
        return say("list_empty")
    now = ctx.now()
    lines = [say("list_header")]
    for g in open_now:
        access = say("access_open" if open_signup(g) else "access_invite", name=g.name,
                     prefix=inv.prefix)
        lines.append(say("list_item", name=g.name, title=title(g), left=span(_ends(g) - now, up=True),
                         end=_when(ctx, _ends(g)), access=access))
    return "\n".join(lines)


def _is_creator(group: Group, member: Member) -> bool:
    return creator(group) == member.id and group.platform == member.platform


def _ends(group: Group) -> datetime:
    assert group.expires is not None  # flash groups always have an end
    return group.expires


# --------------------------------------------------------------------------- lifecycle


@hookimpl
async def on_group_reminder(ctx: PluginContext, group: Group, left: timedelta) -> None:
    await ctx.send(group.channel, _say(ctx)("reminder", left=span(left, up=True),
                                             end=_when(ctx, _ends(group))))


@hookimpl
async def on_group_ending(ctx: PluginContext, group: Group, summary: Summary) -> None:
    say = _say(ctx)
    values = dict(
        title=title(group), name=group.name, duration=span(summary.lasted), people=summary.people,
        messages=summary.messages, fate=_fate(ctx, group.platform),
    )
    await ctx.send(group.channel, say("summary", **values))
    if ctx.config.announce:
        await ctx.send(ctx.config.announce, say("announce_summary", **values))


@hookimpl
async def dashboard_panels(ctx: PluginContext) -> list[Panel]:
    """The open flash groups, with how lively each is and a Close button (``flash close NAME``)."""
    rows = []
    for group in await ctx.groups.open():
        summary = await ctx.groups.summary(group)
        made_by = ctx.member((group.platform, creator(group)))
        rows.append(PanelRow(
            cells=(group.name, title(group), made_by.name if made_by else creator(group),
                   str(len(group.members)), str(summary.messages), f"{ctx.local(_ends(group)):%m-%d %H:%M}"),
            actions=(PanelAction(label="Close", command="flash close", args=(group.name,),
                                 confirm=f"Close {group.name} now?"),)))
    columns = ("group", "title", "opened by", "members", "messages", "ends")
    return [Panel(title="Flash groups", columns=columns,
                  rows=tuple(rows), note="" if rows else "No flash group is open.")]
