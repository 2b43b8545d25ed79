"""Pulse's tables and every query on them (the plugin's only SQL).

* ``pulse_state``: small JSON state per community and part (``reminder``,
  ``topics``, ``health``): when a reminder was last posted and which is
  pinned, the topic cadence, the dying warnings given.
* ``pulse_nudges``: each member reminded of their silence, when, whether the
  DM arrived, and when the moderators were told of their removal.
* ``pulse_days``: joins and leaves per local day (the directory keeps no leave times).

Times are integer epoch milliseconds; every row names its community.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hearth import Store


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
    """Pulse's rows of one community."""

    def __init__(self, store: Store, community: str) -> None:
        self.store = store
        self.community = community
        self._state = store.table("state")
        self._nudges = store.table("nudges")
        self._days = store.table("days")

    # -- state ---------------------------------------------------------------
    async def state(self, part: str) -> dict[str, Any]:
        row = await self.store.fetchone(
            f"SELECT value FROM {self._state} WHERE community = ? AND part = ?", (self.community, part))
        return dict(json.loads(row[0])) if row is not None else {}

    async def save(self, part: str, value: dict[str, Any]) -> None:
        await self.store.execute(
            f"INSERT INTO {self._state} (community, part, value) VALUES (?, ?, ?)"
            " ON CONFLICT (community, part) DO UPDATE SET value = excluded.value",
            (self.community, part, json.dumps(value, sort_keys=True)),
        )

    # -- nudges --------------------------------------------------------------
    async def nudges(self) -> dict[tuple[str, str], Nudge]:
        rows = await self.store.fetchall(
            f"SELECT platform, member_id, nudged_ms, delivered, answered_ms, announced_ms"
            f" FROM {self._nudges} WHERE community = ?", (self.community,))
        return {(r[0], r[1]): Nudge(r[0], r[1], int(r[2]), bool(r[3]), r[4], r[5]) for r in rows}

    async def nudged(self, platform: str, member_id: str, ms: int) -> None:
        await self.store.execute(
            f"INSERT INTO {self._nudges} (community, platform, member_id, nudged_ms)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (community, platform, member_id) DO UPDATE SET"
            " nudged_ms = excluded.nudged_ms, delivered = 1, answered_ms = NULL, announced_ms = NULL",
            (self.community, platform, member_id, ms),
        )

    async def undelivered(self, platform: str, member_id: str) -> None:
        await self.store.execute(
            f"UPDATE {self._nudges} SET delivered = 0"
            " WHERE community = ? AND platform = ? AND member_id = ?",
            (self.community, platform, member_id),
        )

    async def answered(self, platform: str, member_id: str, ms: int) -> bool:
        """The member answered their reminder's DM; False when they had none."""
        changed = await self.store.execute(
            f"UPDATE {self._nudges} SET answered_ms = ?"
            " WHERE community = ? AND platform = ? AND member_id = ?",
            (ms, self.community, platform, member_id),
        )
        return changed > 0

    async def announced(self, accounts: Sequence[tuple[str, str]], ms: int) -> None:
        async with self.store.transaction():
            for platform, member_id in accounts:
                await self.store.execute(
                    f"UPDATE {self._nudges} SET announced_ms = ?"
                    " WHERE community = ? AND platform = ? AND member_id = ?",
                    (ms, self.community, platform, member_id),
                )

    async def drop_nudge(self, platform: str, member_id: str) -> None:
        await self.store.execute(
            f"DELETE FROM {self._nudges} WHERE community = ? AND platform = ? AND member_id = ?",
            (self.community, platform, member_id),
        )

    async def forget(self, platform: str, member_id: str) -> None:
        await self.drop_nudge(platform, member_id)

    # -- joins and leaves ----------------------------------------------------
    async def count_day(self, day_ms: int, *, joins: int = 0, leaves: int = 0) -> None:
        await self.store.execute(
            f"INSERT INTO {self._days} (community, day_ms, joins, leaves) VALUES (?, ?, ?, ?)"
            f" ON CONFLICT (community, day_ms) DO UPDATE SET joins = {self._days}.joins + excluded.joins,"
            f" leaves = {self._days}.leaves + excluded.leaves",
            (self.community, day_ms, joins, leaves),
        )

    async def joins_and_leaves(self, first_ms: int, last_ms: int) -> tuple[int, int]:
        """Joins and leaves on the days starting from ``first_ms`` up to ``last_ms``."""
        row = await self.store.fetchone(
            f"SELECT SUM(joins), SUM(leaves) FROM {self._days}"
            " WHERE community = ? AND day_ms >= ? AND day_ms <= ?",
            (self.community, first_ms, last_ms),
        )
        return (int(row[0] or 0), int(row[1] or 0)) if row is not None else (0, 0)
