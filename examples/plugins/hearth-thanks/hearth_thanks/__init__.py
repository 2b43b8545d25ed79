"""hearth-thanks: count thanks, show who helps most.

Everything a plugin needs comes from ``hearth``: the hook marker, the config
base class, commands, and the context each hook receives.
"""

from __future__ import annotations

from hearth import (
    SQL,
    Command,
    Invocation,
    Message,
    Param,
    PluginConfig,
    PluginContext,
    Store,
    Text,
    hookimpl,
    mention,
)


class ThanksConfig(PluginConfig):
    """``plugins.thanks`` in a community's config."""

    words: list[str] = ["thanks", "thank you", "谢谢"]
    top: int = 3


async def upgrade_v1(store: Store) -> None:
    # Every plugin table has a community column: ctx.store fills and filters it.
    await store.execute(
        f"CREATE TABLE {store.table('counts')} (community TEXT NOT NULL, member TEXT NOT NULL,"
        " thanks INTEGER NOT NULL, PRIMARY KEY (community, member))"
    )


async def upgrade_v2(store: Store) -> None:
    """Counts name the member's network too (older counts have none: they are not shown)."""
    await store.execute(
        f"ALTER TABLE {store.table('counts')} ADD COLUMN platform TEXT NOT NULL DEFAULT ''"
    )


@hookimpl
def register_config_schema() -> type[PluginConfig]:
    return ThanksConfig


@hookimpl
def register_migrations() -> list:
    return [upgrade_v1, upgrade_v2]


@hookimpl
async def on_message(ctx: PluginContext, message: Message) -> None:
    text = message.text.lower()
    if not message.mentions or not any(word in text for word in ctx.config.words):
        return
    for member_id in set(message.mentions) - {message.author.id}:
        # A member thanked before: one more (the stored row's column is named with its table).
        await ctx.store.insert("counts", {"platform": message.platform, "member": member_id, "thanks": 1},
                               on_conflict=("member",),
                               update={"thanks": SQL(f"{ctx.store.table('counts')}.thanks + 1")})


async def _top(inv: Invocation) -> str:
    ctx = inv.ctx
    limit = inv.args["count"] or ctx.config.top
    rows = await ctx.store.select("counts", "platform != ''", columns="platform, member, thanks",
                                  order_by="thanks DESC, member", limit=limit)
    # mention(): a real mention on the member's network, their name elsewhere, never an id
    found = [(ctx.member((r["platform"], r["member"])), r["thanks"]) for r in rows]
    shown = [mention(who) + f" ({thanks})" for who, thanks in found if who is not None]
    if not shown:
        return "Nobody has been thanked yet."
    return "Most thanked: " + Text(", ").join(shown)


@hookimpl
def register_commands() -> list[Command]:
    return [Command(name="thanks", handler=_top, params=(Param("count", "int", optional=True),),
                    help="who has been thanked most")]
