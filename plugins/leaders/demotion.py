"""Demotion of silent leaders.

A daily job (``watch``) looks at every leader: one silent for
``inactive_after`` (no message, reaction or command on any of their
networks) is told by DM, the warning is kept (``leaders_warnings``) and a job
``demote:PERSON`` is scheduled a week later. Then, if they are still silent
since the warning, the leader role (and so the powers) is taken back; the
council and the cohorts follow the role change (``on_role_changed``). A
leader who speaks in the meantime keeps the role and their warning is
dropped. Everything is stored and scheduled with the core's scheduler, so a
restart loses nothing.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from hearth import Job, PluginContext, Role, format_duration, from_ms, mention, to_ms
from hearth.plugins.leaders.census import Census, census, tell_owner
from hearth.plugins.leaders.texts import say_for

log = logging.getLogger(__name__)

WATCH = "watch"
JOB = "demote:"
#: how long a warned leader has to speak up
GRACE = timedelta(days=7)


async def warnings(ctx: PluginContext) -> dict[int, int]:
    """Person -> when they were warned (epoch ms)."""
    return {int(r["person"]): int(r["at_ms"]) for r in await ctx.store.select("warnings")}


def inactive(ctx: PluginContext, people: Census) -> list[int]:
    """The leaders silent for ``inactive_after`` or longer."""
    limit = ctx.now() - ctx.config.inactive_after
    return [p for p in people.with_role(Role.LEADER) if people.silent_since(p) <= limit]


async def _drop(ctx: PluginContext, person: int) -> None:
    await ctx.store.delete("warnings", "person = ?", (person,))
    await ctx.cancel(f"{JOB}{person}")


async def watch(ctx: PluginContext) -> None:
    """Warn the leaders newly silent too long; forget the warnings of those who spoke since."""
    people = await census(ctx)
    warned = await warnings(ctx)
    leaders = set(people.with_role(Role.LEADER))
    for person, at_ms in warned.items():
        if person not in leaders or people.silent_since(person) > from_ms(at_ms):
            await _drop(ctx, person)
    say = say_for(ctx)
    for person in inactive(ctx, people):
        if person in warned:
            continue
        record = people.people[person][0]
        silent = format_duration(ctx.now() - people.silent_since(person))
        await ctx.store.insert("warnings", {"person": person, "at_ms": to_ms(ctx.now())},
                               on_conflict=("person",))
        await ctx.dm(record.member, say("inactive_warning", community=ctx.key, silent=silent,
                                        prefix=ctx.prefix))
        await ctx.schedule(f"{JOB}{person}", ctx.now() + GRACE, data={"person": person})
        log.info("%s: leader %s:%s silent for %s, told", ctx.key, record.platform, record.id, silent)


async def demote(ctx: PluginContext, job: Job) -> None:
    """A warned leader's week is up: still silent, they are no longer a leader."""
    person = int(job.data["person"])
    at_ms = (await warnings(ctx)).get(person)
    if at_ms is None:
        return
    people = await census(ctx)
    if (person not in people.people or people.highest(person) != Role.LEADER
            or people.silent_since(person) > from_ms(at_ms)):
        await _drop(ctx, person)
        return
    record = people.people[person][0]
    await ctx.store.delete("warnings", "person = ?", (person,))
    await ctx.revoke_role(record.member, Role.LEADER)
    say = say_for(ctx)
    await ctx.dm(record.member, say("demoted", community=ctx.key))
    log.info("%s: leader %s:%s demoted after staying silent", ctx.key, record.platform, record.id)
    await tell_owner(ctx, people, say("demoted_owner", who=mention(record)))
