"""ad_window: ads only in weekly windows or ad channels; the rest deleted, with escalating strikes.

Runs in the moderation phase. A message that is an ad (see :mod:`.detect`) and is
not allowed (outside every window, over the member's quota for this window, no
pass left) gets a :class:`~hearth.Verdict` (the core deletes it once); before
returning it, the member is told privately when the next window opens, a strike
is recorded, the escalation step for the member's active strikes is applied and
one audit line is posted.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from hearth import (
    Capability,
    Channel,
    Command,
    Invocation,
    Job,
    Member,
    Message,
    Need,
    Param,
    Person,
    PluginContext,
    Role,
    Step,
    Verdict,
    hookimpl,
    literal,
    step_for,
)
from hearth.i18n import texts
from hearth.plugins.ad_window import windows as win
from hearth.plugins.ad_window.config import AdWindowConfig
from hearth.plugins.ad_window.detect import Detector, Finding, RepeatTracker, repeat_key
from hearth.plugins.ad_window.strikes import MIGRATIONS, Records, content_key
from hearth.plugins.ad_window.texts import DEFAULTS

log = logging.getLogger(__name__)

OPEN_JOB = "announce:open"
CLOSE_JOB = "announce:close"
UNMUTE_PREFIX = "unmute:"
LATE_ANNOUNCEMENT = timedelta(hours=1)  # after longer downtime a missed announcement is dropped
KEEP_QUOTA = timedelta(days=14)
ENFORCED_MEMORY = 10_000  # messages already punished (an edit of one is not a second offence)


# --------------------------------------------------------------------------- declarations


@hookimpl
def register_config_schema() -> type[AdWindowConfig]:
    return AdWindowConfig


@hookimpl
def register_migrations() -> Sequence[Any]:
    return MIGRATIONS


@hookimpl
def register_capabilities() -> list[Need]:
    return [
        Need(Capability.DELETE, "removing ads"),
        Need(Capability.DM, "telling members why their ad was removed"),
        Need(Capability.MUTE, "muting repeat offenders"),
        Need(Capability.KICK, "kicking repeat offenders"),
        Need(Capability.BAN, "banning repeat offenders"),
    ]


@hookimpl
def register_commands() -> list[Command]:
    member = (Param("member", "member"),)
    return [
        Command(name="ads", handler=_cmd_ads, min_role=Role.MEMBER,
                help="when the next ad window opens, and your quota left"),
        Command(name="adpass", handler=_cmd_adpass, params=member, min_role=Role.ADMIN,
                help="let a member post one ad outside the window"),
    ]


# --------------------------------------------------------------------------- per-community state


@dataclass
class _State:
    detector: Detector
    tracker: RepeatTracker
    enforced: dict[tuple[str, str], str] = field(default_factory=dict)  # message -> verdict reason

    def remember(self, message: Message, reason: str) -> None:
        self.enforced[message.key] = reason
        if len(self.enforced) > ENFORCED_MEMORY:
            del self.enforced[next(iter(self.enforced))]


#: where the state is in ``ctx.cache``. Rebuilt when this process acts for the community again
#: (the core empties the cache): the repeat tracker then starts afresh, which can only miss a
#: repeat spanning a takeover, never punish twice (a message is deleted once, see
#: ``hearth.once``); a punished message is deleted, so its edits do not come.
STATE = "state"


def _internal_rooms(ctx: PluginContext) -> tuple[set[str], set[str]]:
    """The community's own room/channel ids (Matrix links to them are not ads) and Discord guilds."""
    rooms: set[str] = set()
    for name, ids in ctx.community.channels.items():
        rooms.update(ids.values())
        rooms.update(c.id for c in ctx.channels(name))
    guilds: set[str] = set()
    for platform, binding in ctx.community.bindings.items():
        for key in ("space", "guild"):
            value = _field(binding, key)
            if isinstance(value, str):
                (guilds if platform == "discord" else rooms).add(value)
        rooms.update(_field(binding, "rooms") or ())
    return rooms, guilds


def _field(binding: Any, key: str) -> Any:
    return binding.get(key) if isinstance(binding, dict) else getattr(binding, key, None)


def _state(ctx: PluginContext) -> _State:
    state: _State | None = ctx.cache.get(STATE)
    if state is None:
        cfg: AdWindowConfig = ctx.config
        rooms, guilds = _internal_rooms(ctx)
        detector = Detector.build(
            allow_domains=cfg.detect.allow_domains,
            invite_links=cfg.detect.invite_links,
            contact_handles=cfg.detect.contact_handles,
            pitches=cfg.detect.pitches,
            patterns=cfg.detect.patterns,
            internal_rooms=rooms,
            own_guilds=guilds,
        )
        tracker = RepeatTracker(cfg.detect.repeat.copies, cfg.detect.repeat.within)
        state = ctx.cache[STATE] = _State(detector, tracker)
    return state


