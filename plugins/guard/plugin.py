"""guard: reports decided by moderators, manual moderation, word lists; strikes in the core ledger.

The essays: delete spam and remove violators at once (broken windows), reward
those who report, forbid poaching members. Every strike guard gives goes to the
community's one strike ledger (``ctx.strikes``), where ``ad_window``'s go too,
so an ad and an upheld report add up; guard applies its own ``escalation`` to
the person's total.

* ``!report [REASON]`` as a reply (or with a message link) files a numbered
  report in ``reports.channel``; the ``!report`` message is removed and the
  reporter gets a receipt by DM. Reports of one message are merged. A member
  whose reports were dismissed ``reports.throttle.dismissed`` times within
  ``reports.throttle.within`` may not report for a while.
* ``!uphold ID`` removes the message and strikes its author (then thanks the
  reporters: publicly with ``reward: thanks``, by DM always); ``!dismiss ID``
  closes the report.
* ``!warn``, ``!mute``, ``!kick``, ``!ban`` (each a strike, DM'd and audited),
  ``!unmute``, ``!unban``. Nobody acts on a role equal to or above their own.
* ``words:`` blocked words and patterns, in the moderation phase.
"""

from __future__ import annotations

import logging
import re
import weakref
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from hearth import (
    Capability,
    Channel,
    Command,
    Invocation,
    Member,
    Message,
    Need,
    Panel,
    PanelAction,
    PanelRow,
    Param,
    Person,
    PluginContext,
    Role,
    Step,
    Verdict,
    format_duration,
    hookimpl,
    literal,
    mention,
    step_for,
    to_ms,
)
from hearth.i18n import texts
from hearth.plugins.guard.config import GuardConfig
from hearth.plugins.guard.records import DISMISSED, MIGRATIONS, OPEN, UPHELD, Mutes, Report, Reports
from hearth.plugins.guard.texts import DEFAULTS
from hearth.plugins.guard.words import WordList

log = logging.getLogger(__name__)

LONGEST_MUTE = timedelta(days=28)  # Discord's longest timeout; every network is held to it
LINK_DISCORD = re.compile(r"discord(?:app)?\.com/channels/(?:\d+|@me)/([\w-]+)/([\w-]+)")
LINK_MATRIX = re.compile(r"matrix\.to/#/(![^/\s?]+)/(\$[^/\s?]+)")
WORDS_REPORTER = "words"  # the reporter id of reports filed by the word list
REPORT_MENU = "Report to moderators"  # the message context-menu entry (Discord)


# --------------------------------------------------------------------------- declarations


@hookimpl
def register_config_schema() -> type[GuardConfig]:
    return GuardConfig


@hookimpl
def register_migrations() -> Sequence[Any]:
    return MIGRATIONS


@hookimpl
def register_capabilities() -> list[Need]:
    return [
        Need(Capability.DELETE, "removing reported messages and blocked words"),
        Need(Capability.DM, "report receipts and telling members why"),
        Need(Capability.MUTE, "muting"),
        Need(Capability.KICK, "kicking"),
        Need(Capability.BAN, "banning"),
    ]


