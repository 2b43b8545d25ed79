"""The community's people as the pyramid sees them, and the stored cohorts.

Cohorts are kept (``leaders_cohorts``: person -> their leader) so they stay
stable: every reading settles them afresh with :func:`~.cohorts.assign`, from
the stored assignment, and stores what changed. A member who joined since is
placed then (with their inviter's leader where there is room), one who left
drops out, and a demoted leader's cohort is spread over the others.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from hearth import MemberRecord, PluginContext, Role, Text
from hearth.plugins.leaders.cohorts import assign

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Census:
    """The community's people as the pyramid sees them (bots left out)."""

    #: person id -> that person's directory records (their first account first)
    people: dict[int, list[MemberRecord]]
    #: (platform, id) -> person id
    person_of: dict[tuple[str, str], int]

    def highest(self, person: int) -> Role:
        return max(r.role for r in self.people[person])

    def with_role(self, role: Role) -> list[int]:
        return [p for p in self.people if self.highest(p) == role]

    def members(self) -> list[int]:
        """Everyone below the leaders (members and newcomers): the cohorts' people."""
        return [p for p in self.people if self.highest(p) <= Role.MEMBER]

    def last_active(self, person: int) -> datetime | None:
        """The person's last message, reaction or command on any network (None: never)."""
        seen = [r.last_active for r in self.people[person] if r.last_active is not None]
        return max(seen, default=None)

    def silent_since(self, person: int) -> datetime:
        """Since when the person did nothing on any network (or joined, if never active)."""
        return max(r.silent_since for r in self.people[person])

    def inviters(self) -> dict[int, int]:
        """Person -> the person who invited them, where the network said."""
        found: dict[int, int] = {}
        for person, records in self.people.items():
            for r in records:
                inviter = self.person_of.get((r.platform, r.invited_by)) if r.invited_by else None
                if inviter is not None and inviter != person:
                    found.setdefault(person, inviter)
        return found


async def census(ctx: PluginContext) -> Census:
    people: dict[int, list[MemberRecord]] = {}
    person_of: dict[tuple[str, str], int] = {}
    for record in ctx.members():
        if record.is_bot:
            continue
        number = (await ctx.person(record)).id
        people.setdefault(number, []).append(record)
        person_of[record.key] = number
    return Census(people, person_of)


async def cohorts(ctx: PluginContext, people: Census) -> dict[int, list[int]]:
    """Leader -> the people of their cohort, settled from the stored cohorts (see the module)."""
    previous = {int(r["person"]): int(r["leader"]) for r in await ctx.store.select("cohorts")}
    settled = assign(people.members(), people.with_role(Role.LEADER), ctx.config.span,
                     previous, people.inviters())
    now = {m: leader for leader, ms in settled.items() for m in ms}
    if now != previous:
        async with ctx.store.transaction():
            for person in previous.keys() - now.keys():
                await ctx.store.delete("cohorts", "person = ?", (person,))
            for person, leader in now.items():
                if previous.get(person) != leader:
                    await ctx.store.insert("cohorts", {"person": person, "leader": leader},
                                           on_conflict=("person",), update=("leader",))
    return settled


async def tell_owner(ctx: PluginContext, people: Census, text: Text) -> None:
    """DM ``text`` to the owner, on the first of their networks that takes it."""
    for owner in people.with_role(Role.OWNER):
        for record in people.people[owner]:
            member = await ctx.get_member(record.platform, record.id)
            if member is not None and await ctx.dm(member, text) is not None:
                return
    log.warning("%s: no owner reachable by DM for the leaders' plugin", ctx.key)