def _records(ctx: PluginContext) -> Records:
    return Records(ctx.store)


def _say(ctx: PluginContext) -> Any:
    return texts(DEFAULTS, ctx.language, ctx.config.texts)


def is_exempt(config: AdWindowConfig, member: Member) -> bool:
    """Owners always; otherwise a role in ``exempt_roles`` or above every role listed there."""
    if member.is_bot or member.role >= Role.OWNER:
        return True
    return bool(config.exempt_roles) and member.role >= min(config.exempt_roles)


def _when(ctx: PluginContext, when: datetime | None) -> str:
    say = _say(ctx)
    if when is None:
        return str(say("no_window"))
    local = when.astimezone(ctx.zone)
    weekdays = str(say("weekdays")).split(",")
    weekday = weekdays[local.weekday()].strip() if len(weekdays) == 7 else local.strftime("%A")
    if when - ctx.now() > timedelta(days=7):
        weekday = f"{local:%Y-%m-%d} {weekday}"
    return str(say("when", weekday=weekday, time=f"{local:%H:%M}", zone=ctx.zone.key))


def _channel_list(names: Sequence[str]) -> str:
    return ", ".join(f"#{n}" for n in names)


# --------------------------------------------------------------------------- moderation


@hookimpl
async def moderate_message(ctx: PluginContext, message: Message) -> Verdict | None:
    cfg: AdWindowConfig = ctx.config
    author = message.author
    if is_exempt(cfg, author) or message.channel.name in cfg.ad_channels:
        return None
    state = _state(ctx)
    done = state.enforced.get(message.key)
    if done is not None:
        return Verdict(reason=done)  # already punished; the core deletes a message only once
    now = ctx.now()
    who = author.key
    key = repeat_key(message.text) if state.tracker.copies >= 2 else None
    repeated = state.tracker.seen(who, key, now, message.id)
    finding = state.detector.detect(message.text, repeated=repeated)
    earlier: list[Message] = []
    if finding is None:
        copies = state.tracker.record(who, key, now, message.id, message.channel)
        if copies is None:
            return None
        earlier = [_copy(message, channel, mid) for channel, mid in copies
                   if channel.name not in cfg.ad_channels]
        finding = Finding("repeat", " ".join(message.text.split())[:60])

    records = _records(ctx)
    person = (await ctx.person(author)).id
    content = content_key(message.text)
    occurrence = win.current(cfg.windows, ctx.zone, now)
    before = await records.allowed(who, message.id)
    if before is not None and (
        before.content == content or (occurrence is not None and before.window == occurrence.key)
    ):
        # An edit that keeps the text, or one made in the window the ad was allowed in (its
        # own slot): still allowed. A pass, or an earlier window, covered only the old text.
        await records.use(who, person, before.window, message.id, now, content)
        return None
    if occurrence is not None and await records.used(person, occurrence.key) < cfg.per_window_quota:
        await records.use(who, person, occurrence.key, message.id, now, content)
        return None
    if await records.use_pass(person):
        await records.use(who, person, 0, message.id, now, content)
        log.info("%s used an ad pass for message %s", author.id, message.id)
        return None

    why = "quota" if occurrence is not None else "outside"
    await _enforce(ctx, message, finding, why)
    for copy in earlier:
        await ctx.delete(copy, f"ad_window: repeated message ({why})")
    reason = f"ad_window: {finding.kind} ({finding.evidence}) {_why_label(why)}"
    state.remember(message, reason)
    return Verdict(reason=reason)


def _copy(message: Message, channel: Channel, message_id: str) -> Message:
    """An earlier copy of ``message`` (the tracker keeps only where it was), to delete it."""
    return replace(message, id=message_id, channel=channel, text="", raw=None)


def _detail(channel: str, evidence: str) -> str:
    """What a strike's record says about the ad (``#channel: evidence``)."""
    return f"#{channel}: {evidence}"


def _why_label(why: str) -> str:
    return "outside the ad window" if why == "outside" else "over the window's quota"