@hookimpl
def register_commands() -> list[Command]:
    who = Param("member", "member")
    reason = Param("reason", "rest", optional=True)
    number = Param("id", "int", bounds=(1, 1_000_000_000))
    moderate: dict[str, Any] = {"min_role": Role.LEADER, "power": "moderate"}
    return [
        Command(name="report", handler=_cmd_report, params=(Param("reason", "rest", optional=True),),
                min_role=Role.MEMBER, menu=REPORT_MENU,
                help="report a message to the moderators (reply to it, or give its link)"),
        Command(name="uphold", handler=_cmd_uphold, params=(number,), **moderate,
                help="uphold a report: remove the message and strike its author"),
        Command(name="dismiss", handler=_cmd_dismiss, params=(number, reason), **moderate,
                help="dismiss a report"),
        Command(name="warn", handler=_cmd_warn, params=(who, Param("reason", "rest")), **moderate,
                help="warn a member (a strike)"),
        Command(name="mute", handler=_cmd_mute,
                params=(who, Param("duration", "duration"), reason), **moderate,
                help="mute a member for a while (at most 28 days; a strike)"),
        Command(name="kick", handler=_cmd_kick, params=(who, reason), min_role=Role.ADMIN,
                help="remove a member (a strike)"),
        Command(name="ban", handler=_cmd_ban, params=(who, reason), min_role=Role.ADMIN,
                help="ban a member (a strike)"),
        Command(name="unmute", handler=_cmd_unmute, params=(who,), **moderate,
                help="let a muted member post again"),
        Command(name="unban", handler=_cmd_unban, params=(Param("member", "member", present=False),),
                min_role=Role.ADMIN,
                help="lift a member's ban"),
    ]


# --------------------------------------------------------------------------- helpers

_words: weakref.WeakKeyDictionary[PluginContext, WordList] = weakref.WeakKeyDictionary()


def _word_list(ctx: PluginContext) -> WordList:
    found = _words.get(ctx)
    if found is None:
        cfg: GuardConfig = ctx.config
        found = _words[ctx] = WordList.build(cfg.words.block, cfg.words.patterns)
    return found


def _say(ctx: PluginContext) -> Any:
    return texts(DEFAULTS, ctx.language, ctx.config.texts)


def _reports(ctx: PluginContext) -> Reports:
    return Reports(ctx.store)


@hookimpl
async def dashboard_panels(ctx: PluginContext) -> list[Panel]:
    """The open reports, each with Uphold and Dismiss (``uphold``/``dismiss`` run as the person)."""
    say = _say(ctx)
    rows = []
    for report in await _reports(ctx).open():
        who = ", ".join(r.name.replace("`", "") for r in report.reporters)  # names with their ids
        number = str(report.number)
        rows.append(PanelRow(
            cells=(report.author_name, number, report.excerpt, f"#{report.channel_name}", who),
            member=(report.platform, report.author_id),
            actions=(PanelAction(label=str(say("panel_uphold")), command="uphold", args=(number,),
                                 confirm=str(say("panel_uphold_confirm", name=report.author_name))),
                     PanelAction(label=str(say("panel_dismiss")), command="dismiss", args=(number,)))))
    columns = tuple(str(say(f"panel_{key}")) for key in ("author", "message", "channel", "reporters"))
    return [Panel(title=str(say("panel_reports")), columns=(columns[0], "#", *columns[1:]),
                  rows=tuple(rows), note="" if rows else str(say("panel_reports_none")),
                  min_role=Role.LEADER, power="moderate", waiting=True)]


def _when(ctx: PluginContext, when: datetime) -> str:
    local = when.astimezone(ctx.zone)
    return str(_say(ctx)("when", date=f"{local:%Y-%m-%d}", time=f"{local:%H:%M}", zone=ctx.zone.key))


def _role_name(ctx: PluginContext, role: Role) -> str:
    names = str(_say(ctx)("roles")).split(",")
    return names[role].strip() if len(names) == len(Role) else role.label


def _refusal(ctx: PluginContext, actor: Member, target: Member, what: str) -> str | None:
    """Why ``actor`` may not act on ``target`` (a bot, or a role not below theirs), or None."""
    say = _say(ctx)
    verb = say(f"verb_{what}")
    if target.is_bot:
        return str(say("refused_bot", what=verb))
    if target.role >= actor.role:
        return str(say("refused_rank", what=verb, target=target.name_and_id,
                       role=_role_name(ctx, target.role)))
    return None


async def _audit(ctx: PluginContext, text: str) -> None:
    cfg: GuardConfig = ctx.config
    if cfg.audit_channel:
        await ctx.send(cfg.audit_channel, text)


