"""The joining ritual: welcome (in bursts), rules, acceptance, deadline, introduction, reminders."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from hearth import (
    Answer,
    Capability,
    Job,
    Member,
    Message,
    Outcome,
    PluginContext,
    Reaction,
    Role,
    Text,
    format_duration,
    from_ms,
    mention,
    to_ms,
)
from hearth.i18n import texts

from . import codes, questions, records
from .records import HELD, LEFT, Codes, Newcomer, Newcomers
from .texts import DEFAULTS

log = logging.getLogger(__name__)

BURST_JOB = "burst"
REMINDER_JOB = "reminder"
#: a burst welcome names at most this many newcomers and counts the rest
NAMED_IN_BURST = 5
# what a queued action's outcome is for (``then=``)
#: how often a newcomer waiting for approval is reminded of the wait
HELD_REMINDER = timedelta(days=1)
RULES_DM = "rules_dm"
RULES_POST = "rules_post"
TELL = "tell"
KICKED = "kicked"


# --------------------------------------------------------------------------- helpers


def say_for(ctx: PluginContext) -> Callable[..., str]:
    """The text function for this community; ``message``, the community's ``rules`` and
    ``prompt`` override their texts."""
    cfg = ctx.config
    overrides = dict(cfg.texts)
    if cfg.message:
        overrides["welcome"] = cfg.message
    if ctx.community.rules:
        overrides["rules_default"] = ctx.community.rules.strip()
    if cfg.introduction.prompt:
        overrides["intro_prompt"] = cfg.introduction.prompt
    return texts(DEFAULTS, ctx.language, overrides)


def community_name(ctx: PluginContext) -> str:
    return ctx.config.community_name or ctx.key


def welcome_channel(ctx: PluginContext) -> str | None:
    """The configured channel, else the community's first channel."""
    return ctx.config.channel or next(iter(ctx.community.channels), None)


def intro_channel(ctx: PluginContext) -> str | None:
    return ctx.config.introduction.channel or welcome_channel(ctx)


def rules(ctx: PluginContext) -> str:
    return say_for(ctx)("rules_default")


def accept_command(ctx: PluginContext) -> str:
    return f"{ctx.prefix}{ctx.config.accept.command}"


def code_command(ctx: PluginContext) -> str:
    return f"{ctx.prefix}code"


def short_duration(delta: timedelta) -> str:
    """``24h`` rather than ``1d`` for deadlines up to three days; else ``7d``, ``1h30m``."""
    hours, rest = divmod(int(delta.total_seconds()), 3600)
    return f"{hours}h" if not rest and 0 < hours <= 72 else format_duration(delta)


def values(ctx: PluginContext, **extra: Any) -> dict[str, Any]:
    """Placeholders every text may use."""
    return {
        "community": community_name(ctx),
        "command": accept_command(ctx),
        "code_command": code_command(ctx),
        "within": short_duration(ctx.config.accept.within),
        "rules": rules(ctx),
        **extra,
    }


def how_to_accept(ctx: PluginContext, platform: str, *, on_message: bool,
                  deadline: datetime | None = None) -> str:
    """How to finish the ritual: the command, the reaction (on a rules message), the code.

    With ``deadline`` (for someone already in the ritual) it names the local time to act by.
    """
    say = say_for(ctx)
    reaction = ctx.config.accept.reaction
    or_react = ""
    if on_message and reaction and ctx.can(Capability.REACTIONS, platform):
        or_react = say("or_react", reaction=reaction)
    if deadline is None:
        text = say("how_accept", **values(ctx, or_react=or_react))
    elif deadline <= ctx.now():  # past a remind/nothing timeout: no deadline left
        text = say("how_accept_late", **values(ctx, or_react=or_react))
    else:
        text = say("how_accept_by", **values(
            ctx, or_react=or_react, deadline=ctx.local(deadline).strftime("%Y-%m-%d %H:%M")))
    if ctx.config.gate.invitation_codes:
        text += "\n" + say("how_code", **values(ctx))
    return text


