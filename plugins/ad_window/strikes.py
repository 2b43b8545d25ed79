"""What ad_window keeps across restarts: quota use per window and ad passes.

One repository over the plugin's namespaced tables; every row carries the
community key (the database is shared by every community) and the person
(quota and passes follow the person across networks). Times are UTC epoch
seconds. Strikes live in the core's strike ledger (``ctx.strikes``); the
plugin's old strikes table is emptied into it at start-up
(:meth:`Records.take_legacy_strikes`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hearth import Store


async def upgrade_v1(store: Store) -> None:
    await store.execute(
        f"CREATE TABLE {store.table('strikes')} ("
        " id INTEGER PRIMARY KEY,"
        " community TEXT NOT NULL, platform TEXT NOT NULL, member TEXT NOT NULL,"
        " at REAL NOT NULL, kind TEXT NOT NULL, channel TEXT NOT NULL DEFAULT '',"
        " evidence TEXT NOT NULL DEFAULT '')"
    )
    await store.execute(
        f"CREATE INDEX {store.table('strikes_member')} ON {store.table('strikes')}"
        " (community, platform, member, at)"
    )
    await store.execute(
        f"CREATE TABLE {store.table('quota')} ("
        " community TEXT NOT NULL, platform TEXT NOT NULL, member TEXT NOT NULL,"
        " window REAL NOT NULL, message TEXT NOT NULL, at REAL NOT NULL,"
        " PRIMARY KEY (community, platform, member, message))"
    )
    await store.execute(
        f"CREATE TABLE {store.table('passes')} ("
        " community TEXT NOT NULL, platform TEXT NOT NULL, member TEXT NOT NULL,"
        " count INTEGER NOT NULL,"
        " PRIMARY KEY (community, platform, member))"
    )


async def upgrade_v2(store: Store) -> None:
    # The fingerprint of the text an ad was allowed with: an edit that changes it is judged again.
    await store.execute(f"ALTER TABLE {store.table('quota')} ADD COLUMN content TEXT NOT NULL DEFAULT ''")


async def upgrade_v3(store: Store) -> None:
    # Quota and passes are the person's: the person of each account is filled in at start-up
    # (0: not yet known); strikes move to the core's strike ledger then too.
    for table in ("quota", "passes"):
        await store.execute(
            f"ALTER TABLE {store.table(table)} ADD COLUMN person BIGINT NOT NULL DEFAULT 0")
    await store.execute(
        f"CREATE INDEX {store.table('quota_person')} ON {store.table('quota')} (community, person, window)")


MIGRATIONS = (upgrade_v1, upgrade_v2, upgrade_v3)


def content_key(text: str) -> str:
    """A fingerprint of a message's exact text (stored, so stable across restarts)."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class Allowed:
    """An ad that was let through: in which window (``0.0``: by a pass) and with what text."""

    window: float
    content: str


@dataclass(frozen=True, slots=True)
class Strike:
    """A strike as ad_window kept it before the core's strike ledger."""

    account: tuple[str, str]
    at: datetime
    kind: str
    channel: str
    evidence: str


