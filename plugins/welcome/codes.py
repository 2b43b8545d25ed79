"""Invitation codes: issuing, redeeming, and throttling wrong guesses."""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from hearth import Member, PluginContext, Role

from .records import Code, Codes

# No 0/O or 1/I/L: codes are read aloud and typed by hand.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_code(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def normalize(text: str) -> str:
    return text.strip().upper()


async def issue(ctx: PluginContext, issuer: Member, uses: int, lifetime: timedelta) -> Code:
    """Create a fresh code issued by ``issuer`` in this community."""
    codes = Codes(ctx.store)
    now = ctx.now()
    expires = now + lifetime
    while True:  # a clash is astronomically rare at the minimum length; just draw again
        code = new_code(ctx.config.gate.code_length)
        person = (await ctx.person(issuer)).id
        if await codes.add(code, issuer.platform, issuer.id, person, uses, expires, now):
            return Code(code=code, issuer_platform=issuer.platform, issuer_id=issuer.id,
                        uses_total=uses, uses_left=uses, expires=expires, issuer_person=person)


#: an invitee removed for strikes this soon after joining costs their inviter one use
PENALTY_WITHIN = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Budget:
    """What an issuer may still hand out under ``gate.codes_per_issuer``."""

    left: int
    count: int
    per: timedelta
    #: when the oldest use counted frees up again (None: nothing counted)
    next_free: datetime | None


async def budget(ctx: PluginContext, issuer: Member) -> Budget | None:
    """``issuer``'s budget now (their person's: every account counts); None without a limit,
    and for admins and the owner, who are exempt."""
    limit = ctx.config.gate.codes_per_issuer
    if limit is None or issuer.role >= Role.ADMIN:
        return None
    person = (await ctx.person(issuer)).id
    spent = await Codes(ctx.store).issued_since(person, ctx.now() - limit.per)
    used = sum(uses for _, uses in spent)
    next_free = spent[0][0] + limit.per if spent else None
    return Budget(max(0, limit.count - used), limit.count, limit.per, next_free)


Outcome = Literal["ok", "wrong", "expired", "used_up", "throttled"]


@dataclass(frozen=True, slots=True)
class Redemption:
    outcome: Outcome
    code: Code | None = None
    retry_minutes: int = 0


async def redeem(ctx: PluginContext, member: Member, text: str) -> Redemption:
    """Try to redeem ``text`` for ``member``; every failure counts towards the throttle (of the
    person: wrong guesses from each of their accounts add up)."""
    codes = Codes(ctx.store)
    throttle = ctx.config.gate.throttle
    now = ctx.now()
    person = (await ctx.person(member)).id
    recent = await codes.wrong_since(person, now - throttle.within)
    if len(recent) >= throttle.attempts:
        retry_at = recent[-throttle.attempts] + throttle.within
        return Redemption("throttled", retry_minutes=max(1, math.ceil((retry_at - now).total_seconds() / 60)))
    wanted = normalize(text)
    code = await codes.get(wanted)
    outcome: Outcome
    if code is None:
        outcome = "wrong"
    elif code.expires <= now:
        outcome = "expired"
    elif code.uses_left <= 0 or not await codes.redeem(code, member.platform, member.id, person, now):
        outcome = "used_up"
    else:
        return Redemption("ok", code)
    await codes.record_wrong(member.platform, member.id, person, wanted, now)
    return Redemption(outcome, code)


def local_date(ctx: PluginContext, when: datetime) -> str:
    return ctx.local(when).strftime("%Y-%m-%d %H:%M")