def mentions(ctx: PluginContext, people: Sequence[Newcomer]) -> str:
    """The newcomers' mentions; past :data:`NAMED_IN_BURST`, the rest are counted."""
    shown = Text(", ").join(p.mention for p in people[:NAMED_IN_BURST])
    if len(people) <= NAMED_IN_BURST:
        return shown
    return say_for(ctx)("and_others", shown=shown, count=f"{len(people) - NAMED_IN_BURST:,}")


def names(ctx: PluginContext, people: Sequence[Newcomer]) -> str:
    shown = ", ".join(p.name for p in people[:NAMED_IN_BURST])
    if len(people) <= NAMED_IN_BURST:
        return shown
    return say_for(ctx)("and_others", shown=shown, count=f"{len(people) - NAMED_IN_BURST:,}")


def deadline_key(platform: str, member_id: str) -> str:
    return f"deadline:{platform}:{member_id}"


def same_emoji(a: str, b: str) -> bool:
    return a.replace("\ufe0f", "") == b.replace("\ufe0f", "")


async def tell(ctx: PluginContext, member: Member, text: str) -> None:
    """DM ``member``; where DMs fail, mention them in the welcome channel instead."""
    data = {"who": Text(mention(member)).to_json(), "text": Text(text).to_json()}
    if await ctx.dm(member, text, then=TELL, data=data) is None:
        await _tell_in_channel(ctx, mention(member), text)


async def _tell_in_channel(ctx: PluginContext, who: Text, text: str) -> None:
    channel = welcome_channel(ctx)
    if channel:
        named = isinstance(text, Text) and not set(who.mentions).isdisjoint(text.mentions)
        await ctx.send(channel, text if named else who + " " + text)


# --------------------------------------------------------------------------- joining


async def on_join(ctx: PluginContext, member: Member, invited_by: str | None) -> None:
    cfg = ctx.config
    if member.is_bot or member.role > Role.MEMBER:
        return  # bots and staff (a leader's roles kept across a rejoin) skip the ritual
    now = ctx.now()
    people = Newcomers(ctx.store)
    await people.start(member.platform, member.id, member.name, now=now, invited_by=invited_by,
                       code_ok=not cfg.gate.invitation_codes)
    _forget_settled(ctx, member)
    await ctx.grant_role(member, Role.NEWCOMER)
    await ctx.schedule(deadline_key(member.platform, member.id), now + cfg.accept.within,
                       data={"platform": member.platform, "id": member.id})
    if "dm" in cfg.rules_delivery:
        text = say_for(ctx)("rules_dm", **values(
            ctx, name=member.name, how=how_to_accept(ctx, member.platform, on_message=True)))
        data = {"platform": member.platform, "id": member.id}
        if await ctx.dm(member, text, then=RULES_DM, data=data) is None:
            await people.update(member.platform, member.id, rules_in_channel=1)
    if cfg.burst is None:
        await welcome_batch(ctx)
    elif not await ctx.jobs(BURST_JOB):
        await ctx.schedule(BURST_JOB, now + cfg.burst)


async def welcome_batch(ctx: PluginContext) -> None:
    """Welcome everyone who joined and has not been welcomed yet, in one message."""
    people = Newcomers(ctx.store)
    batch = await people.unwelcomed()
    if not batch:
        return
    say = say_for(ctx)
    channel = welcome_channel(ctx)
    if channel is None:
        log.warning("welcome has no channel to post in (set welcome.channel)")
    else:
        count = await ctx.member_count()
        if len(batch) == 1:
            person = batch[0]
            text = say("welcome", **values(ctx, mention=person.mention, name=person.name,
                                             member_count=count, inviter=await _inviter(ctx, person)))
        else:
            text = say("welcome_many", **values(ctx, mentions=mentions(ctx, batch),
                                                  names=names(ctx, batch), member_count=count))
        prompt = say("intro_prompt")
        if prompt.strip():
            text += "\n" + say("intro_invite", mentions=mentions(ctx, batch), prompt=prompt,
                               channel=intro_channel(ctx))
        await ctx.send(channel, text)
        readers = [p for p in batch
                   if p.pending and ("channel" in ctx.config.rules_delivery or p.rules_in_channel)]
        if readers:
            await _post_rules(ctx, channel, readers)
    for person in batch:
        await people.update(person.platform, person.member_id, welcomed=1)


