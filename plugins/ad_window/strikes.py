"""What ad_window keeps across restarts: quota use per window and ad passes.

One repository over the plugin's tables in one community (``ctx.store`` fills
and filters the ``community`` column); rows carry the person (quota and
passes follow the person across networks). Times are integer epoch
milliseconds. Strikes live in the core's strike ledger (``ctx.strikes``); the
plugin's old strikes table is emptied into it at start-up
(:meth:`Records.take_legacy_strikes`).
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
        " community TEXT NOT NULL, platform TEXT NOT NULL, member TEXT NOT NULL,"
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
    # Quota and passes are the person's: the person of each account is filled in at start-up
    # (0: not yet known); strikes move to the core's strike ledger then too.
    for table in ("quota", "passes"):
        await store.execute(
            f"ALTER TABLE {store.table(table)} ADD COLUMN person BIGINT NOT NULL DEFAULT 0")
    await store.execute(
        f"CREATE INDEX {store.table('quota_person')} ON {store.table('quota')}"
        ' (community, person, "window")')


async def upgrade_v4(store: Store) -> None:
    """Times and windows as integer epoch milliseconds (the portable schema)."""
    strikes, quota = store.table("strikes"), store.table("quota")
    await rebuild(
        store, strikes,
        "id INTEGER PRIMARY KEY, community TEXT NOT NULL, platform TEXT NOT NULL,"
        " member TEXT NOT NULL, at_ms BIGINT NOT NULL, kind TEXT NOT NULL,"
        " channel TEXT NOT NULL DEFAULT '', evidence TEXT NOT NULL DEFAULT ''",
        {"id": "id", "community": "community", "platform": "platform", "member": "member",
         "at_ms": ms("at"), "kind": "kind", "channel": "channel", "evidence": "evidence"},
    )
    await rebuild(
        store, quota,
        "community TEXT NOT NULL, platform TEXT NOT NULL, member TEXT NOT NULL,"
        " person BIGINT NOT NULL DEFAULT 0, window_ms BIGINT NOT NULL, message TEXT NOT NULL,"
        " at_ms BIGINT NOT NULL, content TEXT NOT NULL DEFAULT '',"
        " PRIMARY KEY (community, platform, member, message)",
        {"community": "community", "platform": "platform", "member": "member", "person": "person",
         "window_ms": ms('"window"'), "message": "message", "at_ms": ms("at"), "content": "content"},
        indexes=[f"CREATE INDEX {store.table('quota_person')} ON {quota} (community, person, window_ms)"],
    )


MIGRATIONS = (upgrade_v1, upgrade_v2, upgrade_v3, upgrade_v4)


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
    """A strike as ad_window kept it before the core's strike ledger."""

    account: tuple[str, str]
    at: datetime
    kind: str
    channel: str
    evidence: str


_ACCOUNT = "platform = ? AND member = ?"


class Records:
    """ad_window's stored state in one community (``store`` is ``ctx.store``)."""

    def __init__(self, store: CommunityStore) -> None:
        self.store = store

    async def forget(self, member: tuple[str, str]) -> None:
        """Erase one account's strikes, ad quota and passes."""
        async with self.store.transaction():
            for table in ("strikes", "quota", "passes"):
                await self.store.delete(table, _ACCOUNT, member)

    # -- people ----------------------------------------------------------------------------
    async def unkeyed(self) -> list[tuple[str, str]]:
        """Accounts with quota or passes not yet keyed on their person (rows from before v3)."""
        found: dict[tuple[str, str], None] = {}
        for table in ("quota", "passes"):
            for r in await self.store.select(table, "person = 0", columns="platform, member",
                                             order_by="platform, member"):
                found[(r[0], r[1])] = None
        return list(found)

    async def key_on(self, account: tuple[str, str], person: int) -> None:
        """Key ``account``'s quota and passes on ``person``."""
        for table in ("quota", "passes"):
            await self.store.update(table, {"person": person}, _ACCOUNT, account)

    async def merge(self, kept: int, merged: int) -> None:
        """Person ``merged`` became ``kept``: their quota use and passes add up."""
        async with self.store.transaction():
            for table in ("quota", "passes"):
                await self.store.update(table, {"person": kept}, "person = ?", (merged,))

    async def take_legacy_strikes(self) -> list[Strike]:
        """The strikes kept here before the core's ledger, removed (call in a transaction)."""
        rows = await self.store.select("strikes", columns="platform, member, at_ms, kind, channel, evidence",
                                       order_by="at_ms, id")
        await self.store.delete("strikes")
        return [Strike((r[0], r[1]), from_ms(r[2]), r[3], r[4], r[5]) for r in rows]

    async def prune(self, now: datetime, keep_windows: timedelta) -> None:
        """Drop the quota use of long-gone windows."""
        await self.store.delete("quota", "at_ms < ?", (to_ms(now - keep_windows),))

    # -- quota ---------------------------------------------------------------------------
    async def used(self, person: int, window: int) -> int:
        """How many ads ``person`` posted in ``window`` (on every network)."""
        n = await self.store.select_value("quota", "COUNT(*)", "person = ? AND window_ms = ?",
                                          (person, window))
        return int(n or 0)

    async def allowed(self, member: tuple[str, str], message: str) -> Allowed | None:
        """How ``message`` was allowed as an ad, if it was (its edits are judged against it)."""
        row = await self.store.select_one("quota", f"{_ACCOUNT} AND message = ?", (*member, message),
                                          columns="window_ms, content")
        return Allowed(int(row["window_ms"]), str(row["content"])) if row else None

    async def use(
        self, member: tuple[str, str], person: int, window: int, message: str, at: datetime,
        content: str,
    ) -> None:
        """Count ``member``'s ``message`` (text fingerprint ``content``) in ``window``; 0: a pass."""
        platform, who = member
        await self.store.insert(
            "quota", {"platform": platform, "member": who, "person": person, "window_ms": window,
                      "message": message, "at_ms": to_ms(at), "content": content},
            on_conflict=("platform", "member", "message"), update=("window_ms", "at_ms", "content"))

    # -- passes --------------------------------------------------------------------------
    async def passes(self, person: int) -> int:
        """The passes ``person`` holds (granted on any of their accounts)."""
        total = await self.store.select_value("passes", "SUM(count)", "person = ?", (person,))
        return int(total or 0)

    async def grant_pass(self, member: tuple[str, str], person: int) -> int:
        """Give ``member`` (of ``person``) one more pass; return how many the person holds now."""
        platform, who = member
        await self.store.insert(
            "passes", {"platform": platform, "member": who, "person": person, "count": 1},
            on_conflict=("platform", "member"),
            update={"count": SQL(f"{self.store.table('passes')}.count + 1"),
                    "person": SQL("excluded.person")})
        return await self.passes(person)

    async def use_pass(self, person: int) -> bool:
        """Spend one of ``person``'s passes; False when they hold none."""
        row = await self.store.select_one("passes", "person = ? AND count > 0", (person,),
                                          columns="platform, member", order_by="platform, member")
        if row is None:
            return False
        changed = await self.store.update("passes", {"count": SQL("count - 1")},
                                          f"{_ACCOUNT} AND count > 0", (row[0], row[1]))
        return changed > 0
