"""The leaders' powers as commands: ``announce`` (post and pin), ``pin`` and ``unpin``.

Each command declares its power (``Command(power=...)``): the core's
permission check refuses it to leaders when the community's ``powers`` leave
that power out (admins and the owner always may). An announcement is posted
where the command was run and pinned; the channel's previous announcement is
unpinned in the same compound action (``ctx.send(…, pin=True,
unpin_previous=…)``), and the new one's id is kept (``leaders_announcements``)
for the next.
"""

from __future__ import annotations

from hearth import Command, CommandError, Invocation, Outcome, Param, PluginContext, Role, mention
from hearth.plugins.leaders.texts import say_for

ANNOUNCED = "announced"
PIN_MENU, UNPIN_MENU = "Pin message", "Unpin message"


async def announce(inv: Invocation) -> None:
    ctx, say = inv.ctx, say_for(inv.ctx)
    channel = inv.message.channel
    if channel.is_dm:
        raise CommandError(say("announce_where"))
    row = await ctx.store.select_one("announcements", "platform = ? AND channel_id = ?",
                                     (channel.platform, channel.id))
    text = say("announcement", text=inv.args["text"], who=mention(inv.member))
    await ctx.send(channel, text, pin=True, unpin_previous=row["message_id"] if row else None,
                   then=ANNOUNCED, data={"platform": channel.platform, "channel": channel.id})


async def announced(ctx: PluginContext, outcome: Outcome) -> None:
    """Keep the announcement just posted, for the next one to unpin."""
    if not outcome.ok or not outcome.sent:
        return
    await ctx.store.insert(
        "announcements", {"platform": outcome.data["platform"], "channel_id": outcome.data["channel"],
                          "message_id": outcome.sent[0].id},
        on_conflict=("platform", "channel_id"), update=("message_id",))


async def _pinning(inv: Invocation, what: str) -> str:
    ctx, say = inv.ctx, say_for(inv.ctx)
    target = inv.message.reply_to
    if target is None or inv.message.channel.is_dm:
        raise CommandError(say("pin_how", prefix=ctx.prefix, command=what))
    if what == "pin":
        await ctx.pin(inv.message.channel, target)
        return str(say("pinned"))
    await ctx.unpin(inv.message.channel, target)
    return str(say("unpinned"))


async def pin(inv: Invocation) -> str:
    return await _pinning(inv, "pin")


async def unpin(inv: Invocation) -> str:
    return await _pinning(inv, "unpin")


COMMANDS = (
    Command(name="announce", handler=announce, params=(Param("text", "rest"),), min_role=Role.LEADER,
            power="announce", help="post an announcement here and pin it (unpinning the previous one)"),
    Command(name="pin", handler=pin, min_role=Role.LEADER, power="pin", menu=PIN_MENU,
            help="pin the message you reply to"),
    Command(name="unpin", handler=unpin, min_role=Role.LEADER, power="pin", menu=UNPIN_MENU,
            help="unpin the message you reply to"),
)