async def _strike(ctx: PluginContext, who: Member | tuple[str, str], reason: str, detail: str) -> int:
    """Record a strike in the community's ledger (``reason``: warn, mute, kick, ban, report,
    words; shown in the community's language); the person's total of active strikes."""
    cfg: GuardConfig = ctx.config
    await ctx.strikes.add(who, str(_say(ctx)(f"reason_{reason}")), lasts=cfg.strike_decay,
                          detail=detail)
    return await ctx.strikes.count(who)


async def _apply(ctx: PluginContext, member: Member, step: Step, until: datetime | None,
                 reason: str) -> None:
    """Carry out one escalation step (after the member's DM was queued)."""
    if step.action == "mute" and until is not None:
        await _mute(ctx, member, until, reason)
    elif step.action == "kick":
        await ctx.kick(member, reason)
    elif step.action == "ban":
        await ctx.ban(member, reason)


async def _mute(ctx: PluginContext, member: Member, until: datetime, reason: str) -> None:
    """Mute ``member`` until ``until`` and note it, so a ``!pardon`` can lift it."""
    await ctx.mute(member, until, reason)
    await Mutes(ctx.store).imposed((await ctx.person(member)).id, until, ctx.now())


def _mute_end(ctx: PluginContext, step: Step) -> datetime | None:
    return ctx.now() + min(step.duration, LONGEST_MUTE) if step.action == "mute" and step.duration else None


async def _escalate(
    ctx: PluginContext, member: Member | None, account: tuple[str, str], reason: str, detail: str,
    lead: str,
) -> tuple[int, str]:
    """Strike, DM (``lead`` and the step), apply the ladder; (strikes, the action as audited)."""
    cfg: GuardConfig = ctx.config
    say = _say(ctx)
    count = await _strike(ctx, member or account, reason, detail)
    step = step_for(cfg.escalation, count)
    until = _mute_end(ctx, step)
    until_text = _when(ctx, until) if until else ""
    if member is not None:
        await ctx.dm(member, f"{lead} {say(f'step_{step.action}', strikes=count, until=until_text)}")
        await _apply(ctx, member, step, until, f"guard: strike {count} ({reason})")
    return count, str(say(f"action_{step.action}", until=until_text))


def _message_ref(message: Message) -> tuple[Channel, str] | None:
    """The message a ``!report`` is about: the one it replies to."""
    if message.reply_to:
        return message.channel, message.reply_to
    return None


def _linked(message: Message, reason: str | None) -> tuple[tuple[Channel, str], str | None] | None:
    """A message link at the start of ``reason``: ((channel, message id), the rest), or None."""
    if not reason:
        return None
    first, _, rest = reason.partition(" ")
    for pattern in (LINK_DISCORD, LINK_MATRIX):
        m = pattern.search(first)
        if m is not None:
            channel = Channel(platform=message.platform, id=m.group(1))
            return (channel, m.group(2)), rest.strip() or None
    return None


# --------------------------------------------------------------------------- reports


async def _tell(inv: Invocation, text: str) -> None:
    """Answer the reporter privately and remove the ``!report`` (nobody sees who reported)."""
    message = inv.message
    if message.channel.is_dm or inv.native:  # a context menu's answer is seen by its user only
        await inv.reply(text)
        return
    await inv.ctx.dm(inv.member, text)
    await inv.ctx.delete(message, "guard: a report (the reporter stays anonymous)")


