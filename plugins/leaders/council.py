"""The council: the configured ``channel`` is the leaders' room.

Where the channel is mapped (the community's ``channels``), the people let in
are kept (``leaders_council``); :func:`sync` invites every leader not yet in
(``ctx.invite``: on each network the channel is mapped on, through the
person's account there) and removes everyone in who no longer leads
(``ctx.remove_from_channel``). On a network of the community where the
channel is not mapped, the bot makes the room itself: a permanent group of
the core's group service (:data:`ROOM`), whose recorded members are brought
in step the same way. :func:`sync` runs whenever a leader is made or
unmade, at start-up and at each review, so the room follows the list even
after a restart or a refusal by the network. :func:`post` writes to the
council on every network.
"""

from __future__ import annotations

import logging

from hearth import Channel, Member, PluginContext, Role, Text, mention
from hearth.groups import Group
from hearth.plugins.leaders.census import Census
from hearth.plugins.leaders.texts import say_for

log = logging.getLogger(__name__)

#: the name of the room the bot makes on a network where the council channel is not mapped
ROOM = "leaders-council"


async def rooms(ctx: PluginContext) -> dict[str, Group]:
    """Network -> the council room the bot made there (where the channel is not mapped)."""
    return {g.platform: g for g in await ctx.groups.open() if g.data.get("council")}


async def post(ctx: PluginContext, text: Text | str) -> None:
    """Post ``text`` in the council, on every network (nothing without a council)."""
    channel = ctx.config.channel
    if channel is None:
        return
    targets: dict[tuple[str, str], Channel] = {c.key: c for c in ctx.channels(channel)}
    targets.update((g.channel.key, g.channel) for g in (await rooms(ctx)).values())
    for target in targets.values():
        await ctx.send(target, text)


async def sync(ctx: PluginContext, people: Census) -> None:
    channel = ctx.config.channel
    if channel is None:
        return
    leaders = set(people.with_role(Role.LEADER))
    welcome: list[int] = []
    made = await rooms(ctx)
    mapped = {c.platform for c in ctx.channels(channel)} - {g.platform for g in made.values()}
    if mapped:
        welcome += await _sync_mapped(ctx, people, channel, leaders)
    for adapter in ctx.adapters:
        if adapter.name not in mapped:  # a network without groups is logged once by ctx.groups
            welcome += await _sync_room(ctx, people, adapter.name, made.get(adapter.name), leaders)
    for person in sorted(set(welcome)):
        await post(ctx, say_for(ctx)("council_welcome", who=mention(people.people[person][0]),
                                     prefix=ctx.prefix))


async def _sync_mapped(ctx: PluginContext, people: Census, channel: str, leaders: set[int]) -> list[int]:
    """Bring the mapped channel in step; the people let in now."""
    inside = {int(r["person"]) for r in await ctx.store.select("council")}
    added = []
    for person in sorted(leaders - inside):
        if await ctx.invite(channel, people.people[person][0].member):
            await ctx.store.insert("council", {"person": person}, on_conflict=("person",))
            added.append(person)
    for person in sorted(inside - leaders):
        records = people.people.get(person) or ctx.accounts(person)
        if records and not await ctx.remove_from_channel(channel, records[0].member):
            continue  # the network refused: tried again at the next sync
        await ctx.store.delete("council", "person = ?", (person,))
        log.info("%s: person %s left the council", ctx.key, person)
    return added


async def _sync_room(ctx: PluginContext, people: Census, platform: str, room: Group | None,
                     leaders: set[int]) -> list[int]:
    """Bring the bot's own council room on ``platform`` in step (made now if missing)."""
    want = {r.id: (p, r.member) for p in leaders for r in people.people[p] if r.platform == platform}
    if room is None:
        made = await ctx.groups.create(platform, ROOM, [m for _, m in want.values()],
                                       topic=str(say_for(ctx)("council_topic", community=ctx.key)),
                                       data={"council": True})
        return [p for p, _ in want.values()] if made is not None else []
    added = []
    for member_id in sorted(want.keys() - set(room.members)):
        person, member = want[member_id]
        if await ctx.groups.invite(room, member):
            added.append(person)
    for member_id in sorted(set(room.members) - want.keys()):
        await ctx.groups.remove(room, Member(platform=platform, id=member_id, name=member_id))
    return added
