"""hearth-thanks: count thanks, show who helps most.

Everything a plugin needs comes from ``hearth``: the hook marker, the config
base class, commands, and the context each hook receives.
"""

from __future__ import annotations

from hearth import SQL, Command, Invocation, Param, PluginConfig, PluginContext, Store, hookimpl
from hearth.models import Message


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


@hookimpl
def register_config_schema() -> type[PluginConfig]:
    return ThanksConfig


@hookimpl
def register_migrations() -> list:
    return [upgrade_v1]


@hookimpl
async def on_message(ctx: PluginContext, message: Message) -> None:
    text = message.text.lower()
    if not message.mentions or not any(word in text for word in ctx.config.words):
        return
    for member_id in set(message.mentions) - {message.author.id}:
        # A member thanked before: one more (the stored row's column is named with its table).
        await ctx.store.insert("counts", {"member": member_id, "thanks": 1}, on_conflict=("member",),
                               update={"thanks": SQL(f"{ctx.store.table('counts')}.thanks + 1")})


async def _top(inv: Invocation) -> str:
    ctx = inv.ctx
    limit = inv.args["count"] or ctx.config.top
    rows = await ctx.store.select("counts", columns="member, thanks", order_by="thanks DESC, member",
                                  limit=limit)
    if not rows:
        return "Nobody has been thanked yet."
    return "Most thanked: " + ", ".join(f"@{r['member']} ({r['thanks']})" for r in rows)


@hookimpl
def register_commands() -> list[Command]:
    return [Command(name="thanks", handler=_top, params=(Param("count", "int", optional=True),),
                    help="who has been thanked most")]