async def _cmd_report(inv: Invocation) -> str | None:
    ctx = inv.ctx
    cfg: GuardConfig = ctx.config
    say = _say(ctx)
    reporter = inv.member
    reason: str | None = inv.args.get("reason")
    target = _message_ref(inv.message)
    if target is None:
        linked = _linked(inv.message, reason)
        if linked is not None:
            target, reason = linked
    if target is None:
        await _tell(inv, str(say("report_how", prefix=ctx.prefix)))
        return None
    channel_name = cfg.reports_channel
    if channel_name is None:
        await _tell(inv, str(say("report_nowhere")))
        return None
    now = ctx.now()
    records = _reports(ctx)
    throttle = cfg.reports.throttle
    accounts = [reporter.key, *(r.key for r in ctx.accounts(reporter))]  # linked ones too
    dismissed = await records.dismissed_since(accounts, now - throttle.within)
    if len(dismissed) >= throttle.dismissed:
        again = dismissed[len(dismissed) - throttle.dismissed] + throttle.within
        await _tell(inv, str(say("report_throttled", count=len(dismissed),
                                 within=format_duration(throttle.within), when=_when(ctx, again))))
        return None
    message = await ctx.fetch_message(*target)
    if message is None:
        await _tell(inv, str(say("report_unreadable")))
        return None
    if message.author.is_bot:
        await _tell(inv, str(say("report_bot")))
        return None
    if message.author.key == reporter.key:
        await _tell(inv, str(say("report_self")))
        return None
    filed = await _file(ctx, message, reporter.platform, reporter.id, reporter.name_and_id,
                        reason or str(say("no_reason")))
    if filed is None:
        known = await records.of_message(message.platform, message.id)
        await _tell(inv, str(say("report_decided", id=known.number if known else "?")))
        return None
    number, merged = filed
    channel = message.channel.name or message.channel.id
    if merged:
        await _tell(inv, str(say("report_merged", id=number)))
    else:
        await _tell(inv, str(say("report_receipt", id=number, author=message.author.name,
                                 channel=channel)))
    return None


async def _file(ctx: PluginContext, message: Message, platform: str, reporter_id: str,
                reporter_name: str, reason: str) -> tuple[int, bool] | None:
    """File (or merge) a report of ``message`` in the reports channel: (its number, merged);
    None when the message's report was already decided."""
    cfg: GuardConfig = ctx.config
    say = _say(ctx)
    records = _reports(ctx)
    now = ctx.now()
    known = await records.of_message(message.platform, message.id)
    if known is not None and known.status != OPEN:
        return None
    channel_name = cfg.reports_channel
    assert channel_name is not None
    if known is not None:
        if await records.add_reporter(known.number, platform, reporter_id, reporter_name, reason, now):
            await ctx.send(channel_name, str(say("report_added", id=known.number,
                                                 reporter=reporter_name, reason=reason)))
        return known.number, True
    number = await records.file(
        platform=message.platform, channel_id=message.channel.id,
        channel_name=message.channel.name or "", message_id=message.id,
        author_id=message.author.id, author_name=message.author.name, text=message.text, at=now)
    await records.add_reporter(number, platform, reporter_id, reporter_name, reason, now)
    await ctx.send(channel_name, str(say(
        "report_filed", id=number, author=message.author.name_and_id,
        channel=message.channel.name or message.channel.id, text=literal(message.text[:300]),
        reporter=reporter_name, reason=reason, prefix=ctx.prefix)))
    return number, False


async def _open_report(inv: Invocation) -> Report | str:
    """The open report ``inv.args['id']``, or the reply saying why it cannot be decided."""
    say = _say(inv.ctx)
    number: int = inv.args["id"]
    report = await _reports(inv.ctx).get(number)
    if report is None:
        return str(say("report_unknown", id=number))
    if report.status != OPEN:
        return str(say("report_already", id=number, status=say(f"status_{report.status}"),
                       by=report.decided_by))
    return report


