"""What ad_window keeps across restarts: strikes, quota use per window, ad passes.

One repository over the plugin's tables in one community (``ctx.store`` fills
and filters the ``community`` column). Times are integer epoch milliseconds.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from hearth import SQL, CommunityStore, Store, from_ms, to_ms
from hearth.storage import ms, rebuild


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
    # "window" is quoted: PostgreSQL reserves the word (the same column on SQLite)
    await store.execute(
        f"CREATE TABLE {store.table('quota')} ("
        ' community TEXT NOT NULL, platform TEXT NOT NULL, member TEXT NOT NULL,'
        ' "window" REAL NOT NULL, message TEXT NOT NULL, at REAL NOT NULL,'
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
    """Times and windows as integer epoch milliseconds (the portable schema)."""
    strikes, quota = store.table("strikes"), store.table("quota")
    await rebuild(
        store, strikes,
        "id INTEGER PRIMARY KEY, community TEXT NOT NULL, platform TEXT NOT NULL,"
        " member TEXT NOT NULL, at_ms BIGINT NOT NULL, kind TEXT NOT NULL,"
        " channel TEXT NOT NULL DEFAULT '', evidence TEXT NOT NULL DEFAULT ''",
        {"id": "id", "community": "community", "platform": "platform", "member": "member",
         "at_ms": ms("at"), "kind": "kind", "channel": "channel", "evidence": "evidence"},
        indexes=[f"CREATE INDEX {store.table('strikes_member')} ON {strikes}"
                 " (community, platform, member, at_ms)"],
    )
    await rebuild(
        store, quota,
        "community TEXT NOT NULL, platform TEXT NOT NULL, member TEXT NOT NULL,"
        " window_ms BIGINT NOT NULL, message TEXT NOT NULL, at_ms BIGINT NOT NULL,"
        " content TEXT NOT NULL DEFAULT '', PRIMARY KEY (community, platform, member, message)",
        {"community": "community", "platform": "platform", "member": "member",
         "window_ms": ms('"window"'), "message": "message", "at_ms": ms("at"), "content": "content"},
    )


MIGRATIONS = (upgrade_v1, upgrade_v2, upgrade_v3)


def content_key(text: str) -> str:
    """A fingerprint of a message's exact text (stored, so stable across restarts)."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class Allowed:
    """An ad that was let through: in which window (its opening in epoch ms; ``0``: by a pass)
    and with what text."""

    window: int
    content: str


@dataclass(frozen=True, slots=True)
class Strike:
    at: datetime
    kind: str
    channel: str
    evidence: str


_MEMBER = "platform = ? AND member = ?"


class Records:
    """ad_window's stored state in one community (``store`` is ``ctx.store``)."""

    def __init__(self, store: CommunityStore) -> None:
        self.store = store

    async def forget(self, member: tuple[str, str]) -> None:
        """Erase one account's strikes, ad quota and passes."""
        async with self.store.transaction():
            for table in ("strikes", "quota", "passes"):
                await self.store.delete(table, _MEMBER, member)

    # -- strikes -------------------------------------------------------------------------
    async def add_strike(
        self, member: tuple[str, str], at: datetime, kind: str, channel: str, evidence: str
    ) -> None:
        platform, who = member
        await self.store.insert("strikes", {"platform": platform, "member": who, "at_ms": to_ms(at),
                                            "kind": kind, "channel": channel, "evidence": evidence[:200]})

    async def strikes(self, member: tuple[str, str], now: datetime, decay: timedelta) -> list[Strike]:
        """``member``'s active strikes (given less than ``decay`` ago), oldest first."""
        rows = await self.store.select(
            "strikes", f"{_MEMBER} AND at_ms > ?", (*member, to_ms(now - decay)),
            columns="at_ms, kind, channel, evidence", order_by="at_ms, id")
        return [Strike(from_ms(r["at_ms"]), r["kind"], r["channel"], r["evidence"]) for r in rows]

    async def pardon(self, member: tuple[str, str], now: datetime, decay: timedelta) -> int:
        """Clear every strike of ``member``; return how many were still active."""
        active = len(await self.strikes(member, now, decay))
        await self.store.delete("strikes", _MEMBER, member)
        return active

    async def prune(self, now: datetime, decay: timedelta, keep_windows: timedelta) -> None:
        """Drop decayed strikes and the quota use of long-gone windows."""
        await self.store.delete("strikes", "at_ms <= ?", (to_ms(now - decay),))
        await self.store.delete("quota", "at_ms < ?", (to_ms(now - keep_windows),))

    # -- quota ---------------------------------------------------------------------------
    async def used(self, member: tuple[str, str], window: int) -> int:
        n = await self.store.select_value("quota", "COUNT(*)", f"{_MEMBER} AND window_ms = ?",
                                          (*member, window))
        return int(n or 0)

    async def allowed(self, member: tuple[str, str], message: str) -> Allowed | None:
        """How ``message`` was allowed as an ad, if it was (its edits are judged against it)."""
        row = await self.store.select_one("quota", f"{_MEMBER} AND message = ?", (*member, message),
                                          columns="window_ms, content")
        return Allowed(int(row["window_ms"]), str(row["content"])) if row else None

    async def use(
        self, member: tuple[str, str], window: int, message: str, at: datetime, content: str
    ) -> None:
        """Count ``message`` (with text fingerprint ``content``) in ``window``; 0: a pass."""
        platform, who = member
        await self.store.insert(
            "quota", {"platform": platform, "member": who, "window_ms": window, "message": message,
                      "at_ms": to_ms(at), "content": content},
            on_conflict=("platform", "member", "message"), update=("window_ms", "at_ms", "content"))

    # -- passes --------------------------------------------------------------------------
    async def passes(self, member: tuple[str, str]) -> int:
        count = await self.store.select_value("passes", "count", _MEMBER, member)
        return int(count or 0)

    async def grant_pass(self, member: tuple[str, str]) -> int:
        """Give ``member`` one more pass; return how many they hold now."""
        platform, who = member
        return int(await self.store.insert(
            "passes", {"platform": platform, "member": who, "count": 1},
            on_conflict=("platform", "member"),
            update={"count": SQL(f"{self.store.table('passes')}.count + 1")}, returning="count"))

    async def use_pass(self, member: tuple[str, str]) -> bool:
        """Spend one of ``member``'s passes; False when they hold none."""
        changed = await self.store.update("passes", {"count": SQL("count - 1")},
                                          f"{_MEMBER} AND count > 0", member)
        return changed > 0