class Records:
    """ad_window's stored state in one community."""

    def __init__(self, store: Store, community: str) -> None:
        self.store = store
        self.community = community
        self._strikes = store.table("strikes")
        self._quota = store.table("quota")
        self._passes = store.table("passes")

    async def forget(self, member: tuple[str, str]) -> None:
        """Erase one account's strikes, ad quota and passes."""
        async with self.store.transaction():
            for table in (self._strikes, self._quota, self._passes):
                await self.store.execute(
                    f"DELETE FROM {table} WHERE community = ? AND platform = ? AND member = ?",
                    (self.community, *member))

    # -- people ----------------------------------------------------------------------------
    async def unkeyed(self) -> list[tuple[str, str]]:
        """Accounts with quota or passes not yet keyed on their person (rows from before v3)."""
        rows = await self.store.fetchall(
            f"SELECT platform, member FROM {self._quota} WHERE community = ? AND person = 0 UNION"
            f" SELECT platform, member FROM {self._passes} WHERE community = ? AND person = 0",
            (self.community, self.community))
        return [(r[0], r[1]) for r in rows]

    async def key_on(self, account: tuple[str, str], person: int) -> None:
        """Key ``account``'s quota and passes on ``person``."""
        for table in (self._quota, self._passes):
            await self.store.execute(
                f"UPDATE {table} SET person = ? WHERE community = ? AND platform = ? AND member = ?",
                (person, self.community, *account))

    async def merge(self, kept: int, merged: int) -> None:
        """Person ``merged`` became ``kept``: their quota use and passes add up."""
        async with self.store.transaction():
            for table in (self._quota, self._passes):
                await self.store.execute(
                    f"UPDATE {table} SET person = ? WHERE community = ? AND person = ?",
                    (kept, self.community, merged))

    async def take_legacy_strikes(self) -> list[Strike]:
        """The strikes kept here before the core's ledger, removed (call in a transaction)."""
        rows = await self.store.fetchall(
            f"SELECT platform, member, at, kind, channel, evidence FROM {self._strikes}"
            " WHERE community = ? ORDER BY at, id", (self.community,))
        await self.store.execute(f"DELETE FROM {self._strikes} WHERE community = ?", (self.community,))
        return [Strike((r[0], r[1]), datetime.fromtimestamp(r[2], UTC), r[3], r[4], r[5]) for r in rows]

    async def prune(self, now: datetime, keep_windows: timedelta) -> None:
        """Drop the quota use of long-gone windows."""
        await self.store.execute(
            f"DELETE FROM {self._quota} WHERE community = ? AND at < ?",
            (self.community, (now - keep_windows).timestamp()),
        )

    # -- quota ---------------------------------------------------------------------------
    async def used(self, person: int, window: float) -> int:
        """How many ads ``person`` posted in ``window`` (on every network)."""
        row = await self.store.fetchone(
            f"SELECT COUNT(*) AS n FROM {self._quota}"
            " WHERE community = ? AND person = ? AND window = ?",
            (self.community, person, window),
        )
        return int(row["n"]) if row else 0

    async def allowed(self, member: tuple[str, str], message: str) -> Allowed | None:
        """How ``message`` was allowed as an ad, if it was (its edits are judged against it)."""
        row = await self.store.fetchone(
            f"SELECT window, content FROM {self._quota}"
            " WHERE community = ? AND platform = ? AND member = ? AND message = ?",
            (self.community, *member, message),
        )
        return Allowed(float(row["window"]), str(row["content"])) if row else None

    async def use(
        self, member: tuple[str, str], person: int, window: float, message: str, at: datetime,
        content: str,
    ) -> None:
        """Count ``member``'s ``message`` (text fingerprint ``content``) in ``window``; 0.0: a pass."""
        await self.store.execute(
            f"INSERT INTO {self._quota} (community, platform, member, person, window, message, at,"
            " content) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (community, platform, member, message)"
            " DO UPDATE SET window = excluded.window, at = excluded.at, content = excluded.content",
            (self.community, *member, person, window, message, at.timestamp(), content),
        )

    # -- passes --------------------------------------------------------------------------
    async def passes(self, person: int) -> int:
        """The passes ``person`` holds (granted on any of their accounts)."""
        row = await self.store.fetchone(
            f"SELECT SUM(count) FROM {self._passes} WHERE community = ? AND person = ?",
            (self.community, person),
        )
        return int(row[0] or 0) if row else 0

    async def grant_pass(self, member: tuple[str, str], person: int) -> int:
        """Give ``member`` (of ``person``) one more pass; return how many the person holds now."""
        await self.store.execute(
            f"INSERT INTO {self._passes} (community, platform, member, person, count)"
            " VALUES (?, ?, ?, ?, 1) ON CONFLICT (community, platform, member) DO UPDATE SET count = "
            f"{self._passes}.count + 1, person = excluded.person",
            (self.community, *member, person),
        )
        return await self.passes(person)

    async def use_pass(self, person: int) -> bool:
        """Spend one of ``person``'s passes; False when they hold none."""
        row = await self.store.fetchone(
            f"SELECT platform, member FROM {self._passes} WHERE community = ? AND person = ?"
            " AND count > 0 ORDER BY platform, member", (self.community, person))
        if row is None:
            return False
        changed = await self.store.execute(
            f"UPDATE {self._passes} SET count = count - 1"
            " WHERE community = ? AND platform = ? AND member = ? AND count > 0",
            (self.community, row[0], row[1]),
        )
        return changed > 0