async def _cmd_uphold(inv: Invocation) -> str:
    ctx = inv.ctx
    cfg: GuardConfig = ctx.config
    say = _say(ctx)
    report = await _open_report(inv)
    if isinstance(report, str):
        return report
    author = await ctx.get_member(report.platform, report.author_id)
    if author is not None:
        refused = _refusal(ctx, inv.member, author, "uphold")
        if refused is not None:
            return refused
    account = (report.platform, report.author_id)
    if not await _reports(ctx).decide(report.number, UPHELD, inv.member.name_and_id, "", ctx.now()):
        return str(say("report_already", id=report.number, status=say("status_upheld"), by="?"))
    channel = Channel(platform=report.platform, id=report.channel_id, name=report.channel_name or None)
    who = author or Member(platform=report.platform, id=report.author_id, name=report.author_name)
    await ctx.delete(Message(platform=report.platform, id=report.message_id, channel=channel, author=who,
                             text="", time_ms=to_ms(ctx.now())), f"guard: report {report.number} upheld")
    lead = str(say("dm_upheld", channel=report.channel_name or report.channel_id))
    count, action = await _escalate(ctx, author, account, "report", report.excerpt, lead)
    for reporter in report.reporters:
        if reporter.member_id == WORDS_REPORTER:
            continue
        member = await ctx.get_member(reporter.platform, reporter.member_id)
        if member is None:
            continue
        await ctx.dm(member, str(say("reporter_upheld", id=report.number)))
        if cfg.reports.reward == "thanks":
            await ctx.send(channel, say("thanks_public", reporter=mention(member)))
    await _audit(ctx, str(say("audit_uphold", actor=inv.member.name_and_id, id=report.number,
                              target=who.name_and_id, strikes=count, action=action)))
    return str(say("upheld", id=report.number, author=who.name_and_id, strikes=count, action=action))


async def _cmd_dismiss(inv: Invocation) -> str:
    ctx = inv.ctx
    say = _say(ctx)
    report = await _open_report(inv)
    if isinstance(report, str):
        return report
    reason = inv.args.get("reason") or str(say("no_reason"))
    if not await _reports(ctx).decide(report.number, DISMISSED, inv.member.name_and_id, reason,
                                      ctx.now()):
        return str(say("report_already", id=report.number, status=say("status_dismissed"), by="?"))
    for reporter in report.reporters:
        member = await ctx.get_member(reporter.platform, reporter.member_id)
        if member is not None and reporter.member_id != WORDS_REPORTER:
            await ctx.dm(member, str(say("reporter_dismissed", id=report.number, reason=reason)))
    await _audit(ctx, str(say("audit_dismiss", actor=inv.member.name_and_id, id=report.number,
                              reason=reason)))
    return str(say("dismissed", id=report.number))


# --------------------------------------------------------------------------- manual moderation


async def _manual(inv: Invocation, action: str, reason: str | None,
                  duration: timedelta | None = None) -> str:
    """warn, mute, kick or ban: refuse upward, strike, DM, act, audit; the reply."""
    ctx = inv.ctx
    say = _say(ctx)
    target: Member = inv.args["member"]
    refused = _refusal(ctx, inv.member, target, action)
    if refused is not None:
        return refused
    reason = reason or str(say("no_reason"))
    note = ""
    if duration is not None and duration > LONGEST_MUTE:
        note = str(say("mute_clamped", longest=format_duration(LONGEST_MUTE))) + "\n"
        duration = LONGEST_MUTE
    count = await _strike(ctx, target, action, f"{reason} ({inv.member.name_and_id})")
    until = ctx.now() + duration if duration is not None else None
    until_text = _when(ctx, until) if until else ""
    await ctx.dm(target, str(say(f"dm_{action}", community=ctx.key, reason=reason, strikes=count,
                                 until=until_text)))
    why = f"guard: {action} by {inv.member.id}: {reason}"
    if action == "mute" and until is not None:
        await _mute(ctx, target, until, why)
    elif action == "kick":
        await ctx.kick(target, why)
    elif action == "ban":
        await ctx.ban(target, why)
    verb = say(f"action_{action}", until=until_text)
    await _audit(ctx, str(say("audit_manual", actor=inv.member.name_and_id, action=verb,
                              target=target.name_and_id, reason=reason, strikes=count)))
    return note + str(say(f"done_{action}", target=target.name_and_id, strikes=count, until=until_text))


async def _cmd_warn(inv: Invocation) -> str:
    return await _manual(inv, "warn", inv.args["reason"])


