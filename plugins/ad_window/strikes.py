"""What ad_window keeps across restarts: strikes, quota use per window, ad passes.

One repository over the plugin's namespaced tables; every row carries the
community key (the database is shared by every community). Times are UTC
epoch seconds.
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


MIGRATIONS = (upgrade_v1, upgrade_v2)


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

    # -- strikes -------------------------------------------------------------------------
    async def add_strike(
        self, member: tuple[str, str], at: datetime, kind: str, channel: str, evidence: str
    ) -> None:
        await self.store.insert(
            f"INSERT INTO {self._strikes} (community, platform, member, at, kind, channel, evidence)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (self.community, *member, at.timestamp(), kind, channel, evidence[:200]),
        )

    async def strikes(self, member: tuple[str, str], now: datetime, decay: timedelta) -> list[Strike]:
        """``member``'s active strikes (given less than ``decay`` ago), oldest first."""
        rows = await self.store.fetchall(
            f"SELECT at, kind, channel, evidence FROM {self._strikes}"
            " WHERE community = ? AND platform = ? AND member = ? AND at > ? ORDER BY at, id",
            (self.community, *member, (now - decay).timestamp()),
        )
        return [
            Strike(datetime.fromtimestamp(r["at"], UTC), r["kind"], r["channel"], r["evidence"])
            for r in rows
        ]

    async def pardon(self, member: tuple[str, str], now: datetime, decay: timedelta) -> int:
        """Clear every strike of ``member``; return how many were still active."""
        active = len(await self.strikes(member, now, decay))
        await self.store.execute(
            f"DELETE FROM {self._strikes} WHERE community = ? AND platform = ? AND member = ?",
            (self.community, *member),
        )
        return active

    async def prune(self, now: datetime, decay: timedelta, keep_windows: timedelta) -> None:
        """Drop decayed strikes and the quota use of long-gone windows."""
        await self.store.execute(
            f"DELETE FROM {self._strikes} WHERE community = ? AND at <= ?",
            (self.community, (now - decay).timestamp()),
        )
        await self.store.execute(
            f"DELETE FROM {self._quota} WHERE community = ? AND at < ?",
            (self.community, (now - keep_windows).timestamp()),
        )

    # -- quota ---------------------------------------------------------------------------
    async def used(self, member: tuple[str, str], window: float) -> int:
        row = await self.store.fetchone(
            f"SELECT COUNT(*) AS n FROM {self._quota}"
            " WHERE community = ? AND platform = ? AND member = ? AND window = ?",
            (self.community, *member, window),
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
        self, member: tuple[str, str], window: float, message: str, at: datetime, content: str
    ) -> None:
        """Count ``message`` (with text fingerprint ``content``) in ``window``; 0.0: a pass."""
        await self.store.execute(
            f"INSERT INTO {self._quota} (community, platform, member, window, message, at, content)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (community, platform, member, message)"
            " DO UPDATE SET window = excluded.window, at = excluded.at, content = excluded.content",
            (self.community, *member, window, message, at.timestamp(), content),
        )

    # -- passes --------------------------------------------------------------------------
    async def passes(self, member: tuple[str, str]) -> int:
        row = await self.store.fetchone(
            f"SELECT count FROM {self._passes} WHERE community = ? AND platform = ? AND member = ?",
            (self.community, *member),
        )
        return int(row["count"]) if row else 0

    async def grant_pass(self, member: tuple[str, str]) -> int:
        """Give ``member`` one more pass; return how many they hold now."""
        await self.store.execute(
            f"INSERT INTO {self._passes} (community, platform, member, count) VALUES (?, ?, ?, 1)"
            " ON CONFLICT (community, platform, member) DO UPDATE SET count = "
            f"{self._passes}.count + 1",
            (self.community, *member),
        )
        return await self.passes(member)

    async def use_pass(self, member: tuple[str, str]) -> bool:
        """Spend one of ``member``'s passes; False when they hold none."""
        changed = await self.store.execute(
            f"UPDATE {self._passes} SET count = count - 1"
            " WHERE community = ? AND platform = ? AND member = ? AND count > 0",
            (self.community, *member),
        )
        return changed > 0