async def _post_rules(ctx: PluginContext, channel: str, readers: Sequence[Newcomer]) -> None:
    """Post the rules for ``readers``; the message is remembered for reaction acceptance."""
    post = say_for(ctx)("rules_post", **values(
        ctx, mentions=mentions(ctx, readers),
        how=how_to_accept(ctx, readers[0].platform, on_message=True)))
    await ctx.send(channel, post, then=RULES_POST, data={"members": [p.member_id for p in readers]})


async def _inviter(ctx: PluginContext, person: Newcomer) -> str:
    found = await Codes(ctx.store).inviter_since(person.platform, person.member_id, person.joined_at)
    if found is not None:
        return inviter(ctx, *found)
    return inviter(ctx, person.platform, person.invited_by) if person.invited_by else ""


def inviter(ctx: PluginContext, platform: str, member_id: str) -> str:
    """A mention of an inviter by their id on ``platform`` (the directory has their name);
    empty when the directory does not know them (their id is never shown)."""
    record = ctx.member((platform, member_id))
    return mention(record) if record is not None else ""


async def flush_due(ctx: PluginContext) -> None:
    await welcome_batch(ctx)
    if ctx.config.burst is not None and await Newcomers(ctx.store).unwelcomed():
        await ctx.schedule(BURST_JOB, ctx.now() + ctx.config.burst)  # joined while we were posting


async def on_leave(ctx: PluginContext, member: Member) -> None:
    people = Newcomers(ctx.store)
    person = await people.get(member.platform, member.id)
    if person is not None:
        await people.update(member.platform, member.id, status=LEFT,
                            left_ms=to_ms(person.left_at or ctx.now()))
    await ctx.cancel(deadline_key(member.platform, member.id))
    await ctx.cancel(questions.wait_key(member.platform, member.id))
    await ctx.cancel(held_key(member.platform, member.id))


async def on_removed(ctx: PluginContext, member: Member, reason: str, by: str) -> None:
    """``by`` removed ``member``: the referral tree shows it, and an invitee removed for
    strikes (ads, upheld reports) within :data:`~.codes.PENALTY_WITHIN` of joining costs
    their inviter one use of their code budget."""
    if by == ctx.plugin:
        return  # turned away by a gate: recorded once the kick went through (KICKED)
    people = Newcomers(ctx.store)
    person = await people.get(member.platform, member.id)
    if person is None:
        return
    await people.update(member.platform, member.id, removed=1)
    now = ctx.now()
    if now - person.joined_at > codes.PENALTY_WITHIN:
        return  # long settled: nobody answers for them
    if not any(strike.source == by for strike in await ctx.strikes.active(member)):
        return  # removed by hand, not for strikes
    found = await Codes(ctx.store).inviter_since(member.platform, member.id, person.joined_at)
    if found is None and person.invited_by:
        found = (member.platform, person.invited_by)
    if found is None:
        return
    inviter_person = await ctx.person(found)
    if not await Codes(ctx.store).penalize(inviter_person.id, member.key, now):
        return
    log.info("%s was removed by %s within %s of joining: %s:%s loses one invitation", member.id, by,
             codes.PENALTY_WITHIN, *found)
    record = ctx.member(found)
    if ctx.config.gate.codes_per_issuer is not None and record is not None and record.present:
        await tell(ctx, record.member, say_for(ctx)("invite_penalty", name=member.name, reason=reason))