async def _enforce(ctx: PluginContext, message: Message, finding: Finding, why: str) -> None:
    cfg: AdWindowConfig = ctx.config
    say = _say(ctx)
    member = message.author
    now = ctx.now()
    channel = message.channel.name or message.channel.id
    await ctx.strikes.add(member, str(say(f"kind_{finding.kind}")), lasts=cfg.strike_decay,
                          detail=_detail(channel, finding.evidence))
    # the person's strikes from every plugin (a guard strike counts) on every network
    count = await ctx.strikes.count(member)
    step = step_for(cfg.escalation, count)
    until = now + step.duration if step.action == "mute" and step.duration else None
    if until is not None:
        until = await _mute_until(ctx, member, until)

    upcoming = win.next_opening(cfg.windows, ctx.zone, now)
    next_open = _when(ctx, upcoming.opens if upcoming else None)
    kind = say(f"kind_{finding.kind}")
    if why == "quota":
        text = say("dm_quota", channel=channel, quota=cfg.per_window_quota, next_open=next_open)
    else:
        hint = say("in_ad_channels", channels=_channel_list(cfg.ad_channels)) if cfg.ad_channels else ""
        text = say("dm_outside", channel=channel, kind=kind, ad_channels=hint, next_open=next_open)
    until_text = _when(ctx, until) if until else ""
    text = f"{text} {say(f'step_{step.action}', strikes=count, until=until_text)}"
    await ctx.dm(member, text)  # before a kick or ban, while the member can still receive it

    reason = f"ad_window: strike {count} ({finding.kind}, {_why_label(why)})"
    await _apply(ctx, member, step, until, reason)
    if cfg.audit_channel:
        await ctx.send(
            cfg.audit_channel,
            say(
                "audit",
                mention=member.name_and_id,
                channel=channel,
                kind=say(f"label_{finding.kind}"),
                evidence=literal(finding.evidence),
                why=say(f"why_{why}"),
                strikes=count,
                action=say(f"action_{step.action}", until=until_text),
            ),
        )


async def _mute_until(ctx: PluginContext, member: Member, until: datetime) -> datetime:
    """A new mute never shortens one already running."""
    key = _unmute_key(member)
    for job in await ctx.jobs(key):
        if job.key == key and job.due > until:
            return job.due
    return until


async def _apply(
    ctx: PluginContext, member: Member, step: Step, until: datetime | None, reason: str
) -> None:
    if step.action == "mute" and until is not None:
        if await ctx.mute(member, until, reason) and ctx.can(Capability.MUTE, member.platform):
            await ctx.schedule(
                _unmute_key(member), until, data={"platform": member.platform, "id": member.id}
            )
    elif step.action == "kick":
        await ctx.kick(member, reason)
    elif step.action == "ban":
        await ctx.ban(member, reason)


def _unmute_key(member: Member) -> str:
    return f"{UNMUTE_PREFIX}{member.platform}:{member.id}"


@hookimpl
async def on_forget(ctx: PluginContext, platform: str, member_id: str) -> None:
    await _records(ctx).forget((platform, member_id))


@hookimpl
async def on_persons_merged(ctx: PluginContext, kept: int, merged: int) -> None:
    await _records(ctx).merge(kept, merged)


@hookimpl
async def on_strikes_pardoned(ctx: PluginContext, person: Person, count: int, by: Member) -> None:
    """A pardon lifts the mute ad_window imposed (on every account of the person)."""
    cfg: AdWindowConfig = ctx.config
    accounts = ctx.accounts(person)
    lifted = False
    for record in accounts:
        lifted = await ctx.cancel(_unmute_key(record.member)) or lifted
    if lifted:  # on every linked account
        await ctx.unmute(accounts[0].member)
    if cfg.audit_channel:
        mention = accounts[0].member.name_and_id if accounts else f"#{person.id}"
        await ctx.send(cfg.audit_channel, _say(ctx)("audit_pardon", actor=by.name_and_id,
                                                   mention=mention, count=count))
    if lifted:
        log.info("mute of person %d lifted: pardoned", person.id)


async def _adopt(ctx: PluginContext) -> None:
    """Bring state from before the core's strike ledger and people over to them (once)."""
    cfg: AdWindowConfig = ctx.config
    records = _records(ctx)
    async with ctx.store.transaction():
        for account in await records.unkeyed():
            await records.key_on(account, (await ctx.person(account)).id)
        legacy = await records.take_legacy_strikes()
        for strike in legacy:
            await ctx.strikes.add(strike.account, str(_say(ctx)(f"kind_{strike.kind}")),
                                  lasts=cfg.strike_decay,
                                  detail=_detail(strike.channel, strike.evidence), given=strike.at)
    if legacy:
        log.info("%s: %d ad strikes moved to the core's strike ledger", ctx.key, len(legacy))


