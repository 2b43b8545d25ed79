"""What guard keeps: reports (numbered per community) and who filed each, and
the mutes guard imposed that have not ended (so a ``!pardon`` can lift them).

All of guard's SQL is here, on the community-scoped store (``ctx.store``): every
row carries the community key, times are integer epoch milliseconds, reports
have explicit numbers (1, 2, … per community), never a rowid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from hearth import CommunityStore, Row, Store, from_ms, to_ms

OPEN, UPHELD, DISMISSED = "open", "upheld", "dismissed"
EXCERPT = 300  # characters of the reported message kept with the report


async def upgrade_v1(store: Store) -> None:
    await store.execute(
        f"CREATE TABLE {store.table('reports')} ("
        " community TEXT NOT NULL, number INTEGER NOT NULL,"
        " platform TEXT NOT NULL, channel_id TEXT NOT NULL, channel_name TEXT NOT NULL DEFAULT '',"
        " message_id TEXT NOT NULL, author_id TEXT NOT NULL, author_name TEXT NOT NULL,"
        " excerpt TEXT NOT NULL DEFAULT '', filed_ms BIGINT NOT NULL,"
        " status TEXT NOT NULL DEFAULT 'open', decided_by TEXT NOT NULL DEFAULT '',"
        " decided_ms BIGINT, decision TEXT NOT NULL DEFAULT '',"
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
        " reason TEXT NOT NULL DEFAULT '', filed_ms BIGINT NOT NULL,"
        " PRIMARY KEY (community, number, platform, member_id))"
    )


async def upgrade_v2(store: Store) -> None:
    await store.execute(
        f"CREATE TABLE {store.table('mutes')} ("
        " community TEXT NOT NULL, person BIGINT NOT NULL, until_ms BIGINT NOT NULL,"
        " PRIMARY KEY (community, person))"
    )


MIGRATIONS = (upgrade_v1, upgrade_v2)


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

    def __init__(self, store: CommunityStore) -> None:
        self.store = store

    async def _report(self, row: Row | None) -> Report | None:
        if row is None:
            return None
        number = int(row["number"])
        rows = await self.store.select("reporters", "number = ?", (number,),
                                       order_by="filed_ms, platform, member_id")
        return Report(
            number=number, platform=row["platform"], channel_id=row["channel_id"],
            channel_name=row["channel_name"], message_id=row["message_id"],
            author_id=row["author_id"], author_name=row["author_name"], excerpt=row["excerpt"],
            filed=from_ms(int(row["filed_ms"])), status=row["status"],
            decided_by=row["decided_by"], decision=row["decision"],
            reporters=tuple(Reporter(r["platform"], r["member_id"], r["name"], r["reason"])
                            for r in rows),
        )

    async def open(self, limit: int = 100) -> list[Report]:
        """The open reports, oldest first."""
        rows = await self.store.select("reports", "status = ?", (OPEN,), order_by="number", limit=limit)
        return [r for r in [await self._report(row) for row in rows] if r is not None]

    async def get(self, number: int) -> Report | None:
        return await self._report(await self.store.select_one("reports", "number = ?", (number,)))

    async def of_message(self, platform: str, message_id: str) -> Report | None:
        """The newest report of a message, open or decided."""
        return await self._report(await self.store.select_one(
            "reports", "platform = ? AND message_id = ?", (platform, message_id),
            order_by="number DESC"))

    async def file(self, *, platform: str, channel_id: str, channel_name: str, message_id: str,
                   author_id: str, author_name: str, text: str, at: datetime) -> int:
        """A new report; returns its number (one more than the community's highest)."""
        async with self.store.transaction():
            highest = await self.store.select_value("reports", "MAX(number)")
            number = int(highest or 0) + 1
            await self.store.insert("reports", {
                "number": number, "platform": platform, "channel_id": channel_id,
                "channel_name": channel_name, "message_id": message_id, "author_id": author_id,
                "author_name": author_name, "excerpt": text[:EXCERPT], "filed_ms": to_ms(at)})
        return number

    async def add_reporter(self, number: int, platform: str, member_id: str, name: str,
                           reason: str, at: datetime) -> bool:
        """Add a reporter to report ``number``; False if they had already reported it."""
        added = await self.store.insert("reporters", {
            "number": number, "platform": platform, "member_id": member_id, "name": name,
            "reason": reason[:EXCERPT], "filed_ms": to_ms(at)}, on_conflict=())
        return bool(added)

    async def decide(self, number: int, status: str, by: str, decision: str, at: datetime) -> bool:
        """Mark an open report upheld or dismissed; False if it was not open."""
        changed = await self.store.update(
            "reports", {"status": status, "decided_by": by, "decision": decision[:EXCERPT],
                        "decided_ms": to_ms(at)},
            "number = ? AND status = ?", (number, OPEN))
        return changed > 0

    async def dismissed_since(self, accounts: Sequence[tuple[str, str]], since: datetime
                              ) -> list[datetime]:
        """When each report by these accounts (one person's) dismissed since ``since`` was
        decided, oldest first."""
        # One join over both tables (the scoped store reads one table at a time).
        reports, reporters = self.store.table("reports"), self.store.table("reporters")
        found: list[datetime] = []
        for platform, member_id in dict.fromkeys(accounts):
            rows = await self.store.raw.fetch(
                f"SELECT r.decided_ms FROM {reports} r JOIN {reporters} p"
                " ON p.community = r.community AND p.number = r.number"
                " WHERE r.community = ? AND p.platform = ? AND p.member_id = ? AND r.status = ?"
                " AND r.decided_ms > ?",
                (self.store.community, platform, member_id, DISMISSED, to_ms(since)))
            found.extend(from_ms(int(r[0])) for r in rows)
        return sorted(found)

    async def forget(self, platform: str, member_id: str) -> None:
        """Erase one account: its reports filed, and the reports about its messages."""
        async with self.store.transaction():
            await self.store.delete("reporters", "platform = ? AND member_id = ?",
                                    (platform, member_id))
            for row in await self.store.select("reports", "platform = ? AND author_id = ?",
                                               (platform, member_id), columns="number"):
                await self.store.delete("reporters", "number = ?", (int(row["number"]),))
            await self.store.delete("reports", "platform = ? AND author_id = ?",
                                    (platform, member_id))


class Mutes:
    """The mutes guard imposed in one community, by person, until they end."""

    def __init__(self, store: CommunityStore) -> None:
        self.store = store

    async def imposed(self, person: int, until: datetime, now: datetime) -> None:
        """Note that guard muted ``person`` until ``until`` (the latest mute counts)."""
        async with self.store.transaction():
            await self.store.delete("mutes", "until_ms <= ?", (to_ms(now),))
            await self.store.insert("mutes", {"person": person, "until_ms": to_ms(until)},
                                    on_conflict=("person",), update=("until_ms",))

    async def lifted(self, person: int, now: datetime) -> bool:
        """Forget ``person``'s mute; True if guard's mute of them was still running."""
        async with self.store.transaction():
            until = await self.store.select_value("mutes", "until_ms", "person = ?", (person,))
            await self.store.delete("mutes", "person = ?", (person,))
        return until is not None and int(until) > to_ms(now)