# --------------------------------------------------------------------------- acceptance


async def agree(ctx: PluginContext, member: Member) -> str:
    """The member accepts the rules; the reply to give them."""
    people = Newcomers(ctx.store)
    say = say_for(ctx)
    person = await people.get(member.platform, member.id)
    if person is None or not person.pending:
        return say("already_member")
    if not person.agreed:
        await people.update(member.platform, member.id, agreed=1)
        person = replace(person, agreed=True)
        if not questions.done(ctx, person):  # the questions follow the rules
            await questions.ask_next(ctx, member, person)
    if not questions.done(ctx, person):
        return say("questions_pending")
    return await proceed(ctx, member, person)


async def proceed(ctx: PluginContext, member: Member, person: Newcomer) -> str:
    """After the rules: the questions or the code if still missing, else membership."""
    if not questions.done(ctx, person):
        return say_for(ctx)("questions_left")
    if not person.code_ok:
        return say_for(ctx)("need_code", **values(ctx))
    return await complete(ctx, member)


async def answered(ctx: PluginContext, member: Member, answer: Answer, data: dict[str, Any]) -> None:
    """A newcomer answered a gate question (see :mod:`.questions`)."""
    say = say_for(ctx)
    outcome = await questions.record(ctx, member, answer, data)
    if outcome == "wrong":
        question = ctx.config.gate.questions[data["index"]]
        text = say("question_wrong")
        if question.hint:
            text += "\n" + say("question_hint", hint=question.hint)
        await tell(ctx, member, text)
        person = await Newcomers(ctx.store).get(member.platform, member.id)
        assert person is not None
        await questions.ask_next(ctx, member, person)
    elif outcome == "wait":
        await tell(ctx, member, say("question_wait", minutes=int(questions.WAIT.total_seconds() // 60)))
    elif outcome == "done":
        person = await Newcomers(ctx.store).get(member.platform, member.id)
        assert person is not None
        await tell(ctx, member, await proceed(ctx, member, person))


async def complete(ctx: PluginContext, member: Member) -> str:
    """Every gate is passed: the newcomer becomes a member, or, with ``gate.approval``,
    waits for a person (the deadline no longer applies)."""
    if ctx.config.gate.approval is not None:
        return await hold_for_approval(ctx, member)
    return await admit(ctx, member)


async def admit(ctx: PluginContext, member: Member) -> str:
    """The newcomer becomes a member; the text telling them so."""
    people = Newcomers(ctx.store)
    await people.update(member.platform, member.id, status="accepted", accepted_ms=to_ms(ctx.now()))
    await ctx.cancel(deadline_key(member.platform, member.id))
    await ctx.cancel(questions.wait_key(member.platform, member.id))
    await ctx.cancel(held_key(member.platform, member.id))
    await ctx.grant_role(member, Role.MEMBER)
    await ctx.revoke_role(member, Role.NEWCOMER)
    return say_for(ctx)("accepted", **values(ctx, mention=mention(member), name=member.name))


def held_key(platform: str, member_id: str) -> str:
    """The daily reminder to a newcomer waiting for approval."""
    return f"held:{platform}:{member_id}"


def approval_channel(ctx: PluginContext) -> str | None:
    approval = ctx.config.gate.approval
    return (approval.channel if approval is not None else None) or welcome_channel(ctx)


async def hold_for_approval(ctx: PluginContext, member: Member) -> str:
    """Hold ``member`` for a person's review: the request (introduction, answers) goes to
    ``approval.channel``; the deadline stops; a daily reminder of the wait starts."""
    people = Newcomers(ctx.store)
    person = await people.get(member.platform, member.id)
    await people.update(member.platform, member.id, status=HELD)
    await ctx.cancel(deadline_key(member.platform, member.id))
    key = held_key(member.platform, member.id)
    await ctx.schedule(key, ctx.now() + HELD_REMINDER,
                       data={"platform": member.platform, "id": member.id, "since": to_ms(ctx.now())})
    say = say_for(ctx)
    lines = [say("approval_request", mention=mention(member), approve=f"{ctx.prefix}approve",
                 reject=f"{ctx.prefix}reject")]
    if person is not None and person.intro_message is not None:
        lines.append(say("approval_introduced", channel=intro_channel(ctx)))
    for question, answer in await records.answers(ctx.store, (await ctx.person(member)).id):
        lines.append(f"{question} {answer}")
    channel = approval_channel(ctx)
    if channel:
        await ctx.send(channel, Text("\n").join(lines))
    return say("held")


async def held_reminder_due(ctx: PluginContext, job: Job) -> None:
    """Once a day: remind a held newcomer that a person will review them."""
    person = await Newcomers(ctx.store).get(job.data["platform"], job.data["id"])
    if person is None or not person.held:
        return
    member = await ctx.get_member(person.platform, person.member_id)
    if member is None:
        return
    since = from_ms(job.data["since"]) if "since" in job.data else person.joined_at  # older jobs
    await tell(ctx, member, say_for(ctx)("held_reminder", **values(
        ctx, since=ctx.local(since).strftime("%Y-%m-%d %H:%M"))))
    await ctx.schedule(job.key, ctx.now() + HELD_REMINDER, data=job.data)


async def on_reaction(ctx: PluginContext, reaction: Reaction) -> None:
    wanted = ctx.config.accept.reaction
    if not wanted or not same_emoji(reaction.emoji, wanted):
        return
    member = reaction.member
    people = Newcomers(ctx.store)
    person = await people.get(member.platform, member.id)
    if person is None or not person.pending:
        return
    if not await people.is_rules_message(reaction.platform, reaction.message_id, member.id):
        return
    text = await agree(ctx, member)
    if reaction.channel.is_dm:
        await ctx.dm(member, text)
    else:
        await ctx.send(reaction.channel, text)


# --------------------------------------------------------------------------- deadline


def gates_not_passed(ctx: PluginContext, person: Newcomer) -> str:
    """The gates ``person`` has not passed yet, named for a text ("accept the rules and ...")."""
    say = say_for(ctx)
    gates = (("gate_rules", person.agreed), ("gate_questions", questions.done(ctx, person)),
             ("gate_code", person.code_ok))
    missing = [say(key) for key, passed in gates if not passed]
    return say("gates_and").join(missing)


async def deadline_due(ctx: PluginContext, job: Job) -> None:
    platform, member_id = job.data["platform"], job.data["id"]
    people = Newcomers(ctx.store)
    person = await people.get(platform, member_id)
    if person is None or not person.pending:
        return
    member = await ctx.get_member(platform, member_id)
    if member is None:
        await people.update(platform, member_id, status=LEFT, left_ms=to_ms(ctx.now()))
        return
    say = say_for(ctx)
    action = ctx.config.accept.on_timeout
    if action == "kick":
        # Recorded as left once the kick went through (on_action_done), not before.
        reason = say("kick_reason", **values(ctx, gates=gates_not_passed(ctx, person)))
        if await ctx.kick(member, reason, then=KICKED,
                          data={"platform": platform, "id": member_id}):
            return
        log.warning("cannot kick %s on %s: reminding instead", member_id, platform)
        action = "remind"
    if action == "remind" and not person.reminded:
        await tell(ctx, member, say("timeout_remind", **values(ctx, mention=mention(member))))
        await people.update(platform, member_id, reminded=1)


# --------------------------------------------------------------------------- outcomes


async def on_action_done(ctx: PluginContext, outcome: Outcome) -> None:
    """Records follow what the network really did with the actions queued above."""
    people = Newcomers(ctx.store)
    if outcome.key == RULES_DM:
        platform, member_id = outcome.data["platform"], outcome.data["id"]
        if outcome.ok:
            for sent in outcome.sent:
                await people.remember_rules_message(sent.platform, sent.id, [member_id])
            return
        log.info("the rules could not be sent to %s by DM (%s); posting them in the channel",
                 member_id, outcome.status)
        await people.update(platform, member_id, rules_in_channel=1)
        person = await people.get(platform, member_id)
        channel = welcome_channel(ctx)
        if person is not None and person.pending and person.welcomed and channel:
            await _post_rules(ctx, channel, [person])  # the welcome has gone already
    elif outcome.key == RULES_POST and outcome.ok:
        for sent in outcome.sent:
            await people.remember_rules_message(sent.platform, sent.id, outcome.data["members"])
    elif outcome.key == TELL and not outcome.ok:
        data = outcome.data
        if "who" in data:
            await _tell_in_channel(ctx, Text.from_json(data["who"]), Text.from_json(data["text"]))
        else:  # queued by an older version, which kept the text as it was shown
            await _tell_in_channel(ctx, Text(data["mention"]), data["text"])
    elif outcome.key == KICKED:
        platform, member_id = outcome.data["platform"], outcome.data["id"]
        if outcome.status in ("done", "gone"):
            await people.update(platform, member_id, status=LEFT, removed=1)
        else:
            log.warning("%s was not removed after the deadline (%s: %s); they stay a newcomer",
                        member_id, outcome.status, outcome.error)


# --------------------------------------------------------------------------- introductions


# Members with no introduction pending (never joined through the ritual, left, or done),
# so ordinary chat in the introduction channel costs no database lookup. In ``ctx.cache``:
# emptied when this process acts for the community again (another one may have seen joins
# meanwhile), and at a restart; a join forgets the member (see on_join).
SETTLED = "settled"


def _settled(ctx: PluginContext) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = ctx.cache.setdefault(SETTLED, set())
    return found


def _forget_settled(ctx: PluginContext, member: Member) -> None:
    _settled(ctx).discard(member.key)


async def on_message(ctx: PluginContext, message: Message) -> None:
    if message.channel.is_dm or message.channel.name != intro_channel(ctx):
        return
    author = message.author
    settled = _settled(ctx)
    if author.key in settled:
        return
    people = Newcomers(ctx.store)
    person = await people.get(author.platform, author.id)
    if person is None or person.status == LEFT or person.introduced_at is not None:
        if len(settled) > 100_000:
            settled.clear()
        settled.add(author.key)
        return
    settled.add(author.key)
    await people.update(author.platform, author.id, introduced_ms=message.time_ms,
                        intro_message=message.id)
    log.info("%s introduced themselves (message %s)", author.id, message.id)
    if ctx.config.introduction.thank:
        await ctx.reply(message, say_for(ctx)("intro_thanks", **values(ctx, mention=mention(author))))


# --------------------------------------------------------------------------- reminders


async def schedule_reminder(ctx: PluginContext) -> None:
    """Declare the recurring reminder job from the config (idempotent across restarts)."""
    reminder = ctx.config.reminder
    if reminder.every is None:
        await ctx.cancel(REMINDER_JOB)
        return
    await ctx.ensure_schedule(REMINDER_JOB, every=reminder.every, at=reminder.at, day=reminder.day)


async def reminder_due(ctx: PluginContext) -> None:
    channel = ctx.config.reminder.channel or welcome_channel(ctx)
    if channel:
        await ctx.send(channel, say_for(ctx)("reminder", **values(ctx)))


async def catch_up(ctx: PluginContext) -> None:
    """After a restart: welcome joins whose burst job was lost (e.g. the config dropped ``burst``)."""
    if await Newcomers(ctx.store).unwelcomed() and not await ctx.jobs(BURST_JOB):
        if ctx.config.burst is None:
            await welcome_batch(ctx)
        else:
            await ctx.schedule(BURST_JOB, ctx.now())
