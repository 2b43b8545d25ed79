"""Storage of flash groups: who opened them, where, until when, and what happened in them.

The table is shared by every community (``community`` column); times are UTC
epoch seconds. A group is ``open``, then ``closing`` (claimed by whoever ends
it, so it ends once), then ``closed`` once its channel was dissolved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hearth import Channel, Store


@dataclass(frozen=True, slots=True, kw_only=True)
class FlashGroup:
    """One flash group as stored."""

    id: int
    community: str
    name: str
    title: str
    platform: str
    channel_id: str
    creator: str
    open_signup: bool
    started: datetime
    ends: datetime
    state: str

    @property
    def channel(self) -> Channel:
        return Channel(platform=self.platform, id=self.channel_id, name=self.name)


async def upgrade_v1(store: Store) -> None:
    groups, members, authors = (store.table(t) for t in ("groups", "members", "authors"))
    await store.execute(
        f"CREATE TABLE {groups} ("
        " id INTEGER PRIMARY KEY,"
        " community TEXT NOT NULL, name TEXT NOT NULL, title TEXT NOT NULL,"
        " platform TEXT NOT NULL, channel_id TEXT NOT NULL, creator TEXT NOT NULL,"
        " open_signup INTEGER NOT NULL, started REAL NOT NULL, ends REAL NOT NULL,"
        " state TEXT NOT NULL DEFAULT 'open', closed REAL, mode TEXT)"
    )
    await store.execute(f"CREATE INDEX {groups}_state ON {groups} (community, state)")
    await store.execute(
        f"CREATE TABLE {members} (group_id INTEGER NOT NULL, member TEXT NOT NULL,"
        " PRIMARY KEY (group_id, member))"
    )
    await store.execute(
        f"CREATE TABLE {authors} (group_id INTEGER NOT NULL, member TEXT NOT NULL,"
        " messages INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (group_id, member))"
    )


MIGRATIONS = (upgrade_v1,)


def _ts(when: datetime) -> float:
    return when.timestamp()


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


class Groups:
    """The flash groups of one community."""

    def __init__(self, store: Store, community: str) -> None:
        self._store = store
        self._community = community
        self._groups = store.table("groups")
        self._members = store.table("members")
        self._authors = store.table("authors")

    async def forget(self, platform: str, member: str) -> None:
        """Erase one account from the groups' members and authors; their groups lose their creator."""
        mine = f"SELECT id FROM {self._groups} WHERE community = ? AND platform = ?"
        async with self._store.transaction():
            for table in (self._members, self._authors):
                await self._store.execute(
                    f"DELETE FROM {table} WHERE member = ? AND group_id IN ({mine})",
                    (member, self._community, platform))
            await self._store.execute(
                f"UPDATE {self._groups} SET creator = '' WHERE community = ? AND platform = ?"
                " AND creator = ?", (self._community, platform, member))

    def _group(self, r: Any) -> FlashGroup:
        return FlashGroup(
            id=r["id"], community=r["community"], name=r["name"], title=r["title"],
            platform=r["platform"], channel_id=r["channel_id"], creator=r["creator"],
            open_signup=bool(r["open_signup"]), started=_dt(r["started"]), ends=_dt(r["ends"]),
            state=r["state"],
        )

    async def _select(self, where: str, params: tuple[object, ...] = ()) -> list[FlashGroup]:
        rows = await self._store.fetchall(
            f"SELECT * FROM {self._groups} WHERE community = ? AND {where} ORDER BY ends, id",
            (self._community, *params),
        )
        return [self._group(r) for r in rows]

    async def get(self, group_id: int) -> FlashGroup | None:
        found = await self._select("id = ?", (group_id,))
        return found[0] if found else None

    async def open(self) -> list[FlashGroup]:
        """The open groups, the one ending first first."""
        return await self._select("state = 'open'")

    async def closing(self) -> list[FlashGroup]:
        """Groups whose end was claimed but whose channel was not dissolved (a crash)."""
        return await self._select("state = 'closing'")

    async def open_named(self, name: str) -> FlashGroup | None:
        wanted = name.strip().lstrip("#").lower()
        return next((g for g in await self.open() if g.name.lower() == wanted), None)

    async def open_in(self, channel: Channel) -> FlashGroup | None:
        found = await self._select(
            "state = 'open' AND platform = ? AND channel_id = ?", (channel.platform, channel.id)
        )
        return found[0] if found else None

    async def add(
        self, *, name: str, title: str, channel: Channel, creator: str, open_signup: bool,
        started: datetime, ends: datetime, members: list[str],
    ) -> FlashGroup:
        async with self._store.transaction():
            group_id = await self._store.insert(
                f"INSERT INTO {self._groups} (community, name, title, platform, channel_id, creator,"
                " open_signup, started, ends) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (self._community, name, title, channel.platform, channel.id, creator,
                 int(open_signup), _ts(started), _ts(ends)),
            )
            for member in dict.fromkeys([creator, *members]):
                await self.add_member(group_id, member)
        group = await self.get(group_id)
        assert group is not None
        return group

    async def add_member(self, group_id: int, member: str) -> bool:
        """Record ``member`` as in the group; False if already there."""
        changed = await self._store.execute(
            f"INSERT INTO {self._members} (group_id, member) VALUES (?, ?)"
            " ON CONFLICT (group_id, member) DO NOTHING",
            (group_id, member),
        )
        return changed > 0

    async def is_member(self, group_id: int, member: str) -> bool:
        row = await self._store.fetchone(
            f"SELECT 1 FROM {self._members} WHERE group_id = ? AND member = ?", (group_id, member)
        )
        return row is not None

    async def members(self, group_id: int) -> list[str]:
        rows = await self._store.fetchall(
            f"SELECT member FROM {self._members} WHERE group_id = ? ORDER BY rowid", (group_id,)
        )
        return [r["member"] for r in rows]

    async def count_message(self, group_id: int, author: str) -> None:
        await self._store.execute(
            f"INSERT INTO {self._authors} (group_id, member, messages) VALUES (?, ?, 1)"
            " ON CONFLICT (group_id, member) DO UPDATE SET messages = messages + 1",
            (group_id, author),
        )

    async def activity(self, group_id: int) -> tuple[int, int]:
        """(distinct authors, messages) posted in the group."""
        row = await self._store.fetchone(
            f"SELECT COUNT(*) AS people, COALESCE(SUM(messages), 0) AS messages"
            f" FROM {self._authors} WHERE group_id = ?",
            (group_id,),
        )
        assert row is not None
        return int(row["people"]), int(row["messages"])

    async def claim_close(self, group_id: int, when: datetime) -> bool:
        """Mark an open group as closing; False if someone else already did."""
        changed = await self._store.execute(
            f"UPDATE {self._groups} SET state = 'closing', closed = ? WHERE id = ? AND state = 'open'",
            (_ts(when), group_id),
        )
        return changed > 0

    async def closed_at(self, group_id: int) -> datetime | None:
        row = await self._store.fetchone(f"SELECT closed FROM {self._groups} WHERE id = ?", (group_id,))
        return _dt(row["closed"]) if row and row["closed"] is not None else None

    async def finish_close(self, group_id: int, mode: str | None) -> None:
        await self._store.execute(
            f"UPDATE {self._groups} SET state = 'closed', mode = ? WHERE id = ?", (mode, group_id)
        )
