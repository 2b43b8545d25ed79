"""The council: the configured ``channel`` is the leaders' room.

The people let in are kept (``leaders_council``); :func:`sync` invites every
leader not yet in (``ctx.invite``: on each network the channel is mapped on,
through the person's account there) and removes everyone in who no longer
leads (``ctx.remove_from_channel``). It runs whenever a leader is made or
unmade, at start-up and at each review, so the room follows the list even
after a restart or a refusal by the network.
"""

from __future__ import annotations

import logging

from hearth import PluginContext, Role, mention
from hearth.plugins.leaders.census import Census
from hearth.plugins.leaders.texts import say_for

log = logging.getLogger(__name__)


async def sync(ctx: PluginContext, people: Census) -> None:
    channel = ctx.config.channel
    if channel is None:
        return
    leaders = set(people.with_role(Role.LEADER))
    inside = {int(r["person"]) for r in await ctx.store.select("council")}
    for person in sorted(leaders - inside):
        record = people.people[person][0]
        if await ctx.invite(channel, record.member):
            await ctx.store.insert("council", {"person": person}, on_conflict=("person",))
            await ctx.send(channel, say_for(ctx)("council_welcome", who=mention(record),
                                                 prefix=ctx.prefix))
    for person in sorted(inside - leaders):
        records = people.people.get(person) or ctx.accounts(person)
        if records and not await ctx.remove_from_channel(channel, records[0].member):
            continue  # the network refused: tried again at the next sync
        await ctx.store.delete("council", "person = ?", (person,))
        log.info("%s: person %s left the council", ctx.key, person)
