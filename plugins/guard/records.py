"""What guard keeps: reports (numbered per community) and who filed each.

All of guard's SQL is here. Every row carries the community key; times are
integer epoch milliseconds; reports have explicit numbers (1, 2, … per
community), never a rowid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from hearth import Store

OPEN, UPHELD, DISMISSED = "open", "upheld", "dismissed"
EXCERPT = 300  # characters of the reported message kept with the report


async def upgrade_v1(store: Store) -> None:
    await store.execute(
        f"CREATE TABLE {store.table('reports')} ("
        " community TEXT NOT NULL, number INTEGER NOT NULL,"
        " platform TEXT NOT NULL, channel_id TEXT NOT NULL, channel_name TEXT NOT NULL DEFAULT '',"
        " message_id TEXT NOT NULL, author_id TEXT NOT NULL, author_name TEXT NOT NULL,"
        " excerpt TEXT NOT NULL DEFAULT '', filed_ms INTEGER NOT NULL,"
        " status TEXT NOT NULL DEFAULT 'open', decided_by TEXT NOT NULL DEFAULT '',"
        " decided_ms INTEGER, decision TEXT NOT NULL DEFAULT '',"
        " PRIMARY KEY (community, number))"
    )
    await store.execute(
        f"CREATE INDEX {store.table('reports_message')} ON {store.table('reports')}"
        " (community, platform, message_id)"
    )
    await store.execute(
        f"CREATE TABLE {store.table('reporters')} ("
        " community TEXT NOT NULL, number INTEGER NOT NULL,"
        " platform TEXT NOT NULL, member_id TEXT NOT NULL, name TEXT NOT NULL,"
        " reason TEXT NOT NULL DEFAULT '', filed_ms INTEGER NOT NULL,"
        " PRIMARY KEY (community, number, platform, member_id))"
    )


MIGRATIONS = (upgrade_v1,)


def to_ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


@dataclass(frozen=True, slots=True)
class Reporter:
    platform: str
    member_id: str
    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class Report:
    """One report: the message, its author, where, and what was decided."""

    number: int
    platform: str
    channel_id: str
    channel_name: str
    message_id: str
    author_id: str
    author_name: str
    excerpt: str
    filed: datetime
    status: str
    decided_by: str
    decision: str
    reporters: tuple[Reporter, ...] = ()


class Reports:
    """guard's reports in one community."""

    def __init__(self, store: Store, community: str) -> None:
        self.store = store
        self.community = community
        self._reports = store.table("reports")
        self._reporters = store.table("reporters")

    async def _reporters_of(self, number: int) -> tuple[Reporter, ...]:
        rows = await self.store.fetchall(
            f"SELECT platform, member_id, name, reason FROM {self._reporters}"
            " WHERE community = ? AND number = ? ORDER BY filed_ms, member_id",
            (self.community, number))
        return tuple(Reporter(r["platform"], r["member_id"], r["name"], r["reason"]) for r in rows)

    async def _one(self, where: str, params: tuple[object, ...]) -> Report | None:
        row = await self.store.fetchone(
            f"SELECT * FROM {self._reports} WHERE community = ? AND {where}"
            " ORDER BY number DESC LIMIT 1", (self.community, *params))
        if row is None:
            return None
        return Report(
            number=int(row["number"]), platform=row["platform"], channel_id=row["channel_id"],
            channel_name=row["channel_name"], message_id=row["message_id"],
            author_id=row["author_id"], author_name=row["author_name"], excerpt=row["excerpt"],
            filed=from_ms(int(row["filed_ms"])), status=row["status"],
            decided_by=row["decided_by"], decision=row["decision"],
            reporters=await self._reporters_of(int(row["number"])),
        )

    async def get(self, number: int) -> Report | None:
        return await self._one("number = ?", (number,))

    async def of_message(self, platform: str, message_id: str) -> Report | None:
        """The newest report of a message, open or decided."""
        return await self._one("platform = ? AND message_id = ?", (platform, message_id))

    async def file(self, *, platform: str, channel_id: str, channel_name: str, message_id: str,
                   author_id: str, author_name: str, text: str, at: datetime) -> int:
        """A new report; returns its number (one more than the community's highest)."""
        async with self.store.transaction():
            row = await self.store.fetchone(
                f"SELECT COALESCE(MAX(number), 0) AS n FROM {self._reports} WHERE community = ?",
                (self.community,))
            number = int(row["n"] if row else 0) + 1
            await self.store.execute(
                f"INSERT INTO {self._reports} (community, number, platform, channel_id,"
                " channel_name, message_id, author_id, author_name, excerpt, filed_ms)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (self.community, number, platform, channel_id, channel_name, message_id,
                 author_id, author_name, text[:EXCERPT], to_ms(at)))
        return number

    async def add_reporter(self, number: int, platform: str, member_id: str, name: str,
                           reason: str, at: datetime) -> bool:
        """Add a reporter to report ``number``; False if they had already reported it."""
        changed = await self.store.execute(
            f"INSERT INTO {self._reporters} (community, number, platform, member_id, name, reason,"
            " filed_ms) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (self.community, number, platform, member_id, name, reason[:EXCERPT], to_ms(at)))
        return changed > 0

    async def decide(self, number: int, status: str, by: str, decision: str, at: datetime) -> bool:
        """Mark an open report upheld or dismissed; False if it was not open."""
        changed = await self.store.execute(
            f"UPDATE {self._reports} SET status = ?, decided_by = ?, decision = ?, decided_ms = ?"
            " WHERE community = ? AND number = ? AND status = ?",
            (status, by, decision[:EXCERPT], to_ms(at), self.community, number, OPEN))
        return changed > 0

    async def dismissed_since(self, accounts: Sequence[tuple[str, str]], since: datetime
                              ) -> list[datetime]:
        """When each report by these accounts (one person's) dismissed since ``since`` was
        decided, oldest first."""
        found: list[datetime] = []
        for platform, member_id in dict.fromkeys(accounts):
            rows = await self.store.fetchall(
                f"SELECT r.decided_ms AS at FROM {self._reports} r JOIN {self._reporters} p"
                " ON p.community = r.community AND p.number = r.number"
                " WHERE r.community = ? AND p.platform = ? AND p.member_id = ? AND r.status = ?"
                " AND r.decided_ms > ?",
                (self.community, platform, member_id, DISMISSED, to_ms(since)))
            found.extend(from_ms(int(r["at"])) for r in rows)
        return sorted(found)

    async def forget(self, platform: str, member_id: str) -> None:
        """Erase one account: its reports filed, and the reports about its messages."""
        async with self.store.transaction():
            await self.store.execute(
                f"DELETE FROM {self._reporters} WHERE community = ? AND platform = ? AND member_id = ?",
                (self.community, platform, member_id))
            await self.store.execute(
                f"DELETE FROM {self._reporters} WHERE community = ? AND number IN (SELECT number FROM"
                f" {self._reports} WHERE community = ? AND platform = ? AND author_id = ?)",
                (self.community, self.community, platform, member_id))
            await self.store.execute(
                f"DELETE FROM {self._reports} WHERE community = ? AND platform = ? AND author_id = ?",
                (self.community, platform, member_id))


__all__ = ["DISMISSED", "MIGRATIONS", "OPEN", "UPHELD", "Report", "Reporter", "Reports"]