async def _cmd_mute(inv: Invocation) -> str:
    return await _manual(inv, "mute", inv.args.get("reason"), inv.args["duration"])


async def _cmd_kick(inv: Invocation) -> str:
    return await _manual(inv, "kick", inv.args.get("reason"))


async def _cmd_ban(inv: Invocation) -> str:
    return await _manual(inv, "ban", inv.args.get("reason"))


async def _lift(inv: Invocation, what: str) -> str:
    ctx = inv.ctx
    say = _say(ctx)
    target: Member = inv.args["member"]
    refused = _refusal(ctx, inv.member, target, what)
    if refused is not None:
        return refused
    if what == "unmute":
        await ctx.unmute(target)
        await Mutes(ctx.store).lifted((await ctx.person(target)).id, ctx.now())
        await ctx.dm(target, str(say("dm_unmute", community=ctx.key)))
    else:
        await ctx.unban(target)
    await _audit(ctx, str(say("audit_lift", actor=inv.member.name_and_id, target=target.name_and_id,
                              what=say("lift_mute" if what == "unmute" else "lift_ban"))))
    return str(say(f"done_{what}", target=target.name_and_id))


async def _cmd_unmute(inv: Invocation) -> str:
    return await _lift(inv, "unmute")


async def _cmd_unban(inv: Invocation) -> str:
    return await _lift(inv, "unban")


@hookimpl
async def on_strikes_pardoned(ctx: PluginContext, person: Person, count: int, by: Member) -> None:
    """A pardon lifts the mute guard imposed (for a strike) that is still running."""
    if not await Mutes(ctx.store).lifted(person.id, ctx.now()):
        return
    accounts = ctx.accounts(person)
    if not accounts:
        return
    member = accounts[0].member
    say = _say(ctx)
    await ctx.unmute(member)  # and the person's linked accounts
    await ctx.dm(member, str(say("dm_unmute", community=ctx.key)))
    await _audit(ctx, str(say("audit_lift", actor=by.name_and_id, target=member.name_and_id,
                              what=say("lift_mute_pardon"))))
    log.info("guard's mute of person %d lifted: pardoned", person.id)


# --------------------------------------------------------------------------- word lists


def _exempt(cfg: GuardConfig, member: Member) -> bool:
    if member.is_bot or member.role >= Role.OWNER:
        return True
    return bool(cfg.words.exempt_roles) and member.role >= min(cfg.words.exempt_roles)


@hookimpl
async def moderate_message(ctx: PluginContext, message: Message) -> Verdict | None:
    cfg: GuardConfig = ctx.config
    words = _word_list(ctx)
    if not words or message.channel.is_dm or _exempt(cfg, message.author):
        return None
    word = words.find(message.text)
    if word is None:
        return None
    say = _say(ctx)
    author = message.author
    channel = message.channel.name or message.channel.id
    if cfg.words.action == "report":
        await _file(ctx, message, message.platform, WORDS_REPORTER,
                    str(say("report_by_words", word=literal(word))), str(say("no_reason")))
        return None
    lead = str(say("dm_words", channel=channel, word=literal(word)))
    if cfg.words.action == "strike":
        count, action = await _escalate(ctx, author, author.key, "words", word, lead)
        outcome = str(say("audit_words_strike", strikes=count, action=action))
    else:
        await ctx.dm(author, lead)
        outcome = ""
    await _audit(ctx, str(say("audit_words", target=author.name_and_id, channel=channel,
                              word=literal(word), outcome=outcome)).rstrip())
    return Verdict(reason=f"guard: blocked word ({cfg.words.action})")


# --------------------------------------------------------------------------- lifecycle


@hookimpl
async def on_startup(ctx: PluginContext) -> None:
    _words.pop(ctx, None)


@hookimpl
async def on_forget(ctx: PluginContext, platform: str, member_id: str) -> None:
    await _reports(ctx).forget(platform, member_id)
