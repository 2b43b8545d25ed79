"""Pulse's tables and every query on them (the plugin's only SQL).

* ``pulse_state``: small JSON state per community and part (``reminder``,
  ``topics``, ``health``): when a reminder was last posted and which is
  pinned, the topic cadence, the dying warnings given.
* ``pulse_nudges``: each member reminded of their silence, when, whether the
  DM arrived, and when the moderators were told of their removal.
* ``pulse_days``: joins and leaves per local day, counted as they happen (the directory
  keeps only each member's last join and leave; these count every one).

Times are integer epoch milliseconds; every row names its community, and the
community-scoped store (``ctx.store``) fills and filters it.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hearth import SQL, CommunityStore, Store


async def upgrade_v1(store: Store) -> None:
    state, nudges, days = (store.table(t) for t in ("state", "nudges", "days"))
    await store.execute(
        f"CREATE TABLE {state} (community TEXT NOT NULL, part TEXT NOT NULL, value TEXT NOT NULL,"
        " PRIMARY KEY (community, part))"
    )
    await store.execute(
        f"CREATE TABLE {nudges} (community TEXT NOT NULL, platform TEXT NOT NULL,"
        " member_id TEXT NOT NULL, nudged_ms BIGINT NOT NULL, delivered INTEGER NOT NULL DEFAULT 1,"
        " answered_ms BIGINT, announced_ms BIGINT,"
        " PRIMARY KEY (community, platform, member_id))"
    )
    await store.execute(
        f"CREATE TABLE {days} (community TEXT NOT NULL, day_ms BIGINT NOT NULL,"
        " joins INTEGER NOT NULL DEFAULT 0, leaves INTEGER NOT NULL DEFAULT 0,"
        " PRIMARY KEY (community, day_ms))"
    )


MIGRATIONS: Sequence[Callable[[Store], Awaitable[None]]] = [upgrade_v1]

_MEMBER = "platform = ? AND member_id = ?"


@dataclass(frozen=True, slots=True)
class Nudge:
    """A member reminded of their silence."""

    platform: str
    member_id: str
    nudged_ms: int
    delivered: bool
    answered_ms: int | None
    announced_ms: int | None


class PulseStore:
    """Pulse's rows of one community (over ``ctx.store``)."""

    def __init__(self, store: CommunityStore) -> None:
        self.store = store

    # -- state ---------------------------------------------------------------
    async def state(self, part: str) -> dict[str, Any]:
        value = await self.store.select_value("state", "value", "part = ?", (part,))
        return dict(json.loads(value)) if value is not None else {}

    async def save(self, part: str, value: dict[str, Any]) -> None:
        await self.store.insert("state", {"part": part, "value": json.dumps(value, sort_keys=True)},
                                on_conflict=["part"], update=["value"])

    # -- nudges --------------------------------------------------------------
    async def nudges(self) -> dict[tuple[str, str], Nudge]:
        rows = await self.store.select(
            "nudges", columns="platform, member_id, nudged_ms, delivered, answered_ms, announced_ms")
        return {(r[0], r[1]): Nudge(r[0], r[1], int(r[2]), bool(r[3]), r[4], r[5]) for r in rows}

    async def nudged(self, platform: str, member_id: str, ms: int) -> None:
        await self.store.insert(
            "nudges", {"platform": platform, "member_id": member_id, "nudged_ms": ms},
            on_conflict=["platform", "member_id"],
            update={"nudged_ms": SQL("excluded.nudged_ms"), "delivered": 1, "answered_ms": None,
                    "announced_ms": None})

    async def undelivered(self, platform: str, member_id: str) -> None:
        await self.store.update("nudges", {"delivered": 0}, _MEMBER, (platform, member_id))

    async def answered(self, platform: str, member_id: str, ms: int) -> bool:
        """The member answered their reminder's DM; False when they had none."""
        return await self.store.update("nudges", {"answered_ms": ms}, _MEMBER, (platform, member_id)) > 0

    async def announced(self, accounts: Sequence[tuple[str, str]], ms: int) -> None:
        async with self.store.transaction():
            for platform, member_id in accounts:
                await self.store.update("nudges", {"announced_ms": ms}, _MEMBER, (platform, member_id))

    async def drop_nudge(self, platform: str, member_id: str) -> None:
        await self.store.delete("nudges", _MEMBER, (platform, member_id))

    async def forget(self, platform: str, member_id: str) -> None:
        await self.drop_nudge(platform, member_id)

    # -- joins and leaves ----------------------------------------------------
    async def count_day(self, day_ms: int, *, joins: int = 0, leaves: int = 0) -> None:
        days = self.store.table("days")
        await self.store.insert(
            "days", {"day_ms": day_ms, "joins": joins, "leaves": leaves}, on_conflict=["day_ms"],
            update={"joins": SQL(f"{days}.joins + excluded.joins"),
                    "leaves": SQL(f"{days}.leaves + excluded.leaves")})

    async def joins_and_leaves(self, first_ms: int, last_ms: int) -> tuple[int, int]:
        """Joins and leaves on the days starting from ``first_ms`` up to ``last_ms``."""
        row = await self.store.select_one("days", "day_ms >= ? AND day_ms <= ?", (first_ms, last_ms),
                                          columns="SUM(joins), SUM(leaves)")
        return (int(row[0] or 0), int(row[1] or 0)) if row is not None else (0, 0)