# --------------------------------------------------------------------------- time


@hookimpl
async def on_startup(ctx: PluginContext) -> None:
    ctx.cache.pop(STATE, None)
    await _adopt(ctx)
    await _records(ctx).prune(ctx.now(), KEEP_QUOTA)
    await _schedule_announcements(ctx, keep_overdue=True)


async def _schedule_announcements(ctx: PluginContext, *, keep_overdue: bool) -> None:
    cfg: AdWindowConfig = ctx.config
    now = ctx.now()
    upcoming = win.next_opening(cfg.windows, ctx.zone, now)
    closing = win.next_closing(cfg.windows, ctx.zone, now)
    if not cfg.announce.channel or upcoming is None or closing is None:
        await ctx.cancel(OPEN_JOB)
        await ctx.cancel(CLOSE_JOB)
        return
    for key, at in ((OPEN_JOB, upcoming.opens), (CLOSE_JOB, closing.closes)):
        if keep_overdue and any(j.key == key and j.due <= now for j in await ctx.jobs(key)):
            continue  # missed while stopped: it runs now and reschedules itself
        await ctx.schedule(key, at)


@hookimpl
async def on_job_due(ctx: PluginContext, job: Job) -> None:
    if job.key.startswith(UNMUTE_PREFIX):
        # Where mutes do not end by themselves the core lifts them at the same time: once.
        if ctx.can(Capability.TIMED_MUTE, job.data["platform"]):
            member = await ctx.get_member(job.data["platform"], job.data["id"])
            if member is not None:
                await ctx.unmute(member)
        return
    if job.key not in (OPEN_JOB, CLOSE_JOB):
        log.warning("unknown job %s; dropped", job.key)
        return
    cfg: AdWindowConfig = ctx.config
    say = _say(ctx)
    now = ctx.now()
    current = win.current(cfg.windows, ctx.zone, now)
    channel = cfg.announce.channel
    if channel and now - job.due <= LATE_ANNOUNCEMENT:
        if job.key == OPEN_JOB and current is not None:
            hint = (
                say("in_ad_channels", channels=_channel_list(cfg.ad_channels)) if cfg.ad_channels else ""
            )
            await ctx.send(
                channel,
                say("announce_open", close=_when(ctx, current.closes), quota=cfg.per_window_quota,
                    ad_channels=hint),
            )
        elif job.key == CLOSE_JOB and current is None:
            upcoming = win.next_opening(cfg.windows, ctx.zone, now)
            await ctx.send(
                channel, say("announce_close", next_open=_when(ctx, upcoming.opens if upcoming else None))
            )
    if job.key == CLOSE_JOB:
        await _records(ctx).prune(now, KEEP_QUOTA)
    await _schedule_announcements(ctx, keep_overdue=False)


# --------------------------------------------------------------------------- commands


async def _cmd_ads(inv: Invocation) -> str:
    ctx = inv.ctx
    cfg: AdWindowConfig = ctx.config
    say = _say(ctx)
    records = _records(ctx)
    who = (await ctx.person(inv.member)).id
    now = ctx.now()
    current = win.current(cfg.windows, ctx.zone, now)
    if current is not None:
        left = max(cfg.per_window_quota - await records.used(who, current.key), 0)
        text = say("ads_open", close=_when(ctx, current.closes), left=left, quota=cfg.per_window_quota)
    else:
        upcoming = win.next_opening(cfg.windows, ctx.zone, now)
        if upcoming is None:
            text = say("ads_none")
        else:
            text = say("ads_closed", next_open=_when(ctx, upcoming.opens),
                       close=_when(ctx, upcoming.closes), quota=cfg.per_window_quota)
    passes = await records.passes(who)
    if passes:
        text += say("ads_passes", passes=passes)
    if cfg.ad_channels:
        text += say("ads_channels", channels=_channel_list(cfg.ad_channels))
    return str(text)


async def _cmd_adpass(inv: Invocation) -> str:
    ctx = inv.ctx
    cfg: AdWindowConfig = ctx.config
    say = _say(ctx)
    member: Member = inv.args["member"]
    held = await _records(ctx).grant_pass(member.key, (await ctx.person(member)).id)
    if cfg.audit_channel:
        await ctx.send(
            cfg.audit_channel,
            say("audit_pass", actor=inv.member.name_and_id, mention=member.name_and_id, passes=held),
        )
    return say("pass_granted", mention=member.name_and_id, passes=held)
